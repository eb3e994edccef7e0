/*
** tsk_int.h
** Internals shared between the core's files (hidden from users).
** See LICENSE in the project root.
*/
#ifndef TSK_INT_H
#define TSK_INT_H

#include "tsk.h"

#if defined(__GNUC__) && !defined(_WIN32)
#define TSK_INTERNAL __attribute__((visibility("hidden")))
#else
#define TSK_INTERNAL
#endif

#if defined(__GNUC__)
#define tsk__likely(x)   __builtin_expect(!!(x), 1)
#define tsk__unlikely(x) __builtin_expect(!!(x), 0)
#define TSK__NOINLINE    __attribute__((noinline))
#else
#define tsk__likely(x)   (x)
#define tsk__unlikely(x) (x)
#define TSK__NOINLINE
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TSK__ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TSK__ASAN 1
#endif

#ifdef TSK__ASAN
#include <sanitizer/asan_interface.h>
/* Copies move stack bytes whose shadow belongs to frames of other
** tasklets; make them addressable first (their owner re-poisons as it
** runs). */
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define UNPOISON(p, n) ((void)0)
#endif

/* One 32-bit word at a dedicated stack's low end: a compare with an
** immediate on every target, so that the switch's check stays cheap. */
#define TSK__CANARY ((uint32_t)0x5a5aa5a5u)

static inline uintptr_t tsk__addr(const char *p) { return (uintptr_t)p; }

/* Invariant checks of the checked build (TSK_CHECKED, tsk_conf.h); the
** condition is not evaluated otherwise. */
#if TSK_CHECKED
TSK_INTERNAL void tsk__assert_fail(const char *what, const char *file,
                                   int line);
#define TSK_ASSERT(c)                                                         \
    (tsk__likely(c) ? (void)0 : tsk__assert_fail(#c, __FILE__, __LINE__))
#else
#define TSK_ASSERT(c) ((void)0)
#endif

/* where a tasklet is linked */
#define TSK__IN_NONE 0
#define TSK__IN_RING 1
#define TSK__IN_CHAN 2
#define TSK__IN_WAIT 3 /* blocked in the poller (core/wait.c) */

/* stack region flags */
#define TSK__STACK_THREAD 0x01 /* the thread's own stack: no canary */

/* ring primitives (core/sched.c).  The plain ones tell the 'link' hook;
** The _put/_take forms with hook=0 are for moves between queues, where the
** tasklet stays queued (a binding's reference need not change). */
/* tsk_switch for run.c's plan-and-switch calls (return-predicted) */
TSK_INTERNAL tsk_result tsk__switch(tsk_sched *s, tsk_tasklet *next);
TSK_INTERNAL void tsk__ring_put(tsk_sched *s, tsk_tasklet *t, tsk_tasklet *pos,
                                int hook);
TSK_INTERNAL void tsk__ring_take(tsk_sched *s, tsk_tasklet *t, int hook);
TSK_INTERNAL void tsk__ring_insert_before(tsk_sched *s, tsk_tasklet *t,
                                          tsk_tasklet *pos);
TSK_INTERNAL void tsk__ring_unlink(tsk_sched *s, tsk_tasklet *t);
/* tell the 'link' hook, unless the watchdog stack holds t anyway */
TSK_INTERNAL void tsk__link(tsk_tasklet *t, int linked);
/* pick who runs after the current tasklet left the ring (core/sched.c) */
TSK_INTERNAL tsk_result tsk__pick_next(tsk_sched *s, tsk_tasklet **next);
/* a pending wake of the planning tasklet (core/sched.c): its result, 0 if
** none.  Every plan by the current tasklet starts with it. */
TSK_INTERNAL int tsk__take_pend(tsk_tasklet *cur);
#define TSK__PEND(cur)                                                        \
    (tsk__unlikely((cur)->pend != 0) ? tsk__take_pend(cur) : 0)
/* A plan chose *next: a soft interrupt that is due (tsk_preempt_soft) runs
** the watchdog instead (core/preempt.c).  A load and a test while none is. */
TSK_INTERNAL void tsk__preempt_apply(tsk_sched *s, tsk_tasklet **next);
#define tsk__preempt_check(s, next)                                           \
    do {                                                                      \
        if (tsk__unlikely((s)->preempt != NULL))                              \
            tsk__preempt_apply((s), (next));                                  \
    } while (0)
/* channel queue unlink with balance fix (core/channel.c) */
TSK_INTERNAL void tsk__chan_unlink(tsk_channel *ch, tsk_tasklet *t);
TSK_INTERNAL void tsk__chan_take(tsk_channel *ch, tsk_tasklet *t, int hook);
/* the poller (core/wait.c): take t out of its wait and cancel it there;
** tell a waiting thread that work came */
TSK_INTERNAL void tsk__wait_cancel(tsk_tasklet *t);
TSK_INTERNAL void tsk__poke(tsk_sched *s);
TSK_INTERNAL void tsk__poll(tsk_sched *s);
/* allocator (core/stack.c) */
TSK_INTERNAL void *tsk__alloc(tsk_sched *s, void *p, size_t o, size_t n);
/* make st the thread's own stack region below hi (core/stack.c) */
TSK_INTERNAL void tsk__stack_thread(tsk_stack *st, char *hi);

#endif
