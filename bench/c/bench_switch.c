/*
** bench_switch.c
** Cost of a switch: the core's tasklets against ucontext and boost.context.
** See LICENSE in the project root; bench/c/README.md has the results.
**
**   bench_switch [--offset N] [CASE=IR ...]
**                                 time every case, print one table; the
**                                 optional CASE=IR pairs (from ir.sh) fill
**                                 the callgrind column; --offset moves the
**                                 second dedicated stack's top N bytes down
**                                 (see README.md: 4K aliasing)
**   bench_switch --count CASE N   run CASE for N rounds, untimed (ir.sh)
**
** Every case is a ping-pong: one round is two switches.  Each is timed
** REPS times after a warm-up; the table shows the median and the minimum
** per switch, and ratios of medians.
*/
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include "tsk.h"

#define REPS       9
#define STACK_SIZE (64 * 1024)

/* boost.context (fcontext_pingpong.cpp), when it was built */
#ifdef HAVE_FCONTEXT
void bench_fcontext(long rounds, void *stack, size_t size);
#endif

static unsigned char stacks[2][STACK_SIZE] __attribute__((aligned(64)));

/* {======================================================================
** Our core.  Everything the tasklets touch is static (stack slicing).
** ======================================================================= */
static tsk_sched S;
static tsk_tasklet M, A, B;
static tsk_channel C1, C2;
static tsk_stack ST[2];
static long g_rounds;
static size_t g_offset; /* --offset */

static void fail(tsk_result r, const char *what) {
    fprintf(stderr, "bench_switch: %s: %s\n", what, tsk_strerror(r));
    exit(1);
}
#define OK(expr, what)                                                        \
    do {                                                                      \
        tsk_result r_ = (expr);                                               \
        if (r_ != TSK_OK)                                                     \
            fail(r_, what);                                                   \
    } while (0)

#define BENCH_ROUNDS g_rounds
#define BENCH_OK     OK
#include "bodies.h"

/* tsk_switch straight to the other tasklet: no plan, no queue.  B is only
** ever switched to: it makes one switch less and ends, and the core
** resumes A where it is. */
static int direct_body(tsk_tasklet *t, void *arg) {
    tsk_tasklet *to = t == &A ? &B : &A;
    long i;
    (void)arg;
    for (i = t == &B; i < g_rounds; i++)
        OK(tsk_switch(&S, to), "switch");
    return 0;
}

/* Two tasklets A and B under run(); dedicated stacks or the thread's. */
static void tasklets(long rounds, int dedicated, tsk_fn f) {
    tsk_stack *sa = NULL, *sb = NULL;
    g_rounds = rounds;
    OK(tsk_sched_init(&S, &M, NULL), "sched_init");
    tsk_channel_init(&C1);
    tsk_channel_init(&C2);
    if (dedicated) {
        OK(tsk_stack_init(&ST[0], stacks[0], STACK_SIZE), "stack");
        OK(tsk_stack_init(&ST[1], stacks[1], STACK_SIZE - g_offset), "stack");
        sa = &ST[0];
        sb = &ST[1];
    }
    OK(tsk_tasklet_init(&A, &S, f, &B, sa),
       "tasklet"); /* arg: see chan_body */
    OK(tsk_tasklet_init(&B, &S, f, NULL, sb), "tasklet");
    OK(tsk_insert(&A), "insert");
    if (f != direct_body) /* direct: B is only ever switched to */
        OK(tsk_insert(&B), "insert");
    OK(tsk_run(&S), "run");
    if (tsk_alive(&A) || tsk_alive(&B) || tsk_runcount(&S) != 1) {
        fprintf(stderr, "bench_switch: tasklets did not end\n");
        exit(1);
    }
    tsk_sched_fini(&S);
}

static void case_sliced(long n) { tasklets(n, 0, yield_body); }
static void case_dedicated(long n) { tasklets(n, 1, yield_body); }
static void case_channel(long n) { tasklets(n, 1, chan_body); }
static void case_direct(long n) { tasklets(n, 1, direct_body); }
/* }====================================================================== */

/* {======================================================================
** ucontext
** ======================================================================= */
static ucontext_t uc_main, uc_co;

static void uc_body(void) {
    for (;;)
        swapcontext(&uc_co, &uc_main);
}
static void case_ucontext(long n) {
    long i;
    getcontext(&uc_co);
    uc_co.uc_stack.ss_sp = stacks[0];
    uc_co.uc_stack.ss_size = STACK_SIZE;
    uc_co.uc_link = NULL;
    makecontext(&uc_co, uc_body, 0);
    for (i = 0; i < n; i++)
        swapcontext(&uc_main, &uc_co);
}
/* }====================================================================== */

#ifdef HAVE_FCONTEXT
static void case_fcontext(long n) { bench_fcontext(n, stacks[0], STACK_SIZE); }
#endif

typedef struct bench_case {
    const char *key; /* for --count and CASE=IR */
    const char *what;
    void (*run)(long rounds);
    long rounds;         /* per timed repetition */
    double med, min, ir; /* ns per switch; callgrind Ir per switch */
} bench_case;

static bench_case cases[] = {
    {"sliced", "tasklets, tsk_schedule, thread stack (sliced)", case_sliced,
     300000, 0, 0, -1},
    {"dedicated", "tasklets, tsk_schedule, dedicated stacks", case_dedicated,
     1000000, 0, 0, -1},
    {"channel", "tasklets, send/receive, dedicated stacks", case_channel,
     1000000, 0, 0, -1},
    {"direct", "tasklets, tsk_switch only, dedicated stacks", case_direct,
     1000000, 0, 0, -1},
    {"ucontext", "ucontext swapcontext", case_ucontext, 300000, 0, 0, -1},
#ifdef HAVE_FCONTEXT
    {"fcontext", "boost.context jump_fcontext", case_fcontext, 3000000, 0, 0,
     -1},
#endif
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void time_case(bench_case *c) {
    double per[REPS], t0;
    int r;
    c->run(c->rounds / 10); /* warm-up */
    for (r = 0; r < REPS; r++) {
        t0 = now_ns();
        c->run(c->rounds);
        per[r] = (now_ns() - t0) / (2.0 * (double)c->rounds);
    }
    qsort(per, REPS, sizeof per[0], cmp_double);
    c->min = per[0];
    c->med = per[REPS / 2];
}

static bench_case *find(const char *key, size_t len) {
    int i;
    for (i = 0; i < NCASES; i++)
        if (strlen(cases[i].key) == len &&
            strncmp(cases[i].key, key, len) == 0)
            return &cases[i];
    return NULL;
}

static void print_cpu(void) {
    char line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            printf("cpu:%s", strchr(line, ':') + 1);
            break;
        }
    }
    if (f != NULL)
        fclose(f);
}

int main(int argc, char **argv) {
    bench_case *base_f = NULL, *base_u = find("ucontext", 8);
    int i;
    if (argc == 4 && strcmp(argv[1], "--count") == 0) {
        bench_case *c = find(argv[2], strlen(argv[2]));
        if (c == NULL)
            return 2;
        c->run(atol(argv[3]));
        return 0;
    }
    for (i = 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (strcmp(argv[i], "--offset") == 0 && i + 1 < argc) {
            g_offset = (size_t)atol(argv[++i]) % (STACK_SIZE / 2);
            continue;
        }
        bench_case *c = eq ? find(argv[i], (size_t)(eq - argv[i])) : NULL;
        if (c == NULL) {
            fprintf(stderr,
                    "usage: bench_switch [--offset N] [CASE=IR ...] "
                    "| --count CASE N\n");
            return 2;
        }
        c->ir = atof(eq + 1);
    }
#ifdef __linux__
    {
        cpu_set_t set; /* one CPU: no migrations in the middle */
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
#endif
#ifdef HAVE_FCONTEXT
    base_f = find("fcontext", 8);
#endif
    for (i = 0; i < NCASES; i++)
        time_case(&cases[i]);
    print_cpu();
    printf("compiler: %s; %d repetitions, median and min per switch; "
           "second stack offset %zu\n\n",
           __VERSION__, REPS, g_offset);
    printf("| case | ns/switch (median) | min | x fcontext | x swapcontext "
           "| Ir/switch (callgrind) |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < NCASES; i++) {
        bench_case *c = &cases[i];
        printf("| %s | %.1f | %.1f | ", c->what, c->med, c->min);
        if (base_f != NULL)
            printf("%.2f | ", c->med / base_f->med);
        else
            printf("- | ");
        printf("%.3f | ", c->med / base_u->med);
        if (c->ir >= 0)
            printf("%.0f |\n", c->ir);
        else
            printf("- |\n");
    }
    return 0;
}
