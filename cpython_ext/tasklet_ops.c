/*
** tasklet_ops.c
** The tasklet's scheduling methods: insert, remove, run, switch, and the
** deliveries of an exception (throw, kill, raise_exception); its flags;
** the method table.
** See LICENSE in the project root.
*/
#include "ext.h"

/* {======================================================================
** Scheduling methods
** ======================================================================= */
/* tsk_insert: self (a new reference), or NULL with the error set */
PyObject *ext_tasklet_insert(TaskletObject *self) {
    tsk_result r = tsk_insert(&self->t);
    if (r != TSK_OK)
        return ext_raise(r);
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *tasklet_insert(TaskletObject *self, PyObject *unused) {
    (void)unused;
    if (ext_ts() == NULL)
        return NULL;
    return ext_tasklet_insert(self);
}

static PyObject *tasklet_remove(TaskletObject *self, PyObject *unused) {
    tsk_result r;
    ThreadState *ts = ext_ts();
    (void)unused;
    if (ts == NULL)
        return NULL;
    r = tsk_remove(&self->t);
    if (r != TSK_OK)
        return ext_raise(r);
    ext_flush(ts);
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *run_or_switch(TaskletObject *self, int remove_self) {
    ThreadState *ts = ext_ts();
    TaskletObject *cur;
    tsk_tasklet *next;
    tsk_result r;
    if (ts == NULL || ext_sched_guard(ts) < 0)
        return NULL;
    cur = TASKLET(ts->s.current);
    if (self == cur)
        return ext_claim(cur);
    if (ext_gl_guard(ts) < 0)
        return NULL;
    r = tsk_plan_run(&ts->s, &self->t, remove_self, &next);
    if (r < 0)
        return ext_raise(r);
    return ext_switch(ts, r, next, cur);
}

static PyObject *tasklet_run(TaskletObject *self, PyObject *unused) {
    (void)unused;
    return run_or_switch(self, 0);
}

static PyObject *tasklet_switch(TaskletObject *self, PyObject *unused) {
    (void)unused;
    return run_or_switch(self, 1);
}

/* Does the bomb end a tasklet quietly (TaskletExit)? */
static int exit_type(BombObject *b) {
    return PyType_Check(b->type) &&
        PyType_IsSubtype((PyTypeObject *)b->type,
                         (PyTypeObject *)Ext_TaskletExit);
}

/* Deliver a bomb to self (kill, throw, raise_exception); the core says
** whether it may (tsk_throw_check). */
PyObject *ext_tasklet_deliver(TaskletObject *self, PyObject *bomb, int pending,
                              int kill) {
    ThreadState *ts = ext_ts();
    TaskletObject *cur;
    PyObject *old;
    tsk_tasklet *next;
    tsk_result r;
    int started;
    if (ts == NULL) {
        Py_DECREF(bomb);
        return NULL;
    }
    cur = TASKLET(ts->s.current);
    if (self == cur) {
        ext_bomb_raise(bomb);
        Py_DECREF(bomb);
        return NULL;
    }
    started = STARTED(self);
    r = tsk_throw_check(&self->t, exit_type((BombObject *)bomb), kill);
    if (started && !STARTED(self))
        ext_started_unlink(self); /* a kill dropped its frames */
    if (r != TSK_OK) {
        Py_DECREF(bomb);
        if (r != TSK_E_DEAD)
            return ext_raise(r);
        ext_flush(ts);
        Py_RETURN_NONE; /* an exit: nothing more to do */
    }
    if (ext_sched_guard(ts) < 0 || (!pending && ext_gl_guard(ts) < 0)) {
        Py_DECREF(bomb);
        return NULL;
    }
    old = (PyObject *)self->t.tempval;
    self->t.tempval = bomb;
    r = tsk_plan_throw(&ts->s, &self->t, TSK_E_THROWN, pending, &next);
    if (r == TSK_PENDING) {
        /* it runs in its thread: its next switch raises it */
        self->t.tempval = old;
        Py_XSETREF(self->pend, bomb);
        Py_RETURN_NONE;
    }
    Py_XDECREF(old);
    Py_CLEAR(self->pend); /* replaced by this one */
    if (r < 0) {
        ext_tasklet_set_tempval(self, NULL);
        return ext_raise(r);
    }
    return ext_switch(ts, r, next, cur);
}

static PyObject *tasklet_throw(TaskletObject *self, PyObject *args,
                               PyObject *kwds) {
    static char *kw[] = {"exc", "val", "tb", "pending", NULL};
    PyObject *exc = NULL, *val = NULL, *tb = NULL, *bomb;
    int pending = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOOp:throw", kw, &exc, &val,
                                     &tb, &pending))
        return NULL;
    if (exc == NULL || exc == Py_None)
        exc = Ext_TaskletExit;
    bomb = ext_make_bomb_args(exc, val, tb, "throw");
    if (bomb == NULL)
        return NULL;
    return ext_tasklet_deliver(self, bomb, pending, 0);
}

static PyObject *tasklet_kill(TaskletObject *self, PyObject *args,
                              PyObject *kwds) {
    static char *kw[] = {"pending", NULL};
    int pending = 0;
    PyObject *bomb;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|p:kill", kw, &pending))
        return NULL;
    bomb = ext_make_bomb_args(Ext_TaskletExit, NULL, NULL, "kill");
    if (bomb == NULL)
        return NULL;
    return ext_tasklet_deliver(self, bomb, pending, 1);
}

static PyObject *tasklet_raise_exception(TaskletObject *self, PyObject *args) {
    PyObject *bomb = ext_bomb_from_call(args, "raise_exception", "tasklet");
    if (bomb == NULL)
        return NULL;
    return ext_tasklet_deliver(self, bomb, 0, 0);
}

static PyObject *set_flag(TaskletObject *self, PyObject *flag, uint16_t bit,
                          const char *msg) {
    int old = (self->t.flags & bit) != 0, v = ext_int_flag(flag, msg);
    if (v < 0)
        return NULL;
    if (v)
        self->t.flags |= bit;
    else
        self->t.flags &= (uint16_t)~bit;
    return PyBool_FromLong(old);
}

static PyObject *tasklet_set_atomic(TaskletObject *self, PyObject *flag) {
    return set_flag(self, flag, TSK_F_ATOMIC,
                    "set_atomic needs exactly one bool or integer");
}

static PyObject *tasklet_set_ignore_nesting(TaskletObject *self,
                                            PyObject *flag) {
    return set_flag(self, flag, TSK_F_IGNORE_NEST,
                    "set_ignore_nesting needs exactly one bool or integer");
}

PyMethodDef ext_tasklet_methods[] = {
    {"bind", (PyCFunction)(void (*)(void))ext_tasklet_bind,
     METH_VARARGS | METH_KEYWORDS,
     "bind(func=None, args=None, kwargs=None) -> self"},
    {"setup", (PyCFunction)(void (*)(void))ext_tasklet_setup,
     METH_VARARGS | METH_KEYWORDS,
     "setup(*args, **kwargs) -> self: bind the arguments and insert"},
    {"insert", (PyCFunction)tasklet_insert, METH_NOARGS, "insert() -> self"},
    {"remove", (PyCFunction)tasklet_remove, METH_NOARGS, "remove() -> self"},
    {"run", (PyCFunction)tasklet_run, METH_NOARGS, "run(): switch to it now"},
    {"switch", (PyCFunction)tasklet_switch, METH_NOARGS,
     "switch(): like run(), but the caller leaves the run queue"},
    {"throw", (PyCFunction)(void (*)(void))tasklet_throw,
     METH_VARARGS | METH_KEYWORDS,
     "throw(exc=None, val=None, tb=None, pending=False)"},
    {"kill", (PyCFunction)(void (*)(void))tasklet_kill,
     METH_VARARGS | METH_KEYWORDS,
     "kill(pending=False): raise TaskletExit in the tasklet"},
    {"raise_exception", (PyCFunction)tasklet_raise_exception, METH_VARARGS,
     "raise_exception(exc_class, *args)"},
    {"set_atomic", (PyCFunction)tasklet_set_atomic, METH_O, NULL},
    {"set_ignore_nesting", (PyCFunction)tasklet_set_ignore_nesting, METH_O,
     NULL},
    {"bind_thread", (PyCFunction)ext_tasklet_bind_thread, METH_VARARGS, NULL},
    {"context_run", (PyCFunction)(void (*)(void))ext_tasklet_context_run,
     METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL}};
/* }====================================================================== */
