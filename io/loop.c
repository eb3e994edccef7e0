/*
** loop.c
** The I/O loop: waits on fds and deadlines, the ready list, wakeups.
** See LICENSE in the project root.
**
** Interest only grows at once (tio_wait_fd asks the backend, so a bad fd
** is reported to the caller); it shrinks lazily, in tio_prepare, for the
** fds queued in the change list.  A tasklet that is woken, reads, and
** waits again before the next block thus costs no system call, and a
** cancel from another thread never touches the backend's arrays.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POSIX and Linux calls under -std=c11 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/eventfd.h>
#endif
#include "tio_int.h"

int64_t tio_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int sys_fail(tio_loop *l, int err) {
    l->err = err;
    return err == EBADF ? TIO_E_BADF : err == ENOMEM ? TSK_E_NOMEM : TIO_E_SYS;
}

/* make sure fd has an entry */
static int fd_entry(tio_loop *l, int fd) {
    size_t cap = (size_t)l->nfds, old = cap;
    if (fd < l->nfds)
        return 0;
    if (tio__grow((void **)&l->fds, sizeof *l->fds, &cap, (size_t)fd + 1))
        return -1;
    for (; old < cap; old++)
        l->fds[old].pidx = -1;
    l->nfds = (int)cap;
    return 0;
}

static unsigned fd_want(const tio_fdent *e) {
    return (e->w[0] ? TIO_READ : 0u) | (e->w[1] ? TIO_WRITE : 0u);
}

/* fd's interest may shrink: tio_prepare looks at it */
static void queue_change(tio_loop *l, int fd) {
    size_t cap = (size_t)l->capchg;
    tio_fdent *e = &l->fds[fd];
    if (e->queued)
        return;
    if (tio__grow((void **)&l->chg, sizeof *l->chg, &cap,
                  (size_t)l->nchg + 1) != 0)
        return; /* no memory: the interest stays (a spurious event) */
    l->capchg = (int)cap;
    l->chg[l->nchg++] = fd;
    e->queued = 1;
}

/* {======================================================================
** Init, wakeup
** ======================================================================= */
static int wake_open(tio_loop *l, unsigned flags) {
#if defined(__linux__)
    if (!(flags & TIO_F_PIPE)) {
        int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd >= 0) {
            l->wakefd[0] = l->wakefd[1] = fd;
            return 0;
        }
    }
#endif
    (void)flags;
    if (pipe(l->wakefd) != 0)
        return errno;
    for (int i = 0; i < 2; i++) {
        fcntl(l->wakefd[i], F_SETFL,
              fcntl(l->wakefd[i], F_GETFL) | O_NONBLOCK);
        fcntl(l->wakefd[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

static void wake_close(tio_loop *l) {
    if (l->wakefd[1] >= 0 && l->wakefd[1] != l->wakefd[0])
        close(l->wakefd[1]);
    if (l->wakefd[0] >= 0)
        close(l->wakefd[0]);
    l->wakefd[0] = l->wakefd[1] = -1;
}

static const tio_backend *pick(int backend) {
    switch (backend) {
#if defined(__linux__)
    case TIO_BACKEND_DEFAULT:
    case TIO_BACKEND_EPOLL: return &tio__epoll;
#else
    case TIO_BACKEND_DEFAULT:
#endif
    case TIO_BACKEND_POLL: return &tio__poll;
    }
    return NULL;
}

int tio_loop_init(tio_loop *l, int backend, unsigned flags) {
    int err, fd;
    memset(l, 0, sizeof *l);
    l->bfd = l->wakefd[0] = l->wakefd[1] = -1;
    l->be = pick(backend);
    if (l->be == NULL)
        return TIO_E_BACKEND;
    if ((err = l->be->init(l)) != 0)
        return sys_fail(l, err);
    if ((err = wake_open(l, flags)) != 0)
        goto fail;
    fd = l->wakefd[0];
    err = ENOMEM;
    if (fd_entry(l, fd) != 0)
        goto fail;
    if ((err = l->be->ctl(l, fd, 0, TIO_READ)) != 0)
        goto fail;
    l->fds[fd].have = TIO_READ;
    l->now = tio_clock();
    l->poll_ns = TIO_POLL_NS;
    return TSK_OK;
fail:
    tio_loop_fini(l);
    return sys_fail(l, err);
}

void tio_loop_fini(tio_loop *l) {
    if (l->be != NULL)
        l->be->fini(l);
    wake_close(l);
    free(l->fds);
    free(l->chg);
    free(l->heap);
    while (l->pool != NULL) {
        tio_wait *w = l->pool;
        l->pool = w->next;
        free(w);
    }
    l->fds = NULL;
    l->chg = NULL;
    l->heap = NULL;
    l->nfds = l->nchg = 0;
    l->nheap = 0;
    l->rhead = l->rtail = NULL;
    l->narmed = 0;
}

int tio_wakeup(tio_loop *l) {
    uint64_t one = 1;
    if (__atomic_exchange_n(&l->wakepend, 1, __ATOMIC_SEQ_CST) != 0)
        return TSK_OK; /* one is on its way */
    while (write(l->wakefd[1], &one, sizeof one) < 0) {
        if (errno == EAGAIN)
            return TSK_OK; /* full: the loop wakes anyway */
        if (errno != EINTR)
            return TIO_E_SYS; /* errno is the caller's thread's */
    }
    return TSK_OK;
}

/* Drain first, then clear: work queued before a wakeup that found the
** flag set is seen by the owner after this returns. */
static void wake_drain(tio_loop *l) {
    char buf[64];
    while (read(l->wakefd[0], buf, sizeof buf) > 0) {
    }
    l->wakes++;
    __atomic_store_n(&l->wakepend, 0, __ATOMIC_SEQ_CST);
}
/* }====================================================================== */

const char *tio_backend_name(const tio_loop *l) { return l->be->name; }
int tio_errno(const tio_loop *l) { return l->err; }
int64_t tio_now(const tio_loop *l) { return l->now; }
int tio_armed(const tio_loop *l) { return l->narmed; }
int tio_wait_state(const tio_wait *w) { return w->state; }

void tio_wait_init(tio_wait *w, void *data) {
    memset(w, 0, sizeof *w);
    w->when = TIO_NEVER;
    w->fd = -1;
    w->data = data;
}

/* {======================================================================
** Arming, firing, cancelling
** ======================================================================= */
static void ready_unlink(tio_loop *l, tio_wait *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        l->rhead = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        l->rtail = w->prev;
    w->next = w->prev = NULL;
}

/* Take w out of its fd entry and the heap (it stays counted as armed). */
static void disarm(tio_loop *l, tio_wait *w) {
    if (w->dir) {
        tio_fdent *e = &l->fds[w->fd];
        e->w[w->dir - 1] = NULL;
        queue_change(l, w->fd);
        w->dir = 0;
    }
    if (w->slot)
        tio__heap_remove(l, w);
}

static void fire(tio_loop *l, tio_wait *w, int result) {
    disarm(l, w);
    l->narmed--;
    w->result = (int16_t)result;
    w->state = TIO__READY;
    w->next = NULL;
    w->prev = l->rtail;
    if (l->rtail)
        l->rtail->next = w;
    else
        l->rhead = w;
    l->rtail = w;
}

static int arm_deadline(tio_loop *l, tio_wait *w, int64_t timeout_ns) {
    if (timeout_ns < 0) {
        w->when = TIO_NEVER;
        return TSK_OK;
    }
    w->when = tio_clock() + timeout_ns;
    if (w->when < timeout_ns) /* overflow: as good as never */
        w->when = TIO_NEVER - 1;
    return tio__heap_push(l, w);
}

int tio_wait_timer(tio_loop *l, tio_wait *w, int64_t timeout_ns) {
    int r;
    if (w->state != TIO__IDLE)
        return TIO_E_ARMED;
    if ((r = arm_deadline(l, w, timeout_ns < 0 ? 0 : timeout_ns)) != TSK_OK)
        return r;
    w->fd = -1;
    w->dir = 0;
    w->state = TIO__ARMED;
    l->narmed++;
    return TSK_OK;
}

/* grow fd's interest to include dir (before w is linked) */
static int want_more(tio_loop *l, int fd, unsigned dir) {
    tio_fdent *e = &l->fds[fd];
    int err;
    if ((e->have & dir) || e->always)
        return 0;
    err = l->be->ctl(l, fd, e->have, e->have | dir);
    if (err == EPERM) {
        e->always = 1; /* never pollable: always ready */
        return 0;
    }
    if (err == 0)
        e->have |= (uint8_t)dir;
    return err;
}

int tio_wait_fd(tio_loop *l, tio_wait *w, int fd, int dir,
                int64_t timeout_ns) {
    tio_fdent *e;
    int r;
    if (w->state != TIO__IDLE)
        return TIO_E_ARMED;
    if (dir != TIO_READ && dir != TIO_WRITE)
        return TSK_E_INVALID;
    if (fd < 0 || fd == l->wakefd[0])
        return TIO_E_BADF;
    if (fd_entry(l, fd) != 0)
        return TSK_E_NOMEM;
    e = &l->fds[fd];
    if (e->w[dir - 1] != NULL)
        return TIO_E_BUSY;
    if ((r = want_more(l, fd, (unsigned)dir)) != 0)
        return sys_fail(l, r);
    if ((r = arm_deadline(l, w, timeout_ns)) != TSK_OK)
        return r;
    e->w[dir - 1] = w;
    w->fd = fd;
    w->dir = (uint8_t)dir;
    w->state = TIO__ARMED;
    l->narmed++;
    if (e->always)
        fire(l, w, TSK_OK);
    return TSK_OK;
}

void tio_cancel(tio_loop *l, tio_wait *w) {
    if (w->state == TIO__ARMED) {
        disarm(l, w);
        l->narmed--;
    } else if (w->state == TIO__READY) {
        ready_unlink(l, w);
    }
    w->state = TIO__IDLE;
}

void tio_close_fd(tio_loop *l, int fd) {
    tio_fdent *e;
    if (fd < 0 || fd >= l->nfds || fd == l->wakefd[0])
        return;
    e = &l->fds[fd];
    for (int d = 0; d < 2; d++)
        if (e->w[d] != NULL)
            fire(l, e->w[d], TIO_E_CLOSED);
    if (e->have)
        l->be->ctl(l, fd, e->have, 0);
    e->have = 0;
    e->always = 0;
}

tio_wait *tio_ready_pop(tio_loop *l) {
    tio_wait *w = l->rhead;
    if (w != NULL) {
        ready_unlink(l, w);
        w->state = TIO__IDLE;
    }
    return w;
}
/* }====================================================================== */

/* {======================================================================
** One cycle: prepare, block, dispatch
** ======================================================================= */
static void apply_changes(tio_loop *l) {
    for (int i = 0; i < l->nchg; i++) {
        int fd = l->chg[i];
        tio_fdent *e = &l->fds[fd];
        unsigned want = fd_want(e);
        e->queued = 0;
        if (want == e->have || e->always)
            continue;
        if (l->be->ctl(l, fd, e->have, want) == 0 || want == 0)
            e->have = (uint8_t)want;
    }
    l->nchg = 0;
}

int tio_prepare(tio_loop *l, int64_t max_ns) {
    tio_wait *top = tio__heap_top(l);
    int64_t ns = max_ns;
    apply_changes(l);
    if (l->rhead != NULL)
        return 0;
    if (top != NULL) {
        int64_t left = top->when - tio_clock();
        if (left < 0)
            left = 0;
        if (ns < 0 || left < ns)
            ns = left;
    }
    if (ns < 0)
        return -1;
    /* round up: waking before the deadline would only spin */
    ns = (ns + 999999) / 1000000;
    return ns > 86400000 ? 86400000 : (int)ns;
}

int tio_block(tio_loop *l, int ms) {
    int n = l->be->block(l, ms);
    if (n < 0) {
        l->nev = 0;
        return errno == EINTR ? TSK_OK : sys_fail(l, errno);
    }
    l->nev = n;
    return TSK_OK;
}

/* one backend event */
static void fd_event(tio_loop *l, int fd, unsigned m) {
    tio_fdent *e;
    int fired = 0;
    if (fd == l->wakefd[0]) {
        wake_drain(l);
        return;
    }
    if (fd < 0 || fd >= l->nfds)
        return;
    e = &l->fds[fd];
    for (int d = 0; d < 2; d++) {
        if (e->w[d] == NULL)
            continue;
        if (m & TIO__NVAL)
            fire(l, e->w[d], TIO_E_BADF);
        else if (m & ((unsigned)(d + 1) | TIO__ERR))
            fire(l, e->w[d], TSK_OK);
        else
            continue;
        fired = 1;
    }
    if (!fired || (m & TIO__NVAL))
        queue_change(l, fd); /* nobody wanted it: shrink the interest */
}

int tio_dispatch(tio_loop *l) {
    int n = 0;
    tio_wait *w;
    for (int i = 0; i < l->nev; i++) {
        int fd;
        unsigned m = l->be->event(l, i, &fd);
        if (m != 0)
            fd_event(l, fd, m);
    }
    l->nev = 0;
    l->now = tio_clock();
    while ((w = tio__heap_top(l)) != NULL && w->when <= l->now)
        fire(l, w, TIO_E_TIMEOUT);
    for (w = l->rhead; w != NULL; w = w->next)
        n++;
    return n;
}

int tio_run_once(tio_loop *l, int64_t max_ns) {
    int r = tio_block(l, tio_prepare(l, max_ns));
    if (r != TSK_OK)
        return r;
    return tio_dispatch(l);
}
/* }====================================================================== */
