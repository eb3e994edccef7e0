/*
** channel.c
** Channels: the waiting queue, balance, preference and hand-off rules.
** See LICENSE in the project root.
**
** A channel's queue holds tasklets blocked in one direction only: balance
** > 0 counts waiting senders, < 0 waiting receivers.  The queue is a NULL
** terminated doubly linked list (next/prev are NULL at its ends, which is
** what Stackless shows as tasklet.next/prev of blocked tasklets).
*/
#include <string.h>
#include "tsk_int.h"

void tsk_channel_init(tsk_channel *ch) {
    void *data = ch->data;
    memset(ch, 0, sizeof *ch);
    ch->data = data;
    ch->preference = -1;
}

int tsk_channel_would_block(const tsk_channel *ch, int dir) {
    return dir > 0 ? ch->balance >= 0 : ch->balance <= 0;
}

void tsk_channel_set_preference(tsk_channel *ch, int pref) {
    ch->preference = (int8_t)(pref > 0 ? 1 : pref < 0 ? -1 : 0);
}

void tsk__chan_take(tsk_channel *ch, tsk_tasklet *t, int hook) {
    TSK_ASSERT(t->where == TSK__IN_CHAN && t->chan == ch);
    TSK_ASSERT(t->blocked == 1 || t->blocked == -1);
    TSK_ASSERT(ch->balance * t->blocked > 0);
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        ch->head = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    else
        ch->tail = t->prev;
    ch->balance -= t->blocked;
    t->next = t->prev = NULL;
    t->blocked = 0;
    t->chan = NULL;
    t->where = TSK__IN_NONE;
    TSK_ASSERT((ch->head == NULL) == (ch->balance == 0));
    if (hook)
        tsk__link(t, 0);
}

void tsk__chan_unlink(tsk_channel *ch, tsk_tasklet *t) {
    tsk__chan_take(ch, t, 1);
}

/* Only ever a move from the run queue: no 'link' notification. */
static void chan_append(tsk_channel *ch, tsk_tasklet *t, int dir) {
    TSK_ASSERT(t->where == TSK__IN_NONE);
    TSK_ASSERT(ch->balance * dir >= 0); /* one direction per queue */
    t->next = NULL;
    t->prev = ch->tail;
    if (ch->tail != NULL)
        ch->tail->next = t;
    else
        ch->head = t;
    ch->tail = t;
    ch->balance += dir;
    t->blocked = (int8_t)dir;
    t->chan = ch;
    t->where = TSK__IN_CHAN;
}

/* A waiter whose scheduler ended can never run: it leaves the channel,
** not blocked any more, its pending wake dropped, its frames kept (a kill
** drops them).  Stackless leaves it there, where it swallows a message. */
static TSK__NOINLINE void drop_ghost(tsk_tasklet *t) {
    tsk__chan_unlink(t->chan, t);
    t->pend = t->wake = 0;
}

/* A partner waits: hand over at once (the "cando" case). */
static tsk_result hand_over(tsk_sched *s, tsk_channel *ch, int dir,
                            tsk_tasklet **next, tsk_tasklet **partner) {
    tsk_tasklet *cur = s->current, *p = ch->head;
    tsk_sched *ps = p->sched;
    void *v;
    int local = ps == s;
    int all = (ch->flags & TSK_CH_SCHEDULE_ALL) != 0;
    TSK_ASSERT(p != NULL && p->blocked == -dir && p->prev == NULL);
    if (s->switch_trap && local && (all || ch->preference == -dir))
        return TSK_E_SWITCH_TRAP;
    tsk__chan_take(ch, p, 0); /* from the channel straight to a ring */
    v = cur->tempval;
    cur->tempval = p->tempval;
    p->tempval = v;
    if (partner != NULL)
        *partner = p;
    if (!local) {
        /* the partner runs in its own thread; we carry on */
        tsk__ring_put(ps, p, ps->head, 0);
        tsk__poke(ps);
    } else if (all) {
        tsk__ring_put(s, p, s->head, 0);
        s->head = cur->next;
        *next = s->head;
    } else if (ch->preference == -dir) {
        /* the partner is preferred: it runs now, we come right after */
        tsk__ring_put(s, p, cur->next, 0);
        s->head = p;
        *next = p;
    } else {
        tsk__ring_put(s, p, s->head, 0);
    }
    return TSK_OK;
}

tsk_result tsk_plan_channel(tsk_sched *s, tsk_channel *ch, int dir,
                            tsk_tasklet **next, tsk_tasklet **partner) {
    tsk_tasklet *cur = s->current;
    tsk_result r;
    *next = NULL;
    if (partner != NULL)
        *partner = NULL;
    if (dir != 1 && dir != -1)
        return TSK_E_INVALID;
    if (tsk__unlikely(s->incb))
        return tsk_refusal(s, 1);
    if ((r = (tsk_result)TSK__PEND(cur)) != TSK_OK)
        return r;
    while (ch->head != NULL && tsk__unlikely(!ch->head->sched->alive))
        drop_ghost(ch->head);
    if (cur->where != TSK__IN_RING)
        return TSK_E_BLOCKED;
    if (!tsk_channel_would_block(ch, dir)) {
        r = hand_over(s, ch, dir, next, partner);
        tsk__preempt_check(s, next);
        return r;
    }
    if (cur->flags & TSK_F_BLOCK_TRAP)
        return TSK_E_BLOCK_TRAP;
    if (ch->flags & TSK_CH_CLOSING)
        return TSK_E_CLOSED;
    if (s->switch_trap)
        return TSK_E_SWITCH_TRAP;
    tsk__ring_take(s, cur, 0); /* from the ring straight to the channel */
    chan_append(ch, cur, dir);
    r = tsk__pick_next(s, next);
    if (r == TSK_E_DEADLOCK)
        tsk_plan_abort(s);
    else
        tsk__preempt_check(s, next);
    return r;
}
