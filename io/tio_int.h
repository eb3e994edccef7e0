/*
** tio_int.h
** Internals shared between the I/O loop's files: the backend interface.
** See LICENSE in the project root.
*/
#ifndef TIO_INT_H
#define TIO_INT_H

#include "tio.h"

#if defined(__GNUC__)
#define TIO_INTERNAL __attribute__((visibility("hidden")))
#else
#define TIO_INTERNAL
#endif

/* wait states */
#define TIO__IDLE  0
#define TIO__ARMED 1
#define TIO__READY 2

/* event bits a backend reports besides TIO_READ and TIO_WRITE */
#define TIO__ERR                                                              \
    4               /* error or hang-up: both directions are "ready" (the
                       next call says what happened) */
#define TIO__NVAL 8 /* not an open fd (poll's POLLNVAL) */

/* A backend keeps the kernel's interest set in step with the loop's.
** Its state lives in the loop (bfd, bbuf, bcap, blen, nev).  kqueue fits
** the same shape (ctl queues a change, block is kevent), and so does
** io_uring's poll mode (ctl submits POLL_ADD/POLL_REMOVE). */
struct tio_backend {
    const char *name;
    int (*init)(tio_loop *l); /* 0 or an errno */
    void (*fini)(tio_loop *l);
    /* interest in fd goes from 'have' to 'want' (bits of TIO_READ and
    ** TIO_WRITE; want 0: forget fd).  0 or an errno: EPERM means the fd
    ** cannot be polled (a regular file: always ready), EBADF not open. */
    int (*ctl)(tio_loop *l, int fd, unsigned have, unsigned want);
    /* wait up to ms (-1: forever); entries to scan (nev), or -1 (errno) */
    int (*block)(tio_loop *l, int ms);
    /* entry i of the last block: its fd and event bits (0: nothing) */
    unsigned (*event)(const tio_loop *l, int i, int *fd);
};

TIO_INTERNAL extern const tio_backend tio__epoll;
TIO_INTERNAL extern const tio_backend tio__poll;

/* timer heap (io/heap.c) */
TIO_INTERNAL int tio__heap_push(tio_loop *l, tio_wait *w);
TIO_INTERNAL void tio__heap_remove(tio_loop *l, tio_wait *w);
static inline tio_wait *tio__heap_top(const tio_loop *l) {
    return l->nheap ? l->heap[0] : NULL;
}

/* grow *p (n elements of size sz, capacity *cap) to hold 'need'; new
** bytes are zero.  0 or -1 (no memory). */
TIO_INTERNAL int tio__grow(void **p, size_t sz, size_t *cap, size_t need);

#endif
