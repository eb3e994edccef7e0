/*
** test_task.c
** Tasklets waiting on the I/O loop: sleeps, sockets, kills, deadlocks.
** See LICENSE in the project root.
*/
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common.h"
#include "tio_int.h"

static tio_loop L;
static int sv[2];
static int res[8]; /* what each body's wait returned */

static void io_setup(int backend) {
    setup();
    CHECK_OK(tio_loop_init(&L, backend, 0));
    CHECK_OK(tio_attach(&L, &S, NULL));
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

static void io_teardown(void) {
    CHECK_EQ(tsk_nwaiting(&S), 0);
    CHECK_OK(tio_detach(&L));
    close(sv[0]);
    close(sv[1]);
    tio_loop_fini(&L);
    tsk_sched_fini(&S);
}

static int sleeper(tsk_tasklet *t, void *arg) {
    (void)t;
    trace('s');
    res[0] = tio_sleep(&L, (int64_t)(intptr_t)arg * 1000000);
    trace('S');
    if (write(sv[1], "x", 1) != 1)
        return 1;
    return 0;
}

static int reader(tsk_tasklet *t, void *arg) {
    char c = 0;
    (void)t;
    (void)arg;
    trace('r');
    res[1] = tio_wait_io(&L, sv[0], TIO_READ, -1);
    if (res[1] == TSK_OK && read(sv[0], &c, 1) == 1)
        trace(c);
    return 0;
}

/* One tasklet sleeps, then writes; another waits on the socket; main
** waits in run(), which lasts while they wait (the poller keeps it). */
static void test_sleep_and_socket(void) {
    for (int b = TIO_BACKEND_EPOLL; b <= TIO_BACKEND_POLL; b++) {
        int64_t t0 = tio_clock();
        trace_len = 0;
        io_setup(b);
        CHECK_OK(tsk_tasklet_init(&T[0], &S, sleeper, (void *)10, NULL));
        CHECK_OK(tsk_tasklet_init(&T[1], &S, reader, NULL, NULL));
        CHECK_OK(tsk_insert(&T[0]));
        CHECK_OK(tsk_insert(&T[1]));
        CHECK_OK(tsk_run(&S));
        CHECK_TRACE("srSx");
        CHECK_OK(res[0]);
        CHECK_OK(res[1]);
        CHECK(tio_clock() - t0 >= 10000000);
        CHECK(!tsk_alive(&T[0]) && !tsk_alive(&T[1]));
        io_teardown();
    }
}

/* Main itself sleeps and waits on a socket, with nothing else to run. */
static void test_main_waits(void) {
    io_setup(TIO_BACKEND_DEFAULT);
    CHECK_OK(tio_sleep(&L, 1000000));
    CHECK_EQ(tio_wait_io(&L, sv[0], TIO_READ, 2000000), TIO_E_TIMEOUT);
    CHECK_OK(tio_wait_io(&L, sv[0], TIO_WRITE, -1));
    CHECK_EQ(tio_wait_io(&L, -1, TIO_READ, -1), TIO_E_BADF);
    io_teardown();
}

/* A tasklet blocked on I/O is blocked like a channel receiver; a kill
** delivers TSK_E_KILLED and leaves no registration behind. */
static void test_kill_io_blocked(void) {
    trace_len = 0;
    io_setup(TIO_BACKEND_DEFAULT);
    CHECK_OK(tsk_tasklet_init(&T[1], &S, reader, NULL, NULL));
    CHECK_OK(tsk_insert(&T[1]));
    CHECK_OK(tsk_schedule(&S)); /* reader runs and blocks */
    CHECK_EQ(tsk_blocked(&T[1]), -1);
    CHECK(tsk_scheduled(&T[1]));
    CHECK_EQ(tsk_nwaiting(&S), 1);
    CHECK_EQ(tio_armed(&L), 1);
    CHECK_EQ(tsk_insert(&T[1]), TSK_E_BLOCKED);
    CHECK_EQ(tsk_remove(&T[1]), TSK_E_REMOVE_BLOCKED);
    CHECK_EQ(tsk_tasklet_run(&S, &T[1]), TSK_E_BLOCKED);
    CHECK_OK(tsk_kill(&S, &T[1]));
    CHECK_EQ(res[1], TSK_E_KILLED);
    CHECK(!tsk_alive(&T[1]));
    CHECK_EQ(tsk_nwaiting(&S), 0);
    CHECK_EQ(tio_armed(&L), 0);
    CHECK_PTR(L.fds[sv[0]].w[0], NULL);
    CHECK_TRACE("r");
    /* the fd is free again: main may wait on it */
    CHECK_EQ(write(sv[1], "y", 1), 1);
    CHECK_OK(tio_wait_io(&L, sv[0], TIO_READ, -1));
    io_teardown();
}

/* A throw (any wake code) to a sleeper cancels its timer. */
static void test_throw_to_sleeper(void) {
    tsk_tasklet *next;
    io_setup(TIO_BACKEND_DEFAULT);
    CHECK_OK(tsk_tasklet_init(&T[0], &S, sleeper, (void *)100000, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_schedule(&S));
    CHECK_EQ(L.nheap, 1);
    CHECK_OK(tsk_plan_throw(&S, &T[0], TSK_E_THROWN, 0, &next));
    CHECK_EQ(L.nheap, 0);
    CHECK_OK(tsk_switch(&S, next)); /* it runs, writes, ends */
    CHECK_EQ(res[0], TSK_E_THROWN);
    CHECK(!tsk_alive(&T[0]));
    io_teardown();
}

static int send_later(tsk_tasklet *t, void *arg) {
    (void)t;
    (void)arg;
    CHECK_OK(tio_sleep(&L, 2000000));
    return tsk_send(&S, &CH, (void *)'v') != TSK_OK;
}

static int sleep_only(tsk_tasklet *t, void *arg) {
    (void)t;
    (void)arg;
    return tio_sleep(&L, 1000000) != TSK_OK;
}

/* Waiters in the poller count: main receiving while the only other
** tasklet sleeps is no deadlock; once the sleeper ended without sending,
** it is (Stackless's text for main). */
static void test_deadlock_with_io_waiters(void) {
    void *v = NULL;
    io_setup(TIO_BACKEND_DEFAULT);
    CHECK_OK(tsk_tasklet_init(&T[0], &S, send_later, NULL, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_receive(&S, &CH, &v));
    CHECK_EQ((intptr_t)v, 'v');
    CHECK_OK(tsk_tasklet_init(&T[1], &S, sleep_only, NULL, NULL));
    CHECK_OK(tsk_insert(&T[1]));
    CHECK_EQ(tsk_receive(&S, &CH, &v), TSK_E_NO_SENDER);
    /* a wait with no poller, or under block_trap, is refused */
    CHECK_OK(tio_detach(&L));
    CHECK_EQ(tio_sleep(&L, 0), TIO_E_NO_LOOP);
    CHECK_OK(tio_attach(&L, &S, NULL));
    tsk_current(&S)->flags |= TSK_F_BLOCK_TRAP;
    CHECK_EQ(tio_sleep(&L, 0), TSK_E_BLOCK_TRAP);
    tsk_current(&S)->flags &= (uint16_t)~TSK_F_BLOCK_TRAP;
    CHECK_EQ(tio_armed(&L), 0);
    io_teardown();
}

static int spin_until_read(tsk_tasklet *t, void *arg) {
    int64_t give_up = tio_clock() + 2000000000;
    (void)t;
    (void)arg;
    while (tsk_alive(&T[1]) && tio_clock() < give_up)
        if (tsk_schedule(&S) != TSK_OK)
            return 1;
    return 0;
}

/* A tasklet that stays runnable (a schedule() loop) does not starve the
** waiters: schedule() looks at the loop (the poller's 'poll'). */
static void test_schedule_loop_does_not_starve_io(void) {
    int64_t t0 = tio_clock();
    trace_len = 0;
    io_setup(TIO_BACKEND_DEFAULT);
    CHECK_OK(tsk_tasklet_init(&T[0], &S, sleeper, (void *)2, NULL));
    CHECK_OK(tsk_tasklet_init(&T[1], &S, reader, NULL, NULL));
    CHECK_OK(tsk_tasklet_init(&T[2], &S, spin_until_read, NULL, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_insert(&T[1]));
    CHECK_OK(tsk_insert(&T[2]));
    CHECK_OK(tsk_run(&S));
    CHECK_TRACE("srSx");
    CHECK(!tsk_alive(&T[1]));
    CHECK(tio_clock() - t0 < 1000000000);
    io_teardown();
}

/* {======================================================================
** Another thread kills a tasklet blocked on I/O.  Thread A's driver holds
** a lock (the GIL's part) everywhere but in tio_block, as a binding does;
** the killer takes that lock, the core pokes A's loop (tio_wakeup).
** ======================================================================= */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static tsk_sched SA;
static tsk_tasklet MA;
static tio_loop LA;
static int a_res, a_armed = -1;

static void a_wait(tsk_sched *s) {
    int ms = tio_prepare(&LA, -1);
    (void)s;
    pthread_mutex_unlock(&mu);
    tio_block(&LA, ms);
    pthread_mutex_lock(&mu);
    tio_dispatch(&LA);
    tio_wake_ready(&LA);
}

static void a_wake(tsk_sched *s) {
    (void)s;
    tio_wakeup(&LA);
}

static const tsk_poller a_poller = {a_wait, a_wake, tio_task_cancel,
                                    tio_task_poll};

static void *thread_a(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    CHECK_OK(tsk_sched_init(&SA, &MA, CHECK_HOOKS));
    CHECK_OK(tio_loop_init(&LA, TIO_BACKEND_DEFAULT, 0));
    CHECK_OK(tio_attach(&LA, &SA, &a_poller));
    a_res = tio_wait_io(&LA, sv[0], TIO_READ, -1); /* main of A waits */
    a_armed = tio_armed(&LA) + tsk_nwaiting(&SA);
    CHECK_OK(tio_detach(&LA));
    tio_loop_fini(&LA);
    tsk_sched_fini(&SA);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void test_kill_from_another_thread(void) {
    pthread_t th;
    tsk_tasklet *next = NULL;
    struct timespec ts = {0, 1000000};
    int waiting = 0;
    io_setup(TIO_BACKEND_DEFAULT);
    CHECK_EQ(pthread_create(&th, NULL, thread_a, NULL), 0);
    while (!waiting) { /* until A's main waits in its poller */
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&mu);
        waiting = SA.alive && tsk_nwaiting(&SA) == 1;
        if (waiting) {
            CHECK_EQ(tsk_blocked(&MA), -1);
            CHECK_OK(tsk_plan_throw(&S, &MA, TSK_E_KILLED, 0, &next));
            CHECK_PTR(next, NULL); /* it runs in its own thread */
        }
        pthread_mutex_unlock(&mu);
    }
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(a_res, TSK_E_KILLED);
    CHECK_EQ(a_armed, 0);
    io_teardown();
}
/* }====================================================================== */

CHECK_MAIN("io tasklets", CHECK_CASE(test_sleep_and_socket),
           CHECK_CASE(test_main_waits), CHECK_CASE(test_kill_io_blocked),
           CHECK_CASE(test_throw_to_sleeper),
           CHECK_CASE(test_deadlock_with_io_waiters),
           CHECK_CASE(test_schedule_loop_does_not_starve_io),
           CHECK_CASE(test_kill_from_another_thread))
