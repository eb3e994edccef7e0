/*
** tsk.h
** The public API of the tasklets core: tasklets, schedulers, channels.
** See LICENSE in the project root.
**
** The core *decides* and a transfer *moves*.  Every operation that may
** change the running tasklet comes in two layers:
**
**   tsk_plan_*()  updates the run queue and channel queues and says which
**                 tasklet must run next (*next; NULL or the current one
**                 means "carry on").  It never touches a stack, so a binding
**                 that cannot switch C stacks (PyPy: continulets) uses it and
**                 moves the Python frames itself, then calls tsk_commit().
**   tsk_switch()  performs a plan with the core's own stack transfer
**                 (stack slicing on shared stacks, see core/stack.c), and
**                 returns when the calling tasklet is resumed.
**
** The convenience calls (tsk_schedule, tsk_send, tsk_receive, tsk_run...)
** do both, for plain C programs.
**
** Threads: one tsk_sched per OS thread.  Operations that touch another
** thread's scheduler (a channel partner or an insert there) must be
** serialised by the caller (the CPython and PyPy bindings hold the GIL);
** the core only calls the 'wake' hook of the other scheduler.
**
** Memory: every object lives in storage the caller provides.  The core
** allocates only saved stack slices, through the allocator hook.
*/
#ifndef TSK_H
#define TSK_H

#include <stddef.h>
#include <stdint.h>
#include "tsk_conf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSK_VERSION "0.1.0"

#if defined(TSK_BUILD_SHARED) && defined(__GNUC__)
#define TSK_API __attribute__((visibility("default")))
#else
#define TSK_API
#endif

/* {======================================================================
** Results: every call returns a value, never errno.
** ======================================================================= */
typedef enum tsk_result {
    TSK_OK = 0,
    TSK_WAIT = 1,               /* nothing runnable here, but another thread
                                    may feed us: wait, then tsk_plan_resume */
    TSK_PENDING = 2,            /* tsk_plan_throw: the target runs in its
                                    thread; its next plan delivers the wake */
    TSK_E_DEADLOCK = -1,        /* last runnable tasklet cannot block */
    TSK_E_BLOCK_TRAP = -2,      /* block_trap set and the op would block */
    TSK_E_CLOSED = -3,          /* send/receive on a closed channel */
    TSK_E_SWITCH_TRAP = -4,     /* switch_trap active */
    TSK_E_DEAD = -5,            /* run/insert of a tasklet that is not alive */
    TSK_E_BLOCKED = -6,         /* run/insert/switch of a blocked tasklet */
    TSK_E_REMOVE_BLOCKED = -7,  /* remove() of a blocked tasklet */
    TSK_E_REMOVE_CURRENT = -8,  /* remove() of the current tasklet */
    TSK_E_OTHER_THREAD = -9,    /* switch() to another thread's tasklet */
    TSK_E_NOMEM = -10,          /* allocator hook failed */
    TSK_E_NO_SENDER = -11,      /* woken: main receives, nobody can send */
    TSK_E_NO_RECEIVER = -12,    /* woken: main sends, nobody can receive */
    TSK_E_KILLED = -13,         /* woken: tsk_kill() was delivered */
    TSK_E_THROWN = -14,         /* woken: a binding's throw was delivered */
    TSK_E_STACK_OVERFLOW = -15, /* a dedicated stack's canary was hit */
    TSK_E_INVALID = -16,        /* bad argument */
    TSK_E_ALIVE = -17,          /* re-initialising a live tasklet */
    TSK_E_NO_THREAD = -18,      /* the tasklet's scheduler is gone */
    TSK_E_FAILED = -19,         /* woken: a tasklet's body failed */
    TSK_E_UNBLOCKED = -20,      /* woken: tsk_unblock took it out of its
                                    channel; nothing was transferred */
    TSK_E_THROW_DEAD = -21,     /* throw to a tasklet that is not alive */
    TSK_E_C_STATE = -22,        /* rebinding a started, live tasklet */
    TSK_E_RUNNABLE = -23,       /* moving a runnable tasklet */
    TSK_E_NOT_ALIVE = -24,      /* per-tasklet state of a dead tasklet */
    /* Stackless's refusals that bindings ask the core about (rules.c) */
    TSK_E_RECURSIVE = -25,      /* scheduling inside the schedule callback */
    TSK_E_RECURSIVE_CHAN = -26, /* channel op inside the channel callback */
    TSK_E_REBIND_CURRENT = -27, /* bind() of the current tasklet */
    TSK_E_SCHEDULED = -28,      /* bind() of a queued tasklet */
    TSK_E_UNBIND_MAIN = -29,    /* bind(None) of a main tasklet */
    TSK_E_NOT_BOUND = -30,      /* setup() of a tasklet with no function */
    TSK_E_NO_TARGET = -31,      /* insert() into a scheduler that is gone */
    TSK_E_SWITCH_BLOCKED = -32, /* switch() to a blocked tasklet */
    TSK_E_BAD_THREAD = -33,     /* bind_thread() to an unknown thread */
    TSK_E_FOREIGN = -34         /* a switch under a foreign coroutine (a
                                    greenlet started inside a tasklet) */
} tsk_result;

TSK_API const char *tsk_strerror(tsk_result r); /* text of a result */
/* }====================================================================== */

typedef struct tsk_tasklet tsk_tasklet;
typedef struct tsk_channel tsk_channel;
typedef struct tsk_sched tsk_sched;
typedef struct tsk_stack tsk_stack;

/* Body of a tasklet.  Returns 0 when it ended normally, non-zero when it
** failed: control then goes to the innermost watchdog or main (where a
** binding has put the error, e.g. a Python exception in its tempval). */
typedef int (*tsk_fn)(tsk_tasklet *t, void *arg);

/* Allocator hook, Lua style: nsize 0 frees, otherwise (re)allocates. */
typedef void *(*tsk_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

/* Hooks a binding plugs into a scheduler; every member may be NULL. */
typedef struct tsk_hooks {
    tsk_alloc_fn alloc; /* NULL: malloc/realloc/free (hosted) */
    void *alloc_ud;
    /* Around every transfer by tsk_switch: 'out' runs on the leaving side
    ** before the stack moves, 'in' on the arriving side after it.  The
    ** CPython binding saves and restores interpreter state here. */
    void (*switch_out)(tsk_sched *s, tsk_tasklet *from, tsk_tasklet *to);
    void (*switch_in)(tsk_sched *s, tsk_tasklet *from, tsk_tasklet *to);
    /* Threads: may another thread still feed this one?  If so the plan
    ** returns TSK_WAIT instead of a deadlock. */
    int (*others_could_run)(tsk_sched *s);
    /* Block this thread until 'wake', or for a while: tsk_plan_resume
    ** then decides again, and reports the deadlock once no other thread
    ** could run (e.g. they all ended meanwhile). */
    void (*wait)(tsk_sched *s);
    void (*wake)(
        tsk_sched *s); /* work was inserted into s by another thread */
    /* t entered (linked=1) or left (0) every queue, the watchdog stack
    ** (tasklets waiting in run()) counting as one: a binding that keeps
    ** queued tasklets alive takes or drops its reference here. */
    void (*link)(tsk_tasklet *t, int linked);
} tsk_hooks;

/* An event source that tasklets block on outside channels: I/O readiness
** and timers (io/).  The core counts its waiters (no deadlock while any
** waits: the thread waits in 'wait' instead) and tells it when a kill,
** throw or unblock ends a wait early; it never switches for it. */
typedef struct tsk_poller {
    /* Nothing can run and tasklets wait here: block until one is made
    ** runnable (tsk_wait_done) or 'wake' is called, then return. */
    void (*wait)(tsk_sched *s);
    /* Another thread put work into s while it waits in 'wait'. */
    void (*wake)(tsk_sched *s);
    /* t's wait on obj (tsk_plan_wait) ended early: drop obj. */
    void (*cancel)(tsk_sched *s, tsk_tasklet *t, void *obj);
    /* May be NULL.  schedule() while tasklets wait here: make those whose
    ** event came runnable (tsk_wait_done) without blocking, so that
    ** tasklets that stay runnable do not starve them.  Called by
    ** tsk_plan_schedule before it decides (what it queues stays queued
    ** even when the plan then refuses); it may rate-limit itself. */
    void (*poll)(tsk_sched *s);
} tsk_poller;

/* {======================================================================
** Data structures.  Fields are private: read them through the accessors.
** They are public only so that bindings can embed them without a malloc.
** ======================================================================= */

/* A stack region that one or more tasklets run on.  Tasklets sharing a
** region are sliced: when one needs the bytes another occupies, those bytes
** are copied to the heap and copied back when their owner resumes.
** Invariant: 'chain' lists the occupants whose live bytes are (partly) on
** this stack, deepest first, with strictly increasing 'stop'. */
struct tsk_stack {
    char *lo, *hi;         /* usable bytes; new tasklets start near hi */
    tsk_tasklet *chain;    /* occupants, deepest first */
    tsk_tasklet *top;      /* the occupant a plain jump resumes (all
                                    its bytes in place, its scheduler has
                                    no switch hooks), or NULL */
    const uint32_t *guard; /* the canary word every switch checks:
                                    at lo (rounded up to 4), or a constant
                                    for the thread's stack */
    unsigned flags;        /* TSK__STACK_* (core/tsk_int.h) */
};

struct tsk_tasklet {
    tsk_tasklet *next, *prev; /* run-queue ring or channel queue links */
    tsk_sched *sched;         /* owning scheduler (thread) */
    tsk_channel *chan;        /* channel blocked on, or NULL */
    void *wobj;               /* what it waits for in the poller
                                    (tsk_plan_wait), or NULL */
    tsk_tasklet *wd_next;     /* next older watchdog while inside run() */
    void *tempval;            /* transfer value (binding-owned) */
    tsk_fn fn;                /* body */
    void *arg;                /* its argument */
    void *data;               /* binding back-pointer */
    int16_t wake;             /* result delivered when resumed */
    int8_t blocked;           /* -1 receiving, +1 sending, 0 not blocked */
    uint8_t where;            /* TSK__IN_NONE / _RING / _CHAN */
    uint16_t flags;           /* TSK_F_* */
    int16_t pend;             /* wake thrown while it ran in another
                                    thread: its next plan delivers it */
    /* stack state (core/stack.c) */
    tsk_stack *stack;   /* region it runs on; NULL before start */
    char *start;        /* near end while suspended */
    char *stop;         /* far end of its bytes on 'stack' */
    char *saved;        /* heap copy of [start, start+nsaved) */
    size_t nsaved;      /* bytes in 'saved' */
    tsk_tasklet *older; /* next occupant of 'stack' (higher stop) */
    void *asan_fake;    /* sanitizer fiber state */
    size_t cap;         /* bytes allocated at 'saved' (kept for
                                    the next save: no malloc per switch) */
};

struct tsk_channel {
    tsk_tasklet *head, *tail; /* blocked tasklets, FIFO */
    int balance;              /* >0: senders wait, <0: receivers wait */
    int8_t preference;        /* -1 prefer receiver, 0 none, 1 sender */
    uint8_t flags;            /* TSK_CH_* */
    void *data;               /* binding back-pointer */
};

struct tsk_sched {
    tsk_tasklet *current;  /* the running tasklet */
    tsk_tasklet *prev;     /* the one that ran before (for switch_in;
                                    kept only while there are hooks) */
    tsk_tasklet *main;     /* the thread's main tasklet */
    tsk_tasklet *head;     /* run-queue ring entry: next to run */
    tsk_tasklet *watchdog; /* innermost run() caller, or NULL */
    int runcount;          /* tasklets in the ring */
    int switch_trap;       /* >0: switching is an error */
    int alive;             /* 0 once tsk_sched_fini ran */
    int waiting;           /* the thread waits in the 'wait' hook */
    tsk_hooks hooks;
    void *data;               /* binding back-pointer */
    tsk_stack thread_stack;   /* the thread's own stack below 'base' */
    tsk_stack *default_stack; /* where new tasklets go (thread_stack) */
    tsk_tasklet *xfer_to;     /* transfer in progress */
    int xfer_dead;            /* the leaving tasklet has ended */
    int nomem;                /* a save ran out of memory */
    unsigned char hooked;     /* switch_out or switch_in is set (hooks
                                    are fixed at tsk_sched_init) */
    unsigned char incb;       /* TSK_CB_*: a binding's callback runs */
    const tsk_poller *poller; /* I/O and timers (tsk_set_poller) */
    void *poller_ud;          /* its data */
    int nwait;                /* tasklets blocked in the poller */
    tsk_tasklet *preempt;     /* soft interrupt due: the watchdog */
};

/* tasklet flags */
#define TSK_F_ALIVE       0x01  /* has a body to run or runs */
#define TSK_F_STARTED     0x02  /* has run at least once */
#define TSK_F_MAIN        0x04  /* the thread's main tasklet */
#define TSK_F_ATOMIC      0x08  /* binding: no preemption */
#define TSK_F_BLOCK_TRAP  0x10  /* blocking on a channel is an error */
#define TSK_F_IGNORE_NEST 0x20  /* binding: preempt even when nested */
#define TSK_F_WATCHDOG    0x40  /* on the watchdog stack (inside run()) */
#define TSK_F_USER        0x100 /* first bit free for bindings */

/* channel flags */
#define TSK_CH_CLOSING      0x01
#define TSK_CH_SCHEDULE_ALL 0x02
/* }====================================================================== */

/* {======================================================================
** Schedulers
** ======================================================================= */

/* Initialise the calling thread's scheduler.  'main' becomes the running
** main tasklet.  New tasklets on the thread stack start just below the
** caller's stack frame, so call it from a shallow frame.  'hooks' is
** copied; NULL means all defaults. */
TSK_API tsk_result tsk_sched_init(tsk_sched *s, tsk_tasklet *main,
                                  const tsk_hooks *hooks);
/* Forget the run queue and free the bytes main saved; nothing runs.  The
** caller releases its other tasklets (tsk_tasklet_release). */
TSK_API void tsk_sched_fini(tsk_sched *s);
TSK_API tsk_tasklet *tsk_current(const tsk_sched *s);
TSK_API tsk_tasklet *tsk_main(const tsk_sched *s);
TSK_API int tsk_runcount(const tsk_sched *s);         /* ring size */
TSK_API int tsk_switch_trap(tsk_sched *s, int delta); /* returns old level */
/* }====================================================================== */

/* {======================================================================
** Tasklets
** ======================================================================= */

/* Make t a new tasklet of s, alive and paused: it will call fn(t, arg)
** when first switched to.  'stack' picks its stack region (NULL: the
** scheduler's default).  t must not be alive (TSK_E_ALIVE); s must not
** be gone (TSK_E_NO_THREAD).  fn NULL: a binding that moves frames itself
** runs the body (tsk_switch refuses to start t: TSK_E_INVALID). */
TSK_API tsk_result tsk_tasklet_init(tsk_tasklet *t, tsk_sched *s, tsk_fn fn,
                                    void *arg, tsk_stack *stack);
/* Drop a tasklet that will never run again (dead, or abandoned without
** unwinding): frees its saved stack.  Must not be current or queued. */
TSK_API tsk_result tsk_tasklet_release(tsk_tasklet *t);
/* May t be moved to another scheduler?  TSK_E_RUNNABLE while it is in a
** ring, TSK_E_C_STATE once started and still alive (its frames are on a
** C stack, even when its thread is gone), TSK_E_INVALID for another main. */
TSK_API tsk_result tsk_tasklet_movable(const tsk_tasklet *t);
/* Move a paused or blocked, never-started tasklet to scheduler s
** (tasklet.bind_thread): TSK_E_RUNNABLE or TSK_E_C_STATE as
** tsk_tasklet_movable, TSK_E_BAD_THREAD when s is NULL or gone, TSK_OK
** (nothing to do) when t is s's already; also gives a zeroed tasklet its
** scheduler before tsk_tasklet_init. */
TSK_API tsk_result tsk_tasklet_bind_sched(tsk_tasklet *t, tsk_sched *s);

TSK_API int tsk_alive(const tsk_tasklet *t);
TSK_API int tsk_blocked(const tsk_tasklet *t);   /* -1, 0 or 1 */
TSK_API int tsk_scheduled(const tsk_tasklet *t); /* in ring or channel */
TSK_API int tsk_paused(const tsk_tasklet *t);    /* alive, in no queue */
TSK_API int tsk_started(const tsk_tasklet *t);
/* Does t run (or is it the one planning) in its scheduler?  Never once
** that scheduler ended: a dead thread's main is not current. */
TSK_API int tsk_is_current(const tsk_tasklet *t);
/* Neighbours in the ring or the channel queue (NULL at channel ends). */
TSK_API tsk_tasklet *tsk_next(const tsk_tasklet *t);
TSK_API tsk_tasklet *tsk_prev(const tsk_tasklet *t);
/* The result delivered to t when it was last resumed; clears it. */
TSK_API int tsk_take_wake(tsk_tasklet *t);
/* Bytes of t's stack currently saved on the heap. */
TSK_API size_t tsk_saved_bytes(const tsk_tasklet *t);

/* At the end of its ring (a no-op if queued): TSK_E_BLOCKED, TSK_E_DEAD,
** TSK_E_NO_TARGET (its scheduler is gone). */
TSK_API tsk_result tsk_insert(tsk_tasklet *t);
/* Out of the ring (a no-op if not queued, or its scheduler is gone):
** TSK_E_REMOVE_BLOCKED, TSK_E_REMOVE_CURRENT. */
TSK_API tsk_result tsk_remove(tsk_tasklet *t);
/* Take a blocked tasklet out of its channel queue (balance fixed); it is
** then paused.  When it is resumed, its send or receive returns
** TSK_E_UNBLOCKED (nothing was transferred), unless another wake result
** (a kill, a throw) was delivered meanwhile. */
TSK_API tsk_result tsk_unblock(tsk_tasklet *t);
/* }====================================================================== */

/* {======================================================================
** Channels
** ======================================================================= */
TSK_API void tsk_channel_init(tsk_channel *ch);
/* Would an operation in direction dir (+1 send, -1 receive) block now? */
TSK_API int tsk_channel_would_block(const tsk_channel *ch, int dir);
TSK_API void tsk_channel_set_preference(tsk_channel *ch, int pref);
/* }====================================================================== */

/* {======================================================================
** Plans: decide without switching.  On TSK_OK, *next is the tasklet to
** transfer to (NULL or the current one: no switch).  On an error nothing
** was changed.  TSK_WAIT: the current tasklet stays blocked, wait for the
** 'wake' hook, then call tsk_plan_resume.  A plan by a tasklet that has a
** pending wake (see tsk_plan_throw) returns it (e.g. TSK_E_THROWN), with
** nothing changed: the switch point raises it.
** ======================================================================= */

/* schedule() (remove=0) or schedule_remove() (remove=1). */
TSK_API tsk_result tsk_plan_schedule(tsk_sched *s, int remove,
                                     tsk_tasklet **next);
/* A send (dir=+1) or receive (dir=-1) by the current tasklet, whose
** tempval holds the value to send.  Waiters whose scheduler ended (their
** thread is gone, or did not survive a fork) never take part: they leave
** the channel first (no message is handed to a tasklet that never runs).  On completion the values are swapped:
** the receiver's tempval holds the value, the sender's what the receiver
** had.  *partner (may be NULL) gets the tasklet served. */
TSK_API tsk_result tsk_plan_channel(tsk_sched *s, tsk_channel *ch, int dir,
                                    tsk_tasklet **next, tsk_tasklet **partner);
/* t.run() (remove_self=0) or t.switch() (remove_self=1).  A tasklet of
** another thread is inserted there (next stays NULL).  Refusals in
** Stackless's order: TSK_E_RECURSIVE, TSK_E_OTHER_THREAD (switch),
** TSK_E_NO_THREAD, TSK_E_BLOCKED / TSK_E_SWITCH_BLOCKED, TSK_E_DEAD,
** TSK_E_SWITCH_TRAP. */
TSK_API tsk_result tsk_plan_run(tsk_sched *s, tsk_tasklet *t, int remove_self,
                                tsk_tasklet **next);
/* stackless.run(): the caller becomes the innermost watchdog and leaves
** the ring.  When it is resumed, call tsk_watchdog_pop.  *next NULL means
** nothing else was runnable (nothing changed). */
TSK_API tsk_result tsk_plan_watchdog(tsk_sched *s, tsk_tasklet **next);
TSK_API void tsk_watchdog_pop(tsk_sched *s, tsk_tasklet *t);
/* Deliver a wake code to t (kill/throw): unblock it, put it in the ring
** and, unless pending, run it now.  t must be alive.  A tasklet that runs
** in another thread cannot be resumed with it: TSK_PENDING, the wake waits
** in t and t's next plan (schedule, channel, run, watchdog) returns it with
** nothing changed.  A wake delivered by resuming replaces a pending one. */
TSK_API tsk_result tsk_plan_throw(tsk_sched *s, tsk_tasklet *t, int wake,
                                  int pending, tsk_tasklet **next);
/* Stackless's rules before a throw to t (exit: the exception ends a tasklet
** quietly, TaskletExit; kill: tasklet.kill(), which drops the frames of a
** tasklet whose thread is gone instead of refusing).  TSK_OK: deliver it
** (tsk_plan_throw).  TSK_E_DEAD: t is not alive and an exit needs nothing
** more (t was taken out of its queue).  TSK_E_NO_THREAD: t has frames but
** no thread.  TSK_E_THROW_DEAD: t is not alive. */
TSK_API tsk_result tsk_throw_check(tsk_tasklet *t, int exit, int kill);
/* The current tasklet ended (failed != 0: go to the watchdog or main). */
TSK_API tsk_result tsk_plan_end(tsk_sched *s, int failed, tsk_tasklet **next);
/* After TSK_WAIT and a wake: decide again.  On TSK_E_DEADLOCK the block
** has been undone (the current tasklet is runnable again). */
TSK_API tsk_result tsk_plan_resume(tsk_sched *s, tsk_tasklet **next);
/* The current tasklet blocks in the poller, on the poller's object obj
** (an I/O wait): it leaves the ring like a channel receiver (tsk_blocked
** is -1), counts as a waiter, and a kill, throw or unblock cancels obj
** (tsk_poller.cancel).  While tasklets wait there and nothing else can
** run, plans return TSK_WAIT (before a watchdog is revived: run() lasts
** while tasklets sleep or wait on I/O), and the thread waits in the
** poller.  TSK_E_INVALID without a poller; TSK_E_BLOCK_TRAP,
** TSK_E_SWITCH_TRAP, TSK_E_RECURSIVE as a channel op would. */
TSK_API tsk_result tsk_plan_wait(tsk_sched *s, void *obj, tsk_tasklet **next);
/* obj's event came: t (blocked in tsk_plan_wait) gets 'wake' (its wait's
** result) and goes to the end of its ring.  TSK_E_INVALID if t does not
** wait in the poller.  Called by the poller in t's thread. */
TSK_API tsk_result tsk_wait_done(tsk_tasklet *t, int wake);
/* Give s its poller (NULL: none).  TSK_E_BLOCKED while tasklets wait in
** the present one. */
TSK_API tsk_result tsk_set_poller(tsk_sched *s, const tsk_poller *p, void *ud);
TSK_API void *tsk_poller_data(const tsk_sched *s);
/* After TSK_WAIT: wait as the scheduler needs, in the poller while
** tasklets wait there, else in the 'wait' hook; then tsk_plan_resume. */
TSK_API void tsk_idle(tsk_sched *s);
TSK_API int tsk_nwaiting(const tsk_sched *s); /* blocked in the poller */
/* Undo the block of the current tasklet after a plan that could not be
** carried out (e.g. TSK_E_NOMEM from tsk_switch). */
TSK_API void tsk_plan_abort(tsk_sched *s);
/* }====================================================================== */

/* {======================================================================
** Transfer
** ======================================================================= */

/* Make 'next' current (for bindings that move frames themselves). */
TSK_API void tsk_commit(tsk_sched *s, tsk_tasklet *next);
/* Carry out a plan with the core's stack transfer: returns when the
** calling tasklet runs again (TSK_OK), or at once on failure. */
TSK_API tsk_result tsk_switch(tsk_sched *s, tsk_tasklet *next);

/* A stack region in caller memory (a dedicated stack, or one shared by
** several tasklets). */
TSK_API tsk_result tsk_stack_init(tsk_stack *st, void *mem, size_t size);
/* Before the region's memory is freed or reused for anything else: no
** tasklet may still occupy it (their saved bytes are released).  Under
** AddressSanitizer it clears what the frames left in its shadow. */
TSK_API void tsk_stack_fini(tsk_stack *st);
/* Does a dedicated stack's canary still hold?  (TSK_CANARY builds) */
TSK_API tsk_result tsk_stack_check(const tsk_stack *st);
/* }====================================================================== */

/* {======================================================================
** Convenience for C programs: plan + switch, waiting when told to.
** Each returns the wake result of the caller (TSK_OK, or e.g.
** TSK_E_KILLED when it was killed while waiting).
** ======================================================================= */
TSK_API tsk_result tsk_schedule(tsk_sched *s);
TSK_API tsk_result tsk_schedule_remove(tsk_sched *s);
TSK_API tsk_result tsk_send(tsk_sched *s, tsk_channel *ch, void *value);
TSK_API tsk_result tsk_receive(tsk_sched *s, tsk_channel *ch, void **value);
TSK_API tsk_result tsk_run(tsk_sched *s); /* until the ring empties */
TSK_API tsk_result tsk_tasklet_run(tsk_sched *s, tsk_tasklet *t);
TSK_API tsk_result tsk_tasklet_switch(tsk_sched *s, tsk_tasklet *t);
/* Kill: a new tasklet dies without running; a suspended one is resumed
** with TSK_E_KILLED from its blocking call and must return. */
TSK_API tsk_result tsk_kill(tsk_sched *s, tsk_tasklet *t);
/* }====================================================================== */

/* {======================================================================
** Stackless's rules (core/rules.c): the questions a binding asks before
** it acts on Python objects, so that each refusal, and its text
** (tsk_strerror), is decided here once.  A binding maps a result to its
** exception type; the plans above apply the same rules themselves.
** ======================================================================= */
#define TSK_CB_SCHEDULE 0x01 /* the schedule callback runs */
#define TSK_CB_CHANNEL  0x02 /* the channel callback runs */
/* A binding calls one of its callbacks: until tsk_callback_leave, plans
** refuse (TSK_E_RECURSIVE: all but end/resume during a schedule callback;
** TSK_E_RECURSIVE_CHAN: channel plans during a channel callback).
** Returns the kinds set before, to give back to tsk_callback_leave. */
TSK_API unsigned tsk_callback_enter(tsk_sched *s, unsigned kind);
TSK_API void tsk_callback_leave(tsk_sched *s, unsigned old);
/* What an operation of s must refuse now, before the binding runs its own
** callbacks: chan=0 scheduling (schedule, run, switch, throw, run()),
** chan=1 a channel operation.  TSK_OK, TSK_E_RECURSIVE[_CHAN].  Inline:
** the bindings' hot paths ask it (one load and branch when all is well). */
static inline unsigned tsk_in_callback(const tsk_sched *s) { return s->incb; }
TSK_API tsk_result tsk_refusal(const tsk_sched *s, int chan);
/* May t be (re)bound?  unbind: neither args nor kwargs (bind(func) or
** bind(None)).  TSK_E_REBIND_CURRENT, TSK_E_SCHEDULED, TSK_E_C_STATE
** (started and alive), TSK_E_UNBIND_MAIN, else TSK_OK. */
TSK_API tsk_result tsk_bind_check(const tsk_tasklet *t, int unbind);
/* After tsk_bind_check: t forgets its old life (a dead tasklet's frames)
** and is not alive.  Returns whether it had started (its frames dropped). */
TSK_API int tsk_tasklet_unbind(tsk_tasklet *t);
/* }====================================================================== */

/* {======================================================================
** Preemption (Stackless's run(timeout), core/preempt.c).  The binding
** counts the running tasklet's time; when it is up, the core decides, as
** part of a plan, before any switch.  wd is the run(timeout) caller that
** gets control back.
** ======================================================================= */

/* May preemption interrupt the current tasklet now?  Not the watchdog wd
** itself, nor an atomic tasklet, nor under switch_trap or a callback
** (tsk_callback_enter holds interrupts off). */
TSK_API int tsk_interruptible(const tsk_sched *s, const tsk_tasklet *wd);
/* Hard mode: plan the switch to wd now; the interrupted tasklet leaves the
** ring (run(timeout) returns it).  *next NULL: not interruptible now.  A
** wake thrown from another thread and pending in the current tasklet is
** returned instead (TSK_E_THROWN...), as by any plan. */
TSK_API tsk_result tsk_plan_interrupt(tsk_sched *s, tsk_tasklet *wd,
                                      tsk_tasklet **next);
/* Soft mode: the time is up (wd), or no longer (NULL).  While it is, the
** next plan of a switch (tsk_plan_schedule, _channel, _run, _watchdog,
** _throw, _resume; not the end of a tasklet) that may interrupt runs wd
** instead of its choice, every tasklet staying where that plan put it;
** the request is then done.  A pending wake in the current tasklet (see
** tsk_plan_throw) holds it off: that plan raises the wake first. */
TSK_API void tsk_preempt_soft(tsk_sched *s, tsk_tasklet *wd);
/* }====================================================================== */

#ifdef __cplusplus
}
#endif
#endif
