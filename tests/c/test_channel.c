/*
** test_channel.c
** Channels: hand-off in both orders, balance, the preference table,
** schedule_all, FIFO service, close, block_trap, deadlock rules, the plan
** layer, and a channel between two threads.  Section numbers refer to
** docs/stackless_api.md.
**
** tsk.h has no accessors for balance, the queue head, closing,
** schedule_all or block_trap yet, so these tests read and set the fields.
*/
#include "common.h"
#if defined(__unix__) && !defined(CHECK_NO_THREADS)
#include <pthread.h>
#define HAVE_THREADS 1
#endif

#define V(c) ((void *)(intptr_t)(c))

/* The channel's queue is exactly the listed tasklets, all blocked in
** direction dir, FIFO; balance matches. */
#define CHECK_QUEUE(dir, ...)                                                 \
    check_queue(__FILE__, __LINE__, (dir),                                    \
                (tsk_tasklet *const[]){__VA_ARGS__, NULL})
static void check_queue(const char *file, int line, int dir,
                        tsk_tasklet *const *want) {
    int n = 0;
    tsk_tasklet *t = CH.head, *prev = NULL;
    for (; want[n] != NULL; n++, prev = t, t = tsk_next(t)) {
        if (t != want[n] || tsk_prev(t) != prev || tsk_blocked(t) != dir ||
            t->chan != &CH || !tsk_scheduled(t) || tsk_paused(t)) {
            fprintf(stderr, "%s:%d: queue differs at %d\n", file, line, n);
            abort();
        }
    }
    if (t != NULL || CH.tail != prev || CH.balance != n * dir) {
        fprintf(stderr, "%s:%d: queue end or balance %d\n", file, line,
                CH.balance);
        abort();
    }
}

#define CHECK_QUEUE_EMPTY()                                                   \
    do {                                                                      \
        CHECK_PTR(CH.head, NULL);                                             \
        CHECK_PTR(CH.tail, NULL);                                             \
        CHECK_EQ(CH.balance, 0);                                              \
    } while (0)

/* --- §3.1: both orders --- */
static void test_send_then_receive(void) {
    void *v = NULL;
    setup();
    CHECK(tsk_channel_would_block(&CH, 1) && tsk_channel_would_block(&CH, -1));
    spawn(0, ">xa");
    CHECK_OK(tsk_schedule(&S)); /* the sender blocks */
    CHECK_QUEUE(1, &T[0]);      /* alone: next and prev NULL */
    CHECK(!tsk_channel_would_block(&CH, -1) &&
          tsk_channel_would_block(&CH, 1));
    CHECK_RING(&M);
    CHECK_OK(tsk_receive(&S, &CH, &v)); /* default pref: receiver goes on */
    CHECK_PTR(v, V('x'));
    CHECK_TRACE("");
    CHECK_QUEUE_EMPTY();
    CHECK_RING(&M, &T[0]);
    CHECK_OK(tsk_schedule(&S));
    CHECK_TRACE("a");
    CHECK_RING(&M);
}

static void test_receive_then_send(void) {
    setup();
    spawn(0, "<a");
    CHECK_OK(tsk_schedule(&S)); /* the receiver blocks */
    CHECK_QUEUE(-1, &T[0]);
    CHECK(!tsk_channel_would_block(&CH, 1) &&
          tsk_channel_would_block(&CH, -1));
    CHECK_OK(tsk_send(&S, &CH, V('x'))); /* default pref: receiver runs now */
    CHECK_TRACE("xa");
    CHECK_QUEUE_EMPTY();
    CHECK_RING(&M);
    CHECK(!tsk_alive(&T[0]));
}

/* --- §3.3: the preference table.  A partner P (T[0]) waits on CH and X
** (T[1]) is queued after main; main sends 'v' (dir +1) or receives
** (dir -1) through the plan layer.  'next' is who must run at once (NULL:
** main goes on); right after the operation main traces what it received,
** then runs the queue; 'want' is the whole trace. --- */
static void pref_case(int pref, int all, int dir, tsk_tasklet *next,
                      const char *want) {
    tsk_tasklet *nx, *partner;
    setup();
    tsk_channel_set_preference(&CH, pref);
    if (all)
        CH.flags |= TSK_CH_SCHEDULE_ALL;
    CHECK_OK(tsk_tasklet_run(&S, prepare(0, dir > 0 ? "<" : ">vP")));
    CHECK_QUEUE(-dir, &T[0]);
    spawn(1, "x");
    M.tempval = dir > 0 ? V('v') : NULL;
    CHECK_OK(tsk_plan_channel(&S, &CH, dir, &nx, &partner));
    CHECK_PTR(partner, &T[0]);
    CHECK_PTR(nx, next);
    CHECK_QUEUE_EMPTY();
    if (next == &T[0]) /* the partner right after main */
        CHECK_RING(&M, &T[0], &T[1]);
    else /* the partner at the end */
        CHECK_RING(&M, &T[1], &T[0]);
    CHECK_OK(tsk_switch(&S, nx));
    CHECK_EQ(tsk_take_wake(&M), TSK_OK);
    if (dir < 0)
        trace((char)(intptr_t)M.tempval);
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE(want);
}
/*                                        pref all dir  runs now  trace */
static void test_pref_send_m1(void) { pref_case(-1, 0, +1, &T[0], "vx"); }
static void test_pref_send_0(void) { pref_case(0, 0, +1, NULL, "xv"); }
static void test_pref_send_p1(void) { pref_case(1, 0, +1, NULL, "xv"); }
static void test_pref_recv_m1(void) { pref_case(-1, 0, -1, NULL, "vxP"); }
static void test_pref_recv_0(void) { pref_case(0, 0, -1, NULL, "vxP"); }
static void test_pref_recv_p1(void) { pref_case(1, 0, -1, &T[0], "Pxv"); }
/* schedule_all: the partner goes to the end and the caller yields */
static void test_all_send(void) { pref_case(-1, 1, +1, &T[1], "xv"); }
static void test_all_recv(void) { pref_case(1, 1, -1, &T[1], "xPv"); }

/* the same through the convenience calls, preference clamped to its sign */
static void test_pref_clamp(void) {
    void *v = NULL;
    setup();
    CHECK_EQ(CH.preference, -1); /* the default prefers receivers */
    tsk_channel_set_preference(&CH, 42);
    CHECK_EQ(CH.preference, 1);
    tsk_channel_set_preference(&CH, -5);
    CHECK_EQ(CH.preference, -1);
    tsk_channel_set_preference(&CH, 0);
    CHECK_EQ(CH.preference, 0);
    tsk_channel_set_preference(&CH, 2);
    CHECK_OK(tsk_tasklet_run(&S, prepare(0, ">va")));
    spawn(1, "x");
    CHECK_OK(tsk_tasklet_run(&S, &M));  /* current.run(): nothing */
    CHECK_OK(tsk_receive(&S, &CH, &v)); /* 2 counts as 1: to the sender */
    CHECK_TRACE("ax");
    CHECK_PTR(v, V('v'));
}

/* --- §8.3, §8.15: waiters are served FIFO; a preference-1 sender
** releases receivers to the end of the queue in order, and blocks once
** none is left --- */
static void test_fifo_receivers(void) {
    int i;
    setup();
    tsk_channel_set_preference(&CH, 1);
    for (i = 0; i < 3; i++)
        spawn(i, "<");
    CHECK_OK(tsk_schedule(&S));
    CHECK_QUEUE(-1, &T[0], &T[1], &T[2]);
    CHECK_RING(&M);
    CHECK_OK(tsk_send(&S, &CH, V('p')));
    CHECK_QUEUE(-1, &T[1], &T[2]);
    CHECK_RING(&M, &T[0]);
    CHECK_OK(tsk_send(&S, &CH, V('q')));
    CHECK_RING(&M, &T[0], &T[1]);
    CHECK_OK(tsk_send(&S, &CH, V('r')));
    CHECK_RING(&M, &T[0], &T[1], &T[2]);
    CHECK_QUEUE_EMPTY();
    CHECK_TRACE(""); /* the sender never blocked */
    spawn(3, "x<");
    CHECK_OK(tsk_send(&S, &CH, V('s'))); /* blocks until x receives */
    CHECK_TRACE("pqrx");
    CHECK_RING(&M, &T[3]); /* pref 1: the sender ran first */
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("pqrxs");
}

static void test_fifo_senders(void) {
    void *v;
    setup();
    spawn(0, ">aA");
    spawn(1, ">bB");
    spawn(2, ">cC");
    CHECK_OK(tsk_schedule(&S));
    CHECK_QUEUE(1, &T[0], &T[1], &T[2]);
    CHECK_OK(tsk_receive(&S, &CH, &v));
    CHECK_PTR(v, V('a'));
    CHECK_QUEUE(1, &T[1], &T[2]);
    CHECK_OK(tsk_receive(&S, &CH, &v));
    CHECK_PTR(v, V('b'));
    CHECK_OK(tsk_receive(&S, &CH, &v));
    CHECK_PTR(v, V('c'));
    CHECK_QUEUE_EMPTY();
    CHECK_RING(&M, &T[0], &T[1], &T[2]);
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("ABC");
}

/* --- §8.2: main sends while workers are runnable: it blocks, the first
** worker takes the message at once, main goes to the end and resumes once
** every worker blocks receiving; then killing them fixes the balance one
** at a time (§8.10) --- */
static void test_balance(void) {
    int i;
    setup();
    for (i = 0; i < 4; i++)
        spawn(i, "<<");
    CHECK_OK(tsk_send(&S, &CH, V('m')));
    CHECK_TRACE("m");
    CHECK_QUEUE(-1, &T[0], &T[1], &T[2], &T[3]);
    CHECK_EQ(CH.balance, -4);
    CHECK_RING(&M);
    for (i = 0; i < 4; i++) {
        CHECK_OK(tsk_kill(&S, &T[i]));
        CHECK_EQ(CH.balance, -3 + i);
    }
    CHECK_TRACE("mkkkk");
    CHECK_QUEUE_EMPTY();
}

/* --- §3.1, §3.3: close --- */
static void test_close_would_block(void) {
    void *v = &v;
    setup();
    spawn(0, "a<A>bB");
    CH.flags |= TSK_CH_CLOSING;
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_CLOSED);
    CHECK_PTR(v, NULL);
    CHECK_EQ(tsk_send(&S, &CH, V('x')), TSK_E_CLOSED);
    CHECK_TRACE(""); /* nobody ran */
    CHECK_RING(&M, &T[0]);
    CHECK_QUEUE_EMPTY();
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("a#A#B");
    CHECK_EQ(script_err, TSK_E_CLOSED);
    /* main alone: closing is reported before any deadlock */
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_CLOSED);
}

static void test_close_hands_off(void) {
    void *v;
    setup();
    spawn(0, "<a");
    spawn(1, "<b");
    CHECK_OK(tsk_schedule(&S));
    CH.flags |= TSK_CH_CLOSING;
    CHECK_QUEUE(-1, &T[0], &T[1]); /* close wakes nobody */
    CHECK_OK(tsk_send(&S, &CH, V('p')));
    CHECK_OK(tsk_send(&S, &CH, V('q')));
    CHECK_TRACE("paqb");
    CHECK_QUEUE_EMPTY(); /* closing and balance 0: closed */
    CHECK_EQ(tsk_send(&S, &CH, V('r')), TSK_E_CLOSED);
    /* a sender that waited before the close is still served */
    CH.flags &= (uint8_t)~TSK_CH_CLOSING;
    spawn(2, ">z");
    CHECK_OK(tsk_schedule(&S));
    CHECK_QUEUE(1, &T[2]);
    CH.flags |= TSK_CH_CLOSING;
    CHECK_OK(tsk_receive(&S, &CH, &v));
    CHECK_PTR(v, V('z'));
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_CLOSED);
}

/* --- §3.3: block_trap: an operation that would block fails, one that
** hands off works --- */
static void test_block_trap(void) {
    void *v;
    setup();
    spawn(0, ">s");
    M.flags |= TSK_F_BLOCK_TRAP;
    CHECK_EQ(tsk_send(&S, &CH, V('x')), TSK_E_BLOCK_TRAP);
    CH.flags |= TSK_CH_CLOSING; /* the trap is checked first */
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_BLOCK_TRAP);
    CH.flags &= (uint8_t)~TSK_CH_CLOSING;
    CHECK_TRACE("");
    CHECK_RING(&M, &T[0]);
    CHECK_QUEUE_EMPTY();
    CHECK_OK(tsk_schedule(&S)); /* the sender blocks */
    CHECK_OK(tsk_receive(&S, &CH, &v));
    CHECK_PTR(v, V('s'));
    /* a trapped worker */
    prepare(1, "<w");
    T[1].flags |= TSK_F_BLOCK_TRAP;
    CHECK_OK(tsk_insert(&T[1]));
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("#w");
    CHECK_EQ(script_err, TSK_E_BLOCK_TRAP);
}

/* --- §3.4, §8.22: deadlocks --- */
static void test_deadlock_main_alone(void) {
    void *v = &v;
    setup();
    prepare(0, "a"); /* a paused tasklet does not count */
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_DEADLOCK);
    CHECK_PTR(v, NULL);
    CHECK_EQ(tsk_send(&S, &CH, V('x')), TSK_E_DEADLOCK);
    /* main stays runnable, unblocked, the balance unchanged */
    CHECK_PTR(tsk_current(&S), &M);
    CHECK_RING(&M);
    CHECK_EQ(tsk_blocked(&M), 0);
    CHECK_QUEUE_EMPTY();
    CHECK(tsk_paused(&T[0]));
    CHECK_TRACE("");
}

/* main blocked: the last runnable tasklet cannot block either */
static void test_deadlock_worker(void) {
    setup();
    spawn(0, "a<A>z");
    CHECK_OK(receive_trace());
    CHECK_TRACE("a#Az");
    CHECK_EQ(script_err, TSK_E_DEADLOCK);
    CHECK_QUEUE_EMPTY();
    CHECK_RING(&M, &T[0]);
}

/* main blocked while the last tasklet ends normally */
static void test_no_sender(void) {
    void *v = &v;
    setup();
    spawn(0, "a");
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_NO_SENDER);
    CHECK_PTR(v, NULL);
    CHECK_TRACE("a");
    CHECK_QUEUE_EMPTY();
    CHECK_EQ(tsk_blocked(&M), 0);
    CHECK_RING(&M);
    CHECK(
        strcmp(tsk_strerror(TSK_E_NO_SENDER),
               "the main tasklet is receiving without a sender available.") ==
        0);
}

static void test_no_receiver(void) {
    setup();
    spawn(0, "a.b");
    CHECK_EQ(tsk_send(&S, &CH, V('x')), TSK_E_NO_RECEIVER);
    CHECK_TRACE("ab");
    CHECK_QUEUE_EMPTY();
    CHECK_RING(&M);
}

/* main's schedule_remove with a single tasklet that blocks: main comes
** back, the tasklet stays blocked; killing it fixes the balance */
static void test_remove_then_block(void) {
    setup();
    spawn(0, "<a");
    CHECK_OK(tsk_schedule_remove(&S));
    CHECK_QUEUE(-1, &T[0]);
    CHECK_RING(&M);
    CHECK_OK(tsk_kill(&S, &T[0]));
    CHECK_QUEUE_EMPTY();
    CHECK_TRACE("k");
}

/* tsk_unblock: the blocked operation, resumed later, transferred nothing
** and says so (TSK_E_UNBLOCKED, not TSK_OK); a kill set meanwhile wins */
static void test_unblock_result(void) {
    setup();
    spawn(0, "<c");
    CHECK_OK(tsk_schedule(&S));
    CHECK_QUEUE(-1, &T[0]);
    CHECK_OK(tsk_unblock(&T[0]));
    CHECK_QUEUE_EMPTY();
    CHECK(tsk_paused(&T[0]) && tsk_blocked(&T[0]) == 0);
    T[0].tempval = V('z'); /* must not come out as a value */
    CHECK_OK(tsk_tasklet_run(&S, &T[0]));
    CHECK_TRACE("#c"); /* '#': the receive failed */
    CHECK_EQ(script_err, TSK_E_UNBLOCKED);
    CHECK(!tsk_alive(&T[0]));
    /* the sending side */
    script_err = TSK_OK;
    spawn(1, ">yd");
    CHECK_OK(tsk_schedule(&S));
    CHECK_QUEUE(1, &T[1]);
    CHECK_OK(tsk_unblock(&T[1]));
    CHECK_QUEUE_EMPTY();
    CHECK_OK(tsk_tasklet_run(&S, &T[1]));
    CHECK_TRACE("#c#d");
    CHECK_EQ(script_err, TSK_E_UNBLOCKED);
    /* unblocked, then killed before it runs: the kill wins */
    spawn(2, "<e");
    CHECK_OK(tsk_schedule(&S));
    CHECK_OK(tsk_unblock(&T[2]));
    CHECK_OK(tsk_kill(&S, &T[2]));
    CHECK_TRACE("#c#dk");
    CHECK(!tsk_alive(&T[2]));
    CHECK_RING(&M);
    CHECK(strcmp(tsk_strerror(TSK_E_UNBLOCKED), "unknown result") != 0);
}

/* §8.28: a default-preference send runs the receiver and then the tasklet
** that was already next, whose failure comes out of main's send; with
** preference 1 the queue order is kept */
static void test_send_then_failure(void) {
    setup();
    CHECK_OK(tsk_tasklet_run(&S, prepare(0, "<")));
    spawn(1, "!");
    CHECK_EQ(tsk_send(&S, &CH, V('v')), TSK_E_FAILED);
    CHECK_TRACE("v");
    CHECK_RING(&M);
    CHECK_OK(tsk_tasklet_run(&S, prepare(2, "<")));
    spawn(3, "!");
    tsk_channel_set_preference(&CH, 1);
    CHECK_OK(tsk_send(&S, &CH, V('w')));
    CHECK_RING(&M, &T[3], &T[2]);
    CHECK_EQ(tsk_run(&S), TSK_E_FAILED);
    CHECK_RING(&M, &T[2]);
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("vw");
}

/* --- the plan layer reports the partner and swaps the values --- */
static void test_plan_partner(void) {
    tsk_tasklet *nx = &M, *partner = &M;
    setup();
    /* errors change nothing */
    M.tempval = V('q');
    CHECK_EQ(tsk_plan_channel(&S, &CH, 1, &nx, &partner), TSK_E_DEADLOCK);
    CHECK_PTR(nx, NULL);
    CHECK_PTR(partner, NULL);
    CHECK_EQ(tsk_plan_channel(&S, &CH, 0, &nx, &partner), TSK_E_INVALID);
    CHECK_PTR(M.tempval, V('q'));
    CHECK_QUEUE_EMPTY();
    CHECK_RING(&M);
    /* blocking: no partner; next is who runs instead */
    spawn(0, "x>v");
    M.tempval = NULL;
    CHECK_OK(tsk_plan_channel(&S, &CH, -1, &nx, &partner));
    CHECK_PTR(nx, &T[0]);
    CHECK_PTR(partner, NULL);
    CHECK_QUEUE(-1, &M);
    CHECK_RING(&T[0]);
    CHECK_OK(tsk_switch(&S, nx)); /* x sends v back to us */
    CHECK_EQ(tsk_take_wake(&M), TSK_OK);
    CHECK_PTR(M.tempval, V('v'));
    CHECK_PTR(T[0].tempval, NULL); /* the sender got what we had */
    CHECK_RING(&M, &T[0]);
    CHECK_OK(tsk_run(&S));
    /* a waiting partner with the caller going on; partner may be NULL */
    CHECK_OK(tsk_tasklet_run(&S, prepare(1, "<")));
    CHECK_OK(tsk_tasklet_run(&S, prepare(2, "<")));
    tsk_channel_set_preference(&CH, 0);
    M.tempval = V('w');
    CHECK_OK(tsk_plan_channel(&S, &CH, 1, &nx, &partner));
    CHECK_PTR(nx, NULL);
    CHECK_PTR(partner, &T[1]);
    CHECK_PTR(T[1].tempval, V('w'));
    CHECK_PTR(M.tempval, NULL);
    M.tempval = V('y');
    CHECK_OK(tsk_plan_channel(&S, &CH, 1, &nx, NULL));
    CHECK_PTR(nx, NULL);
    CHECK_RING(&M, &T[1], &T[2]);
    CHECK_QUEUE_EMPTY();
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("xwy");
}

/* --- two threads: a channel between their schedulers.  The threads take
** turns under one lock (as a GIL would); a thread with nothing to run
** waits in the 'wait' hook until the other one feeds it.  Build with
** -DCHECK_NO_THREADS where there are no pthreads. --- */
#ifdef HAVE_THREADS
static pthread_mutex_t gil = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gil_cond = PTHREAD_COND_INITIALIZER;
static tsk_sched S2;
static tsk_tasklet M2;
static tsk_channel XCH, YCH;
static int th_live[2] = {1, 1}, th_blocked[2], th_woken[2];

static int th_index(tsk_sched *s) { return s == &S2; }
static int th_others_could_run(tsk_sched *s) {
    int o = !th_index(s);
    return th_live[o] && !th_blocked[o];
}
static void th_wait(tsk_sched *s) {
    int i = th_index(s);
    th_blocked[i] = 1;
    while (!th_woken[i])
        pthread_cond_wait(&gil_cond, &gil);
    th_woken[i] = 0;
}
static void th_wake(tsk_sched *s) {
    int i = th_index(s);
    th_woken[i] = 1;
    th_blocked[i] = 0;
    pthread_cond_broadcast(&gil_cond);
}
static const tsk_hooks th_hooks = {
    NULL, NULL, NULL, NULL, th_others_could_run, th_wait, th_wake, NULL};

static void *thread2(void *arg) {
    void *v = NULL;
    (void)arg;
    pthread_mutex_lock(&gil);
    CHECK_OK(tsk_sched_init(&S2, &M2, &th_hooks));
    CHECK_OK(tsk_receive(&S2, &XCH, &v));
    CHECK_OK(tsk_send(&S2, &YCH, V((intptr_t)v + 1)));
    tsk_sched_fini(&S2);
    th_live[1] = 0;
    pthread_cond_broadcast(&gil_cond);
    pthread_mutex_unlock(&gil);
    return NULL;
}

static void test_two_threads(void) {
    pthread_t th;
    void *v = NULL;
    pthread_mutex_lock(&gil);
    CHECK_OK(tsk_sched_init(&S, &M, &th_hooks));
    tsk_channel_init(&XCH);
    tsk_channel_init(&YCH);
    CHECK_EQ(pthread_create(&th, NULL, thread2, NULL), 0);
    /* main waits for thread 2 instead of reporting a deadlock */
    CHECK_OK(tsk_send(&S, &XCH, V('a')));
    CHECK_OK(tsk_receive(&S, &YCH, &v));
    CHECK_PTR(v, V('b'));
    while (th_live[1])
        pthread_cond_wait(&gil_cond, &gil);
    pthread_mutex_unlock(&gil);
    CHECK_EQ(pthread_join(th, NULL), 0);
    /* now nobody could feed main: a real deadlock again */
    CHECK_EQ(tsk_receive(&S, &XCH, &v), TSK_E_DEADLOCK);
    CHECK_RING(&M);
}
#endif

#ifdef HAVE_THREADS
#define THREAD_CASES , CHECK_CASE(test_two_threads)
#else
#define THREAD_CASES
#endif

CHECK_MAIN("test_channel", CHECK_CASE(test_send_then_receive),
           CHECK_CASE(test_receive_then_send), CHECK_CASE(test_pref_send_m1),
           CHECK_CASE(test_pref_send_0), CHECK_CASE(test_pref_send_p1),
           CHECK_CASE(test_pref_recv_m1), CHECK_CASE(test_pref_recv_0),
           CHECK_CASE(test_pref_recv_p1), CHECK_CASE(test_all_send),
           CHECK_CASE(test_all_recv), CHECK_CASE(test_pref_clamp),
           CHECK_CASE(test_fifo_receivers), CHECK_CASE(test_fifo_senders),
           CHECK_CASE(test_balance), CHECK_CASE(test_close_would_block),
           CHECK_CASE(test_close_hands_off), CHECK_CASE(test_block_trap),
           CHECK_CASE(test_deadlock_main_alone),
           CHECK_CASE(test_deadlock_worker), CHECK_CASE(test_no_sender),
           CHECK_CASE(test_no_receiver), CHECK_CASE(test_remove_then_block),
           CHECK_CASE(test_unblock_result), CHECK_CASE(test_send_then_failure),
           CHECK_CASE(test_plan_partner) THREAD_CASES)
