/*
** alloc.c
** The plan side of stack state: the allocator, a tasklet's release, the
** thread's region and tsk_commit.  Nothing here moves a stack pointer, so
** a binding that moves frames itself (the cffi module) links the plan
** files alone: sched, channel, rules, result and this one.
** See LICENSE in the project root.
*/
#include "tsk_int.h"

#if TSK_HOSTED
#include <stdlib.h>
#endif

void *tsk__alloc(tsk_sched *s, void *p, size_t o, size_t n) {
    if (s->hooks.alloc)
        return s->hooks.alloc(s->hooks.alloc_ud, p, o, n);
#if TSK_HOSTED
    if (n == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
#else
    (void)p;
    (void)o;
    (void)n;
    return NULL;
#endif
}

/* The thread's own stack has the OS's guard page: its 'guard' is this
** word, which always holds the canary. */
static const uint32_t thread_guard = TSK__CANARY;

void tsk__stack_thread(tsk_stack *st, char *hi) {
    st->lo = NULL;
    st->hi = hi;
    st->chain = st->top = NULL;
    st->guard = &thread_guard;
    st->flags = TSK__STACK_THREAD;
}

void tsk_commit(tsk_sched *s, tsk_tasklet *next) {
    TSK_ASSERT(next == NULL || next->sched == s);
    if (next != NULL && next != s->current) {
        s->prev = s->current;
        s->current = next;
    }
}

size_t tsk_saved_bytes(const tsk_tasklet *t) { return t->nsaved; }

tsk_result tsk_tasklet_release(tsk_tasklet *t) {
    tsk_sched *s = t->sched;
    if (s != NULL && t == s->current)
        return TSK_E_ALIVE;
    if (t->where != TSK__IN_NONE)
        return TSK_E_ALIVE;
    if (t->stack != NULL && t->stack->top == t)
        t->stack->top = NULL;
    if (t->stack != NULL && t->stack->chain != NULL) {
        /* unlink from its region's chain */
        tsk_tasklet **pp = &t->stack->chain;
        while (*pp != NULL && *pp != t)
            pp = &(*pp)->older;
        if (*pp == t) {
            *pp = t->older;
            /* abandoned frames: no stale redzones for the next tenant */
            if (t->start != NULL && !(t->flags & TSK_F_MAIN))
                UNPOISON(t->start,
                         (size_t)(tsk__addr(t->stop) - tsk__addr(t->start)));
        }
    }
    if (t->saved != NULL && s != NULL)
        tsk__alloc(s, t->saved, t->cap, 0);
    t->saved = NULL;
    t->nsaved = 0;
    t->cap = 0;
    t->older = NULL;
    t->start = NULL;
    t->flags &= (uint16_t) ~(TSK_F_ALIVE | TSK_F_STARTED);
    return TSK_OK;
}
