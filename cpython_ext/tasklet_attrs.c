/*
** tasklet_attrs.c
** The tasklet's attributes.
** See LICENSE in the project root.
*/
#include "ext.h"

/* {======================================================================
** Attributes
** ======================================================================= */
/* (IS_CURRENT is also true of the tasklet a dead thread left current,
** whose state was never saved; what users see comes from the core) */
static PyObject *get_alive(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong(ALIVE(s) || tsk_is_current(&s->t));
}
static PyObject *get_paused(TaskletObject *s, void *c) {
    (void)c;
    return PyBool_FromLong(ALIVE(s) && !tsk_scheduled(&s->t) &&
                           !IS_CURRENT(s));
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
    return PyBool_FromLong(tsk_is_current(&s->t));
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
        ext_raise(TSK_E_NOT_ALIVE); /* as Stackless 3.7 */
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

PyGetSetDef ext_tasklet_getset[] = {
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
