/*
** run.c
** Plan + switch in one call, for plain C programs.
** See LICENSE in the project root.
*/
#include "tsk_int.h"

/* Carry out a plan: wait while told to, switch, report the wake result. */
static tsk_result carry(tsk_sched *s, tsk_result r, tsk_tasklet *next) {
    while (r == TSK_WAIT) {
        tsk_idle(s);
        r = tsk_plan_resume(s, &next);
    }
    if (r != TSK_OK)
        return r;
    r = tsk__switch(s, next);
    if (r != TSK_OK) {
        tsk_plan_abort(s);
        return r;
    }
    return (tsk_result)tsk_take_wake(s->current);
}

tsk_result tsk_schedule(tsk_sched *s) {
    tsk_tasklet *next;
    tsk_result r = tsk_plan_schedule(s, 0, &next);
    return carry(s, r, next);
}

tsk_result tsk_schedule_remove(tsk_sched *s) {
    tsk_tasklet *next;
    tsk_result r = tsk_plan_schedule(s, 1, &next);
    return carry(s, r, next);
}

tsk_result tsk_send(tsk_sched *s, tsk_channel *ch, void *value) {
    tsk_tasklet *cur = s->current, *next;
    tsk_result r;
    cur->tempval = value;
    r = tsk_plan_channel(s, ch, 1, &next, NULL);
    r = carry(s, r, next);
    cur->tempval = NULL;
    return r;
}

tsk_result tsk_receive(tsk_sched *s, tsk_channel *ch, void **value) {
    tsk_tasklet *cur = s->current, *next;
    tsk_result r;
    cur->tempval = NULL;
    r = tsk_plan_channel(s, ch, -1, &next, NULL);
    r = carry(s, r, next);
    *value = r == TSK_OK ? cur->tempval : NULL;
    cur->tempval = NULL;
    return r;
}

tsk_result tsk_run(tsk_sched *s) {
    tsk_tasklet *cur = s->current, *next;
    tsk_result r = tsk_plan_watchdog(s, &next);
    if (r != TSK_OK || next == NULL)
        return r;
    r = carry(s, r, next);
    tsk_watchdog_pop(s, cur);
    return r;
}

tsk_result tsk_tasklet_run(tsk_sched *s, tsk_tasklet *t) {
    tsk_tasklet *next;
    tsk_result r = tsk_plan_run(s, t, 0, &next);
    return carry(s, r, next);
}

tsk_result tsk_tasklet_switch(tsk_sched *s, tsk_tasklet *t) {
    tsk_tasklet *next;
    tsk_result r = tsk_plan_run(s, t, 1, &next);
    return carry(s, r, next);
}

tsk_result tsk_kill(tsk_sched *s, tsk_tasklet *t) {
    tsk_tasklet *next;
    tsk_result r;
    if (!(t->flags & TSK_F_ALIVE))
        return TSK_OK;
    if (t == s->current)
        return TSK_E_KILLED;
    if (!(t->flags & TSK_F_STARTED) && t->sched == s &&
        t->where != TSK__IN_RING) {
        /* never ran and not queued: it just dies.  A queued one is
        ** switched to where it is, like any kill (it dies before its body
        ** runs), so the tasklets after it run before kill returns. */
        tsk_unblock(t);
        t->flags &= (uint16_t)~TSK_F_ALIVE;
        return TSK_OK;
    }
    r = tsk_plan_throw(s, t, TSK_E_KILLED, 0, &next);
    return carry(s, r, next);
}
