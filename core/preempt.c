/*
** preempt.c
** Preemption, Stackless's run(timeout): what an interrupt does.  The
** binding counts the running tasklet's time (ticks); when it is up, it
** asks the core, which decides who runs as part of a plan, before any
** switch.  The watchdog 'wd' is the run(timeout) caller that gets control
** back.  Plan-side: no stack work.
** See LICENSE in the project root.
*/
#include "tsk_int.h"

int tsk_interruptible(const tsk_sched *s, const tsk_tasklet *wd) {
    const tsk_tasklet *cur = s->current;
    return cur != wd && !(cur->flags & TSK_F_ATOMIC) && s->switch_trap == 0 &&
        s->incb == 0;
}

tsk_result tsk_plan_interrupt(tsk_sched *s, tsk_tasklet *wd,
                              tsk_tasklet **next) {
    *next = NULL;
    if (wd == NULL || !tsk_interruptible(s, wd))
        return TSK_OK; /* not now: the binding tries again later */
    return tsk_plan_run(s, wd, 1, next); /* (a pending wake first) */
}

void tsk_preempt_soft(tsk_sched *s, tsk_tasklet *wd) { s->preempt = wd; }

/* A plan chose *next while a soft interrupt is due: the watchdog runs
** instead, every tasklet staying where that plan put it (wd goes before
** the current tasklet, or first in the ring), as tsk_plan_run(wd) would
** have put it.  Done once it is taken.  A wake pending in the current
** tasklet holds it off: its plan raises that first (tsk_plan_throw). */
void tsk__preempt_apply(tsk_sched *s, tsk_tasklet **next) {
    tsk_tasklet *wd = s->preempt, *cur = s->current;
    if (*next == NULL || *next == wd || cur->pend != 0 ||
        !tsk_interruptible(s, wd) || wd->sched != s ||
        wd->where == TSK__IN_CHAN || !(wd->flags & TSK_F_ALIVE))
        return;
    if (wd->where != TSK__IN_RING)
        tsk__ring_insert_before(s, wd,
                                cur->where == TSK__IN_RING ? cur : s->head);
    s->head = wd;
    s->preempt = NULL;
    *next = wd;
}
