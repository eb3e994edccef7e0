/*
** tio.h
** The public API of the tasklets I/O loop: fd readiness and timers.
** See LICENSE in the project root.
**
** One loop per thread (Linux/POSIX; the core itself stays freestanding).
** A wait (tio_wait) is armed on a file descriptor's direction, on a
** deadline, or both; when it fires it goes to the loop's ready list with
** its result.  The loop never calls back and never switches: whoever
** drives it takes the fired waits off the ready list and wakes their
** owners.  That is what lets the PyPy layer drive it too (a C library
** must not move PyPy's stacks, docs/pypy_cffi.md).
**
** One cycle of the loop comes in three phases, so that a binding can drop
** its lock (the GIL) for the middle one only:
**
**   tio_prepare()   apply queued interest changes; the time to block
**   tio_block()     wait in the kernel (epoll_wait, poll); touches only
**                   the backend's event buffer: no lock needed
**   tio_dispatch()  turn events and expired deadlines into fired waits
**
** tio_run_once() does all three.  Only tio_wakeup() may be called from
** another thread without the owner's lock; tio_cancel() from another
** thread needs the lock the owner holds outside tio_block() (it only
** queues the interest change, which the owner's next tio_prepare makes).
*/
#ifndef TIO_H
#define TIO_H

#include <stddef.h>
#include <stdint.h>
#include "tsk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* {======================================================================
** Results: TSK_OK or a tsk_result of the core, or one of these (tio's own
** range starts at -100).  tio_strerror() gives the text of either.
** ======================================================================= */
enum {
    TIO_E_BUSY = -100,    /* another waiter has this fd and direction */
    TIO_E_TIMEOUT = -101, /* fired: the deadline passed first */
    TIO_E_CLOSED = -102,  /* fired: tio_close_fd while it waited */
    TIO_E_BADF = -103,    /* not an open file descriptor */
    TIO_E_SYS = -104,     /* a system call failed: tio_errno() says why */
    TIO_E_BACKEND = -105, /* that backend is not available here */
    TIO_E_ARMED = -106,   /* the wait is armed already */
    TIO_E_NO_LOOP = -107  /* the scheduler has no I/O loop */
};
TSK_API const char *tio_strerror(int r);
/* }====================================================================== */

/* directions of a wait on a file descriptor */
#define TIO_READ  1
#define TIO_WRITE 2

/* backends (tio_loop_init) */
#define TIO_BACKEND_DEFAULT 0 /* epoll where there is one, else poll */
#define TIO_BACKEND_EPOLL   1
#define TIO_BACKEND_POLL    2
/* flags (tio_loop_init) */
#define TIO_F_PIPE 0x01 /* wake through a pipe even where eventfd exists */

#define TIO_NEVER   INT64_MAX /* "no deadline" */
#define TIO_POLL_NS 1000000   /* schedule() looks at the loop this often */

typedef struct tio_loop tio_loop;
typedef struct tio_wait tio_wait;
typedef struct tio_backend tio_backend;

/* {======================================================================
** Data structures.  Fields are private; they are public only so that
** bindings can embed them without a malloc.
** ======================================================================= */

/* One wait: on fd's direction, on a deadline, or both.  Its storage must
** not move while it is armed, nor live on a sliced tasklet stack (the
** loop writes into it while its owner is suspended). */
struct tio_wait {
    int64_t when;          /* deadline (monotonic ns) or TIO_NEVER */
    uint64_t seq;          /* arming order: equal deadlines fire FIFO */
    size_t slot;           /* heap index + 1; 0: no deadline armed */
    tio_wait *next, *prev; /* ready list links */
    void *data;            /* the owner's (a tasklet) */
    int fd;                /* -1: a timer only */
    int16_t result;        /* when fired: TSK_OK, TIO_E_TIMEOUT... */
    uint8_t dir;           /* TIO_READ or TIO_WRITE; 0: none */
    uint8_t state;         /* TIO__IDLE, _ARMED, _READY (tio_int.h) */
};

/* What the loop knows of one file descriptor (indexed by fd). */
typedef struct tio_fdent {
    tio_wait *w[2]; /* the reader and the writer, or NULL */
    uint8_t have;   /* interest the backend holds (TIO_READ|TIO_WRITE) */
    uint8_t queued; /* in the change list */
    uint8_t always; /* the backend cannot poll it (a regular file):
                        always ready */
    uint8_t pad;
    int32_t pidx; /* the poll backend's slot, or -1 */
} tio_fdent;

struct tio_loop {
    const tio_backend *be;
    int bfd;        /* the backend's fd (epoll), or -1 */
    void *bbuf;     /* its buffer: epoll events, pollfd array */
    int bcap, blen; /* entries allocated, used */
    int nev;        /* entries the last tio_block filled */
    tio_fdent *fds; /* by fd */
    int nfds;
    int *chg; /* fds whose interest may shrink (tio_prepare) */
    int nchg, capchg;
    tio_wait **heap; /* deadlines: a binary min-heap on (when, seq) */
    size_t nheap, capheap;
    uint64_t seq;
    tio_wait *rhead, *rtail; /* fired waits, FIFO */
    int narmed;              /* armed waits */
    int wakefd[2];           /* read and write ends (the same eventfd twice) */
    int wakepend;            /* a wakeup is on its way (atomic) */
    unsigned long wakes;     /* wakeups seen (for tests) */
    int64_t now;             /* monotonic ns when the last block returned */
    int64_t poll_ns;         /* tio_task_poll's interval */
    int err;                 /* errno of the last TIO_E_SYS */
    tsk_sched *sched; /* the scheduler it serves (tio_attach), or NULL */
    tio_wait *pool;   /* free waits for tasklets (tio_task.c) */
};
/* }====================================================================== */

/* {======================================================================
** The loop
** ======================================================================= */
TSK_API int tio_loop_init(tio_loop *l, int backend, unsigned flags);
/* Close its fds and free its memory.  Armed waits are forgotten. */
TSK_API void tio_loop_fini(tio_loop *l);
TSK_API const char *tio_backend_name(const tio_loop *l); /* "epoll"... */
TSK_API int tio_errno(const tio_loop *l);   /* errno of the last TIO_E_SYS */
TSK_API int64_t tio_clock(void);            /* the monotonic clock, ns */
TSK_API int64_t tio_now(const tio_loop *l); /* when the last block ended */
TSK_API int tio_armed(const tio_loop *l);   /* armed waits */

/* Apply queued changes; returns how long tio_block should wait, in ms
** (-1: until an event), at most max_ns (-1: no bound).  0 when a fired
** wait is already on the ready list. */
TSK_API int tio_prepare(tio_loop *l, int64_t max_ns);
/* Wait in the kernel for at most ms.  TSK_OK (also when interrupted by a
** signal, EINTR), or TIO_E_SYS. */
TSK_API int tio_block(tio_loop *l, int ms);
/* Turn the last block's events and the expired deadlines into fired
** waits; returns how many are on the ready list. */
TSK_API int tio_dispatch(tio_loop *l);
/* The three in one: wait at most max_ns (-1: no bound, 0: poll). */
TSK_API int tio_run_once(tio_loop *l, int64_t max_ns);
/* The oldest fired wait, taken off the ready list (its state is idle
** again, its result says why it fired), or NULL. */
TSK_API tio_wait *tio_ready_pop(tio_loop *l);

/* Wake the loop from another thread (or a signal handler): its
** tio_block returns.  Many calls before it runs cost one write. */
TSK_API int tio_wakeup(tio_loop *l);
/* }====================================================================== */

/* {======================================================================
** Waits
** ======================================================================= */
TSK_API void tio_wait_init(tio_wait *w, void *data);
/* Arm w on fd's direction (TIO_READ or TIO_WRITE), with a timeout in ns
** (-1: none; 0: fires at the next dispatch unless ready).  TIO_E_BUSY
** when another wait has it (one waiter per direction per fd, as in
** gevent), TIO_E_BADF, TIO_E_ARMED, TIO_E_SYS; TSK_E_NOMEM. */
TSK_API int tio_wait_fd(tio_loop *l, tio_wait *w, int fd, int dir,
                        int64_t timeout_ns);
/* Arm w on a deadline only: a timer (fires with TIO_E_TIMEOUT). */
TSK_API int tio_wait_timer(tio_loop *l, tio_wait *w, int64_t timeout_ns);
/* Disarm w, also when it fired and waits on the ready list; a no-op when
** idle.  O(log n) for a deadline. */
TSK_API void tio_cancel(tio_loop *l, tio_wait *w);
/* Before fd is closed: its waits fire with TIO_E_CLOSED and the backend
** forgets it.  Required of every fd the loop has seen: interest shrinks
** lazily, so a number closed without it and reused at once (accept after
** close) would look registered already and never be polled (libev asks
** the same: ev_io_set on a new fd). */
TSK_API void tio_close_fd(tio_loop *l, int fd);
TSK_API int tio_wait_state(const tio_wait *w); /* 0 idle, 1 armed, 2 fired */
/* }====================================================================== */

/* {======================================================================
** Tasklets (io/task.c).  The loop is its scheduler's poller: a tasklet
** that waits is blocked in the core (tsk_plan_wait) like a channel
** receiver, counts as a waiter for deadlock detection, and a kill or
** throw of it cancels its wait.  When nothing can run the thread waits in
** the poller.  Waits come from a pool in the loop: nothing is kept on
** the tasklets' stacks.
** ======================================================================= */
/* Make l the poller of s (the same thread).  p NULL: the default driver
** (tio_run_once, then tio_wake_ready); a binding that drops a lock around
** the block gives its own 'wait' and 'wake', and tio_task_cancel. */
TSK_API int tio_attach(tio_loop *l, tsk_sched *s, const tsk_poller *p);
/* Before tio_loop_fini: TSK_E_BLOCKED while tasklets still wait. */
TSK_API int tio_detach(tio_loop *l);
TSK_API void tio_task_cancel(tsk_sched *s, tsk_tasklet *t, void *obj);
/* The poller's 'poll' (schedule() while tasklets wait): a non-blocking
** cycle, at most once per l->poll_ns (TIO_POLL_NS by default). */
TSK_API void tio_task_poll(tsk_sched *s);
/* Fired waits -> their tasklets runnable (tsk_wait_done, with the wait's
** result; a sleep that ended gives TSK_OK).  Returns how many. */
TSK_API int tio_wake_ready(tio_loop *l);
/* Plan: the current tasklet waits on fd's direction (timeout_ns -1: no
** timeout), or sleeps timeout_ns (fd -1, dir 0).  The plan's result as
** tsk_plan_wait's (TSK_OK, TSK_WAIT) or an error with nothing changed:
** TIO_E_NO_LOOP, TIO_E_BUSY, TIO_E_BADF... */
TSK_API int tio_plan_wait(tio_loop *l, int fd, int dir, int64_t timeout_ns,
                          tsk_tasklet **next);
/* Plan and switch (plain C): the wait's result when the tasklet runs
** again: TSK_OK, TIO_E_TIMEOUT, TIO_E_CLOSED, TSK_E_KILLED... */
TSK_API int tio_sleep(tio_loop *l, int64_t ns);
TSK_API int tio_wait_io(tio_loop *l, int fd, int dir, int64_t timeout_ns);
/* }====================================================================== */

#ifdef __cplusplus
}
#endif
#endif
