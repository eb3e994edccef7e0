/*
** blinky.c
** Blinky without an OS: producer/consumer tasklets drive the board's LEDs.
** See LICENSE in the project root.
**
** The "button" tasklet (the producer) stands for a key that is pressed
** NPRESSES times: for each press it sends a blink count on the channel
** 'presses', and after the last one an end mark (0).  The "led" tasklet
** (the consumer) receives the counts and blinks LED 0 that many times:
** on, yield, off, yield.  The "heartbeat" tasklet toggles LED 1 at each
** turn it gets, until the consumer says it is done.  Main starts the
** three, runs them (tsk_run) and checks the totals and the stacks.
**
** Nothing is allocated: every object and every stack is static, each
** tasklet has a dedicated stack (tsk_stack_init), so the core never
** slices a stack and never calls an allocator (the hooks are NULL; on a
** bare-metal target TSK_HOSTED is 0 and the core has no allocator of its
** own).  On a Cortex-M board it is built with -ffreestanding -nostdlib:
** the core needs memcpy and memset only (ci/cortex-m/board.c), and the
** LEDs are real register writes; output goes through semihosting.
** Elsewhere it is a plain C program that prints the same lines.
**
**   make -C ci/cortex-m blinky [BOARD=mps2-an385|mps2-an386|microbit]
**   make -C examples/c run            (hosted)
*/
#include <stdint.h>
#include "tsk.h"

#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#include "board.h" /* ci/cortex-m: LEDs, semihosting */
#else
#include <stdio.h>
static unsigned leds;
static unsigned board_led(int led, int on) {
    unsigned bit = 1u << (led & 1);
    leds = on ? leds | bit : leds & ~bit;
    return leds;
}
static void board_puts(const char *s) { fputs(s, stdout); }
static void board_putu(unsigned long v) { printf("%lu", v); }
#endif

#define NPRESSES 4
/* bytes per tasklet stack: printf of a hosted C library wants more */
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#define STACK_SIZE 1024
#else
#define STACK_SIZE (32 * 1024)
#endif

static tsk_sched sched;
static tsk_tasklet main_t, button_t, led_t, heart_t;
static tsk_channel presses;
static tsk_stack stacks[3];
static unsigned char stack_mem[3][STACK_SIZE] __attribute__((aligned(8)));

static unsigned blinks, beats, done;

static void say(const char *a, unsigned long n, const char *b) {
    board_puts(a);
    board_putu(n);
    board_puts(b);
}

/* the LED register as read back: LED 0 (blinks), LED 1 (heartbeat) */
static void show_leds(unsigned reg) {
    board_puts(reg & 1 ? "  [*]" : "  [ ]");
    board_puts(reg & 2 ? "[*]\n" : "[ ]\n");
}

/* the producer: blink counts 1..NPRESSES, then the end mark */
static int button(tsk_tasklet *t, void *arg) {
    unsigned i;
    (void)t;
    (void)arg;
    for (i = 1; i <= NPRESSES; i++) {
        say("button: press ", i, "\n");
        if (tsk_send(&sched, &presses, (void *)(uintptr_t)i) != TSK_OK)
            return 1;
    }
    return tsk_send(&sched, &presses, NULL) != TSK_OK;
}

/* the consumer: blink LED 0 as often as each press says */
static int led(tsk_tasklet *t, void *arg) {
    void *v;
    unsigned n, i;
    (void)t;
    (void)arg;
    for (;;) {
        if (tsk_receive(&sched, &presses, &v) != TSK_OK)
            return 1;
        n = (unsigned)(uintptr_t)v;
        if (n == 0)
            break;
        for (i = 1; i <= n; i++) {
            say("led:    blink ", i, "");
            say(" of ", n, " on ");
            show_leds(board_led(0, 1));
            tsk_schedule(&sched);
            say("led:    blink ", i, "");
            say(" of ", n, " off");
            show_leds(board_led(0, 0));
            tsk_schedule(&sched);
            blinks++;
        }
    }
    done = 1;
    return 0;
}

/* LED 1 changes at every turn it gets */
static int heartbeat(tsk_tasklet *t, void *arg) {
    (void)t;
    (void)arg;
    while (!done) {
        board_led(1, ++beats & 1);
        tsk_schedule(&sched);
    }
    board_led(1, 0);
    return 0;
}

int main(int argc, char **argv) {
    static tsk_fn const bodies[3] = {button, led, heartbeat};
    tsk_tasklet *const ts[3] = {&button_t, &led_t, &heart_t};
    tsk_result r;
    unsigned i, want = NPRESSES * (NPRESSES + 1) / 2;
    int ok = 1;
    (void)argc;
    (void)argv;

    tsk_sched_init(&sched, &main_t, NULL); /* no hooks: no allocator */
    tsk_channel_init(&presses);
    for (i = 0; i < 3; i++) {
        tsk_stack_init(&stacks[i], stack_mem[i], sizeof stack_mem[i]);
        tsk_tasklet_init(ts[i], &sched, bodies[i], NULL, &stacks[i]);
        tsk_insert(ts[i]);
    }
    r = tsk_run(&sched);
    if (r != TSK_OK) {
        board_puts("run: ");
        board_puts(tsk_strerror(r));
        board_puts("\n");
        ok = 0;
    }
    for (i = 0; i < 3; i++) {
        if (tsk_alive(ts[i]) || tsk_stack_check(&stacks[i]) != TSK_OK)
            ok = 0;
        if (tsk_saved_bytes(ts[i]) != 0)
            ok = 0;
    }
    say("blinks: ", blinks, "");
    say(" (want ", want, ")");
    say(", heartbeats: ", beats, "\n");
    ok = ok && blinks == want && beats >= want;
    board_puts(ok ? "blinky: ok\n" : "blinky: FAILED\n");
    return ok ? 0 : 1;
}
