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

/* A channel ping-pong, two switches a round: the tasklet whose arg is not
** NULL (A) sends it on C1 and takes it back from C2; the other (B)
** receives on C1 and sends back on C2 */
static int chan_body(tsk_tasklet *t, void *arg) {
    long i;
    void *v = arg;
    (void)t;
    if (arg != NULL) {
        for (i = 0; i < BENCH_ROUNDS; i++) {
            BENCH_OK(tsk_send(&S, &C1, v), "send");
            BENCH_OK(tsk_receive(&S, &C2, &v), "receive");
        }
    } else {
        for (i = 0; i < BENCH_ROUNDS; i++) {
            BENCH_OK(tsk_receive(&S, &C1, &v), "receive");
            BENCH_OK(tsk_send(&S, &C2, v), "send");
        }
    }
    return 0;
}

#endif
