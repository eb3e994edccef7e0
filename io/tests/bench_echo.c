/*
** bench_echo.c
** Echo over socketpairs with N client and N server tasklets on one loop:
** round trips per second, per backend.  Not a test; make -C io/tests echo
**   build/<cc>/bench_echo [pairs] [seconds] [bytes]
** See LICENSE in the project root.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tio.h"

#define MAXP 1000
static tsk_sched S;
static tsk_tasklet M, CL[MAXP], SV[MAXP];
static tio_loop L;
static int fds[MAXP][2], npairs, msglen = 64;
static int64_t until;
static long trips, switches;

/* read exactly n bytes, waiting for the loop when there are none */
static int read_full(int fd, char *buf, int n) {
    int got = 0;
    while (got < n) {
        ssize_t k = read(fd, buf + got, (size_t)(n - got));
        if (k > 0) {
            got += (int)k;
        } else if (k == 0) {
            return -1;
        } else if (errno == EAGAIN) {
            switches++;
            if (tio_wait_io(&L, fd, TIO_READ, -1) != TSK_OK)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Buffers live on the heap: a tasklet's stack bytes are copied at every
** switch between tasklets sharing the thread's stack (core/stack.c). */
static int client(tsk_tasklet *t, void *arg) {
    int fd = fds[(intptr_t)arg][1];
    char *buf = calloc(1, (size_t)msglen);
    (void)t;
    if (buf == NULL)
        return 1;
    while (tio_now(&L) < until) {
        if (write(fd, buf, (size_t)msglen) != msglen ||
            read_full(fd, buf, msglen) != 0)
            break;
        trips++;
    }
    free(buf);
    shutdown(fd, SHUT_WR);
    return 0;
}

static int server(tsk_tasklet *t, void *arg) {
    int fd = fds[(intptr_t)arg][0];
    char *buf = malloc((size_t)msglen);
    (void)t;
    while (buf != NULL && read_full(fd, buf, msglen) == 0)
        if (write(fd, buf, (size_t)msglen) != msglen)
            break;
    free(buf);
    return 0;
}

static double run(int backend, double seconds) {
    int64_t t0;
    if (tsk_sched_init(&S, &M, NULL) != TSK_OK ||
        tio_loop_init(&L, backend, 0) != TSK_OK ||
        tio_attach(&L, &S, NULL) != TSK_OK)
        return -1;
    for (int i = 0; i < npairs; i++) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds[i]) != 0)
            return -1;
        tsk_tasklet_init(&SV[i], &S, server, (void *)(intptr_t)i, NULL);
        tsk_tasklet_init(&CL[i], &S, client, (void *)(intptr_t)i, NULL);
        tsk_insert(&SV[i]);
        tsk_insert(&CL[i]);
    }
    trips = switches = 0;
    t0 = tio_clock();
    until = t0 + (int64_t)(seconds * 1e9);
    tsk_run(&S);
    for (int i = 0; i < npairs; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
        tsk_tasklet_release(&SV[i]);
        tsk_tasklet_release(&CL[i]);
    }
    tio_detach(&L);
    tio_loop_fini(&L);
    tsk_sched_fini(&S);
    return (double)trips / ((double)(tio_clock() - t0) / 1e9);
}

int main(int argc, char **argv) {
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    npairs = argc > 1 ? atoi(argv[1]) : 100;
    msglen = argc > 3 ? atoi(argv[3]) : 64;
    if (npairs < 1 || npairs > MAXP || msglen < 1 || msglen > 65536)
        return 2;
    for (int b = TIO_BACKEND_EPOLL; b <= TIO_BACKEND_POLL; b++) {
        double rate = run(b, seconds);
        printf("%-5s %4d pairs, %5d B: %9.0f round trips/s, %.2f waits/trip\n",
               b == TIO_BACKEND_EPOLL ? "epoll" : "poll", npairs, msglen, rate,
               trips ? (double)switches / (double)trips : 0.0);
    }
    return 0;
}
