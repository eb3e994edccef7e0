/*
** glue.h
** Declarations shared by glue.c and the cffi-generated module.
** See LICENSE in the project root.
*/
#ifndef TASKLETS_GLUE_H
#define TASKLETS_GLUE_H

#include "tsk.h"

/* the value is on its way from a tasklet of another thread (glue.c) */
#define TG_F_XFER (TSK_F_USER << 0)

typedef struct tg_sched tg_sched;

/* implemented in Python (extern "Python+C" in tsk.cdef) */
int tg_py_others_could_run(tsk_sched *s);

tg_sched *tg_sched_new(void);
void tg_sched_free(tg_sched *g);
tsk_sched *tg_core(tg_sched *g);
tsk_result tg_sched_init(tg_sched *g, tsk_tasklet *main);
void tg_sched_fini(tg_sched *g);
int tg_wait(tg_sched *g, int timeout_ms);
void tg_set_waiting(tsk_sched *s, int waiting);
void tg_fork_lock(void);
void tg_fork_unlock(void);
uintptr_t tg_stack_addr(void);
tsk_result tg_tasklet_init(tsk_tasklet *t, tsk_sched *s);
tsk_result tg_bind_sched(tsk_tasklet *t, tsk_sched *s);
tsk_result tg_throw_check(tsk_tasklet *t, int exit, int kill);
tsk_result tg_bind_check(tsk_tasklet *t, int unbind);
int tg_unbind(tsk_tasklet *t);
void tg_set_flags(tsk_tasklet *t, unsigned set, unsigned clear);
void tg_chan_set_flags(tsk_channel *ch, unsigned set, unsigned clear);
void tg_chan_set_preference(tsk_channel *ch, int pref);
int tg_switch_trap(tsk_sched *s, int delta);
tsk_result tg_insert(tsk_tasklet *t);
tsk_result tg_remove(tsk_tasklet *t);
tsk_result tg_unblock(tsk_tasklet *t);
tsk_result tg_plan_schedule(tsk_sched *s, int remove, tsk_tasklet **next);
tsk_result tg_plan_channel(tsk_sched *s, tsk_channel *ch, int dir,
                           tsk_tasklet **next, tsk_tasklet **partner);
tsk_result tg_plan_run(tsk_sched *s, tsk_tasklet *t, int remove_self,
                       tsk_tasklet **next);
tsk_result tg_plan_watchdog(tsk_sched *s, tsk_tasklet **next);
void tg_watchdog_pop(tsk_sched *s, tsk_tasklet *t);
tsk_result tg_plan_throw(tsk_sched *s, tsk_tasklet *t, int wake, int pending,
                         tsk_tasklet **next);
tsk_result tg_plan_end(tsk_sched *s, int failed, tsk_tasklet **next);
tsk_result tg_plan_resume(tsk_sched *s, tsk_tasklet **next);
void tg_plan_abort(tsk_sched *s);

#endif
