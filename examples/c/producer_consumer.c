/*
** producer_consumer.c
** One producer, two consumers and main, over channels, with the core only.
** See LICENSE in the project root.
**
** The producer sends jobs 1..NJOBS on 'jobs'; each consumer receives jobs
** until it gets the end mark (NULL), then reports its total on 'done'.
** Closing protocol: after the last job the producer sends one end mark
** per consumer, so every consumer leaves its loop exactly once.  Main
** starts the tasklets, collects the two totals and checks them.
**
** Everything tasklets share is static: a suspended tasklet's stack bytes
** are copied away (stack slicing), so no pointer into another tasklet's
** stack is valid.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "tsk.h"

#define NJOBS      8
#define NCONSUMERS 2

static tsk_sched sched;
static tsk_tasklet main_t, producer_t, consumer_t[NCONSUMERS];
static tsk_channel jobs, done;
static const char *const names[NCONSUMERS] = {"consumer A", "consumer B"};

#define TO_PTR(n) ((void *)(intptr_t)(n))
#define TO_INT(p) ((int)(intptr_t)(p))

static void check(tsk_result r, const char *what) {
    if (r != TSK_OK) {
        fprintf(stderr, "%s: %s\n", what, tsk_strerror(r));
        exit(1);
    }
}

static int producer(tsk_tasklet *t, void *arg) {
    int i;
    (void)t;
    (void)arg;
    for (i = 1; i <= NJOBS; i++) {
        printf("producer:   send job %d\n", i);
        check(tsk_send(&sched, &jobs, TO_PTR(i)), "producer send");
    }
    for (i = 0; i < NCONSUMERS; i++) {
        printf("producer:   send end mark\n");
        check(tsk_send(&sched, &jobs, NULL), "producer send");
    }
    printf("producer:   done\n");
    return 0;
}

static int consumer(tsk_tasklet *t, void *arg) {
    const char *name = names[TO_INT(arg)];
    int total = 0, njobs = 0;
    void *v;
    (void)t;
    for (;;) {
        check(tsk_receive(&sched, &jobs, &v), name);
        if (v == NULL)
            break;
        printf("%s: job %d -> %d\n", name, TO_INT(v), TO_INT(v) * TO_INT(v));
        total += TO_INT(v) * TO_INT(v);
        njobs++;
        check(tsk_schedule(&sched), name); /* let the others work */
    }
    printf("%s: end mark after %d jobs, total %d\n", name, njobs, total);
    check(tsk_send(&sched, &done, TO_PTR(total)), name);
    return 0;
}

int main(void) {
    int i, sum = 0, want = 0;
    void *v;
    check(tsk_sched_init(&sched, &main_t, NULL), "init");
    tsk_channel_init(&jobs);
    tsk_channel_init(&done);
    for (i = 0; i < NCONSUMERS; i++) {
        check(tsk_tasklet_init(&consumer_t[i], &sched, consumer, TO_PTR(i),
                               NULL),
              "tasklet");
        check(tsk_insert(&consumer_t[i]), "insert");
    }
    check(tsk_tasklet_init(&producer_t, &sched, producer, NULL, NULL),
          "tasklet");
    check(tsk_insert(&producer_t), "insert");
    printf("main:       %d tasklets queued, waiting for totals\n",
           tsk_runcount(&sched) - 1);
    for (i = 0; i < NCONSUMERS; i++) {
        check(tsk_receive(&sched, &done, &v), "main receive");
        printf("main:       got total %d\n", TO_INT(v));
        sum += TO_INT(v);
    }
    /* the producer may still be queued after its last send: let it end */
    check(tsk_run(&sched), "run");
    for (i = 1; i <= NJOBS; i++)
        want += i * i;
    printf("main:       sum %d (expected %d), runcount %d, producer %s\n", sum,
           want, tsk_runcount(&sched),
           tsk_alive(&producer_t) ? "alive" : "ended");
    /* nobody is left to send: a receive now is a deadlock, not a hang */
    printf("main:       receive on an empty queue: %s\n",
           tsk_strerror(tsk_receive(&sched, &jobs, &v)));
    return sum == want && !tsk_alive(&producer_t) ? 0 : 1;
}
