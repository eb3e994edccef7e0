/*
** threads.c
** Per-thread schedulers: each thread gets a ThreadState (created on first
** use) holding the core scheduler, the main tasklet, the stack region its
** tasklets run on and a lock to wait on when only another thread can feed
** this one; the registry of them; what happens when a thread ends.
** See LICENSE in the project root.
*/
#include "ext.h"
#include <sys/mman.h>
#include <unistd.h>

/* Tasklets run on one stack region per thread, apart from the thread's own
** stack: main and a tasklet then never overwrite each other, so switching
** between them copies nothing.  Tasklets share the region by slicing.  As
** large as a thread's stack; pages are only committed when touched. */
#define EXT_REGION_SIZE ((size_t)8 << 20)

static void region_open(ThreadState *ts) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *m =
        mmap(NULL, EXT_REGION_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (m == MAP_FAILED)
        return;                   /* tasklets stay on the thread stack */
    mprotect(m, page, PROT_NONE); /* overflow faults instead of corrupting */
    if (tsk_stack_init(&ts->region, m + page, EXT_REGION_SIZE - page) !=
        TSK_OK) {
        munmap(m, EXT_REGION_SIZE);
        return;
    }
    ts->region_map = m;
    ts->region_size = EXT_REGION_SIZE;
    ts->s.default_stack = &ts->region;
}

ThreadState ext_registry; /* list head of thread states */
_Thread_local ThreadState *ext_tls_ts;

ThreadState *ext_find_ts(PyThreadState *tstate) {
    ThreadState *ts;
    for (ts = ext_registry.rnext; ts != &ext_registry; ts = ts->rnext)
        if (ts->tstate == tstate && ts->alive)
            return ts;
    return NULL;
}

/* {======================================================================
** Thread states
** ======================================================================= */
static void thread_ended(PyObject *capsule);

/* Finally blocks that run while a thread's tasklets are killed at its end
** (logging, for one) ask threading.current_thread().  threading has taken
** the thread's Thread object out of threading._active by then: a
** _DummyThread would be made, misnamed, and left in _active for ever.  The
** Thread object is noted when the scheduler is made and put back while
** the kills run.  Returns _active (new reference), or NULL, no error. */
static PyObject *threading_active(void) {
    PyObject *name = PyUnicode_FromString("threading"), *mod, *active;
    mod = name ? PyImport_GetModule(name) : NULL;
    Py_XDECREF(name);
    active = mod ? PyObject_GetAttrString(mod, "_active") : NULL;
    Py_XDECREF(mod);
    if (active != NULL && !PyDict_Check(active))
        Py_CLEAR(active);
    PyErr_Clear();
    return active;
}

static void thread_obj_note(ThreadState *ts) {
    PyObject *active = threading_active(), *key;
    if (active == NULL)
        return;
    key = PyLong_FromUnsignedLong(ts->thread_id);
    ts->thread_obj = key ? PyDict_GetItemWithError(active, key) : NULL;
    Py_XINCREF(ts->thread_obj);
    Py_XDECREF(key);
    Py_DECREF(active);
    PyErr_Clear();
}

/* put = 1: back into _active if missing (returns whether it was put);
** put = 0: take it out again. */
static int thread_obj_put(ThreadState *ts, int put) {
    PyObject *active, *key, *cur;
    int done = 0;
    if (ts->thread_obj == NULL || (active = threading_active()) == NULL)
        return 0;
    key = PyLong_FromUnsignedLong(ts->thread_id);
    cur = key ? PyDict_GetItemWithError(active, key) : NULL;
    if (put && cur == NULL && key != NULL)
        done = PyDict_SetItem(active, key, ts->thread_obj) == 0;
    else if (!put && cur == ts->thread_obj)
        done = PyDict_DelItem(active, key) == 0;
    Py_XDECREF(key);
    Py_DECREF(active);
    PyErr_Clear();
    return done;
}

ThreadState *ext_ts_create(void) {
    ThreadState *ts;
    PyObject *dict, *cap;
    ts = PyObject_New(ThreadState, &Ext_ThreadStateType);
    if (ts == NULL)
        return NULL;
    memset((char *)ts + sizeof(PyObject), 0, sizeof *ts - sizeof(PyObject));
    ts->tstate = PyThreadState_Get();
    ts->thread_id = PyThread_get_thread_ident();
    ts->alive = 1;
    ts->initial = ext_registry.rnext == &ext_registry &&
        ts->tstate->interp == PyInterpreterState_Main() &&
        PyThreadState_Next(ts->tstate) == NULL;
    ts->lock = PyThread_allocate_lock();
    if (ts->lock == NULL) {
        Py_DECREF(ts);
        PyErr_NoMemory();
        return NULL;
    }
    PyThread_acquire_lock(ts->lock, WAIT_LOCK);
    ts->started.gnext = ts->started.gprev = &ts->started;
    ts->main = ext_tasklet_new_main(ts);
    if (ts->main == NULL) {
        Py_DECREF(ts);
        return NULL;
    }
    /* new tasklets will start just below this frame on the thread stack */
    tsk_sched_init(&ts->s, &ts->main->t, &ext_hooks);
    ts->s.data = ts;
    if (getenv("TASKLETS_THREAD_STACK") == NULL && !ext_gl_stacks)
        region_open(ts); /* (not next to greenlet: greenlets.c) */
    /* the registry owns one reference */
    ts->rnext = &ext_registry;
    ts->rprev = ext_registry.rprev;
    ext_registry.rprev->rnext = ts;
    ext_registry.rprev = ts;
    ext_tls_ts = ts;
    thread_obj_note(ts);
    /* a sentinel in the thread's dict tells us when the thread ends */
    dict = PyThreadState_GetDict();
    cap = PyCapsule_New(ts, "tasklets.threadstate", thread_ended);
    if (dict == NULL || cap == NULL ||
        PyDict_SetItemString(dict, "tasklets.threadstate", cap) < 0) {
        Py_XDECREF(cap);
        PyErr_Clear();
    } else {
        Py_DECREF(cap);
    }
    if (ext_mod.schedule_cb)
        ext_call_schedule_cb(ts, Py_None, (PyObject *)ts->main);
    return ts;
}

/* The thread is ending (its thread-state dict is cleared).  Its tasklets
** become thread-less: not alive, thread_id -1. */
static void thread_ended(PyObject *capsule) {
    ThreadState *ts = PyCapsule_GetPointer(capsule, "tasklets.threadstate");
    TaskletObject *t, *main;
    if (ts == NULL) {
        PyErr_Clear();
        return;
    }
    /* Still on the ending thread (its state is being cleared), with its
    ** stack alive: kill what still has a C stack, as Stackless does, so
    ** that 'finally' blocks run.  Not during interpreter finalization. */
    if (ext_tls_ts == ts && ts->alive && !ext_is_finalizing() &&
        PyThreadState_Get() == ts->tstate && ts->s.current == &ts->main->t) {
        int put = thread_obj_put(ts, 1);
        ext_kill_started(ts);
        if (put)
            thread_obj_put(ts, 0);
    }
    Py_CLEAR(ts->thread_obj);
    Py_CLEAR(ts->deferred);
    Py_CLEAR(ts->gl_home);
    /* Finalization clears the states of daemon threads from the main
    ** thread while those threads still sit (parked on the GIL, about to
    ** exit) on frames in this thread's region: keep it mapped. */
    if (PyThread_get_thread_ident() != ts->thread_id && ext_is_finalizing())
        ts->region_pinned = 1;
    ts->alive = 0;
    if (ext_tls_ts == ts)
        ext_tls_ts = NULL;
    tsk_sched_fini(&ts->s);
    /* started tasklets cannot run again: free their saved stacks, but for
    ** those still alive (they refused to die): those keep their C state,
    ** which a kill() drops, as in Stackless */
    for (t = ts->started.gnext; t != &ts->started; t = t->gnext)
        if (t != ts->main && &t->t != ts->s.current && !tsk_alive(&t->t))
            tsk_tasklet_release(&t->t);
    ts->rprev->rnext = ts->rnext;
    ts->rnext->rprev = ts->rprev;
    ts->rnext = ts->rprev = ts;
    ext_flush(ts);
    main = ts->main;
    ts->main = NULL;
    Py_XDECREF(main);
    Py_DECREF(ts);
}

static void ts_dealloc(ThreadState *ts) {
    ext_flush(ts);
    Py_CLEAR(ts->thread_obj);
    Py_CLEAR(ts->gl_home);
    PyMem_Free(ts->unref);
    if (ts->region_map != NULL && !ts->region_pinned) {
        tsk_stack_fini(&ts->region);
        munmap(ts->region_map, ts->region_size);
    }
    if (ts->lock != NULL) {
        if (!ts->woken)
            PyThread_release_lock(ts->lock);
        PyThread_free_lock(ts->lock);
    }
    PyObject_Free(ts);
}

PyTypeObject Ext_ThreadStateType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tasklets._threadstate",
    .tp_basicsize = sizeof(ThreadState),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)ts_dealloc,
};
/* }====================================================================== */
