/*
** bodies.h
** The tasklet bodies the switch benchmarks time, shared by
** bench/c/bench_switch.c and ci/cortex-m/bench.c.  The includer defines
** S, C1 and C2, BENCH_ROUNDS (rounds per body) and BENCH_OK(expr, what)
** (what it does with each result: check it, or nothing).
** See LICENSE in the project root.
*/
#ifndef BENCH_BODIES_H
#define BENCH_BODIES_H

/* schedule() in a loop: two tasklets take turns */
static int yield_body(tsk_tasklet *t, void *arg) {
    long i;
    (void)t;
    (void)arg;
    for (i = 0; i < BENCH_ROUNDS; i++)
        BENCH_OK(tsk_schedule(&S), "schedule");
    return 0;
}

/* A sends, B receives and sends back: two switches a round */
static int chan_a(tsk_tasklet *t, void *arg) {
    long i;
    void *v;
    (void)t;
    (void)arg;
    for (i = 0; i < BENCH_ROUNDS; i++) {
        BENCH_OK(tsk_send(&S, &C1, &C1), "send");
        BENCH_OK(tsk_receive(&S, &C2, &v), "receive");
    }
    return 0;
}
static int chan_b(tsk_tasklet *t, void *arg) {
    long i;
    void *v;
    (void)t;
    (void)arg;
    for (i = 0; i < BENCH_ROUNDS; i++) {
        BENCH_OK(tsk_receive(&S, &C1, &v), "receive");
        BENCH_OK(tsk_send(&S, &C2, v), "send");
    }
    return 0;
}

#endif
