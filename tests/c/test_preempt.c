/*
** test_preempt.c
** Preemption as the core decides it (core/preempt.c): a hard interrupt is
** a plan of its own; a soft one that is due changes the choice of the
** next plan of a switch, before any switch, and every tasklet stays where
** that plan put it.
*/
#include "common.h"

/* main runs, T0 and T1 queued, T2 the watchdog (paused, as inside run()) */
static tsk_tasklet *setup_three(void) {
    setup();
    spawn(0, "a");
    spawn(1, "b");
    return prepare(2, "w");
}

static void test_hard_plans_the_watchdog(void) {
    tsk_tasklet *wd = setup_three(), *n;
    CHECK_OK(tsk_plan_interrupt(&S, wd, &n));
    CHECK_PTR(n, wd);
    CHECK(!tsk_scheduled(&M)); /* the victim left the ring */
    CHECK_RING(wd, &T[0], &T[1]);
}

static void test_hard_refused(void) {
    tsk_tasklet *wd = setup_three(), *n = wd;
    unsigned old;
    M.flags |= TSK_F_ATOMIC;
    CHECK_OK(tsk_plan_interrupt(&S, wd, &n));
    CHECK_PTR(n, NULL);
    M.flags &= (uint16_t)~TSK_F_ATOMIC;
    old = tsk_callback_enter(&S, TSK_CB_CHANNEL); /* a callback runs */
    CHECK(!tsk_interruptible(&S, wd));
    tsk_callback_leave(&S, old);
    tsk_switch_trap(&S, 1);
    CHECK(!tsk_interruptible(&S, wd));
    tsk_switch_trap(&S, -1);
    CHECK(!tsk_interruptible(&S, &M)); /* the watchdog itself */
    CHECK(tsk_interruptible(&S, wd));
    CHECK_RING(&M, &T[0], &T[1]); /* nothing changed */
}

static void test_soft_changes_the_plan(void) {
    tsk_tasklet *wd = setup_three(), *n;
    tsk_preempt_soft(&S, wd);
    CHECK_OK(tsk_plan_schedule(&S, 0, &n));
    CHECK_PTR(n, wd);
    CHECK_RING(&M, &T[0], &T[1], wd); /* wd first; the others stay */
    CHECK_PTR(S.head, wd);
    CHECK_PTR(S.preempt, NULL); /* taken once */
    tsk_plan_abort(&S);
    CHECK_OK(tsk_plan_schedule(&S, 0, &n));
    CHECK_PTR(n, &T[0]);
}

static void test_soft_runs_the_watchdog(void) {
    tsk_tasklet *wd = setup_three();
    tsk_preempt_soft(&S, wd);
    CHECK_OK(tsk_schedule(&S)); /* w, then main again */
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("wab");
}

static void test_soft_on_block(void) {
    tsk_tasklet *wd = setup_three(), *n;
    tsk_preempt_soft(&S, wd);
    CHECK_OK(tsk_plan_channel(&S, &CH, -1, &n, NULL));
    CHECK_PTR(n, wd);
    CHECK_EQ(tsk_blocked(&M), -1); /* main stays in the channel */
}

static void test_soft_waits_or_withdrawn(void) {
    tsk_tasklet *wd = setup_three(), *n;
    tsk_preempt_soft(&S, wd);
    M.flags |= TSK_F_ATOMIC;
    CHECK_OK(tsk_plan_schedule(&S, 0, &n));
    CHECK_PTR(n, &T[0]);      /* atomic: not now */
    CHECK_PTR(S.preempt, wd); /* still due */
    M.flags &= (uint16_t)~TSK_F_ATOMIC;
    tsk_plan_abort(&S);
    tsk_preempt_soft(&S, NULL);
    CHECK_OK(tsk_plan_schedule(&S, 0, &n));
    CHECK_PTR(n, &T[0]);
    CHECK_RING(&M, &T[0], &T[1]);
}

/* a wake thrown from another thread, pending in the running tasklet:
** a hard interrupt's plan returns it, nothing moved; a soft one waits
** until the plan that raises it has run */
static void test_pending_throw_first(void) {
    tsk_tasklet *wd = setup_three(), *n = wd;
    M.pend = TSK_E_THROWN;
    CHECK_EQ(tsk_plan_interrupt(&S, wd, &n), TSK_E_THROWN);
    CHECK_PTR(n, NULL);
    CHECK_EQ(M.pend, 0);
    CHECK_RING(&M, &T[0], &T[1]);
    tsk_preempt_soft(&S, wd);
    M.pend = TSK_E_THROWN;
    CHECK_EQ(tsk_plan_schedule(&S, 0, &n), TSK_E_THROWN);
    CHECK_PTR(S.preempt, wd); /* still due */
    CHECK_OK(tsk_plan_schedule(&S, 0, &n));
    CHECK_PTR(n, wd);
}

static const check_case cases[] = {CHECK_CASE(test_hard_plans_the_watchdog),
                                   CHECK_CASE(test_hard_refused),
                                   CHECK_CASE(test_soft_changes_the_plan),
                                   CHECK_CASE(test_soft_runs_the_watchdog),
                                   CHECK_CASE(test_soft_on_block),
                                   CHECK_CASE(test_soft_waits_or_withdrawn),
                                   CHECK_CASE(test_pending_throw_first),
                                   {NULL, NULL}};

int main(int argc, char **argv) {
    return check_main("test_preempt", cases, argc, argv);
}
