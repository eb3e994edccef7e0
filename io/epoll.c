/*
** epoll.c
** The epoll backend (Linux): level-triggered, one registration per fd.
** See LICENSE in the project root.
**
** Level-triggered because a wait is one-shot at the loop's level (it
** fires once and is disarmed) while the registration stays: a tasklet
** that reads, and waits again before the next block, costs no epoll_ctl.
** epoll forgets an fd by itself when its last descriptor closes, so a
** MOD may find nothing (ENOENT: ADD) and an ADD may find a registration
** made through a dup of a reused number (EEXIST: MOD).  EPERM means the
** fd cannot be polled at all (a regular file).
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POSIX and Linux calls under -std=c11 */
#endif
#if defined(__linux__)
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "tio_int.h"

#define EPOLL_BATCH 256 /* events per epoll_wait */

static int ep_init(tio_loop *l) {
    l->bfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->bfd < 0)
        return errno;
    l->bbuf = malloc(EPOLL_BATCH * sizeof(struct epoll_event));
    if (l->bbuf == NULL) {
        close(l->bfd);
        l->bfd = -1;
        return ENOMEM;
    }
    l->bcap = EPOLL_BATCH;
    return 0;
}

static void ep_fini(tio_loop *l) {
    if (l->bfd >= 0)
        close(l->bfd);
    l->bfd = -1;
    free(l->bbuf);
    l->bbuf = NULL;
}

static int ep_ctl(tio_loop *l, int fd, unsigned have, unsigned want) {
    struct epoll_event ev;
    int op = want == 0 ? EPOLL_CTL_DEL : have ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    ev.events = ((want & TIO_READ) ? EPOLLIN : 0u) |
        ((want & TIO_WRITE) ? EPOLLOUT : 0u);
    ev.data.u64 = (uint64_t)(uint32_t)fd;
    if (epoll_ctl(l->bfd, op, fd, &ev) == 0)
        return 0;
    if (op == EPOLL_CTL_MOD && errno == ENOENT)
        op = EPOLL_CTL_ADD;
    else if (op == EPOLL_CTL_ADD && errno == EEXIST)
        op = EPOLL_CTL_MOD;
    else if (op == EPOLL_CTL_DEL && (errno == ENOENT || errno == EBADF))
        return 0; /* gone already */
    else
        return errno;
    return epoll_ctl(l->bfd, op, fd, &ev) == 0 ? 0 : errno;
}

static int ep_block(tio_loop *l, int ms) {
    int n = epoll_wait(l->bfd, (struct epoll_event *)l->bbuf, l->bcap, ms);
    if (n < 0)
        return -1;
    return n;
}

static unsigned ep_event(const tio_loop *l, int i, int *fd) {
    const struct epoll_event *ev = (const struct epoll_event *)l->bbuf + i;
    unsigned m = 0;
    *fd = (int)(uint32_t)ev->data.u64;
    if (ev->events & EPOLLIN)
        m |= TIO_READ;
    if (ev->events & EPOLLOUT)
        m |= TIO_WRITE;
    if (ev->events & (EPOLLERR | EPOLLHUP))
        m |= TIO__ERR;
    return m;
}

const tio_backend tio__epoll = {"epoll", ep_init,  ep_fini,
                                ep_ctl,  ep_block, ep_event};
#endif
