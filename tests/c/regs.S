/*
** regs.S
** Picks the register-preservation helper for the target (see regs.h); the
** symbols and the non-executable stack note are declared here for all.
*/
    .globl  tsk_test_regs
    .type   tsk_test_regs, %function
    .globl  tsk_test_regs2
    .type   tsk_test_regs2, %function

#if defined(__x86_64__) && !defined(__ILP32__) && !defined(_WIN32)
#include "regs_x86_64.S"
#elif defined(__i386__)
#include "regs_i386.S"
#elif defined(__aarch64__)
#include "regs_arm64.S"
#elif defined(__arm__)
#include "regs_arm.S"
#elif defined(__riscv) && __riscv_xlen == 64
#include "regs_riscv64.S"
#else
#error "no register test helper for this target"
#endif

    .section .note.GNU-stack,"",%progbits
