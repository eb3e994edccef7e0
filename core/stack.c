/*
** stack.c
** Stack transfer: slicing of shared stack regions around the arch switch.
** See LICENSE in the project root.
**
** Every tasklet runs on a stack region (struct tsk_stack): the thread's
** own stack below the scheduler's base, or caller memory (a dedicated
** stack, or one shared by a few tasklets).  A tasklet's bytes on its region
** are [start, stop): 'stop' is fixed when it starts (the region's top), and
** 'start' is its stack pointer while suspended.  Before a tasklet T
** resumes, every other occupant's bytes in [T.start, T.stop) are copied to
** the heap ("saved"); after the stack pointer moves, T's own saved bytes are
** copied back.  Occupants of *different* regions never overlap, so a switch
** between them copies nothing.
*/
#include <string.h>
#include "tsk_arch.h"

#if TSK_HOSTED
#include <stdio.h>
#include <stdlib.h>
#endif

#ifdef TSK__ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

static int canary_ok(const tsk_stack *st) {
#if TSK_CANARY
    return *st->guard == TSK__CANARY;
#else
    (void)st;
    return 1;
#endif
}

static void fatal(const char *msg) {
#if TSK_HOSTED
    fprintf(stderr, "tasklets: fatal: %s\n", msg);
    abort();
#else
    (void)msg;
    for (;;) {
    }
#endif
}

static char *new_sp(const tsk_stack *st) {
    uintptr_t top = tsk__addr(st->hi) - TSK_STACK_GAP;
    return (char *)(top & ~(uintptr_t)(TSK_STACK_ALIGN - 1));
}

/* Extend o's heap copy so that it covers [o->start, upto). */
static int save_upto(tsk_sched *s, tsk_tasklet *o, uintptr_t upto) {
    size_t have = o->nsaved, want = (size_t)(upto - tsk__addr(o->start));
    if (want <= have)
        return 1;
    if (want > o->cap) {
        /* malloc granularity: density matters more than a rare realloc */
        size_t cap = (want + 15) & ~(size_t)15;
        char *p = (char *)tsk__alloc(s, o->saved, o->cap, cap);
        if (p == NULL)
            return 0;
        o->saved = p;
        o->cap = cap;
    }
    UNPOISON(o->start + have, want - have);
    memcpy(o->saved + have, o->start + have, want - have);
    o->nsaved = want;
    return 1;
}

/* Save every occupant's bytes below 'stop' on region st, except skip's. */
static int save_below(tsk_sched *s, tsk_stack *st, uintptr_t stop,
                      const tsk_tasklet *skip) {
    tsk_tasklet *o = st->chain;
    if (st->top != skip) /* it may lose bytes now */
        st->top = NULL;
    while (o != NULL && o != skip && tsk__addr(o->stop) <= stop) {
        if (!save_upto(s, o, tsk__addr(o->stop)))
            return 0;
        o = o->older; /* wholly saved: leaves the chain */
        st->chain = o;
    }
    if (o != NULL && o != skip && tsk__addr(o->start) < stop)
        return save_upto(s, o, stop);
    return 1;
}

#ifdef TSK__ASAN
static void stack_bounds(tsk_sched *s, const tsk_tasklet *t,
                         const void **bottom, size_t *size) {
    const tsk_stack *st = t->stack ? t->stack : s->default_stack;
    if (st->flags & TSK__STACK_THREAD) {
        pthread_attr_t a;
        void *lo = NULL;
        size_t n = 0;
        pthread_getattr_np(pthread_self(), &a);
        pthread_attr_getstack(&a, &lo, &n);
        pthread_attr_destroy(&a);
        *bottom = lo;
        *size = n;
    } else {
        *bottom = st->lo;
        *size = (size_t)(st->hi - st->lo);
    }
}

static int other_region(tsk_sched *s, const tsk_tasklet *a,
                        const tsk_tasklet *b) {
    const tsk_stack *x = a->stack ? a->stack : s->default_stack;
    const tsk_stack *y = b->stack ? b->stack : s->default_stack;
    return x != y;
}
#endif

static void start_tasklet(tsk_sched *s);

/* tsk.h: a region's chain has strictly increasing 'stop', deepest first */
#define CHAIN_OK(t)                                                           \
    TSK_ASSERT((t)->older == NULL || (t)->older->stop > (t)->stop)

/* The callback tsk__arch_switch calls; see core/tsk_arch.h. */
static void *xfer(void *ctx, void *sp, int op) {
    tsk_sched *s = (tsk_sched *)ctx;
    tsk_tasklet *from, *to;
    if (op == TSK__ARCH_SAVE) {
        from = s->current;
        to = s->xfer_to;
        if (s->xfer_dead) {
            /* its bytes are garbage now: it leaves its region's chain,
            ** and its frames' redzones must not poison the next tenant */
            UNPOISON(sp,
                     (size_t)(tsk__addr(from->stop) - tsk__addr((char *)sp)));
            if (from->stack->chain == from)
                from->stack->chain = from->older;
            if (from->stack->top == from)
                from->stack->top = NULL;
            from->older = NULL;
            from->start = NULL;
            if (from->saved != NULL) {
                tsk__alloc(s, from->saved, from->cap, 0);
                from->saved = NULL;
                from->cap = from->nsaved = 0;
            }
        } else {
            from->start = (char *)sp;
        }
        if (!(to->flags & TSK_F_STARTED)) {
            char *nsp = new_sp(to->stack);
            if (!save_below(s, to->stack, tsk__addr(nsp), NULL))
                goto nomem;
            to->stop = nsp;
            to->start = NULL;
            to->older = to->stack->chain;
            to->stack->chain = to;
            CHAIN_OK(to);
            if (!s->hooked)
                to->stack->top = to;
            to->flags |= TSK_F_STARTED;
            s->prev = from;
            s->current = to;
            return nsp + 1;
        }
        if (!save_below(s, to->stack, tsk__addr(to->stop), to))
            goto nomem;
        s->prev = from;
        s->current = to;
        return to->start;
    nomem:
        if (s->xfer_dead)
            fatal("out of memory while a tasklet ended");
        s->nomem = 1;
        return NULL;
    }
    if (op == TSK__ARCH_RESTORE) {
        to = s->current;
        if (to->nsaved) {
            UNPOISON(to->start, to->nsaved);
            memcpy(to->start, to->saved, to->nsaved);
            to->nsaved = 0; /* the buffer stays for the next save */
        }
        if (to->stack->chain != to) {
            to->older = to->stack->chain;
            to->stack->chain = to;
        }
        CHAIN_OK(to);
        if (!s->hooked)
            to->stack->top = to;
        s->xfer_dead = 0;
        /* what the resumed side's tsk__arch_switch (or tsk__arch_jump,
        ** see tsk_switch) returns: TSK_OK */
        return NULL;
    }
    start_tasklet(s); /* TSK__ARCH_START: never returns */
    return NULL;
}

/* Leave 'from' for good or for now; returns after 'from' is resumed. */
static tsk_result transfer(tsk_sched *s, tsk_tasklet *to) {
#ifdef TSK__ASAN
    tsk_tasklet *from = s->current;
    const void *bottom;
    size_t size;
    int moves = other_region(s, from, to);
    if (moves) {
        stack_bounds(s, to, &bottom, &size);
        __sanitizer_start_switch_fiber(s->xfer_dead ? NULL : &from->asan_fake,
                                       bottom, size);
    }
#endif
    s->xfer_to = to;
    tsk__arch_switch(xfer, s);
    if (tsk__unlikely(s->nomem)) { /* the save failed: still 'from' */
        s->nomem = 0;
#ifdef TSK__ASAN
        if (moves)
            __sanitizer_finish_switch_fiber(from->asan_fake, NULL, NULL);
#endif
        return TSK_E_NOMEM;
    }
    /* Resumed.  Locals are this tasklet's own again (its frame was
    ** restored), but what happened meanwhile is in s. */
#ifdef TSK__ASAN
    if (other_region(s, s->prev, s->current))
        __sanitizer_finish_switch_fiber(s->current->asan_fake, NULL, NULL);
#endif
    return TSK_OK;
}

/* First code of a new tasklet, on its fresh stack. */
static void start_tasklet(tsk_sched *s) {
    tsk_tasklet *t = s->current, *next;
    tsk_result r;
    int rc;
#ifdef TSK__ASAN
    if (other_region(s, s->prev, t))
        __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    s->xfer_dead = 0;
    if (s->hooks.switch_in)
        s->hooks.switch_in(s, s->prev, t);
    rc = t->wake == TSK_E_KILLED ? 0 : t->fn(t, t->arg);
    t->wake = 0;
    t->flags &= (uint16_t)~TSK_F_ALIVE;
    for (;;) {
        r = tsk_plan_end(s, rc != 0, &next);
        while (r == TSK_WAIT) {
            tsk_idle(s);
            r = tsk_plan_resume(s, &next);
        }
        if (r == TSK_OK && next != NULL && next != t)
            break;
        fatal("a tasklet ended with nothing left to run");
    }
    if (s->hooks.switch_out)
        s->hooks.switch_out(s, t, next);
    s->xfer_dead = 1;
    transfer(s, next);
    fatal("a dead tasklet was resumed");
}

#if defined(TSK__ARCH_HAS_JUMP) && !defined(TSK__ASAN)
#define JUMP 1
/* Can 'to' be resumed by a plain jump?  It is on top of its region (so
** started) with nothing of it saved: dedicated stacks, or regions nobody
** else used meanwhile.  (With no switch hooks, that is 'top'.) */
static int jumpable(const tsk_tasklet *to) {
    return to->stack->chain == to && to->nsaved == 0;
}
#else
#define JUMP 0
#endif

/* Everything but the fast path: no-op switches, the canary, the hooks,
** copying transfers. */
static TSK__NOINLINE tsk_result switch_slow(tsk_sched *s, tsk_tasklet *next) {
    tsk_tasklet *from = s->current;
    tsk_result r;
    if (next == NULL || next == from)
        return TSK_OK;
    if (!(next->flags & TSK_F_STARTED) && next->fn == NULL)
        return TSK_E_INVALID; /* a plan-only binding's tasklet */
    if (!canary_ok(from->stack))
        return TSK_E_STACK_OVERFLOW;
    if (s->hooks.switch_out)
        s->hooks.switch_out(s, from, next);
#if JUMP
    if (jumpable(next)) {
        /* nothing to copy; the leaving side stays where it is */
        s->prev = from;
        s->current = next;
        if (!s->hooked)
            next->stack->top = next;
        r = (tsk_result)tsk__arch_jump(&from->start, next->start);
    } else
#endif
        r = transfer(s, next);
    if (r != TSK_OK) {
        if (s->hooks.switch_in)
            s->hooks.switch_in(s, from, from);
        return r;
    }
    if (s->hooks.switch_in)
        s->hooks.switch_in(s, s->prev, s->current);
    return TSK_OK;
}

/* The fast path is the common case of C programs: no switch hooks, a
** target that is resumed without copying (its region's 'top', which
** stack transfers keep up to date).  Then the switch is four compares,
** two stores and the register swap, tail-called: the arriving
** side returns from tsk__arch_jump straight into its own caller of
** tsk_switch, with TSK_OK.  Whatever resumes a tasklet (this jump, or
** tsk__arch_switch whose RESTORE returns NULL) leaves nothing to do here
** afterwards, so the tasklet may have been suspended either way. */
static inline tsk_result switch_fast(tsk_sched *s, tsk_tasklet *next, int br) {
#if JUMP
    tsk_tasklet *from = s->current;
    if (tsk__likely(next != NULL && next->stack->top == next && next != from &&
                    canary_ok(from->stack))) {
        s->current = next; /* 'prev' is for switch_in: none here */
        return (tsk_result)(br ? tsk__arch_jump_br(&from->start, next->start)
                               : tsk__arch_jump(&from->start, next->start));
    }
#else
    (void)br;
#endif
    return switch_slow(s, next);
}

tsk_result tsk_switch(tsk_sched *s, tsk_tasklet *next) {
    return switch_fast(s, next, 1);
}

/* tsk_switch for the scheduler's own paths (tsk_schedule, tsk_send, ...):
** there both sides usually suspended at the same call site, where the
** return instruction is predicted right (see core/tsk_arch.h). */
tsk_result tsk__switch(tsk_sched *s, tsk_tasklet *next) {
    return switch_fast(s, next, 0);
}

tsk_result tsk_stack_init(tsk_stack *st, void *mem, size_t size) {
    char *lo = (char *)mem;
    uint32_t *guard;
    if (mem == NULL || size < 256)
        return TSK_E_INVALID;
    st->lo = lo;
    st->hi = lo + size;
    guard = (uint32_t *)(void *)((tsk__addr(lo) + 3) & ~(uintptr_t)3);
    st->chain = st->top = NULL;
    st->guard = guard;
    st->flags = 0;
#if TSK_CANARY
    *guard = TSK__CANARY;
#endif
    return TSK_OK;
}

void tsk_stack_fini(tsk_stack *st) {
    /* frames left on it must not poison whatever reuses the memory */
    if (st->lo != NULL)
        UNPOISON(st->lo, (size_t)(st->hi - st->lo));
    st->chain = st->top = NULL;
}

tsk_result tsk_stack_check(const tsk_stack *st) {
    return canary_ok(st) ? TSK_OK : TSK_E_STACK_OVERFLOW;
}
