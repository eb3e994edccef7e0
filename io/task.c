/*
** task.c
** Tasklets waiting on the I/O loop: the core's poller, and the waits.
** See LICENSE in the project root.
**
** The loop is the scheduler's poller (tsk_set_poller).  A tasklet's wait
** is a tio_wait from the loop's pool (never on the tasklet's own sliced
** stack: the loop writes into it while the tasklet is suspended), handed
** to the core with tsk_plan_wait.  A fired wait makes its tasklet
** runnable through tsk_wait_done; a kill or throw reaches 'cancel'.
** Nothing here switches stacks except the plain-C calls at the end.
*/
#include <stdlib.h>
#include "tio_int.h"

static tio_wait *pool_get(tio_loop *l, tsk_tasklet *t) {
    tio_wait *w = l->pool;
    if (w != NULL)
        l->pool = w->next;
    else if ((w = malloc(sizeof *w)) == NULL)
        return NULL;
    tio_wait_init(w, t);
    return w;
}

static void pool_put(tio_loop *l, tio_wait *w) {
    w->next = l->pool;
    l->pool = w;
}

int tio_wake_ready(tio_loop *l) {
    tio_wait *w;
    int n = 0;
    while ((w = tio_ready_pop(l)) != NULL) {
        /* a timer that fired is a sleep that ended well */
        int r = w->fd < 0 && w->result == TIO_E_TIMEOUT ? TSK_OK : w->result;
        tsk_wait_done((tsk_tasklet *)w->data, r);
        pool_put(l, w);
        n++;
    }
    return n;
}

/* tsk_poller: the default driver, for C programs.  A binding that must
** drop a lock around the block writes its own three (tio.h). */
static void poll_wait(tsk_sched *s) {
    tio_loop *l = (tio_loop *)tsk_poller_data(s);
    tio_run_once(l, -1);
    tio_wake_ready(l);
}

static void poll_wake(tsk_sched *s) {
    tio_wakeup((tio_loop *)tsk_poller_data(s));
}

/* schedule() while tasklets wait: a look without blocking, at most once
** per poll_ns (a clock read otherwise) */
void tio_task_poll(tsk_sched *s) {
    tio_loop *l = (tio_loop *)tsk_poller_data(s);
    if (tio_clock() - l->now < l->poll_ns && l->rhead == NULL)
        return;
    tio_run_once(l, 0);
    tio_wake_ready(l);
}

void tio_task_cancel(tsk_sched *s, tsk_tasklet *t, void *obj) {
    tio_loop *l = (tio_loop *)tsk_poller_data(s);
    (void)t;
    tio_cancel(l, (tio_wait *)obj);
    pool_put(l, (tio_wait *)obj);
}

static const tsk_poller default_poller = {poll_wait, poll_wake,
                                          tio_task_cancel, tio_task_poll};

int tio_attach(tio_loop *l, tsk_sched *s, const tsk_poller *p) {
    int r = tsk_set_poller(s, p ? p : &default_poller, l);
    if (r == TSK_OK)
        l->sched = s;
    return r;
}

int tio_detach(tio_loop *l) {
    int r;
    if (l->sched == NULL)
        return TSK_OK;
    if ((r = tsk_set_poller(l->sched, NULL, NULL)) == TSK_OK)
        l->sched = NULL;
    return r;
}

int tio_plan_wait(tio_loop *l, int fd, int dir, int64_t timeout_ns,
                  tsk_tasklet **next) {
    tsk_sched *s = l->sched;
    tio_wait *w;
    int r;
    *next = NULL;
    if (s == NULL)
        return TIO_E_NO_LOOP;
    if ((w = pool_get(l, tsk_current(s))) == NULL)
        return TSK_E_NOMEM;
    r = fd < 0 && dir == 0 ? tio_wait_timer(l, w, timeout_ns)
                           : tio_wait_fd(l, w, fd, dir, timeout_ns);
    if (r == TSK_OK && (r = tsk_plan_wait(s, w, next)) < 0)
        tio_cancel(l, w); /* refused: nothing waits */
    if (r < 0)
        pool_put(l, w);
    return r;
}

/* {======================================================================
** Plan + switch, for plain C programs (tsk_run style).
** ======================================================================= */
static int carry(tio_loop *l, int r, tsk_tasklet *next) {
    tsk_sched *s = l->sched;
    while (r == TSK_WAIT) {
        tsk_idle(s);
        r = tsk_plan_resume(s, &next);
    }
    if (r != TSK_OK)
        return r;
    if ((r = tsk_switch(s, next)) != TSK_OK) {
        tsk_plan_abort(s);
        return r;
    }
    return tsk_take_wake(tsk_current(s));
}

int tio_sleep(tio_loop *l, int64_t ns) {
    tsk_tasklet *next;
    int r = tio_plan_wait(l, -1, 0, ns, &next);
    return carry(l, r, next);
}

int tio_wait_io(tio_loop *l, int fd, int dir, int64_t timeout_ns) {
    tsk_tasklet *next;
    int r;
    if (fd < 0)
        return TIO_E_BADF;
    r = tio_plan_wait(l, fd, dir, timeout_ns, &next);
    return carry(l, r, next);
}
/* }====================================================================== */
