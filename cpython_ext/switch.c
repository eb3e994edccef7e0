/*
** switch.c
** The switch, from the binding's side: the core's hooks (they move the
** interpreter state, pystate.c), waiting for other threads, deferred
** DECREFs, and ext_switch, which carries out a plan of the core.
** See LICENSE in the project root.
*/
#include "ext.h"

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
void ext_call_schedule_cb(ThreadState *ts, PyObject *prev, PyObject *next) {
    PyObject *t, *v, *tb, *r;
    PyObject *cb = ext_mod.schedule_cb;
    unsigned old;
    if (cb == NULL || (tsk_in_callback(&ts->s) & TSK_CB_SCHEDULE))
        return;
    PyErr_Fetch(&t, &v, &tb);
    old = tsk_callback_enter(&ts->s, TSK_CB_SCHEDULE);
    Py_INCREF(cb);
    r = PyObject_CallFunctionObjArgs(cb, prev, next, NULL);
    Py_DECREF(cb);
    tsk_callback_leave(&ts->s, old);
    if (r == NULL) {
        ext_write_unraisable("in scheduling callback", cb);
    }
    Py_XDECREF(r);
    PyErr_Restore(t, v, tb);
}

static void hook_switch_out(tsk_sched *s, tsk_tasklet *from, tsk_tasklet *to) {
    ThreadState *ts = (ThreadState *)s->data;
    if (ext_mod.schedule_cb)
        ext_call_schedule_cb(ts, (PyObject *)TASKLET(from),
                             (PyObject *)TASKLET(to));
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
    if (ts->irq_wd != NULL && !ts->irq_total) {
        ts->irq_ticks = 0; /* a time slice per switch */
        tsk_preempt_soft(s, NULL);
    }
    ext_state_stack(ts, to->stack);
    if (t->fresh) {
        PyObject *ctx = t->st.context;
        t->fresh = 0;
        t->st.context = NULL;
        ext_state_fresh(ts, &t->st, ctx);
        Py_XDECREF(ctx); /* tstate holds it now */
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
        ThreadState *ts = ext_tls_ts ? ext_tls_ts : o->ts;
        o->linked = 0;
        defer_decref(ts, (PyObject *)o);
    }
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
        o = ext_find_ts(t);
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
    Py_BEGIN_ALLOW_THREADS st =
        PyThread_acquire_lock_timed(ts->lock, 50000, 0);
    Py_END_ALLOW_THREADS if (st == PY_LOCK_ACQUIRED) ts->woken = 0;
    else if (check_signals && PyErr_CheckSignals() < 0) return -1;
    return 0;
}

static void hook_wait(tsk_sched *s) { ts_wait((ThreadState *)s->data, 0); }

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

const tsk_hooks ext_hooks = {
    .switch_out = hook_switch_out,
    .switch_in = hook_switch_in,
    .others_could_run = hook_others,
    .wait = hook_wait,
    .wake = hook_wake,
    .link = hook_link,
};
/* }====================================================================== */

/* {======================================================================
** Carrying out a plan, from the binding's side
** ======================================================================= */
/* The one mapping from a core result to a Python exception: the core
** decides, and its text (tsk_strerror) is the message.  RuntimeError
** unless listed. */
PyObject *ext_raise(tsk_result r) {
    PyObject *type = PyExc_RuntimeError;
    if (r == TSK_E_THROWN) {
        /* a plan of the current tasklet: a throw from another thread
        ** waited for this switch point (deliver() kept its bomb) */
        ThreadState *ts = ext_ts_maybe();
        TaskletObject *cur = ts ? TASKLET(ts->s.current) : NULL;
        if (cur != NULL && cur->pend != NULL) {
            PyObject *bomb = cur->pend;
            cur->pend = NULL;
            ext_bomb_raise(bomb);
            Py_DECREF(bomb);
            return NULL;
        }
    }
    switch (r) {
    case TSK_E_NOMEM: return PyErr_NoMemory();
    case TSK_E_CLOSED:
    case TSK_E_BAD_THREAD: type = PyExc_ValueError; break;
    default: break;
    }
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
    if (late_type != NULL) { /* a second one: the first stays */
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
                late_defer(); /* served meanwhile: finish it */
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
/* }====================================================================== */
