/*
** test_watchdog.c
** Who owns a tasklet that waits in run(): the 'link' hook counts the
** watchdog stack as a queue (Stackless's watchdog list owns its tasklets),
** so a binding that keeps queued tasklets alive keeps a run() caller alive
** too, at every nesting level, through kills and wake-ups (issue 12).
*/
#include "common.h"

/* references a binding would hold: link(1) minus link(0); [8] is main */
static int held[9];

static int slot(const tsk_tasklet *t) { return t == &M ? 8 : (int)(t - T); }

static void count_link(tsk_tasklet *t, int linked) {
    int *h = &held[slot(t)];
    *h += linked ? 1 : -1;
    CHECK(*h == 0 || *h == 1); /* never twice, never below 0 */
}

static void setup_counted(void) {
    tsk_hooks h = check_hooks_base();
    h.link = count_link;
    memset(held, 0, sizeof held);
    CHECK_OK(tsk_sched_init(&S, &M, &h));
    tsk_channel_init(&CH);
}

/* held exactly while queued or inside run() */
static void check_held(const tsk_tasklet *t) {
    int want = tsk_scheduled(t) || (t->flags & TSK_F_WATCHDOG) != 0;
    CHECK_EQ(held[slot(t)], want);
}

static int runner_body(tsk_tasklet *t, void *arg) {
    tsk_result r;
    (void)arg;
    trace('r');
    r = tsk_run(&S);
    CHECK_EQ(held[slot(t)], 1); /* current, back in the ring */
    if (r == TSK_E_KILLED) {
        trace('k');
        return 0;
    }
    CHECK_OK(r);
    trace('R');
    return 0;
}

/* checks from inside the innermost run(): every watchdog is paused and
** still held */
static int inspect_body(tsk_tasklet *t, void *arg) {
    int i, n = (int)(intptr_t)arg;
    (void)t;
    trace('i');
    CHECK(tsk_paused(&M));
    CHECK_EQ(held[8], 1);
    for (i = 0; i < n; i++) {
        CHECK(tsk_paused(&T[i]) && (T[i].flags & TSK_F_WATCHDOG));
        CHECK_EQ(held[i], 1);
    }
    return 0;
}

/* runner i starts runner i+1 (or the inspector) and calls run() */
static int chain_body(tsk_tasklet *t, void *arg) {
    int i = slot(t), n = (int)(intptr_t)arg;
    if (i + 1 < n)
        CHECK_OK(tsk_tasklet_init(&T[i + 1], &S, chain_body, arg, NULL));
    else
        CHECK_OK(tsk_tasklet_init(&T[i + 1], &S, inspect_body, arg, NULL));
    CHECK_OK(tsk_insert(&T[i + 1]));
    CHECK_EQ(held[i + 1], 1);
    trace((char)('0' + i));
    CHECK_OK(tsk_run(&S));
    CHECK_EQ(held[i], 1);
    return 0;
}

/* three nested run()s under main's: each caller is held while inside */
static void test_nested_watchdogs_are_held(void) {
    int i;
    setup_counted();
    CHECK_OK(
        tsk_tasklet_init(&T[0], &S, chain_body, (void *)(intptr_t)3, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("012i");
    for (i = 0; i < 4; i++) {
        CHECK(!tsk_alive(&T[i]));
        check_held(&T[i]);
    }
    CHECK_EQ(held[8], 1);
    CHECK_RING(&M);
}

/* a worker left in run() while main runs on: held until killed */
static void test_killed_watchdog_is_released(void) {
    setup_counted();
    spawn_fn(0, runner_body);
    spawn(1, "x");
    CHECK_OK(tsk_schedule(&S));
    CHECK_TRACE("rx");
    CHECK(tsk_paused(&T[0]));
    CHECK_EQ(held[0], 1);
    CHECK_EQ(tsk_kill(&S, &T[0]), TSK_OK);
    CHECK_TRACE("rxk");
    CHECK(!tsk_alive(&T[0]));
    check_held(&T[0]);
    CHECK(!(T[0].flags & TSK_F_WATCHDOG));
}

/* main.run() from the innermost level unwinds the inner run()s: they go
** back to the ring (still held) and return when they next run */
static void test_woken_main_requeues_watchdogs(void) {
    setup_counted();
    spawn_fn(0, runner_body);
    spawn(1, "a^A");
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("ra");
    CHECK(!(T[0].flags & TSK_F_WATCHDOG));
    CHECK(tsk_scheduled(&T[0]));
    check_held(&T[0]);
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("raAR");
    check_held(&T[0]);
    check_held(&T[1]);
    CHECK_RING(&M);
}

/* the thread's scheduler goes away with a worker inside run(): the
** watchdog stack lets go of it */
static void test_fini_releases_watchdogs(void) {
    setup_counted();
    spawn_fn(0, runner_body);
    CHECK_OK(tsk_schedule(&S));
    CHECK_EQ(held[0], 1);
    tsk_sched_fini(&S);
    CHECK_EQ(held[0], 0);
    CHECK_EQ(held[8], 0);
    CHECK(!(T[0].flags & TSK_F_WATCHDOG));
    CHECK_PTR(S.watchdog, NULL);
}

CHECK_MAIN("test_watchdog", CHECK_CASE(test_nested_watchdogs_are_held),
           CHECK_CASE(test_killed_watchdog_is_released),
           CHECK_CASE(test_woken_main_requeues_watchdogs),
           CHECK_CASE(test_fini_releases_watchdogs))
