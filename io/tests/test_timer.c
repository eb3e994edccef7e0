/*
** test_timer.c
** The I/O loop's deadlines: heap order, ties, cancel, many timers.
** See LICENSE in the project root.
*/
#include "check.h"
#include "tio_int.h"

#define NT 10000
static tio_loop L;
static tio_wait W[NT];
static int order[NT];

/* a small reproducible generator (the tests must not depend on rand()) */
static uint32_t rng = 12345;
static uint32_t next_rand(void) {
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Arm W[i] straight in the heap with a chosen deadline. */
static void push_at(int i, int64_t when) {
    tio_wait_init(&W[i], (void *)(intptr_t)i);
    W[i].when = when;
    CHECK_OK(tio__heap_push(&L, &W[i]));
}

/* Take the heap apart from its top; returns how many came out, in order. */
static int drain_heap(void) {
    int n = 0;
    tio_wait *w;
    while ((w = tio__heap_top(&L)) != NULL) {
        tio__heap_remove(&L, w);
        order[n++] = (int)(intptr_t)w->data;
    }
    return n;
}

static void test_heap_order_and_ties(void) {
    static const int64_t when[8] = {50, 10, 30, 10, 20, 10, 50, 0};
    /* by deadline, and in arming order among equal ones */
    static const int want[8] = {7, 1, 3, 5, 4, 2, 0, 6};
    CHECK_OK(tio_loop_init(&L, TIO_BACKEND_DEFAULT, 0));
    for (int i = 0; i < 8; i++)
        push_at(i, when[i]);
    CHECK_EQ(drain_heap(), 8);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(order[i], want[i]);
    tio_loop_fini(&L);
}

static void test_heap_cancel_middle(void) {
    int n;
    CHECK_OK(tio_loop_init(&L, TIO_BACKEND_DEFAULT, 0));
    for (int i = 0; i < 100; i++)
        push_at(i, (int64_t)(next_rand() % 40));
    for (int i = 0; i < 100; i += 3) { /* every third, wherever it sits */
        tio__heap_remove(&L, &W[i]);
        CHECK_EQ(W[i].slot, 0);
    }
    n = drain_heap();
    CHECK_EQ(n, 100 - 34);
    for (int i = 1; i < n; i++) {
        const tio_wait *a = &W[order[i - 1]], *b = &W[order[i]];
        CHECK(a->when < b->when || (a->when == b->when && a->seq < b->seq));
        CHECK(order[i] % 3 != 0);
    }
    tio_loop_fini(&L);
}

/* Timers through the loop: they fire in deadline order, never early. */
static void test_timers_fire_in_order(void) {
    static const int64_t ms[5] = {30, 10, 20, 10, 0};
    int64_t t0 = tio_clock();
    tio_wait *w;
    int n = 0;
    CHECK_OK(tio_loop_init(&L, TIO_BACKEND_DEFAULT, 0));
    for (int i = 0; i < 5; i++) {
        tio_wait_init(&W[i], (void *)(intptr_t)i);
        CHECK_OK(tio_wait_timer(&L, &W[i], ms[i] * 1000000));
    }
    CHECK_EQ(tio_armed(&L), 5);
    while (n < 5) {
        CHECK(tio_run_once(&L, -1) >= 0);
        while ((w = tio_ready_pop(&L)) != NULL) {
            int i = (int)(intptr_t)w->data;
            CHECK_EQ(w->result, TIO_E_TIMEOUT);
            CHECK(tio_clock() - t0 >= ms[i] * 1000000);
            order[n++] = i;
        }
    }
    CHECK_EQ(order[0], 4);
    CHECK_EQ(order[1], 1);
    CHECK_EQ(order[2], 3);
    CHECK_EQ(order[3], 2);
    CHECK_EQ(order[4], 0);
    CHECK_EQ(tio_armed(&L), 0);
    tio_loop_fini(&L);
}

static void test_timer_cancel(void) {
    CHECK_OK(tio_loop_init(&L, TIO_BACKEND_DEFAULT, 0));
    tio_wait_init(&W[0], NULL);
    tio_wait_init(&W[1], NULL);
    CHECK_OK(tio_wait_timer(&L, &W[0], 1000000));
    CHECK_OK(tio_wait_timer(&L, &W[1], 2000000));
    CHECK_EQ(tio_wait_timer(&L, &W[0], 0), TIO_E_ARMED);
    tio_cancel(&L, &W[0]);
    tio_cancel(&L, &W[0]); /* idle: a no-op */
    CHECK_EQ(tio_wait_state(&W[0]), 0);
    while (tio_ready_pop(&L) == NULL)
        CHECK(tio_run_once(&L, -1) >= 0);
    CHECK_EQ(tio_wait_state(&W[1]), 0);
    CHECK_EQ(tio_armed(&L), 0);
    /* a fired wait cancelled before it is popped leaves the ready list */
    CHECK_OK(tio_wait_timer(&L, &W[0], 0));
    CHECK_EQ(tio_run_once(&L, -1), 1);
    CHECK_EQ(tio_wait_state(&W[0]), 2);
    tio_cancel(&L, &W[0]);
    CHECK_PTR(tio_ready_pop(&L), NULL);
    tio_loop_fini(&L);
}

/* 10^4 timers over about 20 ms, a third cancelled: every other one fires
** once, in (deadline, arming) order. */
static void test_many_timers(void) {
    static unsigned char fired[NT];
    int n = 0, want = 0;
    tio_wait *w;
    const tio_wait *prev = NULL;
    CHECK_OK(tio_loop_init(&L, TIO_BACKEND_DEFAULT, 0));
    for (int i = 0; i < NT; i++) {
        tio_wait_init(&W[i], (void *)(intptr_t)i);
        CHECK_OK(tio_wait_timer(&L, &W[i], (next_rand() % 20000) * 1000));
    }
    for (int i = 0; i < NT; i++)
        if (next_rand() % 3 == 0)
            tio_cancel(&L, &W[i]);
        else
            want++;
    CHECK_EQ(tio_armed(&L), want);
    while (tio_armed(&L) > 0 || L.rhead != NULL) {
        CHECK(tio_run_once(&L, -1) >= 0);
        while ((w = tio_ready_pop(&L)) != NULL) {
            int i = (int)(intptr_t)w->data;
            CHECK(!fired[i]);
            fired[i] = 1;
            CHECK(w->when <= tio_now(&L));
            /* within one dispatch the heap hands them out in order */
            if (prev != NULL)
                CHECK(prev->when < w->when ||
                      (prev->when == w->when && prev->seq < w->seq));
            prev = w;
            n++;
        }
        prev = NULL;
    }
    CHECK_EQ(n, want);
    tio_loop_fini(&L);
}

CHECK_MAIN("io timers", CHECK_CASE(test_heap_order_and_ties),
           CHECK_CASE(test_heap_cancel_middle),
           CHECK_CASE(test_timers_fire_in_order),
           CHECK_CASE(test_timer_cancel), CHECK_CASE(test_many_timers))
