/*
** startup.c
** Reset and fault handling of the Cortex-M firmware (tests, blinky, bench).
** See LICENSE in the project root.
**
** Reset copies .data from its load address, clears .bss, turns the FPU on
** when the build uses it, splits the semihosting command line into argv
** and calls main.  main's return value becomes QEMU's exit status, through
** board_exit: semihosting directly here, or the C library's exit() (which
** flushes stdio first) when syscalls.c is linked in.  Any fault prints the
** faulting pc and ends the run with status 139, so a crash never hangs.
** Symbols come from the linker script (sections.ld).
*/
#include <stdint.h>
#include "semihost.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[], __stack_top[];

int main(int argc, char **argv);
void board_exit(int status) __attribute__((noreturn));
void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void);
void fault_report(const uint32_t *frame, uint32_t exc_return)
    __attribute__((noreturn));

/* the vector table: initial sp, reset, then the 14 system exceptions */
/* clang-format off */
__attribute__((section(".vectors"), used))
static const uintptr_t vectors[16] = {
    (uintptr_t)__stack_top,      /* initial main stack pointer */
    (uintptr_t)Reset_Handler,
    (uintptr_t)Fault_Handler,    /* NMI */
    (uintptr_t)Fault_Handler,    /* HardFault */
    (uintptr_t)Fault_Handler,    /* MemManage (ARMv7-M) */
    (uintptr_t)Fault_Handler,    /* BusFault (ARMv7-M) */
    (uintptr_t)Fault_Handler,    /* UsageFault (ARMv7-M) */
    0, 0, 0, 0,
    (uintptr_t)Fault_Handler,    /* SVCall */
    (uintptr_t)Fault_Handler,    /* DebugMonitor */
    0,
    (uintptr_t)Fault_Handler,    /* PendSV */
    (uintptr_t)Fault_Handler,    /* SysTick (the firmware polls it) */
};
/* clang-format on */

/* Without syscalls.c: end through semihosting at once. */
__attribute__((weak)) void board_exit(int status) { sh_exit(status); }

#define MAXARGS 16
static char cmdline[256];
static char *argv[MAXARGS + 1];

/* argv from "kernel-file arg1 arg2 ..." (blank-separated) */
static int split_args(void) {
    int argc = 0;
    char *p = cmdline;
    if (!sh_cmdline(cmdline, sizeof cmdline)) {
        argv[argc++] = (char *)"firmware";
        return argc;
    }
    while (*p != 0 && argc < MAXARGS) {
        while (*p == ' ')
            *p++ = 0;
        if (*p == 0)
            break;
        argv[argc++] = p;
        while (*p != 0 && *p != ' ')
            p++;
    }
    argv[argc] = 0;
    return argc;
}

void Reset_Handler(void) {
    uint32_t *s, *d;
#if defined(__ARM_FP)
    /* CPACR: full access to CP10 and CP11 (the FPU), before any FP code */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    for (s = __data_load, d = __data_start; d < __data_end;)
        *d++ = *s++;
    for (d = __bss_start; d < __bss_end;)
        *d++ = 0;
    board_exit(main(split_args(), argv));
}

/* Which stack the exception frame went to (EXC_RETURN bit 2), then C. */
__attribute__((naked)) void Fault_Handler(void) {
    __asm__ volatile("mov    r0, sp\n\t"
                     "mov    r1, lr\n\t"
                     "movs   r2, #4\n\t"
                     "tst    r1, r2\n\t"
                     "beq    1f\n\t"
                     "mrs    r0, psp\n"
                     "1:\n\t"
                     "ldr    r2, =fault_report\n\t"
                     "bx     r2\n\t"
                     ".ltorg");
}

void fault_report(const uint32_t *frame, uint32_t exc_return) {
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    sh_puts("\nfault: exception ");
    sh_putu(ipsr & 0x1ff);
    sh_puts(" pc ");
    sh_puthex(frame[6]);
    sh_puts(" lr ");
    sh_puthex(frame[5]);
    sh_puts(" sp ");
    sh_puthex((uintptr_t)frame);
    sh_puts(" exc_return ");
    sh_puthex(exc_return);
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    sh_puts(" cfsr ");
    sh_puthex(*(volatile uint32_t *)0xE000ED28u);
    sh_puts(" hfsr ");
    sh_puthex(*(volatile uint32_t *)0xE000ED2Cu);
#endif
    sh_puts("\n");
    sh_exit(139);
}
