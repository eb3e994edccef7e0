/*
** module.c
** tasklets._tasklets: per-thread schedulers, the core's hooks, module API.
** See LICENSE in the project root.
**
** Each thread gets a ThreadState (created on first use) holding the core
** scheduler, the main tasklet and a lock to wait on when only another
** thread can feed this one.  The core decides; tsk_switch moves the C
** stack; the hooks here move the interpreter state (pystate.c).
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
    char *m = mmap(NULL, EXT_REGION_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                   -1, 0);
    if (m == MAP_FAILED)
        return;                  /* tasklets stay on the thread stack */
    mprotect(m, page, PROT_NONE); /* overflow faults instead of corrupting */
    if (tsk_stack_init(&ts->region, m + page, EXT_REGION_SIZE - page) != TSK_OK) {
        munmap(m, EXT_REGION_SIZE);
        return;
    }
    ts->region_map = m;
    ts->region_size = EXT_REGION_SIZE;
    ts->s.default_stack = &ts->region;
}

ModState ext_mod;
PyObject *Ext_TaskletExit;
ThreadState ext_registry;                /* list head of thread states */
int ext_in_gc;
static _Thread_local ThreadState *tls_ts;

/* {======================================================================
** Deferred DECREFs: a queue drops its reference when a tasklet leaves it,
** which can happen in the middle of a switch; the DECREF waits for a point
** where running arbitrary code (a finalizer) is safe.
** ======================================================================= */
static void defer_decref(ThreadState *ts, PyObject *o) {
    if (ts->nunref == ts->capunref) {
        Py_ssize_t cap = ts->capunref ? ts->capunref * 2 : 16;
        PyObject **p = PyMem_Realloc(ts->unref, (size_t)cap * sizeof *p);
        if (p == NULL) {
            /* no memory for the queue: leak rather than run code here */
            return;
        }
        ts->unref = p;
        ts->capunref = cap;
    }
    ts->unref[ts->nunref++] = o;
}

void ext_flush(ThreadState *ts) {
    while (ts->nunref > 0) {
        PyObject *o = ts->unref[--ts->nunref];
        Py_DECREF(o);
    }
}
/* }====================================================================== */

/* {======================================================================
** Hooks called by the core
** ======================================================================= */
static void call_schedule_cb(ThreadState *ts, PyObject *prev, PyObject *next) {
    PyObject *t, *v, *tb, *r;
    PyObject *cb = ext_mod.schedule_cb;
    if (cb == NULL || ts->in_sched_cb)
        return;
    PyErr_Fetch(&t, &v, &tb);
    ts->in_sched_cb = 1;
    Py_INCREF(cb);
    r = PyObject_CallFunctionObjArgs(cb, prev, next, NULL);
    Py_DECREF(cb);
    ts->in_sched_cb = 0;
    if (r == NULL) {
        ext_write_unraisable("in scheduling callback", cb);
    }
    Py_XDECREF(r);
    PyErr_Restore(t, v, tb);
}

static void hook_switch_out(tsk_sched *s, tsk_tasklet *from, tsk_tasklet *to) {
    ThreadState *ts = (ThreadState *)s->data;
    if (ext_mod.schedule_cb)
        call_schedule_cb(ts, (PyObject *)TASKLET(from), (PyObject *)TASKLET(to));
    if (from->flags & TSK_F_ALIVE) {
        ext_state_save(ts, &TASKLET(from)->st);
#if EXT_ENTRY_FRAMES_ON_C_STACK
        if (from->stack != NULL) {
            /* its entry frames lie between here and its region's top */
            char here;
            ext_frames_hide(&TASKLET(from)->st, &here, from->stack->hi,
                            (from->flags & TSK_F_MAIN) != 0);
        }
#endif
    } else
        ext_state_dead(ts);
}

static void hook_switch_in(tsk_sched *s, tsk_tasklet *from, tsk_tasklet *to) {
    ThreadState *ts = (ThreadState *)s->data;
    TaskletObject *t = TASKLET(to);
    (void)from;
    if (ts->irq_wd != NULL && !ts->irq_total)
        ts->irq_ticks = 0;       /* a time slice per switch */
    ext_state_stack(ts, to->stack);
    if (t->fresh) {
        PyObject *ctx = t->st.context;
        t->fresh = 0;
        t->st.context = NULL;
        ext_state_fresh(ts, &t->st, ctx);
        Py_XDECREF(ctx);                  /* tstate holds it now */
    } else {
        ext_state_restore(ts, &t->st);
    }
#if EXT_HAS_DATASTACK
    if (ts->dead_chunk != NULL)
        ext_state_reap(ts);
#endif
    if (ts->dead_context != NULL) {
        defer_decref(ts, ts->dead_context);
        ts->dead_context = NULL;
    }
}

static void hook_link(tsk_tasklet *t, int linked) {
    TaskletObject *o = TASKLET(t);
    if (linked) {
        if (!o->linked) {
            o->linked = 1;
            Py_INCREF(o);
        }
    } else if (o->linked) {
        ThreadState *ts = tls_ts ? tls_ts : o->ts;
        o->linked = 0;
        defer_decref(ts, (PyObject *)o);
    }
}

static ThreadState *find_ts(PyThreadState *tstate) {
    ThreadState *ts;
    for (ts = ext_registry.rnext; ts != &ext_registry; ts = ts->rnext)
        if (ts->tstate == tstate && ts->alive)
            return ts;
    return NULL;
}

/* Could another thread still insert work into this one?  Yes while any
** other thread of the interpreter is not itself waiting in the scheduler. */
static int hook_others(tsk_sched *s) {
    ThreadState *me = (ThreadState *)s->data;
    PyThreadState *t;
    for (t = PyInterpreterState_ThreadHead(me->tstate->interp); t != NULL;
         t = PyThreadState_Next(t)) {
        ThreadState *o;
        if (t == me->tstate)
            continue;
        o = find_ts(t);
        if (o == NULL || !o->s.waiting)
            return 1;
    }
    return 0;
}

/* Wait for 'wake' with the GIL released, 50 ms at most: the caller then
** asks the core again (tsk_plan_resume), which finds the deadlock once no
** other thread could feed this one any more (they all ended or wait too).
** With check_signals, a signal handler that raises ends the wait with -1. */
static int ts_wait(ThreadState *ts, int check_signals) {
    PyLockStatus st;
    Py_BEGIN_ALLOW_THREADS
    st = PyThread_acquire_lock_timed(ts->lock, 50000, 0);
    Py_END_ALLOW_THREADS
    if (st == PY_LOCK_ACQUIRED)
        ts->woken = 0;
    else if (check_signals && PyErr_CheckSignals() < 0)
        return -1;
    return 0;
}

static void hook_wait(tsk_sched *s) {
    ts_wait((ThreadState *)s->data, 0);
}

/* Called by another thread (holding the GIL) after it gave us work.  The
** waiter no longer counts as waiting from here on, so that a third thread
** does not see "everybody waits" before we got the GIL back. */
static void hook_wake(tsk_sched *s) {
    ThreadState *ts = (ThreadState *)s->data;
    s->waiting = 0;
    if (!ts->woken) {
        ts->woken = 1;
        PyThread_release_lock(ts->lock);
    }
}

static const tsk_hooks ext_hooks = {
    .switch_out = hook_switch_out,
    .switch_in = hook_switch_in,
    .others_could_run = hook_others,
    .wait = hook_wait,
    .wake = hook_wake,
    .link = hook_link,
};
/* }====================================================================== */

/* {======================================================================
** Thread states
** ======================================================================= */
static void thread_ended(PyObject *capsule);

static int ext_finalizing(void) { return ext_is_finalizing(); }

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

static ThreadState *ts_create(void) {
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
    if (getenv("TASKLETS_THREAD_STACK") == NULL)
        region_open(ts);
    /* the registry owns one reference */
    ts->rnext = &ext_registry;
    ts->rprev = ext_registry.rprev;
    ext_registry.rprev->rnext = ts;
    ext_registry.rprev = ts;
    tls_ts = ts;
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
        call_schedule_cb(ts, Py_None, (PyObject *)ts->main);
    return ts;
}

ThreadState *ext_ts_maybe(void) { return tls_ts; }

ThreadState *ext_ts(void) {
    ThreadState *ts = tls_ts;
    if (ts != NULL)
        return ts;
    return ts_create();
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
    if (tls_ts == ts && ts->alive && !ext_finalizing() &&
        PyThreadState_Get() == ts->tstate &&
        ts->s.current == &ts->main->t) {
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
    if (PyThread_get_thread_ident() != ts->thread_id && ext_finalizing())
        ts->region_pinned = 1;
    ts->alive = 0;
    if (tls_ts == ts)
        tls_ts = NULL;
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
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tasklets._threadstate",
    .tp_basicsize = sizeof(ThreadState),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)ts_dealloc,
};
/* }====================================================================== */

/* {======================================================================
** Carrying out a plan, from the binding's side
** ======================================================================= */
PyObject *ext_raise(tsk_result r) {
    PyObject *type = PyExc_RuntimeError;
    if (r == TSK_E_CLOSED)
        type = PyExc_ValueError;
    else if (r == TSK_E_NOMEM)
        return PyErr_NoMemory();
    PyErr_SetString(type, tsk_strerror(r));
    return NULL;
}

/* Claim the caller's tempval on resume: return it, or raise its bomb. */
PyObject *ext_claim(TaskletObject *t) {
    int w = tsk_take_wake(&t->t);
    PyObject *v = (PyObject *)t->t.tempval;
    t->t.tempval = NULL;
    if (w == TSK_E_NO_SENDER || w == TSK_E_NO_RECEIVER) {
        Py_XDECREF(v);
        PyErr_SetString(PyExc_RuntimeError, tsk_strerror((tsk_result)w));
        return NULL;
    }
    if (v == NULL)
        Py_RETURN_NONE;
    if (Ext_Bomb_Check(v)) {
        ext_bomb_raise(v);
        Py_DECREF(v);
        return NULL;
    }
    return v;
}

/* A signal handler raised while this thread waited for another one, but
** that thread completed the blocked channel operation meanwhile.  The
** operation stands (a message handed over is never dropped) and the
** exception is raised later: at the next bytecode boundary (a pending
** call) or at the next wait, whichever comes first.  Signal handlers run
** only in the main thread, so one slot serves the interpreter. */
static PyObject *late_type, *late_value, *late_tb;
static unsigned long late_thread;

static int late_restore(void) {
    if (late_type == NULL || late_thread != PyThread_get_thread_ident())
        return 0;
    PyErr_Restore(late_type, late_value, late_tb);
    late_type = late_value = late_tb = NULL;
    return -1;
}

static int late_pending(void *unused) {
    (void)unused;
    return late_restore();
}

static void late_defer(void) {
    if (late_type != NULL) {          /* a second one: the first stays */
        PyErr_Clear();
        return;
    }
    PyErr_Fetch(&late_type, &late_value, &late_tb);
    late_thread = PyThread_get_thread_ident();
    /* if the pending-call queue is full, the next wait raises it */
    (void)Py_AddPendingCall(late_pending, NULL);
}

PyObject *ext_switch(ThreadState *ts, tsk_result r, tsk_tasklet *next,
                     TaskletObject *cur) {
    while (r == TSK_WAIT) {
        int e, was_blocked = tsk_blocked(ts->s.current) != 0;
        ts->s.waiting = 1;
        e = late_restore();
        if (e == 0)
            e = ts_wait(ts, 1);
        ts->s.waiting = 0;
        if (e < 0) {
            if (was_blocked && !tsk_blocked(ts->s.current)) {
                late_defer();          /* served meanwhile: finish it */
            } else {
                tsk_plan_abort(&ts->s);
                ext_flush(ts);
                return NULL;
            }
        }
        r = tsk_plan_resume(&ts->s, &next);
    }
    if (r != TSK_OK) {
        ext_flush(ts);
        return ext_raise(r);
    }
    if (ts->irq_wd != NULL && ts->irq_soft && next != NULL)
        ext_soft_interrupt(ts, &next);
    if (ts->in_gc && next != NULL && next != &cur->t) {
        /* A __del__ run by the collector wants to switch: the collector
        ** keeps state in C locals that a switch could slice away.  Stay:
        ** a runnable caller just continues, a blocking one fails. */
        int blocked = tsk_blocked(&cur->t) != 0 || !tsk_scheduled(&cur->t);
        tsk_plan_abort(&ts->s);
        ext_flush(ts);
        if (blocked) {
            ext_tasklet_set_tempval(cur, NULL);
            PyErr_SetString(PyExc_RuntimeError,
                            "cannot block a tasklet while the garbage "
                            "collector runs");
            return NULL;
        }
        next = NULL;
    }
    if (next != NULL && next != &cur->t) {
        r = tsk_switch(&ts->s, next);
        if (r != TSK_OK) {
            tsk_plan_abort(&ts->s);
            ext_flush(ts);
            return ext_raise(r);
        }
        /* resumed */
        if (ts->irq_wd != NULL && cur->irq_gen != ts->irq_gen)
            ext_irq_resumed(ts, cur);
    }
    ext_flush(ts);
    return ext_claim(cur);
}

/* Scheduling from inside the schedule callback would corrupt the switch. */
static int sched_guard(ThreadState *ts) {
    if (ts->in_sched_cb) {
        PyErr_SetString(PyExc_RuntimeError,
                        "Recursive scheduler call due to callbacks!");
        return -1;
    }
    return 0;
}

int ext_int_flag(PyObject *v, const char *msg) {
    if (v == NULL || !PyLong_Check(v)) {
        PyErr_SetString(PyExc_TypeError, msg);
        return -1;
    }
    return PyObject_IsTrue(v);
}

int ext_check_thread(TaskletObject *t) {
    if (t->ts == NULL || !t->ts->alive) {
        PyErr_SetString(PyExc_RuntimeError, "tasklet has no thread");
        return -1;
    }
    return 0;
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
    if (ts == NULL || sched_guard(ts) < 0 || ext_gl_guard(ts) < 0)
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
        PyErr_SetString(PyExc_TypeError, "schedule() takes at most 1 argument");
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
    static char *kw[] = {"timeout", "threadblock", "soft", "ignore_nesting",
                         "totaltimeout", NULL};
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
    if (ts == NULL || sched_guard(ts) < 0 || ext_gl_guard(ts) < 0)
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
            tsk_plan_abort(&ts->s);      /* undoes the watchdog too */
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
        ts = find_ts(t);
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
    if (PyUnicode_Check(phase) && PyUnicode_CompareWithASCIIString(phase, "start") == 0) {
        ext_in_gc++;
        if (ts != NULL)
            ts->in_gc++;
    } else {
        if (ext_in_gc > 0)
            ext_in_gc--;
        if (ts != NULL && ts->in_gc > 0)
            ts->in_gc--;
        if (ext_in_gc == 0 && ts != NULL && ts->deferred != NULL &&
            !ts->in_sched_cb)
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
    ext_gl_watch = 1;
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
    PyModuleDef_HEAD_INIT, "tasklets._tasklets",
    "Stackless-compatible tasklets and channels (CPython backend).", 0,
    module_methods, NULL, NULL, NULL, NULL};

/* Subinterpreters are refused: the static types, the schedulers' registry
** and this module's other globals are per process, the current thread
** state is keyed by OS thread (tls_ts), not by interpreter.  Isolated
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
    if (PyType_Ready(&Ext_TaskletType) < 0 || PyType_Ready(&Ext_ChannelType) < 0 ||
        PyType_Ready(&Ext_BombType) < 0 || PyType_Ready(&Ext_ThreadStateType) < 0)
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
