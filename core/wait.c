/*
** wait.c
** Tasklets blocked in a poller (I/O readiness, timers: io/), and how a
** thread with nothing to run waits.  Plan-side: no stack work.
** See LICENSE in the project root.
**
** A tasklet in the poller is blocked like a channel receiver: out of the
** ring, in no channel, 'where' TSK__IN_WAIT.  The core only counts such
** tasklets (nwait) and moves them; the poller owns what they wait for.
*/
#include "tsk_int.h"

tsk_result tsk_set_poller(tsk_sched *s, const tsk_poller *p, void *ud) {
    if (s->nwait > 0)
        return TSK_E_BLOCKED;
    s->poller = p;
    s->poller_ud = ud;
    return TSK_OK;
}

void *tsk_poller_data(const tsk_sched *s) { return s->poller_ud; }
int tsk_nwaiting(const tsk_sched *s) { return s->nwait; }

/* Out of the poller (hook: tell the 'link' hook it left every queue). */
static void wait_take(tsk_tasklet *t, int hook) {
    TSK_ASSERT(t->where == TSK__IN_WAIT && t->sched->nwait > 0);
    t->sched->nwait--;
    t->where = TSK__IN_NONE;
    t->blocked = 0;
    t->wobj = NULL;
    if (hook)
        tsk__link(t, 0);
}

tsk_result tsk_plan_wait(tsk_sched *s, void *obj, tsk_tasklet **next) {
    tsk_tasklet *cur = s->current;
    tsk_result r;
    *next = NULL;
    if (s->poller == NULL)
        return TSK_E_INVALID;
    if (tsk__unlikely(s->incb & TSK_CB_SCHEDULE))
        return TSK_E_RECURSIVE;
    if ((r = (tsk_result)TSK__PEND(cur)) != TSK_OK)
        return r;
    if (cur->where != TSK__IN_RING)
        return TSK_E_BLOCKED;
    if (cur->flags & TSK_F_BLOCK_TRAP)
        return TSK_E_BLOCK_TRAP;
    if (s->switch_trap)
        return TSK_E_SWITCH_TRAP;
    tsk__ring_take(s, cur, 0); /* from the ring straight to the poller */
    cur->where = TSK__IN_WAIT;
    cur->blocked = -1;
    cur->wobj = obj;
    s->nwait++;
    return tsk__pick_next(s, next); /* never a deadlock: nwait > 0 */
}

tsk_result tsk_wait_done(tsk_tasklet *t, int wake) {
    tsk_sched *s = t->sched;
    if (t->where != TSK__IN_WAIT)
        return TSK_E_INVALID;
    wait_take(t, 0); /* from the poller straight to the ring */
    t->wake = (int16_t)wake;
    tsk__ring_put(s, t, s->head, 0);
    return TSK_OK;
}

/* A kill, throw, unblock or aborted plan ends t's wait early.  A poller
** whose scheduler ended is gone with its thread: nothing to cancel. */
void tsk__wait_cancel(tsk_tasklet *t) {
    tsk_sched *s = t->sched;
    void *obj = t->wobj;
    wait_take(t, 1);
    if (s->alive && s->poller != NULL && s->poller->cancel != NULL)
        s->poller->cancel(s, t, obj);
}

/* schedule() while tasklets wait in the poller: without this, tasklets
** that stay runnable (a schedule() loop) would starve them, since the
** poller otherwise only runs when nothing else can. */
void tsk__poll(tsk_sched *s) {
    if (s->poller->poll != NULL)
        s->poller->poll(s);
}

void tsk__poke(tsk_sched *s) {
    if (!s->waiting)
        return;
    if (s->hooks.wake)
        s->hooks.wake(s);
    if (s->poller != NULL && s->poller->wake != NULL)
        s->poller->wake(s);
}

/* TSK_WAIT: in the poller while tasklets wait there (it also hears the
** other threads, through 'wake'), else in the binding's 'wait' hook.
** 'waiting' tells other threads to poke us. */
void tsk_idle(tsk_sched *s) {
    s->waiting = 1;
    if (s->nwait > 0 && s->poller->wait != NULL)
        s->poller->wait(s);
    else if (s->hooks.wait)
        s->hooks.wait(s);
    s->waiting = 0;
}
