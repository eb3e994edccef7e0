/*
** tasklet.c
** The tasklet type: its list of started tasklets per thread, the body
** every Python tasklet runs, and its lifetime (GC, kill-on-dealloc).
** Binding: tasklet_bind.c; methods: tasklet_ops.c; attributes:
** tasklet_attrs.c.
** See LICENSE in the project root.
*/
#include "ext.h"

static void started_link(TaskletObject *t) {
    ThreadState *ts = t->ts;
    t->gnext = &ts->started;
    t->gprev = ts->started.gprev;
    ts->started.gprev->gnext = t;
    ts->started.gprev = t;
}

TaskletObject *ext_tasklet_new_main(ThreadState *ts) {
    TaskletObject *t =
        (TaskletObject *)Ext_TaskletType.tp_alloc(&Ext_TaskletType, 0);
    if (t == NULL)
        return NULL;
    t->t.data = t;
    Py_INCREF(ts);
    t->ts = ts;
    return t;
}

/* {======================================================================
** The body every Python tasklet runs (on its own slice of the C stack)
** ======================================================================= */

/* An uncaught exception ends the tasklet: decide where it goes. */
static int tasklet_failed(ThreadState *ts) {
    PyObject *bomb;
    tsk_tasklet *wd;
    if (PyErr_ExceptionMatches(PyExc_SystemExit)) {
        PyObject *t, *v, *tb;
        int exact;
        PyErr_Fetch(&t, &v, &tb);
        exact = t == PyExc_SystemExit;
        PyErr_Restore(t, v, tb);
        /* TaskletExit ends a tasklet quietly; a real SystemExit in the
        ** initial thread goes to main and ends the process. */
        if (!exact || !ts->initial) {
            PyErr_Clear();
            return 0;
        }
    } else if (ext_mod.error_handler != NULL) {
        PyObject *t, *v, *tb, *h = ext_mod.error_handler, *r;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        Py_INCREF(h);
        r = PyObject_CallFunctionObjArgs(h, t ? t : Py_None, v ? v : Py_None,
                                         tb ? tb : Py_None, NULL);
        Py_DECREF(h);
        Py_XDECREF(t);
        Py_XDECREF(v);
        Py_XDECREF(tb);
        if (r != NULL) {
            Py_DECREF(r);
            return 0; /* handled */
        }
    }
    bomb = ext_bomb_from_error();
    if (bomb == NULL) {
        PyErr_WriteUnraisable(NULL);
        return 0;
    }
    wd = ts->s.watchdog ? ts->s.watchdog : ts->s.main;
    ext_tasklet_set_tempval(TASKLET(wd), bomb);
    return 1;
}

int ext_tasklet_body(tsk_tasklet *tt, void *arg) {
    TaskletObject *self = TASKLET(tt);
    ThreadState *ts = self->ts;
    PyObject *func, *args, *kwargs, *tv, *res = NULL;
#if EXT_HAS_CFRAME
    /* our own link of the C-frame chain, for the tasklet's whole life */
    PyThreadState *tstate = ts->tstate;
    ExtCFrame cf;
    memset(&cf, 0, sizeof cf);
#ifdef EXT_CFRAME_TRACING
    cf.use_tracing = EXT_CFRAME_TRACING(tstate);
#endif
    cf.previous = &tstate->root_cframe;
    tstate->cframe = &cf;
#endif
    (void)arg;
    started_link(self);
    ext_flush(ts);
    /* func and args stay in the object while they run, where the collector
    ** sees them (C locals on a suspended stack are invisible to it) */
    func = self->func;
    args = self->args;
    kwargs = self->kwargs;
    tv = (PyObject *)self->t.tempval;
    self->t.tempval = NULL;
    tsk_take_wake(tt);
    if (tv != NULL && Ext_Bomb_Check(tv)) {
        ext_bomb_raise(tv); /* killed or thrown before start */
    } else if (func != NULL) {
        res = PyObject_Call(func, args ? args : Py_None, kwargs);
    }
    Py_XDECREF(tv);
    Py_XDECREF(res);
    Py_CLEAR(self->pend); /* thrown too late (see tsk.h) */
    Py_CLEAR(self->func);
    Py_CLEAR(self->args);
    Py_CLEAR(self->kwargs);
#if EXT_HAS_CFRAME
    /* 'cf' dies with this frame; code that runs before the final switch
    ** (error handler, schedule callback) must not link to it */
    if (PyErr_Occurred()) {
        int failed = tasklet_failed(ts);
        tstate->cframe = cf.previous;
        return failed;
    }
    tstate->cframe = cf.previous;
    return 0;
#else
    if (PyErr_Occurred())
        return tasklet_failed(ts);
    return 0;
#endif
}
/* }====================================================================== */

/* {======================================================================
** Construction
** ======================================================================= */
static PyObject *tasklet_tp_new(PyTypeObject *type, PyObject *args,
                                PyObject *kwds) {
    ThreadState *ts = ext_ts();
    TaskletObject *t;
    (void)args;
    (void)kwds;
    if (ts == NULL)
        return NULL;
    t = (TaskletObject *)type->tp_alloc(type, 0);
    if (t == NULL)
        return NULL;
    t->t.data = t;
    t->t.sched = &ts->s;
    Py_INCREF(ts);
    t->ts = ts;
    return (PyObject *)t;
}
/* }====================================================================== */

/* {======================================================================
** Lifetime: GC and kill-on-dealloc
** ======================================================================= */
static int tasklet_traverse(TaskletObject *s, visitproc visit, void *arg) {
    Py_VISIT(s->func);
    Py_VISIT(s->args);
    Py_VISIT(s->kwargs);
    Py_VISIT((PyObject *)s->t.tempval);
    Py_VISIT(s->pend);
    Py_VISIT((PyObject *)s->ts);
    /* Only while the finalizer can still kill it: PEP 442 finalizes an
    ** object once, so a tasklet that refused to die must keep what its
    ** frames use (it is never collected, like Stackless's gc.garbage). */
    if (STARTED(s) && tsk_alive(&s->t) && !IS_MAIN(s) && !IS_CURRENT(s) &&
        !ext_gc_is_finalized((PyObject *)s)) {
        int r = ext_traverse_frames(s, visit, arg);
        if (r)
            return r;
    }
    return ext_state_traverse(&s->st, visit, arg);
}

static int tasklet_clear(TaskletObject *s) {
    if (STARTED(s) && tsk_alive(&s->t))
        return 0; /* its frames hold on; never clear them */
    Py_CLEAR(s->func);
    Py_CLEAR(s->args);
    Py_CLEAR(s->kwargs);
    ext_tasklet_set_tempval(s, NULL);
    return 0;
}

/* Kill one suspended tasklet of this thread, reporting what goes wrong. */
static void kill_one(TaskletObject *t) {
    if (STARTED(t) && tsk_alive(&t->t) && !IS_MAIN(t) && !IS_CURRENT(t)) {
        PyObject *bomb =
            ext_make_bomb_args(Ext_TaskletExit, NULL, NULL, "kill");
        /* inside a greenlet that may not switch: killed when it runs */
        int pending = ext_gl_guard(t->ts) < 0;
        PyObject *r;
        if (pending)
            PyErr_Clear();
        r = bomb ? ext_tasklet_deliver(t, bomb, pending, 1) : NULL;
        if (r == NULL)
            PyErr_WriteUnraisable((PyObject *)t);
        Py_XDECREF(r);
    }
}

/* The kills the finalizer put off while the collector ran (see below). */
void ext_kill_deferred(ThreadState *ts) {
    PyObject *l, *et, *ev, *etb;
    Py_ssize_t i;
    while ((l = ts->deferred) != NULL) {
        ts->deferred = NULL;
        PyErr_Fetch(&et, &ev, &etb);
        for (i = 0; i < PyList_GET_SIZE(l); i++)
            kill_one((TaskletObject *)PyList_GET_ITEM(l, i));
        PyErr_Restore(et, ev, etb);
        Py_DECREF(l);
    }
    ext_flush(ts);
}

/* Kill every started tasklet of this thread that is still alive (thread
** end, interpreter exit): their C stacks cannot outlive the thread. */
void ext_kill_started(ThreadState *ts) {
    Py_ssize_t n = 0, i;
    TaskletObject *t, **all;
    PyObject *et, *ev, *etb;
    for (t = ts->started.gnext; t != &ts->started; t = t->gnext)
        n++;
    if (n == 0)
        return;
    all = PyMem_Malloc((size_t)n * sizeof *all);
    if (all == NULL)
        return;
    n = 0;
    for (t = ts->started.gnext; t != &ts->started; t = t->gnext) {
        Py_INCREF(t);
        all[n++] = t;
    }
    PyErr_Fetch(&et, &ev, &etb);
    for (i = 0; i < n; i++) {
        kill_one(all[i]);
        Py_DECREF(all[i]);
    }
    PyErr_Restore(et, ev, etb);
    PyMem_Free(all);
    ext_flush(ts);
}

/* A suspended tasklet nobody references any more is killed, so its
** 'finally' blocks run (PEP 442: we may be resurrected meanwhile).
** Inside a collection the kill waits until the collector is done (a gc
** callback, see module.c): the collector keeps list heads in C locals, and
** running the victim could slice that stack away under them. */
/* The last reference to another thread's suspended tasklet went away
** here: queue the kill to its thread, as kill(pending=True) would (that
** queue's reference resurrects it).  Its thread runs it at its next
** schedule, or at once if it waits in the scheduler; at its end at the
** latest.  Never switches, so it is safe inside a collection too. */
static void kill_in_owner(TaskletObject *self) {
    ThreadState *me = ext_ts();
    tsk_tasklet *next;
    tsk_result r;
    PyObject *bomb;
    if (me == NULL) {
        PyErr_WriteUnraisable((PyObject *)self);
        return;
    }
    bomb = ext_make_bomb_args(Ext_TaskletExit, NULL, NULL, "kill");
    if (bomb == NULL) {
        PyErr_WriteUnraisable((PyObject *)self);
        return;
    }
    ext_tasklet_set_tempval(self, bomb);
    r = tsk_plan_throw(&me->s, &self->t, TSK_E_THROWN, 1, &next);
    if (r != TSK_OK)
        ext_tasklet_set_tempval(self, NULL);
    ext_flush(me);
}

static void tasklet_finalize(TaskletObject *self) {
    PyObject *t, *v, *tb;
    ThreadState *ts = ext_ts_maybe();
    if (!STARTED(self) || !tsk_alive(&self->t) || IS_MAIN(self) ||
        IS_CURRENT(self))
        return;
    if (self->ts == NULL || !self->ts->alive)
        return;
    if (self->ts != ts) {
        PyErr_Fetch(&t, &v, &tb);
        kill_in_owner(self);
        PyErr_Restore(t, v, tb);
        return;
    }
    if (tsk_in_callback(&ts->s) & TSK_CB_SCHEDULE)
        return;
    PyErr_Fetch(&t, &v, &tb);
    if (ext_in_gc) {
        if (ts->deferred == NULL)
            ts->deferred = PyList_New(0);
        if (ts->deferred == NULL ||
            PyList_Append(ts->deferred, (PyObject *)self) < 0)
            PyErr_WriteUnraisable((PyObject *)self);
    } else {
        kill_one(self);
    }
    PyErr_Restore(t, v, tb);
}

static void tasklet_dealloc(TaskletObject *self) {
    if (PyObject_CallFinalizerFromDealloc((PyObject *)self) < 0)
        return; /* resurrected */
    PyObject_GC_UnTrack(self);
    if (self->weakrefs != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    ext_started_unlink(self);
    if (STARTED(self))
        tsk_tasklet_release(&self->t);
    Py_CLEAR(self->func);
    Py_CLEAR(self->args);
    Py_CLEAR(self->kwargs);
    Py_CLEAR(self->pend);
    ext_tasklet_set_tempval(self, NULL);
    ext_state_clear(&self->st);
    Py_CLEAR(self->ts);
    Py_TYPE(self)->tp_free((PyObject *)self);
}
/* }====================================================================== */

PyTypeObject Ext_TaskletType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tasklets.tasklet",
    .tp_basicsize = sizeof(TaskletObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "tasklet(func=None, args=None, kwargs=None): a lightweight "
              "thread of control.",
    .tp_new = tasklet_tp_new,
    .tp_init = (initproc)ext_tasklet_init,
    .tp_call = (ternaryfunc)ext_tasklet_call,
    .tp_dealloc = (destructor)tasklet_dealloc,
    .tp_finalize = (destructor)tasklet_finalize,
    .tp_traverse = (traverseproc)tasklet_traverse,
    .tp_clear = (inquiry)tasklet_clear,
    .tp_methods = ext_tasklet_methods,
    .tp_getset = ext_tasklet_getset,
    .tp_weaklistoffset = offsetof(TaskletObject, weakrefs),
};
