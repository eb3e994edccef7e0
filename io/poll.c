/*
** poll.c
** The poll() backend: portable POSIX, and a second backend for the tests.
** See LICENSE in the project root.
**
** The interest set is a dense pollfd array; each fd's entry keeps its
** slot (pidx), so adding, changing and dropping an fd are O(1) (a drop
** moves the last entry into the hole).  poll() itself is O(n) in the
** registered fds, which is why epoll is the default where it exists.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POSIX and Linux calls under -std=c11 */
#endif
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include "tio_int.h"

static int pl_init(tio_loop *l) {
    l->bfd = -1;
    return 0;
}

static void pl_fini(tio_loop *l) {
    free(l->bbuf);
    l->bbuf = NULL;
    l->bcap = l->blen = 0;
}

static short pl_events(unsigned want) {
    return (short)(((want & TIO_READ) ? POLLIN : 0) |
                   ((want & TIO_WRITE) ? POLLOUT : 0));
}

static int pl_ctl(tio_loop *l, int fd, unsigned have, unsigned want) {
    struct pollfd *p;
    tio_fdent *e = &l->fds[fd];
    size_t cap = (size_t)l->bcap;
    (void)have;
    if (want == 0) {
        if (e->pidx >= 0) {
            p = (struct pollfd *)l->bbuf;
            p[e->pidx] = p[--l->blen];
            if (e->pidx < l->blen)
                l->fds[p[e->pidx].fd].pidx = e->pidx;
            e->pidx = -1;
        }
        return 0;
    }
    if (e->pidx < 0) {
        if (tio__grow(&l->bbuf, sizeof *p, &cap, (size_t)l->blen + 1) != 0)
            return ENOMEM;
        l->bcap = (int)cap;
        e->pidx = l->blen++;
        ((struct pollfd *)l->bbuf)[e->pidx].fd = fd;
    }
    p = (struct pollfd *)l->bbuf + e->pidx;
    p->events = pl_events(want);
    p->revents = 0;
    return 0;
}

static int pl_block(tio_loop *l, int ms) {
    int n = poll((struct pollfd *)l->bbuf, (nfds_t)l->blen, ms);
    return n < 0 ? -1 : n == 0 ? 0 : l->blen;
}

static unsigned pl_event(const tio_loop *l, int i, int *fd) {
    const struct pollfd *p = (const struct pollfd *)l->bbuf + i;
    unsigned m = 0;
    *fd = p->fd;
    if (p->revents & POLLIN)
        m |= TIO_READ;
    if (p->revents & POLLOUT)
        m |= TIO_WRITE;
    if (p->revents & (POLLERR | POLLHUP))
        m |= TIO__ERR;
    if (p->revents & POLLNVAL)
        m |= TIO__NVAL;
    return m;
}

const tio_backend tio__poll = {"poll", pl_init,  pl_fini,
                               pl_ctl, pl_block, pl_event};
