/*
** test_loop.c
** The I/O loop's fds and wakeups, on every backend.
** See LICENSE in the project root.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "tio_int.h"

static tio_loop L;
static tio_wait R, W2, X;
static int sv[2];

static const int backends[] = {TIO_BACKEND_EPOLL, TIO_BACKEND_POLL};
#define NB ((int)(sizeof backends / sizeof backends[0]))

static void open_pair(int b) {
    CHECK_OK(tio_loop_init(&L, backends[b], 0));
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    tio_wait_init(&R, &R);
    tio_wait_init(&W2, &W2);
    tio_wait_init(&X, &X);
}

static void close_pair(void) {
    tio_close_fd(&L, sv[0]);
    tio_close_fd(&L, sv[1]);
    close(sv[0]);
    close(sv[1]);
    tio_loop_fini(&L);
}

static void test_backend_names(void) {
    CHECK_OK(tio_loop_init(&L, TIO_BACKEND_EPOLL, 0));
    CHECK_EQ(strcmp(tio_backend_name(&L), "epoll"), 0);
    tio_loop_fini(&L);
    CHECK_OK(tio_loop_init(&L, TIO_BACKEND_POLL, 0));
    CHECK_EQ(strcmp(tio_backend_name(&L), "poll"), 0);
    tio_loop_fini(&L);
    CHECK_EQ(tio_loop_init(&L, 99, 0), TIO_E_BACKEND);
    CHECK_EQ(strcmp(tio_strerror(TIO_E_TIMEOUT), "timed out"), 0);
    CHECK_EQ(
        strcmp(tio_strerror(TSK_E_DEADLOCK), tsk_strerror(TSK_E_DEADLOCK)), 0);
}

/* A reader fires only once there are bytes; a writer at once. */
static void test_readiness(void) {
    for (int b = 0; b < NB; b++) {
        open_pair(b);
        CHECK_OK(tio_wait_fd(&L, &R, sv[0], TIO_READ, -1));
        CHECK_EQ(tio_run_once(&L, 0), 0);
        CHECK_EQ(tio_wait_state(&R), 1);
        CHECK_OK(tio_wait_fd(&L, &W2, sv[0], TIO_WRITE, -1));
        CHECK_EQ(tio_run_once(&L, -1), 1);
        CHECK_PTR(tio_ready_pop(&L), &W2);
        CHECK_EQ(W2.result, TSK_OK);
        CHECK_EQ(write(sv[1], "x", 1), 1);
        CHECK_EQ(tio_run_once(&L, -1), 1);
        CHECK_PTR(tio_ready_pop(&L), &R);
        CHECK_EQ(R.result, TSK_OK);
        CHECK_EQ(tio_armed(&L), 0);
        close_pair();
    }
}

/* One waiter per direction per fd; the other direction is free. */
static void test_second_waiter_busy(void) {
    for (int b = 0; b < NB; b++) {
        open_pair(b);
        CHECK_OK(tio_wait_fd(&L, &R, sv[0], TIO_READ, -1));
        CHECK_EQ(tio_wait_fd(&L, &X, sv[0], TIO_READ, -1), TIO_E_BUSY);
        CHECK_EQ(tio_wait_state(&X), 0);
        CHECK_EQ(tio_wait_fd(&L, &R, sv[1], TIO_READ, -1), TIO_E_ARMED);
        CHECK_OK(tio_wait_fd(&L, &X, sv[0], TIO_WRITE, -1));
        CHECK_EQ(tio_wait_fd(&L, &W2, sv[0], 3, -1), TSK_E_INVALID);
        tio_cancel(&L, &R);
        CHECK_OK(tio_wait_fd(&L, &W2, sv[0], TIO_READ, -1)); /* free again */
        close_pair();
    }
}

static void test_fd_timeout_and_close(void) {
    for (int b = 0; b < NB; b++) {
        open_pair(b);
        CHECK_OK(tio_wait_fd(&L, &R, sv[0], TIO_READ, 2000000));
        CHECK_OK(tio_wait_fd(&L, &X, sv[1], TIO_READ, -1));
        while (tio_run_once(&L, -1) == 0) {
        }
        CHECK_PTR(tio_ready_pop(&L), &R);
        CHECK_EQ(R.result, TIO_E_TIMEOUT);
        /* the timed-out reader left its fd: another may wait there */
        CHECK_OK(tio_wait_fd(&L, &W2, sv[0], TIO_READ, -1));
        tio_close_fd(&L, sv[1]);
        CHECK_PTR(tio_ready_pop(&L), &X);
        CHECK_EQ(X.result, TIO_E_CLOSED);
        tio_cancel(&L, &W2);
        CHECK_EQ(tio_armed(&L), 0);
        close_pair();
    }
}

/* Interest shrinks lazily: a cancelled reader's fd stays registered until
** the next prepare (a reader that waits again meanwhile costs no call). */
static void test_lazy_interest(void) {
    for (int b = 0; b < NB; b++) {
        open_pair(b);
        CHECK_OK(tio_wait_fd(&L, &R, sv[0], TIO_READ, -1));
        tio_cancel(&L, &R);
        CHECK_EQ(L.fds[sv[0]].have, TIO_READ);
        CHECK_OK(tio_wait_fd(&L, &R, sv[0], TIO_READ, -1)); /* no ctl */
        tio_cancel(&L, &R);
        CHECK_EQ(write(sv[1], "x", 1), 1);
        CHECK_EQ(tio_run_once(&L, 0), 0);
        CHECK_EQ(L.fds[sv[0]].have, 0);
        CHECK_EQ(tio_run_once(&L, 0), 0); /* nothing fires, nothing spins */
        close_pair();
    }
}

/* tio_close_fd, then the same numbers again (as accept after close
** gives): the new sockets are polled.  Without the tio_close_fd of sv[0]
** the epoll backend would still take its number for registered. */
static void test_fd_number_reused(void) {
    for (int b = 0; b < NB; b++) {
        int old0;
        open_pair(b);
        old0 = sv[0];
        CHECK_OK(tio_wait_fd(&L, &R, sv[0], TIO_READ, -1));
        CHECK_EQ(write(sv[1], "x", 1), 1);
        CHECK_EQ(tio_run_once(&L, -1), 1);
        CHECK_PTR(tio_ready_pop(&L), &R);
        tio_close_fd(&L, sv[0]); /* still registered (lazily): forgotten */
        tio_close_fd(&L, sv[1]);
        close(sv[0]);
        close(sv[1]);
        CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
        CHECK_EQ(sv[0], old0);
        CHECK_OK(tio_wait_fd(&L, &R, sv[0], TIO_READ, 20000000));
        CHECK_EQ(write(sv[1], "y", 1), 1);
        CHECK_EQ(tio_run_once(&L, -1), 1);
        CHECK_PTR(tio_ready_pop(&L), &R);
        CHECK_EQ(R.result, TSK_OK); /* not a timeout */
        close_pair();
    }
}

/* A regular file cannot be polled (epoll: EPERM): always ready.  A bad
** fd is refused at once (epoll) or fires with TIO_E_BADF (poll). */
static void test_file_and_bad_fd(void) {
    for (int b = 0; b < NB; b++) {
        int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), r;
        CHECK(fd >= 0);
        CHECK_OK(tio_loop_init(&L, backends[b], 0));
        tio_wait_init(&R, NULL);
        CHECK_OK(tio_wait_fd(&L, &R, fd, TIO_READ, -1));
        CHECK_EQ(tio_run_once(&L, -1), 1);
        CHECK_PTR(tio_ready_pop(&L), &R);
        CHECK_EQ(R.result, TSK_OK);
        tio_close_fd(&L, fd);
        close(fd);
        CHECK_EQ(tio_wait_fd(&L, &R, -1, TIO_READ, -1), TIO_E_BADF);
        r = tio_wait_fd(&L, &R, fd, TIO_READ, -1);
        if (r == TSK_OK) {
            CHECK_EQ(tio_run_once(&L, -1), 1);
            CHECK_PTR(tio_ready_pop(&L), &R);
            CHECK_EQ(R.result, TIO_E_BADF);
        } else {
            CHECK_EQ(r, TIO_E_BADF);
            CHECK_EQ(tio_errno(&L), EBADF);
        }
        tio_loop_fini(&L);
    }
}

static void *waker(void *arg) {
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    for (int i = 0; i < 3; i++) /* many wakeups, one write */
        CHECK_OK(tio_wakeup((tio_loop *)arg));
    return NULL;
}

/* Another thread wakes a loop that waits with nothing armed. */
static void test_cross_thread_wakeup(void) {
    static const unsigned flags[2] = {0, TIO_F_PIPE};
    for (int b = 0; b < NB; b++) {
        for (int f = 0; f < 2; f++) {
            pthread_t th;
            CHECK_OK(tio_loop_init(&L, backends[b], flags[f]));
            CHECK((L.wakefd[0] == L.wakefd[1]) == (f == 0));
            CHECK_EQ(pthread_create(&th, NULL, waker, &L), 0);
            while (L.wakes == 0)
                CHECK_EQ(tio_run_once(&L, -1), 0);
            CHECK_EQ(pthread_join(th, NULL), 0);
            CHECK_EQ(tio_run_once(&L, 0), 0); /* a second write, if any */
            CHECK(L.wakes >= 1 && L.wakes <= 2);
            /* the flag was cleared; three calls before the loop runs are
            ** one write, seen once */
            L.wakes = 0;
            for (int i = 0; i < 3; i++)
                CHECK_OK(tio_wakeup(&L));
            CHECK_EQ(tio_run_once(&L, -1), 0);
            CHECK_EQ(tio_run_once(&L, 0), 0);
            CHECK_EQ(L.wakes, 1);
            tio_loop_fini(&L);
        }
    }
}

CHECK_MAIN("io loop", CHECK_CASE(test_backend_names),
           CHECK_CASE(test_readiness), CHECK_CASE(test_second_waiter_busy),
           CHECK_CASE(test_fd_timeout_and_close),
           CHECK_CASE(test_lazy_interest), CHECK_CASE(test_fd_number_reused),
           CHECK_CASE(test_file_and_bad_fd),
           CHECK_CASE(test_cross_thread_wakeup))
