/*
** sched.c
** Run queue and scheduling decisions (who runs next), per thread.
** See LICENSE in the project root.
**
** The run queue is a circular doubly linked ring.  'head' is the tasklet
** that runs next; while the current tasklet is in the ring, head ==
** current.  "Insert at the end" links a tasklet just before head, so
** schedule() (head = head->next) gives strict round robin in insertion
** order, as in Stackless.  Plans change the ring and say who runs next;
** s->current only changes when the transfer happens (tsk_commit).
*/
#include <string.h>
#include "tsk_int.h"

/* Being on the watchdog stack counts as being queued: Stackless's
** watchdog list owns its tasklets, so a tasklet that waits in run() lives
** even when nothing else references it. */
void tsk__link(tsk_tasklet *t, int linked) {
    tsk_sched *s = t->sched;
    if (s->hooks.link && !(t->flags & TSK_F_WATCHDOG))
        s->hooks.link(t, linked);
}

void tsk__ring_put(tsk_sched *s, tsk_tasklet *t, tsk_tasklet *pos, int hook) {
    TSK_ASSERT(t->where == TSK__IN_NONE && t->sched == s);
    TSK_ASSERT((s->head == NULL) == (s->runcount == 0));
    TSK_ASSERT(pos == NULL ||
               (pos->where == TSK__IN_RING && pos->sched == s &&
                pos->prev->next == pos));
    if (s->head == NULL) {
        t->next = t->prev = t;
        s->head = t;
    } else {
        if (pos == NULL)
            pos = s->head;
        t->next = pos;
        t->prev = pos->prev;
        pos->prev->next = t;
        pos->prev = t;
    }
    t->where = TSK__IN_RING;
    s->runcount++;
    if (hook)
        tsk__link(t, 1);
}

void tsk__ring_insert_before(tsk_sched *s, tsk_tasklet *t, tsk_tasklet *pos) {
    tsk__ring_put(s, t, pos, 1);
}

void tsk__ring_take(tsk_sched *s, tsk_tasklet *t, int hook) {
    TSK_ASSERT(t->where == TSK__IN_RING && s->runcount > 0);
    TSK_ASSERT(t->next->prev == t && t->prev->next == t);
    if (t->next == t) {
        s->head = NULL;
    } else {
        t->prev->next = t->next;
        t->next->prev = t->prev;
        if (s->head == t)
            s->head = t->next;
    }
    t->next = t->prev = NULL;
    t->where = TSK__IN_NONE;
    s->runcount--;
    TSK_ASSERT((s->head == NULL) == (s->runcount == 0));
    if (hook)
        tsk__link(t, 0);
}

void tsk__ring_unlink(tsk_sched *s, tsk_tasklet *t) {
    tsk__ring_take(s, t, 1);
}

static void insert_end(tsk_sched *s, tsk_tasklet *t) {
    tsk__ring_insert_before(s, t, s->head);
}

static tsk_tasklet *watchdog_of(const tsk_sched *s) {
    return s->watchdog ? s->watchdog : s->main;
}

static void wd_push(tsk_sched *s, tsk_tasklet *t) {
    TSK_ASSERT(!(t->flags & TSK_F_WATCHDOG) && t->where < TSK__IN_CHAN);
    if (t->where == TSK__IN_NONE)
        tsk__link(t, 1);
    t->flags |= TSK_F_WATCHDOG;
    t->wd_next = s->watchdog;
    s->watchdog = t;
}

/* t (just taken off the watchdog stack) keeps the reference only if it is
** still queued. */
static void wd_drop(tsk_tasklet *t) {
    t->wd_next = NULL;
    t->flags &= (uint16_t)~TSK_F_WATCHDOG;
    if (t->where == TSK__IN_NONE)
        tsk__link(t, 0);
}

/* What every plan may rely on (tsk.h): a live scheduler, a ring that is
** empty exactly when runcount is 0, and head == current while the current
** tasklet is in the ring. */
static inline void plan_entry(const tsk_sched *s) {
    TSK_ASSERT(s->alive && s->current != NULL);
    TSK_ASSERT((s->head == NULL) == (s->runcount == 0));
    TSK_ASSERT(s->current->where != TSK__IN_RING || s->head == s->current);
    (void)s;
}

static int may_wait(tsk_sched *s) {
    return s->hooks.others_could_run && s->hooks.wait &&
        s->hooks.others_could_run(s);
}

/* Stackless's rule when the current tasklet leaves the ring: the next in
** the ring; else, while tasklets wait in the poller, wait for them (so
** that run() lasts while they sleep); else revive a floating watchdog (or
** main); else wait for other threads; else deadlock. */
tsk_result tsk__pick_next(tsk_sched *s, tsk_tasklet **next) {
    tsk_tasklet *wd;
    if (s->head != NULL) {
        *next = s->head;
        return TSK_OK;
    }
    if (s->nwait > 0)
        return TSK_WAIT;
    wd = watchdog_of(s);
    if (wd->where == TSK__IN_NONE && (wd->flags & TSK_F_ALIVE)) {
        insert_end(s, wd);
        *next = wd;
        return TSK_OK;
    }
    if (may_wait(s))
        return TSK_WAIT;
    return TSK_E_DEADLOCK;
}

/* Would the current tasklet, once out of the ring, be switched away from?
** (switch_trap must fail before anything changes.) */
static int leaving_switches(const tsk_sched *s, const tsk_tasklet *cur) {
    const tsk_tasklet *wd;
    if (cur->where == TSK__IN_RING ? cur->next != cur : s->head != NULL)
        return 1;
    wd = watchdog_of(s);
    return wd != cur;
}

void tsk_plan_abort(tsk_sched *s) {
    tsk_tasklet *cur = s->current;
    if (cur->where == TSK__IN_CHAN)
        tsk__chan_unlink(cur->chan, cur);
    else if (cur->where == TSK__IN_WAIT)
        tsk__wait_cancel(cur);
    if (cur->where == TSK__IN_NONE)
        insert_end(s, cur);
    s->head = cur;
    if (s->watchdog == cur) {
        s->watchdog = cur->wd_next;
        wd_drop(cur);
    }
}

tsk_result tsk_sched_init(tsk_sched *s, tsk_tasklet *main,
                          const tsk_hooks *hooks) {
    void *data = main->data;
    memset(s, 0, sizeof *s);
    if (hooks != NULL)
        s->hooks = *hooks;
    s->alive = 1;
    s->hooked = s->hooks.switch_out != NULL || s->hooks.switch_in != NULL;
    tsk__stack_thread(&s->thread_stack, (char *)__builtin_frame_address(0));
    s->default_stack = &s->thread_stack;
    memset(main, 0, sizeof *main);
    main->data = data;
    main->sched = s;
    main->flags = TSK_F_ALIVE | TSK_F_STARTED | TSK_F_MAIN;
    main->stack = &s->thread_stack;
    main->stop = (char *)UINTPTR_MAX; /* owns everything above it */
    s->thread_stack.chain = main;
    if (!s->hooked)
        s->thread_stack.top = main;
    s->main = s->current = main;
    insert_end(s, main);
    return TSK_OK;
}

void tsk_sched_fini(tsk_sched *s) {
    tsk_tasklet *m = s->main, *w;
    while ((w = s->watchdog) != NULL) {
        s->watchdog = w->wd_next;
        wd_drop(w);
    }
    while (s->head != NULL)
        tsk__ring_unlink(s, s->head);
    /* main is the caller's, but the bytes it saved are ours */
    if (m != NULL && m->saved != NULL) {
        tsk__alloc(s, m->saved, m->cap, 0);
        m->saved = NULL;
        m->nsaved = m->cap = 0;
    }
    /* the thread's stack goes with the thread: nothing on it runs again,
    ** and its chain starts at main, which the binding may free now, while
    ** tasklets made for this stack can outlive it (a later release walks
    ** the chain) */
    s->thread_stack.chain = NULL;
    s->thread_stack.top = NULL;
    s->alive = 0;
}

tsk_tasklet *tsk_current(const tsk_sched *s) { return s->current; }
tsk_tasklet *tsk_main(const tsk_sched *s) { return s->main; }
int tsk_runcount(const tsk_sched *s) { return s->runcount; }

int tsk_switch_trap(tsk_sched *s, int delta) {
    int old = s->switch_trap;
    s->switch_trap += delta;
    return old;
}

tsk_result tsk_tasklet_init(tsk_tasklet *t, tsk_sched *s, tsk_fn fn, void *arg,
                            tsk_stack *stack) {
    if (s == NULL)
        return TSK_E_INVALID;
    if ((t->flags & TSK_F_ALIVE) || t->where != TSK__IN_NONE)
        return TSK_E_ALIVE;
    if (!s->alive)
        return TSK_E_NO_THREAD;
    if (t->saved != NULL || t->older != NULL)
        tsk_tasklet_release(t);
    t->next = t->prev = NULL;
    t->chan = NULL;
    t->wd_next = NULL;
    t->sched = s;
    t->fn = fn;
    t->arg = arg;
    t->wake = t->pend = 0;
    t->blocked = 0;
    t->flags =
        (uint16_t)((t->flags & ~(TSK_F_STARTED | TSK_F_MAIN)) | TSK_F_ALIVE);
    t->stack = stack ? stack : s->default_stack;
    if (t->stack->top == t) /* a dead tasklet not released */
        t->stack->top = NULL;
    t->start = t->stop = NULL;
    return TSK_OK;
}

tsk_result tsk_tasklet_movable(const tsk_tasklet *t) {
    if (t->where == TSK__IN_RING)
        return TSK_E_RUNNABLE;
    if ((t->flags & (TSK_F_STARTED | TSK_F_ALIVE)) ==
        (TSK_F_STARTED | TSK_F_ALIVE))
        return TSK_E_C_STATE;
    if (t->flags & TSK_F_MAIN)
        return TSK_E_INVALID;
    return TSK_OK;
}

tsk_result tsk_tasklet_bind_sched(tsk_tasklet *t, tsk_sched *s) {
    tsk_result r = tsk_tasklet_movable(t);
    if (r == TSK_E_RUNNABLE || r == TSK_E_C_STATE)
        return r;
    if (s == NULL || !s->alive)
        return TSK_E_BAD_THREAD;
    if (s == t->sched)
        return TSK_OK; /* binding to its own thread: a no-op */
    if (r != TSK_OK)
        return r;
    if (t->flags & TSK_F_STARTED)
        return TSK_E_C_STATE; /* ended: the binding re-inits it first */
    if (t->sched != NULL && t->stack == t->sched->default_stack)
        t->stack = s->default_stack;
    t->sched = s;
    return TSK_OK;
}

int tsk_alive(const tsk_tasklet *t) { return (t->flags & TSK_F_ALIVE) != 0; }
int tsk_blocked(const tsk_tasklet *t) { return t->blocked; }
int tsk_scheduled(const tsk_tasklet *t) { return t->where != TSK__IN_NONE; }
int tsk_started(const tsk_tasklet *t) {
    return (t->flags & TSK_F_STARTED) != 0;
}
int tsk_paused(const tsk_tasklet *t) {
    return tsk_alive(t) && t->where == TSK__IN_NONE &&
        !(t->sched && t->sched->current == t);
}
tsk_tasklet *tsk_next(const tsk_tasklet *t) { return t->next; }
tsk_tasklet *tsk_prev(const tsk_tasklet *t) { return t->prev; }

int tsk_is_current(const tsk_tasklet *t) {
    const tsk_sched *s = t->sched;
    return s != NULL && s->alive && s->current == t;
}

int tsk__take_pend(tsk_tasklet *cur) {
    int w = cur->pend;
    cur->pend = 0;
    return w;
}

int tsk_take_wake(tsk_tasklet *t) {
    int w = t->wake;
    t->wake = 0;
    return w;
}

tsk_result tsk_insert(tsk_tasklet *t) {
    tsk_sched *ts = t->sched;
    if (t->where >= TSK__IN_CHAN)
        return TSK_E_BLOCKED;
    if (!(t->flags & TSK_F_ALIVE))
        return TSK_E_DEAD;
    if (ts == NULL || !ts->alive)
        return TSK_E_NO_TARGET;
    if (t->where == TSK__IN_RING)
        return TSK_OK;
    insert_end(ts, t);
    tsk__poke(ts);
    return TSK_OK;
}

tsk_result tsk_remove(tsk_tasklet *t) {
    if (t->sched == NULL || !t->sched->alive)
        return TSK_OK; /* its queues went with its thread */
    if (t->where >= TSK__IN_CHAN)
        return TSK_E_REMOVE_BLOCKED;
    if (t->sched && t->sched->current == t)
        return TSK_E_REMOVE_CURRENT;
    if (t->where == TSK__IN_RING)
        tsk__ring_unlink(t->sched, t);
    return TSK_OK;
}

tsk_result tsk_unblock(tsk_tasklet *t) {
    if (t->where == TSK__IN_CHAN)
        tsk__chan_unlink(t->chan, t);
    else if (t->where == TSK__IN_WAIT)
        tsk__wait_cancel(t);
    else
        return TSK_OK;
    if (t->wake == 0) /* a kill or throw already set wins */
        t->wake = TSK_E_UNBLOCKED;
    return TSK_OK;
}

tsk_result tsk_plan_schedule(tsk_sched *s, int remove, tsk_tasklet **next) {
    tsk_tasklet *cur = s->current;
    tsk_result r;
    *next = NULL;
    plan_entry(s);
    if (tsk__unlikely(s->incb & TSK_CB_SCHEDULE))
        return TSK_E_RECURSIVE;
    if ((r = (tsk_result)TSK__PEND(cur)) != TSK_OK)
        return r;
    if (cur->where >= TSK__IN_CHAN)
        return TSK_E_BLOCKED;
    if (s->nwait > 0)
        tsk__poll(s); /* waiters whose event came queue up first */
    if (!remove) {
        if (cur->where != TSK__IN_RING) {
            insert_end(s, cur);
            s->head = cur;
        }
        if (cur->next == cur)
            return TSK_OK;
        if (s->switch_trap)
            return TSK_E_SWITCH_TRAP;
        s->head = cur->next;
        *next = s->head;
        tsk__preempt_check(s, next);
        return TSK_OK;
    }
    if (s->switch_trap && leaving_switches(s, cur))
        return TSK_E_SWITCH_TRAP;
    if (cur->where == TSK__IN_RING)
        tsk__ring_unlink(s, cur);
    r = tsk__pick_next(s, next);
    if (r == TSK_E_DEADLOCK)
        tsk_plan_abort(s);
    else
        tsk__preempt_check(s, next);
    return r;
}

tsk_result tsk_plan_run(tsk_sched *s, tsk_tasklet *t, int remove_self,
                        tsk_tasklet **next) {
    tsk_tasklet *cur = s->current;
    tsk_sched *ts = t->sched;
    tsk_result r;
    *next = NULL;
    plan_entry(s);
    if (tsk__unlikely(s->incb & TSK_CB_SCHEDULE))
        return TSK_E_RECURSIVE;
    if ((r = (tsk_result)TSK__PEND(cur)) != TSK_OK)
        return r;
    if (t == cur)
        return TSK_OK;
    if (ts != s && ts != NULL) { /* (NULL: never initialised, dead) */
        if (remove_self)
            return TSK_E_OTHER_THREAD;
        if (ts == NULL || !ts->alive)
            return TSK_E_NO_THREAD;
    }
    if (t->where >= TSK__IN_CHAN)
        return remove_self ? TSK_E_SWITCH_BLOCKED : TSK_E_BLOCKED;
    if (!(t->flags & TSK_F_ALIVE))
        return TSK_E_DEAD;
    if (ts != s) {
        /* hand it over: right after that thread's running tasklet, or
        ** first if that thread is idle or blocked (Stackless's order) */
        if (t->where != TSK__IN_RING) {
            if (ts->current->where == TSK__IN_RING) {
                tsk__ring_insert_before(ts, t, ts->head->next);
            } else {
                tsk__ring_insert_before(ts, t, ts->head);
                ts->head = t;
            }
        }
        tsk__poke(ts);
        return TSK_OK;
    }
    if (s->switch_trap)
        return TSK_E_SWITCH_TRAP;
    if (t->where != TSK__IN_RING)
        tsk__ring_insert_before(s, t,
                                cur->where == TSK__IN_RING ? cur : s->head);
    s->head = t;
    if (remove_self && cur->where == TSK__IN_RING)
        tsk__ring_unlink(s, cur);
    *next = t;
    tsk__preempt_check(s, next);
    return TSK_OK;
}

tsk_result tsk_plan_watchdog(tsk_sched *s, tsk_tasklet **next) {
    tsk_tasklet *cur = s->current;
    tsk_result r;
    *next = NULL;
    plan_entry(s);
    if (tsk__unlikely(s->incb & TSK_CB_SCHEDULE))
        return TSK_E_RECURSIVE;
    if ((r = (tsk_result)TSK__PEND(cur)) != TSK_OK)
        return r;
    if (cur->where == TSK__IN_RING ? cur->next == cur : s->head == NULL)
        return TSK_OK; /* nothing else to run: return at once */
    if (s->switch_trap)
        return TSK_E_SWITCH_TRAP;
    wd_push(s, cur);
    if (cur->where == TSK__IN_RING)
        tsk__ring_unlink(s, cur);
    *next = s->head;
    tsk__preempt_check(s, next);
    return TSK_OK;
}

void tsk_watchdog_pop(tsk_sched *s, tsk_tasklet *t) {
    tsk_tasklet *w;
    for (w = s->watchdog; w != NULL && w != t; w = w->wd_next) {
    }
    if (w == NULL)
        return; /* an outer run() already unwound us */
    while (s->watchdog != t) {
        w = s->watchdog;
        s->watchdog = w->wd_next;
        if (w->where == TSK__IN_NONE && (w->flags & TSK_F_ALIVE))
            insert_end(s, w);
        wd_drop(w);
    }
    s->watchdog = t->wd_next;
    wd_drop(t);
}

tsk_result tsk_plan_throw(tsk_sched *s, tsk_tasklet *t, int wake, int pending,
                          tsk_tasklet **next) {
    tsk_tasklet *cur = s->current;
    tsk_sched *ts = t->sched;
    *next = NULL;
    if (!(t->flags & TSK_F_ALIVE))
        return TSK_E_DEAD;
    if (tsk__unlikely(s->incb & TSK_CB_SCHEDULE))
        return TSK_E_RECURSIVE;
    if (t == cur) {
        t->wake = (int16_t)wake;
        return TSK_OK;
    }
    if (ts != s) {
        if (ts == NULL || !ts->alive)
            return TSK_E_NO_THREAD;
        if (t == ts->current && t->where == TSK__IN_RING) {
            /* it runs: a wake in it now would be overwritten by the
            ** outcome of its next switch; that switch raises it instead */
            t->pend = (int16_t)wake;
            return TSK_PENDING;
        }
        t->pend = 0;
        t->wake = (int16_t)wake;
        tsk_unblock(t);
        if (t->where == TSK__IN_NONE)
            insert_end(ts, t);
        tsk__poke(ts);
        return TSK_OK;
    }
    if (!pending && s->switch_trap)
        return TSK_E_SWITCH_TRAP;
    t->pend = 0;
    t->wake = (int16_t)wake;
    tsk_unblock(t);
    if (t->where == TSK__IN_NONE)
        tsk__ring_insert_before(s, t,
                                cur->where == TSK__IN_RING ? cur : s->head);
    if (!pending) {
        s->head = t;
        *next = t;
        tsk__preempt_check(s, next);
    }
    return TSK_OK;
}

tsk_result tsk_throw_check(tsk_tasklet *t, int exit, int kill) {
    tsk_sched *ts = t->sched;
    int orphan = ts == NULL || !ts->alive;
    if ((t->flags & TSK_F_ALIVE) && orphan) {
        if (!kill)
            return TSK_E_NO_THREAD;
        tsk_unblock(t);         /* its ring went with its scheduler */
        tsk_tasklet_release(t); /* drop its frames: it is dead now */
    }
    if (!(t->flags & TSK_F_ALIVE)) {
        if (!exit)
            return TSK_E_THROW_DEAD;
        tsk_unblock(t);
        if (t->where == TSK__IN_RING && !orphan)
            tsk__ring_unlink(ts, t);
        t->wake = 0;
        return TSK_E_DEAD;
    }
    return TSK_OK;
}

/* Who runs after a tasklet that ended normally (it is out of the ring). */
static tsk_result after_end(tsk_sched *s, tsk_tasklet **next) {
    tsk_tasklet *wd;
    tsk_result r = tsk__pick_next(s, next);
    if (r != TSK_E_DEADLOCK)
        return r;
    wd = watchdog_of(s);
    if (wd->where == TSK__IN_CHAN) {
        /* main waits on a channel nobody can serve any more */
        wd->wake = wd->blocked > 0 ? TSK_E_NO_RECEIVER : TSK_E_NO_SENDER;
        tsk__chan_unlink(wd->chan, wd);
        insert_end(s, wd);
        *next = wd;
        return TSK_OK;
    }
    return TSK_E_DEADLOCK;
}

tsk_result tsk_plan_end(tsk_sched *s, int failed, tsk_tasklet **next) {
    tsk_tasklet *cur = s->current, *wd;
    *next = NULL;
    if (cur->where == TSK__IN_RING)
        tsk__ring_unlink(s, cur);
    else if (cur->where == TSK__IN_CHAN)
        tsk__chan_unlink(cur->chan, cur);
    cur->flags &= (uint16_t)~TSK_F_ALIVE;
    cur->pend = 0; /* thrown too late: nothing to raise in */
    if (!failed)
        return after_end(s, next);
    /* the error goes to the innermost watchdog, or main, wherever it is */
    wd = watchdog_of(s);
    tsk_unblock(wd);
    if (wd->where == TSK__IN_NONE)
        insert_end(s, wd);
    wd->wake = TSK_E_FAILED;
    s->head = wd;
    *next = wd;
    return TSK_OK;
}

tsk_result tsk_plan_resume(tsk_sched *s, tsk_tasklet **next) {
    tsk_tasklet *cur = s->current;
    tsk_result r;
    *next = NULL;
    if (!(cur->flags & TSK_F_ALIVE))
        return after_end(s, next);
    r = tsk__pick_next(s, next);
    if (r == TSK_E_DEADLOCK)
        tsk_plan_abort(s);
    else
        tsk__preempt_check(s, next);
    return r;
}
