/*
** tasklet.c
** The tasklet type.
** See LICENSE in the project root.
*/
#include "ext.h"
#include <structmember.h>

#define IS_CURRENT(o) ((o)->ts != NULL && (o)->ts->s.current == &(o)->t)
#define IS_MAIN(o) (((o)->t.flags & TSK_F_MAIN) != 0)
#define ALIVE(o) (tsk_alive(&(o)->t) && (o)->ts != NULL && (o)->ts->alive)
#define STARTED(o) (((o)->t.flags & TSK_F_STARTED) != 0)

void ext_tasklet_set_tempval(TaskletObject *t, PyObject *v) {
    PyObject *old = (PyObject *)t->t.tempval;
    t->t.tempval = v;
    Py_XDECREF(old);
}

static void started_link(TaskletObject *t) {
    ThreadState *ts = t->ts;
    t->gnext = &ts->started;
    t->gprev = ts->started.gprev;
    ts->started.gprev->gnext = t;
    ts->started.gprev = t;
}

static void started_unlink(TaskletObject *t) {
    if (t->gnext != NULL) {
        t->gprev->gnext = t->gnext;
        t->gnext->gprev = t->gprev;
        t->gnext = t->gprev = NULL;
    }
}

/* Inherit the creator's tracing, as a debugger or coverage tool expects. */
static void inherit_tracing(TaskletObject *t) {
    PyThreadState *tstate = PyThreadState_Get();
    t->st.tracefunc = tstate->c_tracefunc;
    t->st.profilefunc = tstate->c_profilefunc;
    Py_XINCREF(tstate->c_traceobj);
    Py_XINCREF(tstate->c_profileobj);
    Py_XSETREF(t->st.traceobj, tstate->c_traceobj);
    Py_XSETREF(t->st.profileobj, tstate->c_profileobj);
}

TaskletObject *ext_tasklet_new_main(ThreadState *ts) {
    TaskletObject *t = (TaskletObject *)Ext_TaskletType.tp_alloc(&Ext_TaskletType, 0);
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
            return 0;                    /* handled */
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
        ext_bomb_raise(tv);              /* killed or thrown before start */
    } else if (func != NULL) {
        res = PyObject_Call(func, args ? args : Py_None, kwargs);
    }
    Py_XDECREF(tv);
    Py_XDECREF(res);
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
** Construction and binding
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

static int parse_bind(PyObject *args, PyObject *kwds, PyObject **func,
                      PyObject **fargs, PyObject **fkw, const char *fmt) {
    static char *kw[] = {"func", "args", "kwargs", NULL};
    *func = *fargs = *fkw = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, fmt, kw, func, fargs, fkw))
        return -1;
    if (*func == Py_None)
        *func = NULL;
    if (*fargs == Py_None)
        *fargs = NULL;
    if (*fkw == Py_None)
        *fkw = NULL;
    if (*func != NULL && !PyCallable_Check(*func)) {
        PyErr_SetString(PyExc_TypeError,
                        "tasklet function must be a callable or None");
        return -1;
    }
    if (*fargs != NULL && !PyTuple_Check(*fargs)) {
        PyErr_SetString(PyExc_TypeError, "tasklet args must be a tuple or None");
        return -1;
    }
    if (*fkw != NULL && !PyDict_Check(*fkw)) {
        PyErr_SetString(PyExc_TypeError,
                        "tasklet kwargs must be a dictionary or None");
        return -1;
    }
    return 0;
}

static int do_bind(TaskletObject *self, PyObject *func, PyObject *args,
                   PyObject *kwargs) {
    if (IS_CURRENT(self)) {
        PyErr_SetString(PyExc_RuntimeError, "can't (re)bind the current tasklet");
        return -1;
    }
    if (tsk_scheduled(&self->t)) {
        PyErr_SetString(PyExc_RuntimeError, "tasklet is scheduled");
        return -1;
    }
    if (STARTED(self) && tsk_alive(&self->t)) {
        ext_raise(TSK_E_C_STATE);
        return -1;
    }
    if (IS_MAIN(self) && args == NULL && kwargs == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "can't unbind the main tasklet");
        return -1;
    }
    if (STARTED(self)) {                 /* dead: forget its old life */
        started_unlink(self);
        tsk_tasklet_release(&self->t);
    }
    self->t.flags &= (uint16_t)~TSK_F_ALIVE;
    if (func == NULL && self->func == NULL && self->t.tempval != NULL &&
        PyCallable_Check((PyObject *)self->t.tempval) && (args || kwargs))
        func = (PyObject *)self->t.tempval;
    if (func != NULL) {
        PyObject *ctx = PyContext_CopyCurrent();
        if (ctx == NULL)
            return -1;
        Py_XSETREF(self->st.context, ctx);
        inherit_tracing(self);
        Py_INCREF(func);
        Py_XSETREF(self->func, func);
    }
    if (args == NULL && kwargs == NULL) {
        /* bound, not alive: the function is kept in tempval */
        PyObject *f = self->func;
        self->func = NULL;
        ext_tasklet_set_tempval(self, f);
        Py_CLEAR(self->args);
        Py_CLEAR(self->kwargs);
        return 0;
    }
    if (self->func == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the tasklet was not bound to a function");
        return -1;
    }
    if (args == NULL)
        args = PyTuple_New(0);
    else
        Py_INCREF(args);
    if (args == NULL)
        return -1;
    Py_XSETREF(self->args, args);
    Py_XINCREF(kwargs);
    Py_XSETREF(self->kwargs, kwargs);
    ext_tasklet_set_tempval(self, NULL);
    if (ext_check_thread(self) < 0)
        return -1;
    tsk_tasklet_init(&self->t, &self->ts->s, ext_tasklet_body, NULL, NULL);
    self->fresh = 1;
    return 0;
}

static int tasklet_init(TaskletObject *self, PyObject *args, PyObject *kwds) {
    PyObject *func, *fargs, *fkw;
    if (parse_bind(args, kwds, &func, &fargs, &fkw, "|OOO:tasklet") < 0)
        return -1;
    if (func == NULL && fargs == NULL && fkw == NULL)
        return 0;
    return do_bind(self, func, fargs, fkw);
}

static PyObject *tasklet_bind(TaskletObject *self, PyObject *args,
                              PyObject *kwds) {
    PyObject *func, *fargs, *fkw;
    if (parse_bind(args, kwds, &func, &fargs, &fkw, "|OOO:bind") < 0)
        return NULL;
    if (func == NULL && fargs == NULL && fkw == NULL) {
        /* bind(None): unbind */
        if (IS_CURRENT(self)) {
            PyErr_SetString(PyExc_RuntimeError, "can't (re)bind the current tasklet");
            return NULL;
        }
        if (tsk_scheduled(&self->t)) {
            PyErr_SetString(PyExc_RuntimeError, "tasklet is scheduled");
            return NULL;
        }
        if (STARTED(self) && tsk_alive(&self->t)) {
            ext_raise(TSK_E_C_STATE);
            return NULL;
        }
        if (IS_MAIN(self)) {
            PyErr_SetString(PyExc_RuntimeError, "can't unbind the main tasklet");
            return NULL;
        }
        self->t.flags &= (uint16_t)~TSK_F_ALIVE;
        Py_CLEAR(self->func);
        Py_CLEAR(self->args);
        Py_CLEAR(self->kwargs);
        ext_tasklet_set_tempval(self, NULL);
    } else if (do_bind(self, func, fargs, fkw) < 0) {
        return NULL;
    }
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *tasklet_setup(TaskletObject *self, PyObject *args,
                               PyObject *kwds) {
    PyObject *func = (PyObject *)self->t.tempval;
    if (tsk_alive(&self->t)) {
        PyErr_SetString(PyExc_RuntimeError, "tasklet is alive");
        return NULL;
    }
    if (func == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the tasklet was not bound to a function");
        return NULL;
    }
    if (!PyCallable_Check(func)) {
        PyErr_SetString(PyExc_TypeError, "cframe function must be a callable");
        return NULL;
    }
    if (kwds != NULL && PyDict_GET_SIZE(kwds) == 0)
        kwds = NULL;
    Py_INCREF(func);
    ext_tasklet_set_tempval(self, NULL);
    Py_XSETREF(self->func, func);
    if (do_bind(self, NULL, args, kwds) < 0)
        return NULL;
    if (tsk_insert(&self->t) != TSK_OK)
        return ext_raise(TSK_E_NO_THREAD);
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *tasklet_call(TaskletObject *self, PyObject *args,
                              PyObject *kwds) {
    return tasklet_setup(self, args, kwds);
}
/* }====================================================================== */

/* {======================================================================
** Scheduling methods
** ======================================================================= */
static PyObject *insert_error(TaskletObject *self, tsk_result r) {
    if (r == TSK_E_NO_THREAD || (self->ts && !self->ts->alive)) {
        PyErr_SetString(PyExc_RuntimeError, "Target thread isn't initialized");
        return NULL;
    }
    return ext_raise(r);
}

static PyObject *tasklet_insert(TaskletObject *self, PyObject *unused) {
    tsk_result r;
    ThreadState *ts = ext_ts();
    (void)unused;
    if (ts == NULL)
        return NULL;
    if (tsk_blocked(&self->t))
        return ext_raise(TSK_E_BLOCKED);
    if (!IS_CURRENT(self) && !ALIVE(self)) {
        if (self->ts && !self->ts->alive && tsk_alive(&self->t))
            return insert_error(self, TSK_E_NO_THREAD);
        return ext_raise(TSK_E_DEAD);
    }
    r = tsk_insert(&self->t);
    if (r != TSK_OK)
        return insert_error(self, r);
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *tasklet_remove(TaskletObject *self, PyObject *unused) {
    tsk_result r;
    ThreadState *ts = ext_ts();
    (void)unused;
    if (ts == NULL)
        return NULL;
    if (self->ts != NULL && !self->ts->alive)
        goto done;
    r = tsk_remove(&self->t);
    if (r != TSK_OK)
        return ext_raise(r);
    ext_flush(ts);
done:
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *run_or_switch(TaskletObject *self, int remove_self) {
    ThreadState *ts = ext_ts();
    TaskletObject *cur;
    tsk_tasklet *next;
    tsk_result r;
    if (ts == NULL)
        return NULL;
    if (ts->in_sched_cb) {
        PyErr_SetString(PyExc_RuntimeError, "Recursive scheduler call due to callbacks!");
        return NULL;
    }
    cur = TASKLET(ts->s.current);
    if (self == cur)
        return ext_claim(cur);
    if (self->ts != ts) {
        if (remove_self)
            return ext_raise(TSK_E_OTHER_THREAD);
        if (self->ts == NULL || !self->ts->alive) {
            PyErr_SetString(PyExc_RuntimeError, "tasklet has no thread");
            return NULL;
        }
    }
    if (tsk_blocked(&self->t)) {
        PyErr_SetString(PyExc_RuntimeError,
                        remove_self ? "You cannot switch to a blocked tasklet"
                                    : "You cannot run a blocked tasklet");
        return NULL;
    }
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

/* Deliver a bomb to self (kill, throw, raise_exception). */
static PyObject *deliver(TaskletObject *self, PyObject *bomb, int pending,
                         int kill) {
    ThreadState *ts = ext_ts();
    TaskletObject *cur;
    tsk_tasklet *next;
    tsk_result r;
    BombObject *b = (BombObject *)bomb;
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
    if (!ALIVE(self)) {
        int started = STARTED(self);
        int exit = PyType_Check(b->type) &&
                   PyType_IsSubtype((PyTypeObject *)b->type,
                                    (PyTypeObject *)Ext_TaskletExit);
        Py_DECREF(bomb);
        r = tsk_throw_check(&self->t, exit, kill);
        if (started && !STARTED(self))
            started_unlink(self);         /* a kill dropped its frames */
        if (r != TSK_E_DEAD)
            return ext_raise(r);
        ext_flush(ts);
        Py_RETURN_NONE;                   /* an exit: nothing more to do */
    }
    if (ts->in_sched_cb) {
        Py_DECREF(bomb);
        PyErr_SetString(PyExc_RuntimeError, "Recursive scheduler call due to callbacks!");
        return NULL;
    }
    if (!pending && ext_gl_guard(ts) < 0) {
        Py_DECREF(bomb);
        return NULL;
    }
    ext_tasklet_set_tempval(self, bomb);
    r = tsk_plan_throw(&ts->s, &self->t, TSK_E_THROWN, pending, &next);
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
    return deliver(self, bomb, pending, 0);
}

static PyObject *tasklet_kill(TaskletObject *self, PyObject *args,
                              PyObject *kwds) {
    static char *kw[] = {"pending", NULL};
    int pending = 0;
    PyObject *bomb;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|p:kill", kw, &pending))
        return NULL;
    if (!tsk_alive(&self->t) && !tsk_scheduled(&self->t))
        Py_RETURN_NONE;
    bomb = ext_make_bomb_args(Ext_TaskletExit, NULL, NULL, "kill");
    if (bomb == NULL)
        return NULL;
    return deliver(self, bomb, pending, 1);
}

static PyObject *tasklet_raise_exception(TaskletObject *self, PyObject *args) {
    PyObject *cls, *rest, *inst, *bomb;
    if (PyTuple_GET_SIZE(args) < 1) {
        PyErr_SetString(PyExc_TypeError, "raise_exception() takes at least 1 argument");
        return NULL;
    }
    cls = PyTuple_GET_ITEM(args, 0);
    if (!PyExceptionClass_Check(cls) && !PyUnicode_Check(cls)) {
        PyErr_SetString(PyExc_TypeError,
                        "tasklet.raise_exception needs Exception or string "
                        "subclass as first parameter");
        return NULL;
    }
    rest = PyTuple_GetSlice(args, 1, PyTuple_GET_SIZE(args));
    if (rest == NULL)
        return NULL;
    if (PyUnicode_Check(cls)) {
        bomb = ext_bomb_new(cls, rest, NULL);
        Py_DECREF(rest);
    } else {
        inst = PyObject_Call(cls, rest, NULL);
        Py_DECREF(rest);
        if (inst == NULL)
            return NULL;
        bomb = ext_bomb_new((PyObject *)Py_TYPE(inst), inst, NULL);
        Py_DECREF(inst);
    }
    if (bomb == NULL)
        return NULL;
    return deliver(self, bomb, 0, 0);
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

static PyObject *tasklet_set_ignore_nesting(TaskletObject *self, PyObject *flag) {
    return set_flag(self, flag, TSK_F_IGNORE_NEST,
                    "set_ignore_nesting needs exactly one bool or integer");
}

static PyObject *tasklet_bind_thread(TaskletObject *self, PyObject *args) {
    PyObject *idobj = NULL;
    long long id = -1;
    ThreadState *target = NULL, *ts;
    tsk_result r;
    if (!PyArg_ParseTuple(args, "|O:bind_thread", &idobj))
        return NULL;
    if (idobj != NULL) {
        if (!PyLong_Check(idobj)) {
            PyErr_SetString(PyExc_TypeError, "thread id must be an integer");
            return NULL;
        }
        id = PyLong_AsLongLong(idobj);
        if (id == -1 && PyErr_Occurred())
            return NULL;
        if (id < -1) {
            PyErr_SetString(PyExc_OverflowError, "thread id must not be negative");
            return NULL;
        }
    }
    r = tsk_tasklet_movable(&self->t);
    if (r == TSK_E_RUNNABLE || r == TSK_E_C_STATE)
        return ext_raise(r);
    if (id == -1) {
        target = ext_ts();
        if (target == NULL)
            return NULL;
    } else {
        for (ts = ext_registry.rnext; ts != &ext_registry; ts = ts->rnext)
            if ((long long)ts->thread_id == id && ts->alive)
                target = ts;
        if (target == NULL) {
            PyErr_SetString(PyExc_ValueError, "bad thread");
            return NULL;
        }
    }
    if (target != self->ts) {
        r = tsk_tasklet_bind_sched(&self->t, &target->s);
        if (r != TSK_OK)
            return ext_raise(r);
        Py_INCREF(target);
        Py_XSETREF(self->ts, target);
    }
    Py_RETURN_NONE;
}

static PyObject *tasklet_context_run(TaskletObject *self, PyObject *args,
                                     PyObject *kwds) {
    PyObject *fn, *rest, *ctx, *res;
    if (PyTuple_GET_SIZE(args) < 1) {
        PyErr_SetString(PyExc_TypeError, "run() missing 1 required positional argument");
        return NULL;
    }
    fn = PyTuple_GET_ITEM(args, 0);
    rest = PyTuple_GetSlice(args, 1, PyTuple_GET_SIZE(args));
    if (rest == NULL)
        return NULL;
    if (IS_CURRENT(self)) {
        res = PyObject_Call(fn, rest, kwds);
        Py_DECREF(rest);
        return res;
    }
    ctx = self->st.context;
    if (ctx == NULL) {
        ctx = PyContext_New();
        if (ctx == NULL) {
            Py_DECREF(rest);
            return NULL;
        }
        self->st.context = ctx;
    }
    Py_INCREF(ctx);
    if (PyContext_Enter(ctx) < 0) {
        Py_DECREF(ctx);
        Py_DECREF(rest);
        return NULL;
    }
    res = PyObject_Call(fn, rest, kwds);
    Py_DECREF(rest);
    if (PyContext_Exit(ctx) < 0) {
        Py_XDECREF(res);
        res = NULL;
    }
    Py_DECREF(ctx);
    return res;
}

static PyMethodDef tasklet_methods[] = {
    {"bind", (PyCFunction)(void (*)(void))tasklet_bind, METH_VARARGS | METH_KEYWORDS,
     "bind(func=None, args=None, kwargs=None) -> self"},
    {"setup", (PyCFunction)(void (*)(void))tasklet_setup, METH_VARARGS | METH_KEYWORDS,
     "setup(*args, **kwargs) -> self: bind the arguments and insert"},
    {"insert", (PyCFunction)tasklet_insert, METH_NOARGS, "insert() -> self"},
    {"remove", (PyCFunction)tasklet_remove, METH_NOARGS, "remove() -> self"},
    {"run", (PyCFunction)tasklet_run, METH_NOARGS, "run(): switch to it now"},
    {"switch", (PyCFunction)tasklet_switch, METH_NOARGS,
     "switch(): like run(), but the caller leaves the run queue"},
    {"throw", (PyCFunction)(void (*)(void))tasklet_throw, METH_VARARGS | METH_KEYWORDS,
     "throw(exc=None, val=None, tb=None, pending=False)"},
    {"kill", (PyCFunction)(void (*)(void))tasklet_kill, METH_VARARGS | METH_KEYWORDS,
     "kill(pending=False): raise TaskletExit in the tasklet"},
    {"raise_exception", (PyCFunction)tasklet_raise_exception, METH_VARARGS,
     "raise_exception(exc_class, *args)"},
    {"set_atomic", (PyCFunction)tasklet_set_atomic, METH_O, NULL},
    {"set_ignore_nesting", (PyCFunction)tasklet_set_ignore_nesting, METH_O, NULL},
    {"bind_thread", (PyCFunction)tasklet_bind_thread, METH_VARARGS, NULL},
    {"context_run", (PyCFunction)(void (*)(void))tasklet_context_run,
     METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL}};
/* }====================================================================== */

/* {======================================================================
** Attributes
** ======================================================================= */
static PyObject *get_alive(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong(ALIVE(s) || IS_CURRENT(s));
}
static PyObject *get_paused(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong(ALIVE(s) && !tsk_scheduled(&s->t) && !IS_CURRENT(s));
}
static PyObject *get_blocked(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong(s->t.blocked != 0);
}
static PyObject *get_scheduled(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong(tsk_scheduled(&s->t));
}
static PyObject *get_restorable(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong(!(STARTED(s) && tsk_alive(&s->t)));
}
static PyObject *get_nesting_level(TaskletObject *s, void *c) {
    (void)c;
    return PyLong_FromLong(STARTED(s) && tsk_alive(&s->t) ? 1 : 0);
}
static PyObject *get_atomic(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong((s->t.flags & TSK_F_ATOMIC) != 0);
}
static PyObject *get_ignore_nesting(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong((s->t.flags & TSK_F_IGNORE_NEST) != 0);
}
static PyObject *get_block_trap(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong((s->t.flags & TSK_F_BLOCK_TRAP) != 0);
}
static int set_block_trap(TaskletObject *s, PyObject *v, void *c) {
    int b = ext_int_flag(v, "block_trap must be set to a bool or integer");
    (void)c;
    if (b < 0)
        return -1;
    if (b)
        s->t.flags |= TSK_F_BLOCK_TRAP;
    else
        s->t.flags &= (uint16_t)~TSK_F_BLOCK_TRAP;
    return 0;
}
static PyObject *get_frame(TaskletObject *s, void *c) {
    (void)c;
    if (IS_CURRENT(s) && s->ts == ext_ts_maybe()) {
        PyFrameObject *f = PyEval_GetFrame();
        if (f == NULL)
            Py_RETURN_NONE;
        Py_INCREF(f);
        return (PyObject *)f;
    }
    if (!STARTED(s) || !ALIVE(s) || IS_CURRENT(s))
        Py_RETURN_NONE;
    return ext_state_frame(s->ts, &s->st);
}
static PyObject *get_recursion_depth(TaskletObject *s, void *c) {
    (void)c;
    if (IS_CURRENT(s) && s->ts == ext_ts_maybe())
        return PyLong_FromLong(ext_state_depth(s->ts->tstate) +
                               s->st.depth_over);
    if (!STARTED(s) || !ALIVE(s))
        return PyLong_FromLong(0);
#if EXT_C_CALLS_COUNT_DEPTH
    /* suspended inside one of our C functions, whose call counted a level
    ** before 3.11 (channel iteration enters one on purpose to match) */
    if (s->st.py_depth > 0)
        return PyLong_FromLong(s->st.py_depth - 1);
#endif
    return PyLong_FromLong(s->st.py_depth);
}
static PyObject *get_thread_id(TaskletObject *s, void *c) {
    (void)c;
    if (s->ts == NULL || !s->ts->alive)
        return PyLong_FromLong(-1);
    return PyLong_FromUnsignedLong(s->ts->thread_id);
}
static PyObject *wrap(tsk_tasklet *t) {
    if (t == NULL)
        Py_RETURN_NONE;
    Py_INCREF(TASKLET(t));
    return (PyObject *)TASKLET(t);
}
static PyObject *get_next(TaskletObject *s, void *c) {
    (void)c;
    return wrap(s->t.next);
}
static PyObject *get_prev(TaskletObject *s, void *c) {
    (void)c;
    return wrap(s->t.prev);
}
static PyObject *get_stack_saved(TaskletObject *s, void *c) {
    (void)c;
    return PyLong_FromSize_t(tsk_saved_bytes(&s->t));
}
static PyObject *get_is_main(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong(IS_MAIN(s));
}
static PyObject *get_is_current(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong(IS_CURRENT(s));
}
static PyObject *get_tempval(TaskletObject *s, void *c) {
    (void)c;
    if (s->t.tempval == NULL)
        Py_RETURN_NONE;
    Py_INCREF((PyObject *)s->t.tempval);
    return (PyObject *)s->t.tempval;
}
static int set_tempval(TaskletObject *s, PyObject *v, void *c) {
    (void)c;
    if (v == Py_None)
        v = NULL;
    Py_XINCREF(v);
    ext_tasklet_set_tempval(s, v);
    return 0;
}
static PyObject *get_channel(TaskletObject *s, void *c) {
    (void)c;
    if (s->t.chan == NULL)
        Py_RETURN_NONE;
    Py_INCREF((PyObject *)s->t.chan->data);
    return (PyObject *)s->t.chan->data;
}
static PyObject *get_context(TaskletObject *s, void *c) {
    (void)c;
    if (IS_CURRENT(s) && s->ts == ext_ts_maybe()) {
        PyThreadState *tstate = s->ts->tstate;
        if (tstate->context == NULL) {
            tstate->context = PyContext_New();
            if (tstate->context == NULL)
                return NULL;
            tstate->context_ver++;
        }
        Py_INCREF(tstate->context);
        return tstate->context;
    }
    if (s->st.context == NULL) {
        s->st.context = PyContext_New();
        if (s->st.context == NULL)
            return NULL;
    }
    Py_INCREF(s->st.context);
    return s->st.context;
}

/* trace_function / profile_function: per tasklet, like sys.settrace */
static PyObject *get_tracing(TaskletObject *s, int profile) {
    PyObject *o;
    if (IS_CURRENT(s) && s->ts == ext_ts_maybe()) {
        PyThreadState *ts = PyThreadState_Get();
        o = profile ? ts->c_profileobj : ts->c_traceobj;
    } else {
        o = profile ? s->st.profileobj : s->st.traceobj;
    }
    if (o == NULL)
        Py_RETURN_NONE;
    Py_INCREF(o);
    return o;
}
static int set_tracing_attr(TaskletObject *s, PyObject *v, int profile) {
    PyThreadState *tstate = PyThreadState_Get();
    PyObject *r, *oldobj;
    Py_tracefunc oldfn;
    const char *setter = profile ? "setprofile" : "settrace";
    PyObject *sys = PyImport_ImportModule("sys");
    if (sys == NULL)
        return -1;
    if (v == NULL)
        v = Py_None;
    if (IS_CURRENT(s) && s->ts != ext_ts_maybe()) {
        Py_DECREF(sys);
        PyErr_SetString(PyExc_RuntimeError,
                        profile ? "You cannot set the profile function of the "
                                  "current tasklet of another thread"
                                : "You cannot set the trace function of the "
                                  "current tasklet of another thread");
        return -1;
    }
    if (!IS_CURRENT(s) && v != Py_None && !tsk_alive(&s->t)) {
        Py_DECREF(sys);
        ext_raise(TSK_E_NOT_ALIVE);          /* as Stackless 3.7 */
        return -1;
    }
    if (IS_CURRENT(s)) {
        r = PyObject_CallMethod(sys, setter, "O", v);
        Py_DECREF(sys);
        Py_XDECREF(r);
        return r ? 0 : -1;
    }
    /* install on this thread for a moment to learn the C-level pair */
    oldfn = profile ? tstate->c_profilefunc : tstate->c_tracefunc;
    oldobj = profile ? tstate->c_profileobj : tstate->c_traceobj;
    Py_XINCREF(oldobj);
    r = PyObject_CallMethod(sys, setter, "O", v);
    Py_DECREF(sys);
    if (r == NULL) {
        Py_XDECREF(oldobj);
        return -1;
    }
    Py_DECREF(r);
    if (profile) {
        s->st.profilefunc = tstate->c_profilefunc;
        Py_XINCREF(tstate->c_profileobj);
        Py_XSETREF(s->st.profileobj, tstate->c_profileobj);
        PyEval_SetProfile(oldfn, oldobj);
    } else {
        s->st.tracefunc = tstate->c_tracefunc;
        Py_XINCREF(tstate->c_traceobj);
        Py_XSETREF(s->st.traceobj, tstate->c_traceobj);
        PyEval_SetTrace(oldfn, oldobj);
    }
    Py_XDECREF(oldobj);
    return PyErr_Occurred() ? -1 : 0;
}
static PyObject *get_trace_function(TaskletObject *s, void *c) {
    (void)c;
    return get_tracing(s, 0);
}
static int set_trace_function(TaskletObject *s, PyObject *v, void *c) {
    (void)c;
    return set_tracing_attr(s, v, 0);
}
static PyObject *get_profile_function(TaskletObject *s, void *c) {
    (void)c;
    return get_tracing(s, 1);
}
static int set_profile_function(TaskletObject *s, PyObject *v, void *c) {
    (void)c;
    return set_tracing_attr(s, v, 1);
}

static PyGetSetDef tasklet_getset[] = {
    {"alive", (getter)get_alive, NULL, NULL, NULL},
    {"paused", (getter)get_paused, NULL, NULL, NULL},
    {"blocked", (getter)get_blocked, NULL, NULL, NULL},
    {"scheduled", (getter)get_scheduled, NULL, NULL, NULL},
    {"restorable", (getter)get_restorable, NULL, NULL, NULL},
    {"nesting_level", (getter)get_nesting_level, NULL, NULL, NULL},
    {"atomic", (getter)get_atomic, NULL, NULL, NULL},
    {"ignore_nesting", (getter)get_ignore_nesting, NULL, NULL, NULL},
    {"block_trap", (getter)get_block_trap, (setter)set_block_trap, NULL, NULL},
    {"frame", (getter)get_frame, NULL, NULL, NULL},
    {"recursion_depth", (getter)get_recursion_depth, NULL, NULL, NULL},
    {"thread_id", (getter)get_thread_id, NULL, NULL, NULL},
    {"next", (getter)get_next, NULL, NULL, NULL},
    {"prev", (getter)get_prev, NULL, NULL, NULL},
    {"is_main", (getter)get_is_main, NULL, NULL, NULL},
    {"is_current", (getter)get_is_current, NULL, NULL, NULL},
    {"tempval", (getter)get_tempval, (setter)set_tempval, NULL, NULL},
    {"_channel", (getter)get_channel, NULL, NULL, NULL},
    {"_stack_saved", (getter)get_stack_saved, NULL,
     "bytes of C stack this tasklet keeps on the heap while suspended", NULL},
    {"context", (getter)get_context, NULL, NULL, NULL},
    {"trace_function", (getter)get_trace_function, (setter)set_trace_function,
     NULL, NULL},
    {"profile_function", (getter)get_profile_function,
     (setter)set_profile_function, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};
/* }====================================================================== */

/* {======================================================================
** Lifetime: GC and kill-on-dealloc
** ======================================================================= */
static int tasklet_traverse(TaskletObject *s, visitproc visit, void *arg) {
    Py_VISIT(s->func);
    Py_VISIT(s->args);
    Py_VISIT(s->kwargs);
    Py_VISIT((PyObject *)s->t.tempval);
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
        return 0;                /* its frames hold on; never clear them */
    Py_CLEAR(s->func);
    Py_CLEAR(s->args);
    Py_CLEAR(s->kwargs);
    ext_tasklet_set_tempval(s, NULL);
    return 0;
}

/* Kill one suspended tasklet of this thread, reporting what goes wrong. */
static void kill_one(TaskletObject *t) {
    if (STARTED(t) && tsk_alive(&t->t) && !IS_MAIN(t) && !IS_CURRENT(t)) {
        PyObject *bomb = ext_make_bomb_args(Ext_TaskletExit, NULL, NULL, "kill");
        /* inside a greenlet that may not switch: killed when it runs */
        int pending = ext_gl_guard(t->ts) < 0;
        PyObject *r;
        if (pending)
            PyErr_Clear();
        r = bomb ? deliver(t, bomb, pending, 1) : NULL;
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
    if (ts->in_sched_cb)
        return;
    PyErr_Fetch(&t, &v, &tb);
    if (ext_in_gc) {
        if (ts->deferred == NULL)
            ts->deferred = PyList_New(0);
        if (ts->deferred == NULL || PyList_Append(ts->deferred, (PyObject *)self) < 0)
            PyErr_WriteUnraisable((PyObject *)self);
    } else {
        kill_one(self);
    }
    PyErr_Restore(t, v, tb);
}

static void tasklet_dealloc(TaskletObject *self) {
    if (PyObject_CallFinalizerFromDealloc((PyObject *)self) < 0)
        return;                  /* resurrected */
    PyObject_GC_UnTrack(self);
    if (self->weakrefs != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    started_unlink(self);
    if (STARTED(self))
        tsk_tasklet_release(&self->t);
    Py_CLEAR(self->func);
    Py_CLEAR(self->args);
    Py_CLEAR(self->kwargs);
    ext_tasklet_set_tempval(self, NULL);
    ext_state_clear(&self->st);
    Py_CLEAR(self->ts);
    Py_TYPE(self)->tp_free((PyObject *)self);
}
/* }====================================================================== */

PyTypeObject Ext_TaskletType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tasklets.tasklet",
    .tp_basicsize = sizeof(TaskletObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "tasklet(func=None, args=None, kwargs=None): a lightweight "
              "thread of control.",
    .tp_new = tasklet_tp_new,
    .tp_init = (initproc)tasklet_init,
    .tp_call = (ternaryfunc)tasklet_call,
    .tp_dealloc = (destructor)tasklet_dealloc,
    .tp_finalize = (destructor)tasklet_finalize,
    .tp_traverse = (traverseproc)tasklet_traverse,
    .tp_clear = (inquiry)tasklet_clear,
    .tp_methods = tasklet_methods,
    .tp_getset = tasklet_getset,
    .tp_weaklistoffset = offsetof(TaskletObject, weakrefs),
};
