/*
** channel.c
** The channel type.
** See LICENSE in the project root.
*/
#include "ext.h"

static PyObject *channel_tp_new(PyTypeObject *type, PyObject *args,
                                PyObject *kwds) {
    ChannelObject *c;
    (void)args;
    (void)kwds;
    c = (ChannelObject *)type->tp_alloc(type, 0);
    if (c == NULL)
        return NULL;
    tsk_channel_init(&c->c);
    c->c.data = c;
    return (PyObject *)c;
}

static int channel_init(PyObject *self, PyObject *args, PyObject *kwds) {
    (void)self;
    if (Py_TYPE(self) == &Ext_ChannelType &&
        (PyTuple_GET_SIZE(args) > 0 || (kwds && PyDict_GET_SIZE(kwds) > 0))) {
        PyErr_SetString(PyExc_TypeError, "channel() takes no arguments");
        return -1;
    }
    return 0;
}

/* Call the channel callback before the operation (cb(channel, tasklet,
** sending, willblock)).  An exception from it aborts the operation and
** propagates to the caller. */
__attribute__((noinline)) static int
channel_cb(ThreadState *ts, ChannelObject *ch, TaskletObject *cur, int dir) {
    PyObject *cb = ext_mod.channel_cb, *r, *sending, *willblock;
    unsigned old;
    if (cb == NULL)
        return 0;
    sending = PyLong_FromLong(dir > 0);
    willblock = PyLong_FromLong(tsk_channel_would_block(&ch->c, dir));
    Py_INCREF(cb);
    old = tsk_callback_enter(&ts->s, TSK_CB_CHANNEL);
    r = (sending && willblock)
        ? PyObject_CallFunctionObjArgs(cb, ch, cur, sending, willblock, NULL)
        : NULL;
    tsk_callback_leave(&ts->s, old);
    Py_DECREF(cb);
    Py_XDECREF(sending);
    Py_XDECREF(willblock);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* May the operation go on?  -1 (value released, error set) if not.  Out
** of line: the hot path keeps one test. */
__attribute__((noinline, cold)) static int refused(ThreadState *ts,
                                                   PyObject *value) {
    tsk_result r;
    if (ts != NULL && (r = tsk_refusal(&ts->s, 1)) != TSK_OK)
        ext_raise(r);
    else if (ts != NULL && ext_gl_guard(ts) == 0)
        return 0;
    Py_XDECREF(value);
    return -1;
}

/* send (dir +1, value stolen) or receive (dir -1, value NULL).  'meth',
** 'args' and 'nargs' describe the Python-level call, for ext_pin_stack.
** Inlined: a call costs as much as send's or receive's own work. */
__attribute__((always_inline)) static inline PyObject *
channel_action_pinned(ChannelObject *ch, PyObject *value, int dir, void *meth,
                      PyObject *const *args, Py_ssize_t nargs) {
    ThreadState *ts = ext_ts();
    TaskletObject *cur;
    tsk_tasklet *next;
    tsk_result r;
    if (__builtin_expect(ts == NULL || tsk_in_callback(&ts->s) || ext_gl_watch,
                         0) &&
        refused(ts, value) < 0)
        return NULL;
    cur = TASKLET(ts->s.current);
    ext_tasklet_set_tempval(cur, value);
    if (ext_mod.channel_cb != NULL && channel_cb(ts, ch, cur, dir) < 0) {
        ext_tasklet_set_tempval(cur, NULL);
        return NULL;
    }
    r = tsk_plan_channel(&ts->s, &ch->c, dir, &next, NULL);
    if (r < 0) {
        ext_tasklet_set_tempval(cur, NULL);
        ext_flush(ts);
        return ext_raise(r);
    }
    if (meth != NULL && next != NULL) {
        PyObject *res;
        ext_pin_stack(cur, (PyObject *)ch, meth, args, nargs);
        res = ext_switch(ts, r, next, cur);
        ext_unpin_stack(cur);
        return res;
    }
    return ext_switch(ts, r, next, cur);
}

static PyObject *channel_action(ChannelObject *ch, PyObject *value, int dir) {
    return channel_action_pinned(ch, value, dir, NULL, NULL, 0);
}

static PyObject *channel_send(ChannelObject *ch, PyObject *const *args,
                              Py_ssize_t nargs) {
    if (nargs != 1) {
        PyErr_Format(PyExc_TypeError,
                     "send() takes exactly one argument (%zd given)", nargs);
        return NULL;
    }
    Py_INCREF(args[0]);
    return channel_action_pinned(ch, args[0], 1, (void *)channel_send, args,
                                 nargs);
}

static PyObject *channel_receive(ChannelObject *ch, PyObject *const *args,
                                 Py_ssize_t nargs) {
    if (nargs != 0) {
        PyErr_Format(PyExc_TypeError,
                     "receive() takes no arguments (%zd given)", nargs);
        return NULL;
    }
    return channel_action_pinned(ch, NULL, -1, (void *)channel_receive, args,
                                 nargs);
}

static PyObject *channel_send_exception(ChannelObject *ch, PyObject *args) {
    PyObject *bomb = ext_bomb_from_call(args, "send_exception", "channel");
    if (bomb == NULL)
        return NULL;
    return channel_action(ch, bomb, 1);
}

static PyObject *channel_send_throw(ChannelObject *ch, PyObject *args,
                                    PyObject *kwds) {
    static char *kw[] = {"exc", "val", "tb", NULL};
    PyObject *exc, *val = NULL, *tb = NULL, *bomb;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OO:send_throw", kw, &exc,
                                     &val, &tb))
        return NULL;
    bomb = ext_make_bomb_args(exc, val, tb, "send_throw");
    if (bomb == NULL)
        return NULL;
    return channel_action(ch, bomb, 1);
}

static PyObject *channel_send_sequence(ChannelObject *ch, PyObject *seq) {
    PyObject *it = PyObject_GetIter(seq), *item;
    long n = 0;
    if (it == NULL)
        return NULL;
    while ((item = PyIter_Next(it)) != NULL) {
        PyObject *r = channel_action(ch, item, 1);
        if (r == NULL) {
            Py_DECREF(it);
            return NULL;
        }
        Py_DECREF(r);
        n++;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(n);
}

static PyObject *channel_iternext(ChannelObject *ch) {
    PyObject *r;
    if ((ch->c.flags & TSK_CH_CLOSING) && ch->c.balance <= 0) {
        PyErr_SetNone(PyExc_StopIteration);
        return NULL;
    }
#if EXT_C_CALLS_COUNT_DEPTH
    /* count a level like a method call does, so that recursion_depth of a
    ** tasklet suspended here is reported like anywhere else */
    if (Py_EnterRecursiveCall(" in channel iteration"))
        return NULL;
    r = channel_action(ch, NULL, -1);
    Py_LeaveRecursiveCall();
#else
    r = channel_action(ch, NULL, -1);
#endif
    return r;
}

static PyObject *channel_close(ChannelObject *ch, PyObject *unused) {
    (void)unused;
    ch->c.flags |= TSK_CH_CLOSING;
    Py_RETURN_NONE;
}

static PyObject *channel_open(ChannelObject *ch, PyObject *unused) {
    (void)unused;
    ch->c.flags &= (uint8_t)~TSK_CH_CLOSING;
    Py_RETURN_NONE;
}

static PyObject *channel_reduce(ChannelObject *ch, PyObject *unused) {
    (void)unused;
    PyErr_Format(PyExc_TypeError, "cannot pickle '%s' object",
                 Py_TYPE(ch)->tp_name);
    return NULL;
}

static PyMethodDef channel_methods[] = {
    {"send", (PyCFunction)(void (*)(void))channel_send, METH_FASTCALL,
     "send(value)"},
    {"receive", (PyCFunction)(void (*)(void))channel_receive, METH_FASTCALL,
     "receive() -> value"},
    {"send_exception", (PyCFunction)channel_send_exception, METH_VARARGS,
     "send_exception(exc, *args): the receiver raises exc(*args)"},
    {"send_throw", (PyCFunction)(void (*)(void))channel_send_throw,
     METH_VARARGS | METH_KEYWORDS,
     "send_throw(exc, val=None, tb=None): the receiver raises it"},
    {"send_sequence", (PyCFunction)channel_send_sequence, METH_O,
     "send_sequence(iterable) -> number of items sent"},
    {"close", (PyCFunction)channel_close, METH_NOARGS, NULL},
    {"open", (PyCFunction)channel_open, METH_NOARGS, NULL},
    {"__reduce__", (PyCFunction)channel_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyObject *get_balance(ChannelObject *c, void *x) {
    (void)x;
    return PyLong_FromLong(c->c.balance);
}
static PyObject *get_closing(ChannelObject *c, void *x) {
    (void)x;
    return PyBool_FromLong((c->c.flags & TSK_CH_CLOSING) != 0);
}
static PyObject *get_closed(ChannelObject *c, void *x) {
    (void)x;
    return PyBool_FromLong((c->c.flags & TSK_CH_CLOSING) && c->c.balance == 0);
}
static PyObject *get_preference(ChannelObject *c, void *x) {
    (void)x;
    return PyLong_FromLong(c->c.preference);
}
static int set_preference(ChannelObject *c, PyObject *v, void *x) {
    long p;
    (void)x;
    if (v == NULL || !PyLong_Check(v)) {
        PyErr_SetString(PyExc_TypeError,
                        "preference must be set to an integer");
        return -1;
    }
    p = PyLong_AsLong(v);
    if (p == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        p = ext_long_sign(v);
    }
    tsk_channel_set_preference(&c->c, p > 0 ? 1 : p < 0 ? -1 : 0);
    return 0;
}
static PyObject *get_schedule_all(ChannelObject *c, void *x) {
    (void)x;
    return PyLong_FromLong((c->c.flags & TSK_CH_SCHEDULE_ALL) != 0);
}
static int set_schedule_all(ChannelObject *c, PyObject *v, void *x) {
    /* Stackless's message really says "preference" */
    int b = ext_int_flag(v, "preference must be set to a bool or integer");
    (void)x;
    if (b < 0)
        return -1;
    if (b)
        c->c.flags |= TSK_CH_SCHEDULE_ALL;
    else
        c->c.flags &= (uint8_t)~TSK_CH_SCHEDULE_ALL;
    return 0;
}
static PyObject *get_queue(ChannelObject *c, void *x) {
    (void)x;
    if (c->c.head == NULL)
        Py_RETURN_NONE;
    Py_INCREF(TASKLET(c->c.head));
    return (PyObject *)TASKLET(c->c.head);
}

static PyGetSetDef channel_getset[] = {
    {"balance", (getter)get_balance, NULL, NULL, NULL},
    {"closing", (getter)get_closing, NULL, NULL, NULL},
    {"closed", (getter)get_closed, NULL, NULL, NULL},
    {"preference", (getter)get_preference, (setter)set_preference, NULL, NULL},
    {"schedule_all", (getter)get_schedule_all, (setter)set_schedule_all, NULL,
     NULL},
    {"queue", (getter)get_queue, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

/* Blocked tasklets are referenced by the channel (the core's link hook);
** the collector must see those references. */
static int channel_traverse(ChannelObject *c, visitproc visit, void *arg) {
    tsk_tasklet *t;
    for (t = c->c.head; t != NULL; t = t->next)
        Py_VISIT((PyObject *)TASKLET(t));
    return 0;
}

static void channel_dealloc(ChannelObject *c) {
    PyObject_GC_UnTrack(c);
    if (c->weakrefs != NULL)
        PyObject_ClearWeakRefs((PyObject *)c);
    /* nobody can wake its blocked tasklets any more: they stay blocked on a
    ** dead queue; unlink them so that they can be collected */
    while (c->c.head != NULL)
        tsk_unblock(c->c.head);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static PyObject *channel_iter(PyObject *self) {
    Py_INCREF(self);
    return self;
}

PyTypeObject Ext_ChannelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tasklets.channel",
    .tp_basicsize = sizeof(ChannelObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "channel(): a rendezvous for tasklets to pass values.",
    .tp_new = channel_tp_new,
    .tp_init = channel_init,
    .tp_dealloc = (destructor)channel_dealloc,
    .tp_traverse = (traverseproc)channel_traverse,
    .tp_iter = channel_iter,
    .tp_iternext = (iternextfunc)channel_iternext,
    .tp_methods = channel_methods,
    .tp_getset = channel_getset,
    .tp_weaklistoffset = offsetof(ChannelObject, weakrefs),
};
