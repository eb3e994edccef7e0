/*
** switch.S
** Picks the stack transfer for the target being compiled: one line per
** target.  Builds compile this file; each file it includes checks its own
** target again.  See arch/README.md.
*/

/* declares a transfer function (global, hidden outside the library) and
** aligns its start to 2^align bytes */
    .macro FUNCTION name, align
    .globl  \name
    .hidden \name
    .type   \name, %function
    .p2align \align
    .endm

#if defined(__x86_64__) && !defined(__ILP32__) && !defined(_WIN32)
#include "switch_x86_64_sysv_elf_gas.S"      /* x86-64, System V, ELF */
#elif defined(__i386__) && !defined(_WIN32)
#include "switch_i386_sysv_elf_gas.S"        /* i386, System V, ELF */
#elif defined(__aarch64__) && !defined(__APPLE__) && !defined(_WIN32)
#include "switch_arm64_aapcs_elf_gas.S"      /* AArch64, AAPCS64, ELF */
#elif defined(__arm__) && !defined(__APPLE__) && !defined(_WIN32)
#include "switch_arm_aapcs_elf_gas.S"        /* ARM/Thumb-2/Thumb-1, AAPCS */
#elif defined(__riscv) && __riscv_xlen == 64
#include "switch_riscv64_lp64_elf_gas.S"     /* RISC-V 64, LP64(D), ELF */
#else
#error "tasklets: no stack transfer for this target; see arch/README.md"
#endif
