/*
** module.c
** tasklets._tasklets: the module's functions and its initialisation.
** The core decides; tsk_switch moves the C stack; the hooks (switch.c)
** move the interpreter state (pystate.c); threads.c keeps the per-thread
** schedulers.
** See LICENSE in the project root.
*/
#include "ext.h"

ModState ext_mod;
PyObject *Ext_TaskletExit;
int ext_in_gc;

/* {======================================================================
** Helpers of the binding
** ======================================================================= */
int ext_int_flag(PyObject *v, const char *msg) {
    if (v == NULL || !PyLong_Check(v)) {
        PyErr_SetString(PyExc_TypeError, msg);
        return -1;
    }
    return PyObject_IsTrue(v);
}

/* }====================================================================== */

/* {======================================================================
** Module functions
** ======================================================================= */
static PyObject *m_getcurrent(PyObject *m, PyObject *unused) {
    ThreadState *ts = ext_ts();
    (void)m;
    (void)unused;
    if (ts == NULL)
        return NULL;
    Py_INCREF(TASKLET(ts->s.current));
    return (PyObject *)TASKLET(ts->s.current);
}

static PyObject *m_getmain(PyObject *m, PyObject *unused) {
    ThreadState *ts = ext_ts();
    (void)m;
    (void)unused;
    if (ts == NULL)
        return NULL;
    Py_INCREF(ts->main);
    return (PyObject *)ts->main;
}

static PyObject *m_getruncount(PyObject *m, PyObject *unused) {
    ThreadState *ts = ext_ts();
    (void)m;
    (void)unused;
    if (ts == NULL)
        return NULL;
    return PyLong_FromLong(tsk_runcount(&ts->s));
}

static PyObject *m_getcurrentid(PyObject *m, PyObject *unused) {
    ThreadState *ts = ext_ts_maybe();
    (void)m;
    (void)unused;
    if (ts == NULL || ts->s.current == &ts->main->t)
        return PyLong_FromUnsignedLong(PyThread_get_thread_ident());
    return PyLong_FromVoidPtr(TASKLET(ts->s.current));
}

static PyObject *do_schedule(PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames, int remove) {
    ThreadState *ts = ext_ts();
    TaskletObject *cur;
    PyObject *retval = NULL;
    tsk_tasklet *next;
    tsk_result r;
    if (ts == NULL || ext_sched_guard(ts) < 0 || ext_gl_guard(ts) < 0)
        return NULL;
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        if (nargs > 0 || PyTuple_GET_SIZE(kwnames) != 1 ||
            !PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0)) ||
            PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0),
                                             "retval") != 0) {
            PyErr_SetString(PyExc_TypeError,
                            "schedule() takes only the argument 'retval'");
            return NULL;
        }
        retval = args[0];
    } else if (nargs > 1) {
        PyErr_SetString(PyExc_TypeError,
                        "schedule() takes at most 1 argument");
        return NULL;
    } else if (nargs == 1) {
        retval = args[0];
    }
    cur = TASKLET(ts->s.current);
    if (retval == NULL)
        retval = (PyObject *)cur;
    Py_INCREF(retval);
    ext_tasklet_set_tempval(cur, retval);
    r = tsk_plan_schedule(&ts->s, remove, &next);
    if (r < 0)
        ext_tasklet_set_tempval(cur, NULL);
    return ext_switch(ts, r, next, cur);
}

static PyObject *m_schedule(PyObject *m, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames) {
    (void)m;
    return do_schedule(args, PyVectorcall_NARGS(nargs), kwnames, 0);
}

static PyObject *m_schedule_remove(PyObject *m, PyObject *const *args,
                                   Py_ssize_t nargs, PyObject *kwnames) {
    (void)m;
    return do_schedule(args, PyVectorcall_NARGS(nargs), kwnames, 1);
}

/* {======================================================================
** run() (its timeout: preempt.c)
** ======================================================================= */
static PyObject *m_run(PyObject *m, PyObject *args, PyObject *kwds) {
    static char *kw[] = {"timeout",        "threadblock",  "soft",
                         "ignore_nesting", "totaltimeout", NULL};
    long timeout = 0;
    int threadblock = 0, soft = 0, ignore_nesting = 0, totaltimeout = 0;
    int irq = 0;
    ThreadState *ts;
    TaskletObject *cur, *victim = NULL;
    tsk_tasklet *next;
    tsk_result r;
    PyObject *res;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|lpppp:run", kw, &timeout,
                                     &threadblock, &soft, &ignore_nesting,
                                     &totaltimeout))
        return NULL;
    ts = ext_ts();
    if (ts == NULL || ext_sched_guard(ts) < 0 || ext_gl_guard(ts) < 0)
        return NULL;
    cur = TASKLET(ts->s.current);
    r = tsk_plan_watchdog(&ts->s, &next);
    if (r < 0)
        return ext_raise(r);
    if (next == NULL)
        Py_RETURN_NONE;
    if (timeout > 0 && ts->irq_wd == NULL) {
        /* the outermost run(timeout) is the interrupt watchdog */
        irq = 1;
        if (ext_irq_start(ts, cur, timeout, soft, totaltimeout) < 0) {
            tsk_plan_abort(&ts->s); /* undoes the watchdog too */
            ext_flush(ts);
            return NULL;
        }
    }
    res = ext_switch(ts, r, next, cur);
    tsk_watchdog_pop(&ts->s, &cur->t);
    if (irq)
        victim = ext_irq_stop(ts);
    ext_flush(ts);
    if (res == NULL) {
        Py_XDECREF(victim);
        return NULL;
    }
    Py_DECREF(res);
    if (victim != NULL)
        return (PyObject *)victim;
    Py_RETURN_NONE;
}
/* }====================================================================== */

static PyObject *m_switch_trap(PyObject *m, PyObject *args) {
    int change = 0;
    ThreadState *ts;
    (void)m;
    if (!PyArg_ParseTuple(args, "|i:switch_trap", &change))
        return NULL;
    ts = ext_ts();
    if (ts == NULL)
        return NULL;
    return PyLong_FromLong(tsk_switch_trap(&ts->s, change));
}

static PyObject *set_hook(PyObject **slot, PyObject *cb, const char *msg) {
    PyObject *old = *slot;
    if (cb == Py_None) {
        cb = NULL;
    } else if (!PyCallable_Check(cb)) {
        PyErr_SetString(PyExc_TypeError, msg);
        return NULL;
    }
    Py_XINCREF(cb);
    *slot = cb;
    if (old == NULL)
        Py_RETURN_NONE;
    return old;
}

static PyObject *get_hook(PyObject *slot) {
    if (slot == NULL)
        Py_RETURN_NONE;
    Py_INCREF(slot);
    return slot;
}

static PyObject *m_set_schedule_callback(PyObject *m, PyObject *cb) {
    (void)m;
    return set_hook(&ext_mod.schedule_cb, cb,
                    "schedule callback must be callable");
}

static PyObject *m_get_schedule_callback(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    return get_hook(ext_mod.schedule_cb);
}

static PyObject *m_set_channel_callback(PyObject *m, PyObject *cb) {
    (void)m;
    return set_hook(&ext_mod.channel_cb, cb,
                    "channel callback must be callable");
}

static PyObject *m_get_channel_callback(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    return get_hook(ext_mod.channel_cb);
}

static PyObject *m_set_error_handler(PyObject *m, PyObject *args) {
    PyObject *h = Py_None;
    (void)m;
    if (!PyArg_ParseTuple(args, "|O:set_error_handler", &h))
        return NULL;
    return set_hook(&ext_mod.error_handler, h,
                    "error handler must be callable");
}

static PyObject *m_getthreads(PyObject *m, PyObject *unused) {
    PyThreadState *me = PyThreadState_Get(), *t;
    PyObject *l = PyList_New(0);
    (void)m;
    (void)unused;
    if (l == NULL)
        return NULL;
    for (t = PyInterpreterState_ThreadHead(me->interp); t != NULL;
         t = PyThreadState_Next(t)) {
        PyObject *id = PyLong_FromUnsignedLong(t->thread_id);
        /* the list of thread states is newest first: insert at the front */
        if (id == NULL || PyList_Insert(l, 0, id) < 0) {
            Py_XDECREF(id);
            Py_DECREF(l);
            return NULL;
        }
        Py_DECREF(id);
    }
    return l;
}

/* Tasklets that hold a C stack of their own: every alive, started,
** non-main tasklet of every thread (each has a slice or a region of C
** stack that the collector cannot see through except by gcwalk.c). */
static PyObject *m_getuncollectables(PyObject *m, PyObject *unused) {
    ThreadState *ts;
    TaskletObject *t;
    PyObject *l = PyList_New(0);
    (void)m;
    (void)unused;
    if (l == NULL)
        return NULL;
    for (ts = ext_registry.rnext; ts != &ext_registry; ts = ts->rnext) {
        if (!ts->alive || ts->tstate->interp != PyThreadState_Get()->interp)
            continue;
        for (t = ts->started.gnext; t != &ts->started; t = t->gnext)
            if (t != ts->main && tsk_alive(&t->t) &&
                PyList_Append(l, (PyObject *)t) < 0) {
                Py_DECREF(l);
                return NULL;
            }
    }
    return l;
}

static PyObject *m_get_thread_info(PyObject *m, PyObject *args) {
    long long id = -1;
    long flags = 0;
    ThreadState *ts;
    PyThreadState *me = PyThreadState_Get(), *t;
    (void)m;
    if (!PyArg_ParseTuple(args, "|Ll:get_thread_info", &id, &flags))
        return NULL;
    if (id == -1) {
        ts = ext_ts();
        if (ts == NULL)
            return NULL;
    } else {
        for (t = PyInterpreterState_ThreadHead(me->interp); t != NULL;
             t = PyThreadState_Next(t))
            if ((long long)t->thread_id == id)
                break;
        if (t == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "Thread id not found");
            return NULL;
        }
        ts = ext_find_ts(t);
        if (ts == NULL)
            return Py_BuildValue("(OOi)", Py_None, Py_None, 0);
    }
    return Py_BuildValue("(OOi)", ts->main,
                         ts->s.runcount ? (PyObject *)TASKLET(ts->s.current)
                                        : Py_None,
                         ts->s.runcount);
}

/* gc.callbacks: kills that finalizers put off run once the collection
** is over (its C-stack state is gone then). */
static PyObject *m_gc_callback(PyObject *m, PyObject *args) {
    PyObject *phase, *info;
    ThreadState *ts;
    (void)m;
    if (!PyArg_ParseTuple(args, "OO", &phase, &info))
        return NULL;
    ts = ext_ts_maybe();
    if (PyUnicode_Check(phase) &&
        PyUnicode_CompareWithASCIIString(phase, "start") == 0) {
        ext_in_gc++;
        if (ts != NULL)
            ts->in_gc++;
    } else {
        if (ext_in_gc > 0)
            ext_in_gc--;
        if (ts != NULL && ts->in_gc > 0)
            ts->in_gc--;
        if (ext_in_gc == 0 && ts != NULL && ts->deferred != NULL &&
            !(tsk_in_callback(&ts->s) & TSK_CB_SCHEDULE))
            ext_kill_deferred(ts);
    }
    Py_RETURN_NONE;
}

/* atexit: the main thread's tasklets are killed while the interpreter
** still works fully, so that their 'finally' blocks run. */
static PyObject *m_kill_at_exit(PyObject *m, PyObject *unused) {
    ThreadState *ts = ext_ts_maybe();
    (void)m;
    (void)unused;
    if (ts != NULL && ts->alive && ts->s.current == &ts->main->t)
        ext_kill_started(ts);
    Py_RETURN_NONE;
}

/* tasklets/__init__.py: greenlet's C module is being imported */
static PyObject *m_greenlet_imported(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    ext_gl_seen();
    Py_RETURN_NONE;
}

static PyObject *m_version(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    return PyUnicode_FromString(TSK_VERSION);
}

static PyMethodDef module_methods[] = {
    {"getcurrent", m_getcurrent, METH_NOARGS,
     "getcurrent() -> the running tasklet of this thread"},
    {"getmain", m_getmain, METH_NOARGS,
     "getmain() -> the main tasklet of this thread"},
    {"getruncount", m_getruncount, METH_NOARGS,
     "getruncount() -> tasklets in this thread's run queue"},
    {"getcurrentid", m_getcurrentid, METH_NOARGS,
     "getcurrentid() -> id of the current tasklet"},
    {"schedule", (PyCFunction)(void (*)(void))m_schedule,
     METH_FASTCALL | METH_KEYWORDS,
     "schedule(retval=current) -> switch to the next runnable tasklet"},
    {"schedule_remove", (PyCFunction)(void (*)(void))m_schedule_remove,
     METH_FASTCALL | METH_KEYWORDS,
     "schedule_remove(retval=current) -> like schedule(), leaving the queue"},
    {"run", (PyCFunction)(void (*)(void))m_run, METH_VARARGS | METH_KEYWORDS,
     "run(timeout=0, threadblock=False, soft=False, ignore_nesting=False, "
     "totaltimeout=False) -> run the other tasklets until none is left"},
    {"switch_trap", m_switch_trap, METH_VARARGS,
     "switch_trap(change=0) -> old level; switching is an error while > 0"},
    {"set_schedule_callback", m_set_schedule_callback, METH_O, NULL},
    {"get_schedule_callback", m_get_schedule_callback, METH_NOARGS, NULL},
    {"set_channel_callback", m_set_channel_callback, METH_O, NULL},
    {"get_channel_callback", m_get_channel_callback, METH_NOARGS, NULL},
    {"set_error_handler", m_set_error_handler, METH_VARARGS, NULL},
    {"getthreads", m_getthreads, METH_NOARGS, NULL},
    {"get_thread_info", m_get_thread_info, METH_VARARGS, NULL},
    {"getuncollectables", m_getuncollectables, METH_NOARGS, NULL},
    {"core_version", m_version, METH_NOARGS, NULL},
    {"_kill_at_exit", m_kill_at_exit, METH_NOARGS, NULL},
    {"_gc_callback", m_gc_callback, METH_VARARGS, NULL},
    {"_greenlet_imported", m_greenlet_imported, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};
/* }====================================================================== */

/* m_size 0, not -1: CPython then calls PyInit__tasklets again in every
** interpreter that imports the module, where with -1 it would copy the
** first interpreter's module dict into the next one without asking us. */
static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "tasklets._tasklets",
    "Stackless-compatible tasklets and channels (CPython backend).",
    0,
    module_methods,
    NULL,
    NULL,
    NULL,
    NULL};

/* Subinterpreters are refused: the static types, the schedulers' registry
** and this module's other globals are per process, the current thread
** state is keyed by OS thread (ext_tls_ts), not by interpreter.  Isolated
** subinterpreters (3.12+) refuse this single-phase module before we run. */
static int refuse_subinterpreter(void) {
    if (PyThreadState_Get()->interp == PyInterpreterState_Main())
        return 0;
    PyErr_SetString(PyExc_ImportError,
                    "tasklets does not support subinterpreters yet: import "
                    "it in the main interpreter only");
    return -1;
}

__attribute__((visibility("default"))) PyMODINIT_FUNC PyInit__tasklets(void) {
    PyObject *m, *builtins;
    if (refuse_subinterpreter() < 0)
        return NULL;
    if (ext_registry.rnext == NULL)
        ext_registry.rnext = ext_registry.rprev = &ext_registry;
    if (PyType_Ready(&Ext_TaskletType) < 0 ||
        PyType_Ready(&Ext_ChannelType) < 0 ||
        PyType_Ready(&Ext_BombType) < 0 ||
        PyType_Ready(&Ext_ThreadStateType) < 0)
        return NULL;
    m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
#ifdef Py_GIL_DISABLED
    /* not yet verified free-threading safe: a free-threaded interpreter
    ** re-enables the GIL on import (with a warning) */
    if (PyUnstable_Module_SetGIL(m, Py_MOD_GIL_USED) < 0)
        goto fail;
#endif
    builtins = PyEval_GetBuiltins();
    Ext_TaskletExit = PyDict_GetItemString(builtins, "TaskletExit");
    if (Ext_TaskletExit != NULL) {
        Py_INCREF(Ext_TaskletExit);
    } else {
        Ext_TaskletExit = PyErr_NewExceptionWithDoc(
            "builtins.TaskletExit",
            "Raised in a tasklet to kill it; ends it silently.",
            PyExc_SystemExit, NULL);
        if (Ext_TaskletExit == NULL ||
            PyDict_SetItemString(builtins, "TaskletExit", Ext_TaskletExit) < 0)
            goto fail;
    }
    Py_INCREF(&Ext_TaskletType);
    Py_INCREF(&Ext_ChannelType);
    Py_INCREF(&Ext_BombType);
    Py_INCREF(Ext_TaskletExit);
    if (PyModule_AddObject(m, "tasklet", (PyObject *)&Ext_TaskletType) < 0 ||
        PyModule_AddObject(m, "channel", (PyObject *)&Ext_ChannelType) < 0 ||
        PyModule_AddObject(m, "bomb", (PyObject *)&Ext_BombType) < 0 ||
        PyModule_AddObject(m, "TaskletExit", Ext_TaskletExit) < 0)
        goto fail;
    /* the importing thread's scheduler starts here, near the stack top */
    if (ext_ts() == NULL)
        goto fail;
    ext_gl_init();
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
