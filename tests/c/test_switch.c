/*
** test_switch.c
** The stack transfer: registers, depth, many tasklets, dedicated stacks.
*/
#include "common.h"
#include "regs.h"

static int count_body(tsk_tasklet *t, void *arg) {
    (void)t;
    (*(int *)arg)++;
    return 0;
}

static int n_ran;

static void test_start_and_end(void) {
    setup();
    CHECK_OK(tsk_tasklet_init(&T[0], &S, count_body, &n_ran, NULL));
    CHECK(tsk_alive(&T[0]));
    CHECK(tsk_paused(&T[0]));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_EQ(tsk_runcount(&S), 2);
    CHECK_OK(tsk_run(&S));
    CHECK_EQ(n_ran, 1);
    CHECK(!tsk_alive(&T[0]));
    CHECK_EQ(tsk_runcount(&S), 1);
    CHECK_PTR(tsk_current(&S), &M);
    CHECK_OK(tsk_tasklet_release(&T[0]));
}

/* --- callee-saved registers survive switches (regs_<arch>.S) --- */
static void regs_inner(void *arg) {
    int i;
    (void)arg;
    for (i = 0; i < 5; i++)
        CHECK_OK(tsk_schedule(&S));
}
static int regs_body(tsk_tasklet *t, void *arg) {
    (void)t;
    CHECK_EQ(tsk_test_regs(regs_inner, NULL, (unsigned long)arg), 0);
    return 0;
}
static void main_inner(void *arg) {
    (void)arg;
    CHECK_OK(tsk_run(&S));
}
static void test_registers(void) {
    setup();
    CHECK_OK(
        tsk_tasklet_init(&T[0], &S, regs_body, (void *)0x11110001ul, NULL));
    CHECK_OK(
        tsk_tasklet_init(&T[1], &S, regs_body, (void *)0x22220002ul, NULL));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_insert(&T[1]));
    CHECK_EQ(tsk_test_regs(main_inner, NULL, 0x33330003ul), 0);
    CHECK(!tsk_alive(&T[0]) && !tsk_alive(&T[1]));
}

/* registers also survive on dedicated stacks (no slicing at all) */
static unsigned char stk[4][CHECK_STACK_SIZE] __attribute__((aligned(16)));
static tsk_stack ST[4];

/* T[i], new and queued, calling f(arg) on stack st (NULL: the default) */
static void queue(int i, tsk_fn f, void *arg, tsk_stack *st) {
    CHECK_OK(tsk_tasklet_init(&T[i], &S, f, arg, st));
    CHECK_OK(tsk_insert(&T[i]));
}

/* T[0] and T[1] on dedicated stacks ST[0] and ST[1], queued */
static void queue_dedicated_pair(tsk_fn f0, void *a0, tsk_fn f1, void *a1) {
    CHECK_OK(tsk_stack_init(&ST[0], stk[0], sizeof stk[0]));
    CHECK_OK(tsk_stack_init(&ST[1], stk[1], sizeof stk[1]));
    queue(0, f0, a0, &ST[0]);
    queue(1, f1, a1, &ST[1]);
}

static void test_registers_dedicated(void) {
    setup();
    queue_dedicated_pair(regs_body, (void *)0x44440001ul, regs_body,
                         (void *)0x55550002ul);
    CHECK_EQ(tsk_test_regs(main_inner, NULL, 0x66660003ul), 0);
}

/* --- a tasklet deep in C recursion survives others switching --- */
#define DEPTH CHECK_DEPTH
/* the other tasklets recurse n deep, or DEPTH when that is less (a board
** with little RAM) */
#define SHALLOW(n) ((n) < DEPTH ? (n) : DEPTH)
#define SUM(n)     ((unsigned long)(n) * ((n) + 1) / 2)
static size_t max_saved;

static __attribute__((noinline)) unsigned long recurse(int n, int yields) {
    volatile unsigned char pad[48];
    unsigned long sum;
    int i;
    for (i = 0; i < 48; i++)
        pad[i] = (unsigned char)(n * 7 + i);
    if (n == 0) {
        for (i = 0; i < yields; i++)
            CHECK_OK(tsk_schedule(&S));
        sum = 0;
    } else {
        sum = recurse(n - 1, yields);
    }
    for (i = 0; i < 48; i++)
        CHECK_EQ(pad[i], (unsigned char)(n * 7 + i));
    return sum + (unsigned long)n;
}
static int deep_body(tsk_tasklet *t, void *arg) {
    unsigned long r = recurse(DEPTH, 4);
    (void)arg;
    CHECK_EQ(r, (unsigned long)DEPTH * (DEPTH + 1) / 2);
    if (tsk_saved_bytes(t) > max_saved)
        max_saved = tsk_saved_bytes(t);
    return 0;
}
static int shallow_body(tsk_tasklet *t, void *arg) {
    int i;
    (void)arg;
    for (i = 0; i < 8; i++) {
        if (tsk_saved_bytes(&T[0]) > max_saved)
            max_saved = tsk_saved_bytes(&T[0]);
        CHECK_EQ(recurse(SHALLOW(50), 1), SUM(SHALLOW(50)));
    }
    (void)t;
    return 0;
}
static void test_depth(void) {
    setup();
    queue(0, deep_body, NULL, NULL);
    queue(1, shallow_body, NULL, NULL);
    queue(2, shallow_body, NULL, NULL);
    CHECK_OK(tsk_run(&S));
    CHECK(!tsk_alive(&T[0]) && !tsk_alive(&T[1]) && !tsk_alive(&T[2]));
    /* the deep tasklet's slice really went to the heap */
    CHECK(max_saved > (size_t)DEPTH * 48);
}

/* --- 10^5 tasklets in strict round robin --- */
#define MANY   CHECK_MANY
#define ROUNDS 3
static tsk_tasklet many[MANY];
static long step;
static int rr_body(tsk_tasklet *t, void *arg) {
    long id = (long)(size_t)arg;
    int r;
    (void)t;
    for (r = 0; r < ROUNDS; r++) {
        /* main takes part in every round, hence MANY + 1 */
        CHECK_EQ(step % (MANY + 1), id);
        step++;
        CHECK_OK(tsk_schedule(&S));
    }
    return 0;
}
static void test_many_round_robin(void) {
    long i;
    int r;
    setup();
    step = MANY; /* main is at position MANY of each round */
    for (i = 0; i < MANY; i++) {
        CHECK_OK(
            tsk_tasklet_init(&many[i], &S, rr_body, (void *)(size_t)i, NULL));
        CHECK_OK(tsk_insert(&many[i]));
    }
    CHECK_EQ(tsk_runcount(&S), MANY + 1);
    for (r = 0; r < ROUNDS; r++) {
        CHECK_EQ(step % (MANY + 1), MANY);
        step++;
        CHECK_OK(tsk_schedule(&S));
    }
    CHECK_OK(tsk_run(&S));
    CHECK_EQ(tsk_runcount(&S), 1);
    for (i = 0; i < MANY; i++)
        CHECK(!tsk_alive(&many[i]));
}

/* --- dedicated stacks copy nothing; a shared region slices --- */
static int pingpong_body(tsk_tasklet *t, void *arg) {
    int i;
    (void)arg;
    for (i = 0; i < 100; i++) {
        CHECK_OK(tsk_schedule(&S));
        CHECK_EQ(tsk_saved_bytes(t), 0);
    }
    return 0;
}
static void test_dedicated_stacks(void) {
    setup();
    queue_dedicated_pair(pingpong_body, NULL, pingpong_body, NULL);
    CHECK_OK(tsk_run(&S));
    CHECK(!tsk_alive(&T[0]) && !tsk_alive(&T[1]));
    CHECK_OK(tsk_stack_check(&ST[0]));
}

static int shared_body(tsk_tasklet *t, void *arg) {
    (void)arg;
    CHECK_OK(tsk_schedule(&S));
    /* the other occupant of our region ran meanwhile: we were saved */
    CHECK_EQ(recurse(SHALLOW(100), 1), SUM(SHALLOW(100)));
    (void)t;
    return 0;
}
static void test_shared_region(void) {
    setup();
    CHECK_OK(tsk_stack_init(&ST[2], stk[2], sizeof stk[2]));
    queue(0, shared_body, NULL, &ST[2]);
    queue(1, shared_body, NULL, &ST[2]);
    queue(2, shared_body, NULL, NULL);
    CHECK_OK(tsk_run(&S));
    CHECK(!tsk_alive(&T[0]) && !tsk_alive(&T[1]) && !tsk_alive(&T[2]));
}

/* --- a trampled canary is reported, not run over --- */
static int overflow_body(tsk_tasklet *t, void *arg) {
    (void)arg;
    memset(t->stack->lo, 0, 16); /* simulate an overflow */
    CHECK_EQ(tsk_schedule(&S), TSK_E_STACK_OVERFLOW);
    return 0;
}
static void test_canary(void) {
    setup();
    CHECK_OK(tsk_stack_init(&ST[3], stk[3], sizeof stk[3]));
    CHECK_OK(tsk_tasklet_init(&T[0], &S, overflow_body, NULL, &ST[3]));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_tasklet_init(&T[1], &S, count_body, &n_ran, NULL));
    CHECK_OK(tsk_insert(&T[1]));
    CHECK_OK(tsk_run(&S));
    CHECK_EQ(tsk_stack_check(&ST[3]), TSK_E_STACK_OVERFLOW);
    CHECK_EQ(tsk_stack_init(&ST[3], NULL, 10), TSK_E_INVALID);
}

/* --- a real overflow: a local array larger than what is left of the
** dedicated stack runs past its low end (into the lower half of stk[3],
** kept as a guard zone); the tasklet's next switch reports it --- */
static __attribute__((noinline)) int overflow_by(size_t n) {
    volatile unsigned char buf[n];
    size_t i;
    for (i = 0; i < n; i++)
        buf[i] = (unsigned char)(i | 1);
    return buf[0] + buf[n - 1];
}
static int real_overflow_body(tsk_tasklet *t, void *arg) {
    char *here = (char *)__builtin_frame_address(0);
    (void)arg;
    CHECK_OK(tsk_stack_check(t->stack));
    CHECK(overflow_by((size_t)(here - t->stack->lo) + 64) > 0);
    CHECK_EQ(tsk_stack_check(t->stack), TSK_E_STACK_OVERFLOW);
    CHECK_EQ(tsk_schedule(&S), TSK_E_STACK_OVERFLOW);
    return 0;
}
static void test_canary_overflow(void) {
    setup();
    CHECK_OK(tsk_stack_init(&ST[3], stk[3] + CHECK_STACK_SIZE / 2,
                            CHECK_STACK_SIZE / 2));
    CHECK_OK(tsk_tasklet_init(&T[0], &S, real_overflow_body, NULL, &ST[3]));
    CHECK_OK(tsk_insert(&T[0]));
    CHECK_OK(tsk_tasklet_init(&T[1], &S, count_body, &n_ran, NULL));
    CHECK_OK(tsk_insert(&T[1])); /* someone to switch to */
    CHECK_OK(tsk_run(&S));
    CHECK(!tsk_alive(&T[0]) && !tsk_alive(&T[1]));
}

/* --- dedicated stacks never allocate: with an allocator hook that
** refuses everything, tasklets on their own stacks start, switch, pass
** values and end, and nothing is saved.  Only a tasklet on the shared
** thread stack needs the allocator (and fails cleanly without it). --- */
static int n_alloc;
static void *refuse_alloc(void *ud, void *p, size_t osize, size_t nsize) {
    (void)ud;
    (void)p;
    (void)osize;
    if (nsize != 0)
        n_alloc++;
    return NULL;
}
static int ded_sender(tsk_tasklet *t, void *arg) {
    long i;
    (void)arg;
    for (i = 1; i <= 50; i++) {
        CHECK_OK(tsk_send(&S, &CH, (void *)i));
        CHECK_EQ(tsk_saved_bytes(t), 0);
    }
    return 0;
}
static int ded_receiver(tsk_tasklet *t, void *arg) {
    long i;
    void *v;
    (void)arg;
    for (i = 1; i <= 50; i++) {
        CHECK_OK(tsk_receive(&S, &CH, &v));
        CHECK_EQ((long)v, i);
        CHECK_OK(tsk_schedule(&S));
        CHECK_EQ(tsk_saved_bytes(t), 0);
    }
    return 0;
}
/* tsk_run with main's live bytes surely below the thread stack's base
** (tsk_sched_init's frame): how deep a plain call goes depends on the
** compiler's frames (armv7 Thumb-2 gcc stayed above it) */
static __attribute__((noinline)) tsk_result run_deep(void) {
    volatile char pad[128];
    tsk_result r;
    pad[0] = 1;
    r = tsk_run(&S);
    pad[127] = pad[0];
    return r;
}

static void test_dedicated_no_alloc(void) {
    static const tsk_hooks refuse = {refuse_alloc, NULL, NULL, NULL,
                                     NULL,         NULL, NULL, NULL};
    CHECK_OK(tsk_sched_init(&S, &M, &refuse));
    tsk_channel_init(&CH);
    queue_dedicated_pair(ded_sender, NULL, ded_receiver, NULL);
    CHECK_OK(tsk_run(&S));
    CHECK(!tsk_alive(&T[0]) && !tsk_alive(&T[1]));
    CHECK_EQ(n_alloc, 0);
    CHECK_EQ(tsk_saved_bytes(&M), 0);
    /* a tasklet on the thread stack must save main's bytes: refused */
    CHECK_OK(tsk_tasklet_init(&T[2], &S, count_body, &n_ran, NULL));
    CHECK_OK(tsk_insert(&T[2]));
    CHECK_EQ(run_deep(), TSK_E_NOMEM);
    CHECK(n_alloc > 0);
    CHECK(tsk_alive(&T[2]) && !tsk_started(&T[2]));
    CHECK_PTR(tsk_current(&S), &M);
}

/* --- direct switches in a random order between main (thread stack), two
** tasklets sharing a region and one on a dedicated stack: the fast path
** (a plain jump) must never resume a tasklet whose bytes are not all in
** place, and with switch hooks every switch must call them --- */
static unsigned fp_rng;
static int fp_stop;
static long fp_n, fp_out, fp_in;
static tsk_tasklet *fp_pick(const tsk_tasklet *self) {
    tsk_tasklet *c[4] = {&M, &T[0], &T[1], &T[2]}, *t;
    do {
        fp_rng = fp_rng * 1103515245u + 12345u;
        t = c[(fp_rng >> 16) % 4];
    } while (t == self || (t != &M && !tsk_alive(t)));
    return t;
}
/* switch away, then check that a stack buffer survived */
static void fp_hop(tsk_tasklet *self, unsigned char tag) {
    volatile unsigned char buf[192];
    size_t i;
    for (i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(tag + i);
    CHECK_OK(tsk_switch(&S, fp_pick(self)));
    CHECK_PTR(tsk_current(&S), self);
    for (i = 0; i < sizeof buf; i++)
        CHECK_EQ(buf[i], (unsigned char)(tag + i));
    fp_n++;
}
static int fp_body(tsk_tasklet *t, void *arg) {
    while (!fp_stop)
        fp_hop(t, (unsigned char)(uintptr_t)arg);
    return 0;
}
static void fp_count_out(tsk_sched *s, tsk_tasklet *from, tsk_tasklet *to) {
    (void)s;
    CHECK(from != to);
    fp_out++;
}
static void fp_count_in(tsk_sched *s, tsk_tasklet *from, tsk_tasklet *to) {
    (void)s;
    (void)from;
    (void)to;
    fp_in++;
}
static void fast_path_case(const tsk_hooks *hooks) {
    int i;
    fp_rng = 1;
    fp_stop = 0;
    fp_n = fp_out = fp_in = 0;
    CHECK_OK(tsk_sched_init(&S, &M, hooks));
    CHECK_OK(tsk_stack_init(&ST[2], stk[2], sizeof stk[2]));
    CHECK_OK(tsk_stack_init(&ST[0], stk[0], sizeof stk[0]));
    CHECK_OK(tsk_tasklet_init(&T[0], &S, fp_body, (void *)0x10, &ST[2]));
    CHECK_OK(tsk_tasklet_init(&T[1], &S, fp_body, (void *)0x20, &ST[2]));
    CHECK_OK(tsk_tasklet_init(&T[2], &S, fp_body, (void *)0x30, &ST[0]));
    for (i = 0; i < 3000; i++)
        fp_hop(&M, 0x40);
    fp_stop = 1;
    for (i = 0; i < 3; i++) /* each one ends; main is the ring's head */
        if (tsk_alive(&T[i]))
            CHECK_OK(tsk_switch(&S, &T[i]));
    CHECK(!tsk_alive(&T[0]) && !tsk_alive(&T[1]) && !tsk_alive(&T[2]));
    CHECK(fp_n > 3000);
    CHECK_OK(tsk_stack_check(&ST[0]));
    CHECK_OK(tsk_stack_check(&ST[2]));
}
static void test_fast_path(void) {
    fast_path_case(CHECK_HOOKS);
    CHECK_EQ(fp_out, 0);
}
static void test_fast_path_hooks(void) {
    tsk_hooks h = check_hooks_base();
    h.switch_out = fp_count_out;
    h.switch_in = fp_count_in;
    fast_path_case(&h);
    /* every hop, every start and every end went through both hooks */
    CHECK(fp_out >= fp_n);
    CHECK_EQ(fp_in, fp_out);
}

CHECK_MAIN("test_switch", CHECK_CASE(test_start_and_end),
           CHECK_CASE(test_registers), CHECK_CASE(test_registers_dedicated),
           CHECK_CASE(test_depth), CHECK_CASE(test_many_round_robin),
           CHECK_CASE(test_dedicated_stacks), CHECK_CASE(test_shared_region),
           CHECK_CASE(test_canary), CHECK_CASE(test_canary_overflow),
           CHECK_CASE(test_dedicated_no_alloc), CHECK_CASE(test_fast_path),
           CHECK_CASE(test_fast_path_hooks))
