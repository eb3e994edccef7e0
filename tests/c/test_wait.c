/*
** test_wait.c
** Tasklets blocked in a poller (core/wait.c), with a fake poller: the
** core's side of I/O waits, without io/ (so it runs on every board).
*/
#include "common.h"

static int objs[4];      /* what tasklets wait on */
static int cancelled[4]; /* cancel calls per obj */
static int waits, wakes; /* calls of the poller's wait and wake */
static tsk_tasklet *due; /* the tasklet the next 'wait' makes runnable */

static void fake_wait(tsk_sched *s) {
    (void)s;
    waits++;
    if (due != NULL)
        CHECK_OK(tsk_wait_done(due, 7));
    due = NULL;
}
static void fake_wake(tsk_sched *s) {
    (void)s;
    wakes++;
}
static void fake_cancel(tsk_sched *s, tsk_tasklet *t, void *obj) {
    (void)s;
    (void)t;
    cancelled[(int *)obj - objs]++;
}
static int polls;
static void fake_poll(tsk_sched *s) {
    (void)s;
    polls++;
    if (due != NULL && polls == 3)
        CHECK_OK(tsk_wait_done(due, 7));
}
static const tsk_poller fake = {fake_wait, fake_wake, fake_cancel, fake_poll};

/* Block the current tasklet on objs[i] and carry the plan out. */
static tsk_result wait_on(int i) {
    tsk_tasklet *next;
    tsk_result r = tsk_plan_wait(&S, &objs[i], &next);
    while (r == TSK_WAIT) {
        tsk_idle(&S);
        r = tsk_plan_resume(&S, &next);
    }
    if (r != TSK_OK)
        return r;
    CHECK_OK(tsk_switch(&S, next));
    return (tsk_result)tsk_take_wake(tsk_current(&S));
}

static int waiter(tsk_tasklet *t, void *arg) {
    tsk_result r;
    (void)t;
    trace('w');
    r = wait_on((int)(intptr_t)arg);
    trace(r == 7 ? 'D' : r == TSK_E_KILLED ? 'k' : '?');
    return 0;
}

static void setup_poller(void) {
    setup();
    trace_len = 0;
    waits = wakes = polls = 0;
    memset(cancelled, 0, sizeof cancelled);
    CHECK_OK(tsk_set_poller(&S, &fake, NULL));
}

static void test_wait_needs_a_poller(void) {
    tsk_tasklet *next;
    setup();
    CHECK_EQ(tsk_plan_wait(&S, &objs[0], &next), TSK_E_INVALID);
    CHECK_OK(tsk_set_poller(&S, &fake, &objs[3]));
    CHECK_PTR(tsk_poller_data(&S), &objs[3]);
    tsk_current(&S)->flags |= TSK_F_BLOCK_TRAP;
    CHECK_EQ(tsk_plan_wait(&S, &objs[0], &next), TSK_E_BLOCK_TRAP);
    CHECK_EQ(tsk_nwaiting(&S), 0);
    CHECK_RING(&M);
}

/* run() lasts while a tasklet waits in the poller: the thread waits there
** instead of returning to main; the wait's result is the tasklet's. */
static void test_run_waits_for_waiters(void) {
    setup_poller();
    CHECK_OK(tsk_tasklet_init(&T[0], &S, waiter, (void *)0, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    due = &T[0];
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("wD");
    CHECK_EQ(waits, 1);
    CHECK_EQ(tsk_nwaiting(&S), 0);
    CHECK(!tsk_alive(&T[0]));
}

/* Blocked like a channel receiver: refused by insert/remove/run, and a
** kill cancels the wait through the poller, once. */
static void test_kill_cancels_the_wait(void) {
    tsk_tasklet *next;
    setup_poller();
    CHECK_OK(tsk_tasklet_init(&T[0], &S, waiter, (void *)(intptr_t)2, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_schedule(&S));
    CHECK_EQ(tsk_blocked(&T[0]), -1);
    CHECK(tsk_scheduled(&T[0]));
    CHECK_EQ(tsk_nwaiting(&S), 1);
    CHECK_EQ(tsk_insert(&T[0]), TSK_E_BLOCKED);
    CHECK_EQ(tsk_remove(&T[0]), TSK_E_REMOVE_BLOCKED);
    CHECK_EQ(tsk_plan_run(&S, &T[0], 0, &next), TSK_E_BLOCKED);
    CHECK_EQ(tsk_set_poller(&S, NULL, NULL), TSK_E_BLOCKED);
    CHECK_EQ(tsk_wait_done(&M, 0), TSK_E_INVALID);
    CHECK_OK(tsk_kill(&S, &T[0]));
    CHECK_TRACE("wk");
    CHECK_EQ(cancelled[2], 1);
    CHECK_EQ(tsk_nwaiting(&S), 0);
    CHECK_RING(&M);
}

/* tsk_unblock takes a waiter out too: TSK_E_UNBLOCKED when it resumes. */
static void test_unblock(void) {
    setup_poller();
    CHECK_OK(tsk_tasklet_init(&T[0], &S, waiter, (void *)(intptr_t)1, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_schedule(&S));
    CHECK_OK(tsk_unblock(&T[0]));
    CHECK_EQ(cancelled[1], 1);
    CHECK(tsk_paused(&T[0]));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_schedule(&S));
    CHECK_TRACE("w?");
    CHECK(!tsk_alive(&T[0]));
}

/* Main waits on a channel and the only other tasklet in the poller: no
** deadlock until that one ended without sending. */
static void test_deadlock_counts_waiters(void) {
    void *v;
    setup_poller();
    CHECK_OK(tsk_tasklet_init(&T[0], &S, waiter, (void *)0, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    due = &T[0];
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_NO_SENDER);
    CHECK_TRACE("wD");
    CHECK_EQ(waits, 1);
    /* and an insert from "another thread" pokes the poller */
    S.waiting = 1;
    CHECK_OK(tsk_tasklet_init(&T[1], &S, waiter, (void *)0, NULL));
    CHECK_OK(tsk_insert(&T[1]));
    S.waiting = 0;
    CHECK_EQ(wakes, 1);
    CHECK_OK(tsk_remove(&T[1]));
}

/* schedule() by a tasklet that stays runnable asks the poller (without
** blocking) while tasklets wait there; not otherwise. */
static void test_schedule_polls(void) {
    setup_poller();
    CHECK_OK(tsk_schedule(&S));
    CHECK_EQ(polls, 0);
    CHECK_OK(tsk_tasklet_init(&T[0], &S, waiter, (void *)0, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    due = &T[0];
    CHECK_OK(tsk_schedule(&S)); /* T0 runs and waits */
    while (tsk_alive(&T[0]))
        CHECK_OK(tsk_schedule(&S));
    CHECK_EQ(polls, 3);
    CHECK_EQ(waits, 0);
    CHECK_TRACE("wD");
}

CHECK_MAIN("test_wait", CHECK_CASE(test_wait_needs_a_poller),
           CHECK_CASE(test_run_waits_for_waiters),
           CHECK_CASE(test_kill_cancels_the_wait), CHECK_CASE(test_unblock),
           CHECK_CASE(test_deadlock_counts_waiters),
           CHECK_CASE(test_schedule_polls))
