/*
** test_rules.c
** Stackless's refusals as the core decides them (core/rules.c and the
** plans): bindings map these results to exceptions, the texts are
** tsk_strerror's.  Plans only: this test is linked with the plan objects
** alone (see the Makefile), which also checks that no plan file needs the
** stack transfer.
*/
#include "common.h"
#if defined(__unix__)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

static int body(tsk_tasklet *t, void *arg) {
    (void)t;
    (void)arg;
    return 0;
}

static tsk_tasklet *paused(int i) {
    CHECK_OK(tsk_tasklet_init(&T[i], &S, body, NULL, NULL));
    return &T[i];
}

/* Stackless's texts, unchanged: tests of both bindings match on them */
static void test_texts(void) {
    CHECK(strcmp(tsk_strerror(TSK_E_RECURSIVE),
                 "Recursive scheduler call due to callbacks!") == 0);
    CHECK(strcmp(tsk_strerror(TSK_E_RECURSIVE_CHAN),
                 "Recursive channel call due to callbacks!") == 0);
    CHECK(strcmp(tsk_strerror(TSK_E_NO_TARGET),
                 "Target thread isn't initialized") == 0);
    CHECK(strcmp(tsk_strerror(TSK_E_SWITCH_BLOCKED),
                 "You cannot switch to a blocked tasklet") == 0);
    CHECK(strcmp(tsk_strerror(TSK_E_NO_THREAD), "tasklet has no thread") == 0);
    CHECK(strcmp(tsk_strerror(TSK_E_FOREIGN), "unknown result") != 0);
}

/* Inside the schedule callback every plan but a channel's says
** "scheduler", a channel plan inside the channel callback "channel";
** nothing changes, and leaving restores what was set before. */
static void test_callbacks_refuse(void) {
    tsk_tasklet *next, *partner;
    unsigned old;
    setup();
    tsk_insert(paused(0));
    old = tsk_callback_enter(&S, TSK_CB_SCHEDULE);
    CHECK_EQ(old, 0);
    CHECK_EQ(tsk_in_callback(&S), TSK_CB_SCHEDULE);
    CHECK_EQ(tsk_refusal(&S, 0), TSK_E_RECURSIVE);
    CHECK_EQ(tsk_refusal(&S, 1), TSK_E_RECURSIVE);
    CHECK_EQ(tsk_plan_schedule(&S, 0, &next), TSK_E_RECURSIVE);
    CHECK_EQ(tsk_plan_schedule(&S, 1, &next), TSK_E_RECURSIVE);
    CHECK_EQ(tsk_plan_run(&S, &T[0], 0, &next), TSK_E_RECURSIVE);
    CHECK_EQ(tsk_plan_run(&S, &M, 0, &next), TSK_E_RECURSIVE);
    CHECK_EQ(tsk_plan_watchdog(&S, &next), TSK_E_RECURSIVE);
    CHECK_EQ(tsk_plan_throw(&S, &T[0], TSK_E_THROWN, 1, &next),
             TSK_E_RECURSIVE);
    CHECK_EQ(tsk_plan_channel(&S, &CH, 1, &next, &partner), TSK_E_RECURSIVE);
    CHECK(!tsk_interruptible(&S, NULL));
    tsk_callback_leave(&S, old);
    CHECK_RING(&M, &T[0]);
    old = tsk_callback_enter(&S, TSK_CB_CHANNEL);
    CHECK_EQ(tsk_refusal(&S, 0), TSK_OK); /* schedule() is allowed */
    CHECK_EQ(tsk_plan_channel(&S, &CH, -1, &next, &partner),
             TSK_E_RECURSIVE_CHAN);
    CHECK_EQ(tsk_callback_enter(&S, TSK_CB_SCHEDULE), TSK_CB_CHANNEL);
    CHECK_EQ(tsk_refusal(&S, 1), TSK_E_RECURSIVE_CHAN);
    tsk_callback_leave(&S, TSK_CB_CHANNEL);
    tsk_callback_leave(&S, old);
    CHECK_EQ(tsk_in_callback(&S), 0);
    CHECK(tsk_interruptible(&S, NULL));
    CHECK_OK(tsk_plan_schedule(&S, 0, &next));
    CHECK_PTR(next, &T[0]);
}

/* bind(): current, scheduled, started and alive, main unbound */
static void test_bind_rules(void) {
    setup();
    CHECK_EQ(tsk_bind_check(&M, 0), TSK_E_REBIND_CURRENT);
    CHECK_EQ(tsk_bind_check(paused(0), 1), TSK_OK);
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_EQ(tsk_bind_check(&T[0], 0), TSK_E_SCHEDULED);
    CHECK_OK(tsk_remove(&T[0]));
    T[0].flags |= TSK_F_STARTED; /* as if it had run */
    CHECK_EQ(tsk_bind_check(&T[0], 0), TSK_E_C_STATE);
    T[0].flags &= (uint16_t)~TSK_F_ALIVE; /* ... and ended */
    CHECK_OK(tsk_bind_check(&T[0], 0));
    CHECK_EQ(tsk_tasklet_unbind(&T[0]), 1);
    CHECK(!tsk_started(&T[0]) && !tsk_alive(&T[0]));
    CHECK_EQ(tsk_tasklet_unbind(paused(1)), 0);
    CHECK(!tsk_alive(&T[1]));
    /* a main that is not current, ended (its thread gone): unbind refused */
    memset(&T[2], 0, sizeof T[2]);
    T[2].flags = TSK_F_MAIN;
    CHECK_EQ(tsk_bind_check(&T[2], 1), TSK_E_UNBIND_MAIN);
    CHECK_OK(tsk_bind_check(&T[2], 0));
}

/* insert()/remove() of tasklets whose scheduler is gone, and the orders */
static void test_insert_remove_rules(void) {
    tsk_tasklet *next;
    static tsk_sched S2;
    static tsk_tasklet M2, U;
    setup();
    CHECK_EQ(tsk_insert(&U), TSK_E_DEAD); /* never bound */
    CHECK_OK(tsk_sched_init(&S2, &M2, CHECK_HOOKS));
    CHECK_OK(tsk_tasklet_init(&T[0], &S2, body, NULL, NULL));
    CHECK_OK(tsk_tasklet_init(&T[1], &S2, body, NULL, NULL));
    CHECK_OK(tsk_insert(&T[1]));
    tsk_sched_fini(&S2);
    CHECK_EQ(tsk_insert(&T[0]), TSK_E_NO_TARGET);
    CHECK_OK(tsk_remove(&T[1])); /* a no-op */
    CHECK_EQ(tsk_tasklet_init(&T[2], &S2, body, NULL, NULL), TSK_E_NO_THREAD);
    CHECK_EQ(tsk_plan_run(&S, &T[0], 0, &next), TSK_E_NO_THREAD);
    CHECK_EQ(tsk_plan_run(&S, &T[0], 1, &next), TSK_E_OTHER_THREAD);
    T[0].flags &= (uint16_t)~TSK_F_ALIVE;
    CHECK_EQ(tsk_insert(&T[0]), TSK_E_DEAD); /* dead comes first */
    CHECK_RING(&M);
}

/* run() and switch() of a blocked tasklet: Stackless's two texts */
static void test_run_switch_blocked(void) {
    tsk_tasklet *next;
    setup();
    CHECK_OK(tsk_insert(paused(0)));
    CHECK_OK(tsk_plan_run(&S, &T[0], 0, &next));
    tsk_commit(&S, next);
    CHECK_EQ(tsk_plan_channel(&S, &CH, -1, &next, NULL), TSK_OK);
    tsk_commit(&S, next); /* main again */
    CHECK_PTR(tsk_current(&S), &M);
    CHECK_EQ(tsk_plan_run(&S, &T[0], 0, &next), TSK_E_BLOCKED);
    CHECK_EQ(tsk_plan_run(&S, &T[0], 1, &next), TSK_E_SWITCH_BLOCKED);
    CHECK_EQ(tsk_insert(&T[0]), TSK_E_BLOCKED);
    CHECK_EQ(tsk_bind_check(&T[0], 0), TSK_E_SCHEDULED);
    CHECK_RING(&M);
}

/* bind_thread(): runnable and started tasklets stay; an unknown (NULL)
** or ended scheduler is a bad thread; its own thread is a no-op */
static void test_bind_thread_rules(void) {
    static tsk_sched S2;
    static tsk_tasklet M2;
    setup();
    CHECK_OK(tsk_sched_init(&S2, &M2, CHECK_HOOKS));
    CHECK_OK(tsk_insert(paused(0)));
    CHECK_EQ(tsk_tasklet_bind_sched(&T[0], &S2), TSK_E_RUNNABLE);
    CHECK_EQ(tsk_tasklet_bind_sched(&T[0], NULL), TSK_E_RUNNABLE);
    CHECK_OK(tsk_remove(&T[0]));
    CHECK_EQ(tsk_tasklet_bind_sched(&T[0], NULL), TSK_E_BAD_THREAD);
    CHECK_OK(tsk_tasklet_bind_sched(&T[0], &S));
    CHECK_OK(tsk_tasklet_bind_sched(&T[0], &S2));
    CHECK_PTR(T[0].sched, &S2);
    tsk_sched_fini(&S2);
    CHECK_EQ(tsk_tasklet_bind_sched(&T[0], &S2), TSK_E_BAD_THREAD);
}

/* preemption waits for atomic, switch_trap and callbacks */
static void test_interruptible(void) {
    setup();
    CHECK(tsk_interruptible(&S, NULL));
    CHECK(!tsk_interruptible(&S, &M)); /* the watchdog itself */
    M.flags |= TSK_F_ATOMIC;
    CHECK(!tsk_interruptible(&S, NULL));
    M.flags &= (uint16_t)~TSK_F_ATOMIC;
    tsk_switch_trap(&S, 1);
    CHECK(!tsk_interruptible(&S, NULL));
    tsk_switch_trap(&S, -1);
    CHECK(tsk_interruptible(&S, NULL));
}

#if defined(__unix__)
/* The checked build (TSK_CHECKED=1: SANITIZE=1 here, the fuzzer, the asan
** extension) aborts on a broken invariant, here a ring head that is NULL
** while main is in the ring; the default build compiles the checks out, so the same
** plan runs on. */
static void test_checked_build(void) {
    int status = 0;
    pid_t pid;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        tsk_tasklet *next;
        setup();
        S.head = NULL; /* yet main is in the ring */
        (void)tsk_plan_schedule(&S, 0, &next);
        _exit(0);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
#if TSK_CHECKED
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
#else
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
}
#endif

static const check_case cases[] = {CHECK_CASE(test_texts),
                                   CHECK_CASE(test_callbacks_refuse),
                                   CHECK_CASE(test_bind_rules),
                                   CHECK_CASE(test_insert_remove_rules),
                                   CHECK_CASE(test_run_switch_blocked),
                                   CHECK_CASE(test_bind_thread_rules),
                                   CHECK_CASE(test_interruptible),
#if defined(__unix__)
                                   CHECK_CASE(test_checked_build),
#endif
                                   {NULL, NULL}};

int main(int argc, char **argv) {
    return check_main("test_rules", cases, argc, argv);
}
