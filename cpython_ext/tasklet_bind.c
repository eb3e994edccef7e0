/*
** tasklet_bind.c
** Binding a tasklet to its function and arguments (tasklet(), bind(),
** setup(), calling it), to a thread (bind_thread()), to a context
** (context_run()).
** See LICENSE in the project root.
*/
#include "ext.h"

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

/* {======================================================================
** Binding
** ======================================================================= */
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
        PyErr_SetString(PyExc_TypeError,
                        "tasklet args must be a tuple or None");
        return -1;
    }
    if (*fkw != NULL && !PyDict_Check(*fkw)) {
        PyErr_SetString(PyExc_TypeError,
                        "tasklet kwargs must be a dictionary or None");
        return -1;
    }
    return 0;
}

/* May self be bound anew (unbind: to nothing)?  The core's rules; then
** self forgets its old life (a dead tasklet's frames).  0, or -1 with the
** error set. */
static int unbind(TaskletObject *self, int none) {
    tsk_result r = tsk_bind_check(&self->t, none);
    if (r != TSK_OK) {
        ext_raise(r);
        return -1;
    }
    if (tsk_tasklet_unbind(&self->t))
        ext_started_unlink(self);
    return 0;
}

static int do_bind(TaskletObject *self, PyObject *func, PyObject *args,
                   PyObject *kwargs) {
    tsk_result r;
    if (unbind(self, args == NULL && kwargs == NULL) < 0)
        return -1;
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
        ext_raise(TSK_E_NOT_BOUND);
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
    r = tsk_tasklet_init(&self->t, &self->ts->s, ext_tasklet_body, NULL, NULL);
    if (r != TSK_OK) {
        ext_raise(r);
        return -1;
    }
    self->fresh = 1;
    return 0;
}

int ext_tasklet_init(TaskletObject *self, PyObject *args, PyObject *kwds) {
    PyObject *func, *fargs, *fkw;
    if (parse_bind(args, kwds, &func, &fargs, &fkw, "|OOO:tasklet") < 0)
        return -1;
    if (func == NULL && fargs == NULL && fkw == NULL)
        return 0;
    return do_bind(self, func, fargs, fkw);
}

PyObject *ext_tasklet_bind(TaskletObject *self, PyObject *args,
                           PyObject *kwds) {
    PyObject *func, *fargs, *fkw;
    if (parse_bind(args, kwds, &func, &fargs, &fkw, "|OOO:bind") < 0)
        return NULL;
    if (func == NULL && fargs == NULL && fkw == NULL) {
        /* bind(None): unbind */
        if (unbind(self, 1) < 0)
            return NULL;
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

PyObject *ext_tasklet_setup(TaskletObject *self, PyObject *args,
                            PyObject *kwds) {
    PyObject *func = (PyObject *)self->t.tempval;
    if (tsk_alive(&self->t))
        return ext_raise(TSK_E_ALIVE);
    if (func == NULL)
        return ext_raise(TSK_E_NOT_BOUND);
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
    return ext_tasklet_insert(self);
}

PyObject *ext_tasklet_call(TaskletObject *self, PyObject *args,
                           PyObject *kwds) {
    return ext_tasklet_setup(self, args, kwds);
}
/* }====================================================================== */

PyObject *ext_tasklet_bind_thread(TaskletObject *self, PyObject *args) {
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
            PyErr_SetString(PyExc_OverflowError,
                            "thread id must not be negative");
            return NULL;
        }
    }
    if (id == -1) {
        target = ext_ts();
        if (target == NULL)
            return NULL;
    } else {
        for (ts = ext_registry.rnext; ts != &ext_registry; ts = ts->rnext)
            if ((long long)ts->thread_id == id && ts->alive)
                target = ts;
    }
    /* the core's rules: not runnable, no C state, a known thread */
    r = tsk_tasklet_bind_sched(&self->t, target ? &target->s : NULL);
    if (r != TSK_OK)
        return ext_raise(r);
    if (target != self->ts) {
        Py_INCREF(target);
        Py_XSETREF(self->ts, target);
    }
    Py_RETURN_NONE;
}

PyObject *ext_tasklet_context_run(TaskletObject *self, PyObject *args,
                                  PyObject *kwds) {
    PyObject *fn, *rest, *ctx, *res;
    if (PyTuple_GET_SIZE(args) < 1) {
        PyErr_SetString(PyExc_TypeError,
                        "run() missing 1 required positional argument");
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
