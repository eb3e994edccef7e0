/*
** bench.c
** Instructions per switch on a Cortex-M board emulated by QEMU.
** See LICENSE in the project root; results in README.md.
**
** QEMU is not cycle accurate and does not model the DWT cycle counter
** (CYCCNT reads as 0).  What it can do: with -icount shift=0 every
** executed instruction advances the virtual clock by exactly 1 ns, and
** SysTick counts that clock.  So SysTick ticks, scaled by a calibration
** loop of a known instruction count, are *instructions*, not cycles.
**
** Cases (each a ping-pong between two sides; N rounds):
**   arch      tsk__arch_switch alone, with a callback that only swaps two
**             saved sps: the assembly and one C call each way
**   schedule  tsk_schedule between two tasklets on dedicated stacks
**   channel   tsk_send/tsk_receive between two tasklets on dedicated stacks
**   sliced    tsk_schedule between two tasklets on the shared thread stack
**             (their bytes are copied out and back at every switch)
** The switches of each case are counted once with a switch_out hook, then
** the case is timed without it.
*/
#include <stdint.h>
#include <string.h>
#include "board.h"
#include "tsk.h"
#include "tsk_arch.h"

#define N          4000
#define STACK_SIZE 1024

static tsk_sched S;
static tsk_tasklet M, A, B;
static tsk_channel C1, C2;
static tsk_stack ST[2];
static unsigned char stacks[2][STACK_SIZE] __attribute__((aligned(8)));
static long switches;
static size_t high_water; /* most bytes a tasklet used of its stack */

int main(int argc, char **argv);

static void fail(const char *what, tsk_result r) {
    board_puts("bench: ");
    board_puts(what);
    board_puts(": ");
    board_puts(tsk_strerror(r));
    board_puts("\n");
    sh_exit(1);
}

/* exactly 2 instructions per iteration: the calibration.  (gcc reads
** Thumb-1 inline assembly in the old divided syntax, where "sub" on a low
** register sets the flags.) */
static void spin(uint32_t n) {
#if defined(__thumb2__)
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+l"(n) : : "cc");
#else
    __asm__ volatile("1: sub %0, #1\n\tbne 1b" : "+l"(n) : : "cc");
#endif
}

/* A bump allocator over a static arena, for the sliced case: the core
** keeps each save buffer between switches, so it only allocates while
** warming up. */
static unsigned char arena[4 * 1024] __attribute__((aligned(8)));
static size_t arena_used;
static void *arena_alloc(void *ud, void *p, size_t osize, size_t nsize) {
    void *q;
    (void)ud;
    if (nsize == 0)
        return NULL;
    nsize = (nsize + 7) & ~(size_t)7;
    if (nsize > sizeof arena - arena_used)
        return NULL;
    q = arena + arena_used;
    arena_used += nsize;
    if (p != NULL)
        memcpy(q, p, osize < nsize ? osize : nsize);
    return q;
}

static void count_out(tsk_sched *s, tsk_tasklet *from, tsk_tasklet *to) {
    (void)s;
    (void)from;
    (void)to;
    switches++;
}

/* {======================================================================
** arch: two contexts and the raw transfer
** ======================================================================= */
static void *raw_sp[2]; /* saved sps: main, co */
static int raw_side, raw_started;
static unsigned char raw_stack[STACK_SIZE] __attribute__((aligned(8)));
static void raw_co(void);

static void *raw_cb(void *ctx, void *sp, int op) {
    if (op == TSK__ARCH_SAVE) {
        raw_sp[raw_side] = sp;
        raw_side ^= 1;
        if (!raw_started) {
            raw_started = 1;
            return raw_stack + STACK_SIZE - 64 + 1; /* start co */
        }
        return raw_sp[raw_side];
    }
    if (op == TSK__ARCH_RESTORE)
        return ctx;
    raw_co();
    return NULL;
}

static void raw_co(void) {
    for (;;)
        tsk__arch_switch(raw_cb, &S);
}

static long run_arch(void) {
    long i;
    for (i = 0; i < N; i++)
        tsk__arch_switch(raw_cb, &S); /* to co and back */
    return 2 * N;
}
/* }====================================================================== */

/* results unchecked: only the transfer's instructions are counted */
#define BENCH_ROUNDS         N
#define BENCH_OK(expr, what) ((void)(expr))
#include "bodies.h"

/* Set up and run one case of the core (counting: with the hook); returns
** the SysTick ticks of tsk_run alone. */
static uint32_t run_case(int which, int counting) {
    tsk_hooks h;
    tsk_stack *sa = &ST[0], *sb = &ST[1];
    tsk_result r;
    uint32_t t0, t1;
    memset(&h, 0, sizeof h);
    h.alloc = arena_alloc;
    if (counting)
        h.switch_out = count_out;
    arena_used = 0;
    tsk_sched_init(&S, &M, &h);
    tsk_channel_init(&C1);
    tsk_channel_init(&C2);
    memset(stacks, 0xa5, sizeof stacks); /* to find the high water */
    tsk_stack_init(&ST[0], stacks[0], STACK_SIZE);
    tsk_stack_init(&ST[1], stacks[1], STACK_SIZE);
    if (which == 3)
        sa = sb = NULL; /* the shared thread stack */
    tsk_tasklet_init(&A, &S, which == 2 ? chan_body : yield_body, &B, sa);
    tsk_tasklet_init(&B, &S, which == 2 ? chan_body : yield_body, NULL, sb);
    tsk_insert(&A);
    tsk_insert(&B);
    t0 = board_ticks();
    r = tsk_run(&S);
    t1 = board_ticks();
    if (r != TSK_OK)
        fail("run", r);
    tsk_tasklet_release(&A);
    tsk_tasklet_release(&B);
    high_water = 0;
    if (which != 3) {
        int k;
        size_t i;
        for (k = 0; k < 2; k++) {
            for (i = sizeof(uintptr_t); i < STACK_SIZE; i++)
                if (stacks[k][i] != 0xa5)
                    break;
            if (STACK_SIZE - i > high_water)
                high_water = STACK_SIZE - i;
        }
    }
    return (t1 - t0) & 0xFFFFFFu;
}

/* tenths of an instruction per switch */
static unsigned long per_switch(uint32_t ticks, uint32_t cal_ticks, long nsw) {
    uint64_t insns10 = (uint64_t)ticks * 2 * 1000000 * 10 / cal_ticks;
    return (unsigned long)(insns10 / (uint64_t)nsw);
}

static void report(const char *name, unsigned long tenths, long nsw) {
    board_puts(name);
    board_putu(tenths / 10);
    board_puts(".");
    board_putu(tenths % 10);
    board_puts(" instructions per switch (");
    board_putu((unsigned long)nsw);
    board_puts(" switches");
    if (high_water != 0) {
        board_puts("; stack high water ");
        board_putu(high_water);
        board_puts(" bytes");
    }
    board_puts(")\n");
}

int main(int argc, char **argv) {
    static const char *const names[4] = {"arch      ", "schedule  ",
                                         "channel   ", "sliced    "};
    uint32_t t0, cal, ticks;
    long nsw;
    int c;
    (void)argc;
    (void)argv;
    board_ticks_start();
    t0 = board_ticks();
    spin(1000000);
    cal = (board_ticks() - t0) & 0xFFFFFFu;
    if (cal < 1000) {
        board_puts("bench: SysTick does not follow the instructions;"
                   " run under qemu -icount shift=0 (make bench)\n");
        return 1;
    }
    board_puts("calibration: 2000000 instructions = ");
    board_putu(cal);
    board_puts(" SysTick ticks\n");
    for (c = 0; c < 4; c++) {
        if (c == 0) {
            high_water = 0;
            nsw = run_arch(); /* starts co; warm-up */
            t0 = board_ticks();
            nsw = run_arch();
            ticks = (board_ticks() - t0) & 0xFFFFFFu;
        } else {
            switches = 0;
            run_case(c, 1);
            nsw = switches;
            ticks = run_case(c, 0);
        }
        report(names[c], per_switch(ticks, cal, nsw), nsw);
    }
    return 0;
}
