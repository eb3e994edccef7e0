/*
** test_remote.c
** Plans that reach another thread's scheduler (Stackless's test_thread.py
** TestRemoteSchedule): where run() puts a tasklet of a thread that waits
** or runs, and the throw rules for tasklets whose thread is gone.  The
** second scheduler is only planned on, never switched to, so one OS
** thread does.
*/
#include "common.h"

static tsk_sched S2;
static tsk_tasklet M2;
static tsk_channel CH2;

static int others_yes(tsk_sched *s) {
    (void)s;
    return 1;
}
static void wait_never(tsk_sched *s) { (void)s; }

static void setup_two(void) {
    tsk_hooks h = check_hooks_base();
    h.others_could_run = others_yes;
    h.wait = wait_never;
    setup();
    CHECK_OK(tsk_sched_init(&S2, &M2, &h));
    tsk_channel_init(&CH2);
    CHECK_OK(tsk_tasklet_init(&T[0], &S2, script, (void *)"a", NULL));
    CHECK_OK(tsk_tasklet_init(&T[1], &S2, script, (void *)"b", NULL));
    CHECK_OK(tsk_tasklet_init(&T[2], &S2, script, (void *)"c", NULL));
}

/* S2's main waits on a channel: two inserts, then a run() from S.  The
** run() one goes first, the inserted ones follow in order (FIFO) */
static void test_run_into_a_waiting_thread_goes_first(void) {
    tsk_tasklet *next;
    setup_two();
    CHECK_EQ(tsk_plan_channel(&S2, &CH2, -1, &next, NULL), TSK_WAIT);
    CHECK_OK(tsk_insert(&T[1]));
    CHECK_OK(tsk_insert(&T[2]));
    CHECK_OK(tsk_plan_run(&S, &T[0], 0, &next));
    CHECK_PTR(next, NULL); /* the caller does not switch */
    CHECK_PTR(S2.head, &T[0]);
    CHECK_PTR(tsk_next(&T[0]), &T[1]);
    CHECK_PTR(tsk_next(&T[1]), &T[2]);
    CHECK_PTR(tsk_next(&T[2]), &T[0]);
    CHECK_EQ(tsk_runcount(&S2), 3);
    CHECK_RING(&M);
}

/* S2 runs (its main is in its ring): run() from S puts the tasklet right
** after S2's current */
static void test_run_into_a_running_thread_goes_next(void) {
    tsk_tasklet *next;
    setup_two();
    CHECK_OK(tsk_insert(&T[1]));
    CHECK_OK(tsk_plan_run(&S, &T[0], 0, &next));
    CHECK_PTR(next, NULL);
    CHECK_PTR(S2.head, &M2);
    CHECK_PTR(tsk_next(&M2), &T[0]);
    CHECK_PTR(tsk_next(&T[0]), &T[1]);
}

/* tasklets of a scheduler that is gone: a throw is refused, a kill drops
** the tasklet; a dead one takes an exit quietly and refuses the rest */
static void test_throw_rules_after_the_thread_ended(void) {
    setup_two();
    CHECK(tsk_is_current(&M2) && tsk_is_current(&M));
    tsk_sched_fini(&S2);
    CHECK_EQ(tsk_throw_check(&T[0], 1, 0), TSK_E_NO_THREAD);
    CHECK_EQ(tsk_throw_check(&T[0], 0, 0), TSK_E_NO_THREAD);
    CHECK(tsk_alive(&T[0]));
    CHECK_EQ(tsk_throw_check(&T[0], 1, 1), TSK_E_DEAD); /* kill */
    CHECK(!tsk_alive(&T[0]) && !tsk_scheduled(&T[0]));
    CHECK_EQ(tsk_throw_check(&T[0], 0, 0), TSK_E_THROW_DEAD);
    CHECK_EQ(tsk_throw_check(&T[0], 1, 0), TSK_E_DEAD);
    CHECK(!tsk_is_current(&M2) && !tsk_is_current(&T[0]));
    CHECK_OK(tsk_tasklet_movable(&T[1]));              /* never started */
    CHECK_EQ(tsk_tasklet_movable(&M), TSK_E_RUNNABLE); /* in its ring */
}

/* The scheduler of a thread that is gone: its main is not current any
** more, and a channel drops its waiters instead of serving them (a send
** would hand its message to a tasklet that never runs). */
static void test_ghosts_leave_their_channel_unserved(void) {
    tsk_tasklet *next, *partner;
    setup_two();
    CHECK_EQ(tsk_plan_channel(&S2, &CH2, -1, &next, NULL), TSK_WAIT);
    CHECK(tsk_is_current(&M2) && tsk_blocked(&M2));
    tsk_sched_fini(&S2);
    CHECK(!tsk_is_current(&M2) && tsk_blocked(&M2));
    M.tempval = (void *)"lost?";
    CHECK_EQ(tsk_plan_channel(&S, &CH2, 1, &next, &partner), TSK_E_DEADLOCK);
    CHECK_PTR(partner, NULL);
    CHECK(!tsk_blocked(&M2) && !tsk_scheduled(&M2) && M2.tempval == NULL);
    CHECK(CH2.balance == 0 && CH2.head == NULL);
    CHECK(!tsk_is_current(&T[0]));
}

/* A kill or throw of the tasklet that runs in the other thread: a wake
** set in it now would be overwritten by its next switch.  It waits there
** and the next plan S2 makes returns it, with nothing changed. */
static void test_throw_to_a_running_tasklet_waits_for_its_next_plan(void) {
    tsk_tasklet *next;
    setup_two();
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_EQ(tsk_plan_throw(&S, &M2, TSK_E_KILLED, 0, &next), TSK_PENDING);
    CHECK_PTR(next, NULL);
    CHECK(tsk_is_current(&M2) && tsk_take_wake(&M2) == 0);
    CHECK_EQ(tsk_plan_schedule(&S2, 0, &next), TSK_E_KILLED);
    CHECK_PTR(S2.head, &M2); /* nothing changed */
    CHECK_EQ(tsk_runcount(&S2), 2);
    CHECK_OK(tsk_plan_schedule(&S2, 0, &next)); /* delivered once */
    CHECK_PTR(next, &T[0]);
}

/* every plan of the running tasklet is a switch point */
static void test_every_plan_delivers_a_pending_throw(void) {
    tsk_tasklet *next;
    setup_two();
    CHECK_EQ(tsk_plan_throw(&S, &M2, TSK_E_THROWN, 1, &next), TSK_PENDING);
    CHECK_EQ(tsk_plan_channel(&S2, &CH2, -1, &next, NULL), TSK_E_THROWN);
    CHECK(!tsk_blocked(&M2) && CH2.balance == 0);
    CHECK_EQ(tsk_plan_throw(&S, &M2, TSK_E_THROWN, 0, &next), TSK_PENDING);
    CHECK_EQ(tsk_plan_run(&S2, &T[0], 0, &next), TSK_E_THROWN);
    CHECK(!tsk_scheduled(&T[0]));
    CHECK_EQ(tsk_plan_throw(&S, &M2, TSK_E_THROWN, 0, &next), TSK_PENDING);
    CHECK_EQ(tsk_plan_watchdog(&S2, &next), TSK_E_THROWN);
    CHECK(S2.watchdog == NULL && tsk_is_current(&M2));
}

/* A tasklet that is not running there is resumed with the wake, which
** replaces one still pending */
static void test_throw_to_a_waiting_thread_resumes_its_tasklet(void) {
    tsk_tasklet *next;
    setup_two();
    CHECK_EQ(tsk_plan_throw(&S, &M2, TSK_E_THROWN, 0, &next), TSK_PENDING);
    CHECK_EQ(tsk_plan_channel(&S2, &CH2, -1, &next, NULL), TSK_E_THROWN);
    CHECK_EQ(tsk_plan_channel(&S2, &CH2, -1, &next, NULL), TSK_WAIT);
    CHECK_OK(tsk_plan_throw(&S, &M2, TSK_E_KILLED, 0, &next));
    CHECK_PTR(next, NULL);
    CHECK(!tsk_blocked(&M2) && CH2.balance == 0);
    CHECK_OK(tsk_plan_resume(&S2, &next));
    CHECK_EQ(tsk_take_wake(&M2), TSK_E_KILLED);
}

CHECK_MAIN("test_remote",
           CHECK_CASE(test_throw_to_a_running_tasklet_waits_for_its_next_plan),
           CHECK_CASE(test_every_plan_delivers_a_pending_throw),
           CHECK_CASE(test_throw_to_a_waiting_thread_resumes_its_tasklet),
           CHECK_CASE(test_ghosts_leave_their_channel_unserved),
           CHECK_CASE(test_run_into_a_waiting_thread_goes_first),
           CHECK_CASE(test_run_into_a_running_thread_goes_next),
           CHECK_CASE(test_throw_rules_after_the_thread_ended))
