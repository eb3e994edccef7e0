/*
** test_sched.c
** The run queue: topology, round robin, insert/remove, run/switch,
** schedule_remove, watchdogs (run() nesting), kill, failing bodies,
** switch_trap and misuse.  Section numbers refer to
** docs/stackless_api.md.
*/
#include "common.h"

/* --- §8.1: the initial topology --- */
static void test_initial_topology(void) {
    int i;
    setup();
    CHECK_PTR(tsk_current(&S), &M);
    CHECK_PTR(tsk_main(&S), &M);
    CHECK_EQ(tsk_runcount(&S), 1);
    CHECK_PTR(tsk_next(&M), &M);
    CHECK_PTR(tsk_prev(&M), &M);
    CHECK(tsk_alive(&M) && tsk_started(&M) && tsk_scheduled(&M));
    CHECK(!tsk_paused(&M));
    CHECK_EQ(tsk_blocked(&M), 0);
    for (i = 0; i < 4; i++) {
        prepare(i, "a");
        CHECK_EQ(tsk_runcount(&S), 1 + i); /* init alone queues nothing */
        CHECK(tsk_paused(&T[i]) && !tsk_started(&T[i]));
        CHECK_OK(tsk_insert(&T[i]));
        CHECK_EQ(tsk_runcount(&S), 2 + i);
    }
    /* the first new tasklet is main.next, the newest main.prev */
    CHECK_RING(&M, &T[0], &T[1], &T[2], &T[3]);
    CHECK_PTR(tsk_current(&S), &M);
}

/* --- §5.1: strict round robin in insertion order --- */
static void test_round_robin(void) {
    char plain[sizeof trace_buf];
    size_t i, n = 0;
    setup();
    spawn(0, "A.A.A.A.A.");
    spawn(1, "B.B.B.B.B.B.B.B.B.");
    spawn(2, "C.C.C.C.C.C.C.");
    CHECK_RING(&M, &T[0], &T[1], &T[2]);
    while (tsk_runcount(&S) > 1) { /* main yields too, traced as '.' */
        trace('.');
        CHECK_OK(tsk_schedule(&S));
    }
    CHECK_TRACE(".ABC.ABC.ABC.ABC.ABC.BC.BC.B.B.");
    for (i = 0; i < trace_len; i++)
        if (trace_buf[i] != '.')
            plain[n++] = trace_buf[i];
    plain[n] = 0;
    CHECK(strcmp(plain, "ABCABCABCABCABCBCBCBB") == 0); /* as in syncless */
}

/* --- §2.2, §8.4, §8.19: insert/remove bookkeeping and errors --- */
static void test_insert_remove(void) {
    setup();
    prepare(0, "a");
    CHECK(!tsk_scheduled(&T[0]));
    CHECK_PTR(tsk_next(&T[0]), NULL);
    CHECK_OK(tsk_insert(&T[0]));
    CHECK(tsk_scheduled(&T[0]) && !tsk_paused(&T[0]));
    CHECK_RING(&M, &T[0]);
    CHECK_OK(tsk_insert(&T[0])); /* already queued: no-op */
    CHECK_OK(tsk_insert(&M));    /* current.insert(): no-op */
    CHECK_RING(&M, &T[0]);
    CHECK_OK(tsk_remove(&T[0]));
    CHECK(tsk_paused(&T[0]));
    CHECK_RING(&M);
    CHECK_OK(tsk_remove(&T[0])); /* not queued: no-op */
    CHECK_EQ(tsk_remove(&M), TSK_E_REMOVE_CURRENT);
    CHECK_RING(&M);

    /* dead: cannot be inserted; removing it is a no-op */
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("a");
    CHECK(!tsk_alive(&T[0]));
    CHECK_EQ(tsk_insert(&T[0]), TSK_E_DEAD);
    CHECK_OK(tsk_remove(&T[0]));
    CHECK_RING(&M);

    /* blocked: neither insert nor remove; tsk_unblock pauses it */
    CHECK_OK(tsk_tasklet_run(&S, prepare(1, "<")));
    CHECK_EQ(tsk_blocked(&T[1]), -1);
    CHECK_EQ(CH.balance, -1);
    CHECK_EQ(tsk_insert(&T[1]), TSK_E_BLOCKED);
    CHECK_EQ(tsk_remove(&T[1]), TSK_E_REMOVE_BLOCKED);
    CHECK_RING(&M);
    CHECK_OK(tsk_unblock(&T[1]));
    CHECK_EQ(CH.balance, 0);
    CHECK(tsk_paused(&T[1]) && tsk_blocked(&T[1]) == 0);
    CHECK_OK(tsk_insert(&T[1]));
    CHECK_RING(&M, &T[1]);
}

/* --- §2.2, §8.5: run() of a paused tasklet: it runs, then the caller --- */
static void test_run_paused(void) {
    setup();
    spawn(0, "a");
    spawn(1, "b");
    CHECK_OK(tsk_tasklet_run(&S, prepare(2, "x")));
    CHECK_TRACE("x");             /* the queued ones did not run */
    CHECK_RING(&M, &T[0], &T[1]); /* runcount is back to what it was */
    /* one that yields lands just before the caller, so control is back */
    CHECK_OK(tsk_tasklet_run(&S, prepare(3, "y.Y")));
    CHECK_TRACE("xy");
    CHECK_RING(&M, &T[0], &T[1], &T[3]);
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("xyabY");
    CHECK_RING(&M);
}

/* --- §2.2, §8.6: run() of a tasklet deeper in the queue: the ones after
** it run before the caller gets control back --- */
static void test_run_deeper(void) {
    setup();
    spawn(0, "a");
    spawn(1, "b");
    spawn(2, "c");
    spawn(3, "d");
    CHECK_OK(tsk_tasklet_run(&S, &T[2]));
    CHECK_TRACE("cd");
    CHECK_RING(&M, &T[0], &T[1]);
    CHECK_OK(tsk_schedule(&S));
    CHECK_TRACE("cdab");
    CHECK_RING(&M);
    CHECK_OK(tsk_tasklet_run(&S, &M)); /* current.run(): no-op */
}

/* --- §2.2: switch(): like run(), but the caller is paused --- */
static int switch_back_body(tsk_tasklet *t, void *arg) {
    (void)arg;
    trace('s');
    CHECK(tsk_paused(&M));
    CHECK_RING(t);
    CHECK_OK(tsk_schedule(&S)); /* alone: carries on */
    trace('t');
    CHECK_OK(tsk_tasklet_switch(&S, &M));
    trace('u');
    return 0;
}
static void test_switch_pauses_caller(void) {
    setup();
    CHECK_OK(tsk_tasklet_switch(&S, &M)); /* to itself: no-op */
    CHECK_RING(&M);
    CHECK_OK(tsk_tasklet_init(&T[0], &S, switch_back_body, NULL, NULL));
    CHECK_OK(tsk_tasklet_switch(&S, &T[0]));
    CHECK_TRACE("st");
    CHECK(tsk_paused(&T[0]));
    CHECK_RING(&M);
    /* the last tasklet ends while main is paused: main is revived */
    CHECK_OK(tsk_tasklet_switch(&S, &T[0]));
    CHECK_TRACE("stu");
    CHECK(!tsk_alive(&T[0]));
    CHECK_RING(&M);
}

/* --- §5.2, §8.7: a worker calling schedule_remove drops out --- */
static void test_schedule_remove_worker(void) {
    setup();
    spawn(0, "1.2.3");
    spawn(1, "b-B");
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("1b23");
    CHECK(tsk_paused(&T[1]));
    CHECK_RING(&M);
    CHECK_OK(tsk_tasklet_run(&S, &T[1]));
    CHECK_TRACE("1b23B");
}

/* §5.2: a lone tasklet under run() calling schedule_remove ends run() */
static void test_schedule_remove_ends_run(void) {
    setup();
    spawn(0, "a-A");
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("a");
    CHECK(tsk_paused(&T[0]));
    CHECK_RING(&M);
}

/* main alone: schedule_remove gives control straight back */
static void test_schedule_remove_main_alone(void) {
    setup();
    CHECK_OK(tsk_schedule_remove(&S));
    CHECK_PTR(tsk_current(&S), &M);
    CHECK_RING(&M);
    CHECK_OK(tsk_schedule(&S));
    CHECK_RING(&M);
}

/* §5.2, §8.20: every tasklet removes itself, then main: main comes back */
static void test_schedule_remove_all(void) {
    setup();
    spawn(0, "a-A");
    spawn(1, "b-B");
    CHECK_OK(tsk_schedule_remove(&S));
    CHECK_TRACE("ab");
    CHECK(tsk_paused(&T[0]) && tsk_paused(&T[1]));
    CHECK_RING(&M);
    CHECK_OK(tsk_tasklet_run(&S, &T[0]));
    CHECK_OK(tsk_tasklet_run(&S, &T[1]));
    CHECK_TRACE("abAB");
}

/* §5.2: main blocked, the only tasklet's schedule_remove is a deadlock
** (it stays runnable and can still feed main) */
static void test_schedule_remove_deadlock(void) {
    setup();
    spawn(0, "a-A>x");
    CHECK_OK(receive_trace());
    CHECK_TRACE("a#Ax");
    CHECK_EQ(script_err, TSK_E_DEADLOCK);
    CHECK_EQ(CH.balance, 0);
    CHECK_RING(&M, &T[0]); /* the sender is still queued */
    CHECK_OK(tsk_schedule(&S));
    CHECK(!tsk_alive(&T[0]));
}

/* --- §5.3: watchdogs --- */

/* run() with nothing else runnable returns at once */
static void test_run_alone(void) {
    setup();
    CHECK_OK(tsk_run(&S));
    CHECK_RING(&M);
    CHECK_OK(tsk_tasklet_run(&S, prepare(0, "a")));
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("a");
}

static int worker_run_body(tsk_tasklet *t, void *arg) {
    (void)t;
    (void)arg;
    trace('w');
    CHECK_OK(tsk_run(&S));
    trace('W');
    return 0;
}

/* run() called from a worker while main runs normally: main is no
** watchdog, the worker's run() returns once the queue empties while the
** worker is the innermost watchdog (test_watchdog TestNewWatchdog) */
static void test_run_from_worker(void) {
    setup();
    spawn_fn(0, worker_run_body);
    spawn(1, "x");
    CHECK_OK(tsk_schedule(&S));
    trace('m');
    CHECK_TRACE("wxm");
    CHECK(tsk_paused(&T[0])); /* inside run(), out of the queue */
    CHECK_RING(&M);
    CHECK_OK(tsk_schedule(&S)); /* main alone: nothing happens */
    CHECK_TRACE("wxm");
    CHECK_OK(tsk_schedule_remove(&S)); /* queue empty: worker's run ends */
    CHECK_TRACE("wxmW");
    CHECK(!tsk_alive(&T[0]));
    CHECK_RING(&M);
}

static int inner_run_body(tsk_tasklet *t, void *arg) {
    (void)t;
    (void)arg;
    trace('a');
    CHECK_OK(tsk_run(&S));
    CHECK(tsk_paused(&M)); /* the outer run() is still on */
    trace('A');
    return 0;
}
static int check_paused_body(tsk_tasklet *t, void *arg) {
    (void)t;
    (void)arg;
    trace('c');
    CHECK(tsk_paused(&M) && tsk_paused(&T[0])); /* both watchdogs */
    CHECK_RING(&T[2], &T[1]);
    CHECK_OK(tsk_schedule(&S));
    trace('C');
    return 0;
}

/* nested run(): the inner one completes first */
static void test_nested_run(void) {
    setup();
    spawn_fn(0, inner_run_body);
    spawn(1, "b.B");
    spawn_fn(2, check_paused_body);
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("abcBCA");
    CHECK_RING(&M);
}

/* waking main by hand (main.run() from a worker) unwinds inner run()s:
** they return at once when they next get control */
static void test_wake_main_unwinds(void) {
    setup();
    spawn_fn(0, worker_run_body);
    spawn(1, "b^B");
    CHECK_OK(tsk_run(&S)); /* main: outer, worker: inner */
    trace('m');
    CHECK_TRACE("wbm");
    /* main was put before b; the worker popped from inside run() went to
    ** the end */
    CHECK_RING(&M, &T[1], &T[0]);
    CHECK_OK(tsk_schedule(&S));
    CHECK_TRACE("wbmBW"); /* the inner run() just returned */
    CHECK_RING(&M);
}

/* --- §2.2, §4, §8: kill --- */

/* a new tasklet that is not queued dies without running anything (§8.17) */
static void test_kill_unstarted_paused(void) {
    setup();
    spawn(0, "a");
    prepare(1, "x");
    CHECK_OK(tsk_kill(&S, &T[1]));
    CHECK(!tsk_alive(&T[1]));
    CHECK_TRACE(""); /* nor did the queued one run */
    CHECK_RING(&M, &T[0]);
    CHECK_OK(tsk_kill(&S, &T[1])); /* dead: no-op */
    CHECK_EQ(tsk_insert(&T[1]), TSK_E_DEAD);
}

/* a new tasklet at the head of the queue: its body never runs, and the
** next queued tasklet still runs before kill returns (§8.14) */
static void test_kill_unstarted_queued(void) {
    setup();
    spawn(0, "x");
    spawn(1, "a");
    CHECK_OK(tsk_kill(&S, &T[0]));
    CHECK(!tsk_alive(&T[0]));
    CHECK_TRACE("a");
    CHECK_RING(&M);
}

/* a runnable tasklet is switched to where it is: the ones after it run
** before kill returns (§8.8) */
static void test_kill_runnable(void) {
    setup();
    spawn(0, "a.A");
    spawn(1, "b.B");
    spawn(2, "c.C");
    CHECK_OK(tsk_schedule(&S));
    CHECK_TRACE("abc");
    CHECK_OK(tsk_kill(&S, &T[1]));
    CHECK_TRACE("abckC");
    CHECK(!tsk_alive(&T[1]));
    CHECK_RING(&M, &T[0]);
    CHECK_OK(tsk_schedule(&S));
    CHECK_TRACE("abckCA");
}

/* a paused tasklet is put before the caller: killing it twice is fine */
static void test_kill_paused(void) {
    setup();
    spawn(0, "a-A");
    spawn(1, "b.B");
    CHECK_OK(tsk_schedule(&S));
    CHECK_TRACE("ab");
    CHECK(tsk_paused(&T[0]));
    CHECK_OK(tsk_kill(&S, &T[0]));
    CHECK_TRACE("abk"); /* b, queued after main, waits */
    CHECK_OK(tsk_kill(&S, &T[0]));
    CHECK_RING(&M, &T[1]);
}

/* a blocked tasklet is unblocked (balance fixed) and its receive returns
** TSK_E_KILLED (§8.10: one at a time) */
static int killed_receiver_body(tsk_tasklet *t, void *arg) {
    void *v = &v;
    (void)t;
    (void)arg;
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_KILLED);
    CHECK_PTR(v, NULL);
    CHECK_EQ(tsk_blocked(t), 0);
    trace('k');
    return 0;
}
static void test_kill_blocked(void) {
    int i;
    setup();
    for (i = 0; i < 3; i++)
        spawn_fn(i, killed_receiver_body);
    CHECK_OK(tsk_schedule(&S));
    CHECK_EQ(CH.balance, -3);
    CHECK_RING(&M);
    for (i = 0; i < 3; i++) {
        CHECK_OK(tsk_kill(&S, &T[i]));
        CHECK_EQ(CH.balance, -2 + i);
        CHECK(!tsk_alive(&T[i]));
        CHECK_RING(&M);
    }
    CHECK_TRACE("kkk");
    CHECK_PTR(CH.head, NULL);
}

/* a killed tasklet may refuse to die: kill returns once it switches away,
** and it is still alive */
static int refuse_body(tsk_tasklet *t, void *arg) {
    (void)t;
    (void)arg;
    CHECK_EQ(tsk_schedule(&S), TSK_E_KILLED);
    trace('r');
    CHECK_OK(tsk_schedule(&S));
    trace('R');
    return 0;
}
static void test_kill_refused(void) {
    setup();
    spawn_fn(0, refuse_body);
    spawn(1, "b.B");
    CHECK_OK(tsk_schedule(&S));
    CHECK_OK(tsk_kill(&S, &T[0])); /* switched to in place */
    CHECK_TRACE("brB");
    CHECK(tsk_alive(&T[0]));
    CHECK_RING(&M, &T[0]);
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("brBR");
}

/* §2.2 throw(pending=True): the target is unblocked and put at the end,
** the caller goes on; the target sees the wake code when it next runs */
static void test_throw_pending(void) {
    tsk_tasklet *next = &M;
    setup();
    CHECK_OK(tsk_tasklet_run(&S, prepare(0, "<a"))); /* blocks */
    CHECK_EQ(CH.balance, -1);
    spawn(1, "b");
    CHECK_OK(tsk_plan_throw(&S, &T[0], TSK_E_THROWN, 1, &next));
    CHECK_PTR(next, NULL);
    CHECK_EQ(CH.balance, 0);
    CHECK_RING(&M, &T[1], &T[0]);
    CHECK_TRACE("");
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("b#a");
    CHECK_EQ(script_err, TSK_E_THROWN);
    CHECK_EQ(tsk_plan_throw(&S, &T[0], TSK_E_THROWN, 1, &next), TSK_E_DEAD);
    CHECK_OK(tsk_plan_throw(&S, &M, TSK_E_THROWN, 0, &next)); /* current */
    CHECK_PTR(next, NULL);
    CHECK_EQ(tsk_take_wake(&M), TSK_E_THROWN);
}

/* dead tasklets: kill is a no-op; killing the current one is reported */
static void test_kill_dead_and_current(void) {
    setup();
    spawn(0, "a");
    CHECK_OK(tsk_run(&S));
    CHECK_OK(tsk_kill(&S, &T[0]));
    CHECK_TRACE("a");
    CHECK_OK(tsk_kill(&S, &T[7])); /* never initialised */
    CHECK_EQ(tsk_kill(&S, &M), TSK_E_KILLED);
    CHECK_RING(&M);
}

/* --- §4: a failing body sends control to the innermost watchdog or main,
** which sees TSK_E_FAILED; the rest of the queue is left as it is --- */
static void test_fail_in_run(void) {
    setup();
    spawn(0, "a.!");
    spawn(1, "b.B");
    spawn(2, "c.C");
    CHECK_EQ(tsk_run(&S), TSK_E_FAILED);
    CHECK_TRACE("abc");
    CHECK_RING(&M, &T[1], &T[2]);
    CHECK_OK(tsk_run(&S)); /* run() can be called again */
    CHECK_TRACE("abcBC");
}

static void test_fail_in_schedule(void) {
    setup();
    spawn(0, "!");
    spawn(1, "b");
    CHECK_EQ(tsk_schedule(&S), TSK_E_FAILED); /* b was skipped */
    CHECK_TRACE("");
    CHECK_RING(&M, &T[1]);
}

/* §8.21 */
static void test_fail_in_schedule_remove(void) {
    setup();
    spawn(0, "a!");
    spawn(1, "b");
    CHECK_EQ(tsk_schedule_remove(&S), TSK_E_FAILED);
    CHECK_TRACE("a");
    CHECK_RING(&M, &T[1]);
}

static void test_fail_main_blocked(void) {
    void *v = &v;
    setup();
    spawn(0, "a!");
    spawn(1, "b");
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_FAILED);
    CHECK_PTR(v, NULL);
    CHECK_EQ(CH.balance, 0);
    CHECK_EQ(tsk_blocked(&M), 0);
    CHECK_TRACE("a");
    CHECK_RING(&M, &T[1]);
}

static int failed_run_body(tsk_tasklet *t, void *arg) {
    (void)t;
    (void)arg;
    trace('w');
    CHECK_EQ(tsk_run(&S), TSK_E_FAILED);
    trace('W');
    return 0;
}
static void test_fail_to_inner_watchdog(void) {
    setup();
    spawn_fn(0, failed_run_body);
    spawn(1, "x!");
    CHECK_OK(tsk_run(&S)); /* main's run() sees no error */
    CHECK_TRACE("wxW");
    CHECK_RING(&M);
}

/* --- switch_trap: every real switch fails, switching to self is fine --- */
static void test_switch_trap(void) {
    void *v = NULL;
    setup();
    CHECK_EQ(tsk_switch_trap(&S, 1), 0);
    CHECK_OK(tsk_schedule(&S));        /* alone: no switch */
    CHECK_OK(tsk_schedule_remove(&S)); /* alone: main comes straight back */
    CHECK_OK(tsk_run(&S));
    CHECK_EQ(tsk_switch_trap(&S, -1), 1);
    spawn(0, "a.A");
    spawn(1, "b>v");
    CHECK_OK(tsk_schedule(&S)); /* b now waits to send */
    CHECK_TRACE("ab");
    CHECK_EQ(tsk_switch_trap(&S, 1), 0);
    CHECK_EQ(tsk_schedule(&S), TSK_E_SWITCH_TRAP);
    CHECK_EQ(tsk_schedule_remove(&S), TSK_E_SWITCH_TRAP);
    CHECK_EQ(tsk_run(&S), TSK_E_SWITCH_TRAP);
    CHECK_EQ(tsk_tasklet_run(&S, &T[0]), TSK_E_SWITCH_TRAP);
    CHECK_EQ(tsk_tasklet_switch(&S, &T[0]), TSK_E_SWITCH_TRAP);
    CHECK_EQ(tsk_kill(&S, &T[0]), TSK_E_SWITCH_TRAP);
    CHECK_EQ(tsk_kill(&S, &T[1]), TSK_E_SWITCH_TRAP);
    CHECK_EQ(tsk_send(&S, &CH, NULL), TSK_E_SWITCH_TRAP); /* would block */
    CHECK_OK(tsk_tasklet_run(&S, &M));                    /* to self */
    CHECK_OK(tsk_tasklet_switch(&S, &M));
    /* a hand-off where the caller continues needs no switch */
    tsk_channel_set_preference(&CH, 0);
    CHECK_OK(tsk_receive(&S, &CH, &v));
    CHECK_PTR(v, (void *)(intptr_t)'v');
    /* nothing changed on the way */
    CHECK_TRACE("ab");
    CHECK_PTR(tsk_current(&S), &M);
    CHECK_RING(&M, &T[0], &T[1]);
    CHECK_EQ(CH.balance, 0);
    CHECK(tsk_alive(&T[0]) && tsk_alive(&T[1]));
    CHECK_EQ(tsk_switch_trap(&S, -1), 1);
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("abA");
}

/* --- misuse returns errors and never crashes --- */
static void test_misuse(void) {
    setup();
    /* a never-initialised (zeroed) tasklet counts as dead */
    CHECK_EQ(tsk_tasklet_run(&S, &T[7]), TSK_E_DEAD);
    CHECK_EQ(tsk_tasklet_switch(&S, &T[7]), TSK_E_DEAD);
    CHECK_EQ(tsk_insert(&T[7]), TSK_E_DEAD);
    /* a dead one */
    spawn(0, "a");
    CHECK_OK(tsk_run(&S));
    CHECK_EQ(tsk_tasklet_run(&S, &T[0]), TSK_E_DEAD);
    CHECK_EQ(tsk_tasklet_switch(&S, &T[0]), TSK_E_DEAD);
    CHECK_EQ(tsk_insert(&T[0]), TSK_E_DEAD);
    /* a blocked one */
    CHECK_OK(tsk_tasklet_run(&S, prepare(1, "<")));
    CHECK_EQ(tsk_tasklet_run(&S, &T[1]), TSK_E_BLOCKED);
    CHECK_EQ(tsk_tasklet_switch(&S, &T[1]), TSK_E_SWITCH_BLOCKED);
    CHECK_EQ(tsk_insert(&T[1]), TSK_E_BLOCKED);
    CHECK_EQ(tsk_remove(&T[1]), TSK_E_REMOVE_BLOCKED);
    CHECK_EQ(tsk_tasklet_release(&T[1]), TSK_E_ALIVE);
    /* re-initialising a live tasklet: paused, queued, blocked, main */
    prepare(2, "c");
    CHECK_EQ(tsk_tasklet_init(&T[2], &S, script, (void *)"x", NULL),
             TSK_E_ALIVE);
    spawn(3, "d");
    CHECK_EQ(tsk_tasklet_init(&T[3], &S, script, (void *)"x", NULL),
             TSK_E_ALIVE);
    CHECK_EQ(tsk_tasklet_init(&T[1], &S, script, (void *)"x", NULL),
             TSK_E_ALIVE);
    CHECK_EQ(tsk_tasklet_init(&M, &S, script, (void *)"x", NULL), TSK_E_ALIVE);
    /* no body: a plan-only binding's; the core's switch will not start it */
    CHECK_OK(tsk_tasklet_init(&T[4], &S, NULL, NULL, NULL));
    CHECK_EQ(tsk_tasklet_run(&S, &T[4]), TSK_E_INVALID);
    CHECK_OK(tsk_remove(&T[4]));
    CHECK_EQ(tsk_tasklet_release(&M), TSK_E_ALIVE);
    CHECK_EQ(tsk_tasklet_release(&T[3]), TSK_E_ALIVE);
    /* nothing moved */
    CHECK_TRACE("a");
    CHECK_RING(&M, &T[3]);
    CHECK_EQ(CH.balance, -1);
    /* a dead tasklet may be initialised again and runs its new body */
    CHECK_OK(tsk_tasklet_init(&T[0], &S, script, (void *)"z", NULL));
    CHECK_OK(tsk_tasklet_run(&S, &T[0]));
    CHECK_TRACE("az");
}

/* every result has a text */
static void test_strerror(void) {
    int r;
    for (r = TSK_E_NOT_ALIVE; r <= TSK_WAIT; r++)
        CHECK(strcmp(tsk_strerror((tsk_result)r), "unknown result") != 0);
    CHECK(strcmp(tsk_strerror((tsk_result)42), "unknown result") == 0);
    CHECK(strcmp(tsk_strerror(TSK_E_DEADLOCK),
                 "Deadlock: the last runnable tasklet cannot be blocked.") ==
          0);
}

/* tsk_tasklet_bind_sched gives a zeroed tasklet its scheduler before
** tsk_tasklet_init (the cffi backend: pypy/tasklet.py, _setup_fields);
** a runnable one does not move */
static void test_bind_sched_zeroed(void) {
    tsk_tasklet z;
    setup();
    memset(&z, 0, sizeof z);
    CHECK_OK(tsk_tasklet_bind_sched(&z, &S));
    CHECK_PTR(z.sched, &S);
    CHECK(!tsk_alive(&z) && !tsk_scheduled(&z));
    prepare(0, "a");
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_EQ(tsk_tasklet_bind_sched(&T[0], &S), TSK_E_RUNNABLE);
    CHECK_EQ(tsk_tasklet_bind_sched(&M, &S), TSK_E_RUNNABLE);
}

CHECK_MAIN("test_sched", CHECK_CASE(test_initial_topology),
           CHECK_CASE(test_round_robin), CHECK_CASE(test_insert_remove),
           CHECK_CASE(test_run_paused), CHECK_CASE(test_run_deeper),
           CHECK_CASE(test_switch_pauses_caller),
           CHECK_CASE(test_schedule_remove_worker),
           CHECK_CASE(test_schedule_remove_ends_run),
           CHECK_CASE(test_schedule_remove_main_alone),
           CHECK_CASE(test_schedule_remove_all),
           CHECK_CASE(test_schedule_remove_deadlock),
           CHECK_CASE(test_run_alone), CHECK_CASE(test_run_from_worker),
           CHECK_CASE(test_nested_run), CHECK_CASE(test_wake_main_unwinds),
           CHECK_CASE(test_kill_unstarted_paused),
           CHECK_CASE(test_kill_unstarted_queued),
           CHECK_CASE(test_kill_runnable), CHECK_CASE(test_kill_paused),
           CHECK_CASE(test_kill_blocked), CHECK_CASE(test_kill_refused),
           CHECK_CASE(test_throw_pending),
           CHECK_CASE(test_kill_dead_and_current),
           CHECK_CASE(test_fail_in_run), CHECK_CASE(test_fail_in_schedule),
           CHECK_CASE(test_fail_in_schedule_remove),
           CHECK_CASE(test_fail_main_blocked),
           CHECK_CASE(test_fail_to_inner_watchdog),
           CHECK_CASE(test_switch_trap), CHECK_CASE(test_misuse),
           CHECK_CASE(test_strerror), CHECK_CASE(test_bind_sched_zeroed))
