/*
** rules.c
** Stackless's refusals that a binding asks about before it acts on its
** own objects (tsk.h, "Stackless's rules").  Plan-side: no stack work.
** See LICENSE in the project root.
*/
#include "tsk_int.h"

unsigned tsk_callback_enter(tsk_sched *s, unsigned kind) {
    unsigned old = s->incb;
    s->incb = (unsigned char)(old | kind);
    return old;
}

void tsk_callback_leave(tsk_sched *s, unsigned old) {
    s->incb = (unsigned char)old;
}

/* A channel op in a channel callback names the channel; any op in the
** schedule callback the scheduler (Stackless's two texts). */
tsk_result tsk_refusal(const tsk_sched *s, int chan) {
    if (chan && (s->incb & TSK_CB_CHANNEL))
        return TSK_E_RECURSIVE_CHAN;
    if (s->incb & TSK_CB_SCHEDULE)
        return TSK_E_RECURSIVE;
    return TSK_OK;
}

tsk_result tsk_bind_check(const tsk_tasklet *t, int unbind) {
    const tsk_sched *s = t->sched;
    if (s != NULL && s->current == t)
        return TSK_E_REBIND_CURRENT;
    if (t->where != TSK__IN_NONE)
        return TSK_E_SCHEDULED;
    if ((t->flags & (TSK_F_STARTED | TSK_F_ALIVE)) ==
        (TSK_F_STARTED | TSK_F_ALIVE))
        return TSK_E_C_STATE; /* its frames live on a C stack */
    if ((t->flags & TSK_F_MAIN) && unbind)
        return TSK_E_UNBIND_MAIN;
    return TSK_OK;
}

int tsk_tasklet_unbind(tsk_tasklet *t) {
    int started = (t->flags & TSK_F_STARTED) != 0;
    if (started) /* dead: its saved bytes go */
        tsk_tasklet_release(t);
    t->flags &= (uint16_t)~TSK_F_ALIVE;
    return started;
}
