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

/* where a tasklet is linked */
#define TSK__IN_NONE 0
#define TSK__IN_RING 1
#define TSK__IN_CHAN 2

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
/* channel queue unlink with balance fix (core/channel.c) */
TSK_INTERNAL void tsk__chan_unlink(tsk_channel *ch, tsk_tasklet *t);
TSK_INTERNAL void tsk__chan_take(tsk_channel *ch, tsk_tasklet *t, int hook);
/* allocator (core/stack.c) */
TSK_INTERNAL void *tsk__alloc(tsk_sched *s, void *p, size_t o, size_t n);
/* make st the thread's own stack region below hi (core/stack.c) */
TSK_INTERNAL void tsk__stack_thread(tsk_stack *st, char *hi);

#endif
