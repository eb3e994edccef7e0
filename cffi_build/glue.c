/*
** glue.c
** The cffi backend's C side: a mutex around the core, waiting, hooks.
** See LICENSE in the project root.
**
** cffi releases the GIL around every call into C, so two threads can be
** inside the core at once.  The core wants cross-thread operations to be
** serialised by its caller: every tg_* call that reads or changes shared
** state (run queues, channel queues, tasklet flags) takes one process-wide
** mutex.  Python code runs under that mutex only in the others_could_run
** hook, which must not call back into tg_*.
**
** Nothing here switches stacks: the core's plans decide, the Python layer
** moves its frames (continulets), then calls tsk_commit.
**
** Atomic, across threads.  In Stackless (and in the C extension) a
** tasklet that is atomic keeps the GIL, so a batch of cross-thread
** operations (insert, insert, run) reaches a waiting thread as a whole:
** remote run order is FIFO.  Here every call drops the GIL, and the woken
** thread would start on the first tasklet before the batch is complete.
** So a wake issued while the caller's current tasklet is atomic is held
** back: the woken thread stays waiting (even when its wait times out)
** until the caller's tasklet stops being atomic, switches away, blocks,
** or its thread ends; at most HOLD_MS, so that an atomic tasklet waiting
** for that thread by other means (a threading.Event) cannot deadlock.
*/
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>
#include "tsk_int.h"
#include "glue.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
#define LOCK()   pthread_mutex_lock(&mu)
#define UNLOCK() pthread_mutex_unlock(&mu)

/* A scheduler plus what this thread waits on when only another thread
** can give it work (the core's TSK_WAIT). */
struct tg_sched {
    tsk_sched s;        /* first: a tsk_sched* is a tg_sched* */
    sem_t sem;          /* posted by 'wake' */
    int woken;          /* a post is pending */
    int64_t held_until; /* a held wake (see above): its deadline */
};

/* {======================================================================
** Held wakes (see the top).  Everything here runs under the mutex.
** ======================================================================= */
#define HOLD_MS  500
#define HOLD_MAX 8

static __thread tg_sched *me;             /* this thread's scheduler */
static __thread tg_sched *held[HOLD_MAX]; /* the wakes it holds back */
static __thread int nheld;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void post(tg_sched *g) {
    g->held_until = 0;
    if (!g->woken) {
        g->woken = 1;
        sem_post(&g->sem);
    }
}

static int atomic_now(void) {
    tsk_tasklet *cur = me != NULL && me->s.alive ? me->s.current : NULL;
    return cur != NULL && (cur->flags & TSK_F_ATOMIC) != 0;
}

static void release_held(void) {
    while (nheld > 0)
        post(held[--nheld]);
}

/* Hold g's wake back (1), unless this thread holds too many already. */
static int hold(tg_sched *g) {
    int i;
    for (i = 0; i < nheld && held[i] != g; i++) {
    }
    if (i == HOLD_MAX)
        return 0;
    if (i == nheld)
        held[nheld++] = g;
    g->held_until = now_ms() + HOLD_MS;
    return 1;
}

/* after a call: unless this thread still runs an atomic tasklet */
static void settle(void) {
    if (nheld > 0 && !atomic_now())
        release_held();
}
/* }====================================================================== */

/* {======================================================================
** Hooks
** ======================================================================= */
/* (about to wait: whatever it held back must go first) */
static int hook_others(tsk_sched *s) {
    release_held();
    return tg_py_others_could_run(s);
}

/* The core needs a 'wait' hook to consider waiting at all; the wait
** itself is done by tg_wait, outside the mutex. */
static void hook_wait(tsk_sched *s) { (void)s; }

static void hook_wake(tsk_sched *s) {
    tg_sched *g = (tg_sched *)s;
    /* no longer waiting from here on, so that a third thread does not see
    ** "everybody waits" before this one got going again */
    s->waiting = 0;
    if (atomic_now() && g != me && hold(g))
        return;
    post(g);
}

static const tsk_hooks hooks = {
    .others_could_run = hook_others,
    .wait = hook_wait,
    .wake = hook_wake,
};
/* }====================================================================== */

/* {======================================================================
** Schedulers and waiting
** ======================================================================= */
tg_sched *tg_sched_new(void) {
    tg_sched *g = (tg_sched *)calloc(1, sizeof *g);
    if (g != NULL && sem_init(&g->sem, 0, 0) != 0) {
        free(g);
        g = NULL;
    }
    return g;
}

void tg_sched_free(tg_sched *g) {
    if (g != NULL) {
        sem_destroy(&g->sem);
        free(g);
    }
}

tsk_sched *tg_core(tg_sched *g) { return &g->s; }

tsk_result tg_sched_init(tg_sched *g, tsk_tasklet *main) {
    tsk_result r;
    void *data = g->s.data;
    LOCK();
    r = tsk_sched_init(&g->s, main, &hooks);
    g->s.data = data;
    me = g;
    UNLOCK();
    return r;
}

void tg_sched_fini(tg_sched *g) {
    LOCK();
    if (g == me) {
        release_held();
        me = NULL;
    }
    tsk_sched_fini(&g->s);
    g->s.waiting = 0;
    UNLOCK();
}

/* Wait up to timeout_ms for 'wake'.  1: woken, 0: timed out (the caller
** then lets Python run signal handlers and waits again). */
int tg_wait(tg_sched *g, int timeout_ms) {
    struct timespec ts;
    int rc;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    do {
        rc = sem_timedwait(&g->sem, &ts);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0)
        return 0;
    LOCK();
    g->woken = 0;
    UNLOCK();
    return 1;
}

void tg_set_waiting(tsk_sched *s, int waiting) {
    LOCK();
    s->waiting = waiting;
    UNLOCK();
}

/* An address in the caller's C stack frame (stacks grow down on every
** target PyPy runs on: larger is shallower).  The backend compares where
** it stands with where its factory continulet was made (pypy/switching.py):
** PyPy's recursion check counts C stack bytes, and a new continulet's
** stack starts where it is made. */
uintptr_t tg_stack_addr(void) {
    /* (the frame address, not a local's: clang -Werror refuses returning
    ** the address of stack memory) */
    return (uintptr_t)__builtin_frame_address(0);
}

/* os.fork() while another thread is inside a tg_* call would leave the
** child a locked mutex whose owner does not exist there: the forking
** thread holds it across the fork (pypy/threads.py, os.register_at_fork)
** and unlocks it on both sides.  cffi releases the GIL around this call,
** so a holder that needs the GIL (others_could_run) can finish first. */
void tg_fork_lock(void) { LOCK(); }
void tg_fork_unlock(void) { UNLOCK(); }
/* }====================================================================== */

/* {======================================================================
** Tasklets and channels
** ======================================================================= */
/* call under the mutex, return its result */
#define LOCKED(type, call)                                                    \
    do {                                                                      \
        type r_;                                                              \
        LOCK();                                                               \
        r_ = (call);                                                          \
        settle();                                                             \
        UNLOCK();                                                             \
        return r_;                                                            \
    } while (0)

tsk_result tg_tasklet_init(tsk_tasklet *t, tsk_sched *s) {
    /* no body: Python runs it on a continulet, the core never starts it */
    LOCKED(tsk_result, tsk_tasklet_init(t, s, NULL, NULL, NULL));
}

tsk_result tg_bind_sched(tsk_tasklet *t, tsk_sched *s) {
    LOCKED(tsk_result, tsk_tasklet_bind_sched(t, s));
}

tsk_result tg_throw_check(tsk_tasklet *t, int exit, int kill) {
    LOCKED(tsk_result, tsk_throw_check(t, exit, kill));
}

tsk_result tg_bind_check(tsk_tasklet *t, int unbind) {
    LOCKED(tsk_result, tsk_bind_check(t, unbind));
}

int tg_unbind(tsk_tasklet *t) { LOCKED(int, tsk_tasklet_unbind(t)); }

void tg_set_flags(tsk_tasklet *t, unsigned set, unsigned clear) {
    LOCK();
    t->flags = (uint16_t)((t->flags & ~clear) | set);
    settle(); /* the end of an atomic section */
    UNLOCK();
}

void tg_chan_set_flags(tsk_channel *ch, unsigned set, unsigned clear) {
    LOCK();
    ch->flags = (uint8_t)((ch->flags & ~clear) | set);
    UNLOCK();
}

void tg_chan_set_preference(tsk_channel *ch, int pref) {
    LOCK();
    tsk_channel_set_preference(ch, pref);
    UNLOCK();
}

int tg_switch_trap(tsk_sched *s, int delta) {
    LOCKED(int, tsk_switch_trap(s, delta));
}

tsk_result tg_insert(tsk_tasklet *t) { LOCKED(tsk_result, tsk_insert(t)); }
tsk_result tg_remove(tsk_tasklet *t) { LOCKED(tsk_result, tsk_remove(t)); }
tsk_result tg_unblock(tsk_tasklet *t) { LOCKED(tsk_result, tsk_unblock(t)); }
/* }====================================================================== */

/* {======================================================================
** Plans.  TSK_WAIT marks the scheduler as waiting before the mutex is
** dropped, so that a thread feeding it right afterwards wakes it.  A plan
** that switches away ends what an atomic tasklet held back.
** ======================================================================= */
static void after_plan(tsk_sched *s, tsk_result r, tsk_tasklet **next) {
    if (r == TSK_WAIT)
        s->waiting = 1;
    if (nheld > 0 && (r != TSK_OK || (*next != NULL && *next != s->current)))
        release_held();
    else
        settle();
}

#define PLAN(call)                                                            \
    do {                                                                      \
        tsk_result r_;                                                        \
        LOCK();                                                               \
        r_ = (call);                                                          \
        after_plan(s, r_, next);                                              \
        UNLOCK();                                                             \
        return r_;                                                            \
    } while (0)

tsk_result tg_plan_schedule(tsk_sched *s, int remove, tsk_tasklet **next) {
    PLAN(tsk_plan_schedule(s, remove, next));
}

tsk_result tg_plan_channel(tsk_sched *s, tsk_channel *ch, int dir,
                           tsk_tasklet **next, tsk_tasklet **partner) {
    tsk_result r;
    LOCK();
    r = tsk_plan_channel(s, ch, dir, next, partner);
    after_plan(s, r, next);
    /* A partner of another thread may run there as soon as we drop the
    ** mutex, before Python here has handed it the value: it waits for
    ** this flag to clear (pypy/tasklet.py, tasklet._claim). */
    if (r == TSK_OK && *partner != NULL && (*partner)->sched != s)
        (*partner)->flags |= TG_F_XFER;
    UNLOCK();
    return r;
}

tsk_result tg_plan_run(tsk_sched *s, tsk_tasklet *t, int remove_self,
                       tsk_tasklet **next) {
    PLAN(tsk_plan_run(s, t, remove_self, next));
}

tsk_result tg_plan_watchdog(tsk_sched *s, tsk_tasklet **next) {
    PLAN(tsk_plan_watchdog(s, next));
}

void tg_watchdog_pop(tsk_sched *s, tsk_tasklet *t) {
    LOCK();
    tsk_watchdog_pop(s, t);
    settle();
    UNLOCK();
}

tsk_result tg_plan_throw(tsk_sched *s, tsk_tasklet *t, int wake, int pending,
                         tsk_tasklet **next) {
    PLAN(tsk_plan_throw(s, t, wake, pending, next));
}

tsk_result tg_plan_end(tsk_sched *s, int failed, tsk_tasklet **next) {
    PLAN(tsk_plan_end(s, failed, next));
}

tsk_result tg_plan_resume(tsk_sched *s, tsk_tasklet **next) {
    tg_sched *g = (tg_sched *)s;
    tsk_result r;
    LOCK();
    if (g->held_until != 0 && now_ms() < g->held_until) {
        /* fed by an atomic batch still under way: wait on (not counted
        ** as waiting: it has work) */
        *next = NULL;
        UNLOCK();
        return TSK_WAIT;
    }
    s->waiting = 0;
    r = tsk_plan_resume(s, next);
    after_plan(s, r, next);
    UNLOCK();
    return r;
}

void tg_plan_abort(tsk_sched *s) {
    LOCK();
    s->waiting = 0;
    tsk_plan_abort(s);
    UNLOCK();
}
/* }====================================================================== */
