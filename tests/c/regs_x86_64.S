/*
** regs_x86_64.S -- see regs.h.  Checked, in order: 1 rbx, 2 rbp, 3 r12,
** 4 r13, 5 r14, 6 r15, 7 MXCSR control bits, 8 x87 control word.
**
** Also tsk_test_regs2(fn, a0, a1, seed): the same check around fn(a0, a1);
** tests/c/test_arch.c passes tsk__arch_switch as fn, so that nothing but
** the stack transfer runs between loading and checking the registers.
*/
#include "regs_x86.inc"

    .text
    .p2align 4
tsk_test_regs:                      /* (fn, arg, seed): fn(arg, 0) */
    movq    %rdx, %rcx              /* seed */
    xorl    %edx, %edx              /* a1 = 0; fall into tsk_test_regs2 */
tsk_test_regs2:                     /* (fn, a0, a1, seed) */
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    subq    $40, %rsp               /* 16-byte aligned for the call */
    movq    %rdx, %r9               /* a1 */
    movq    %rcx, %rdx              /* seed, from here on in rdx */
    movq    %rdx, 8(%rsp)
    SETMXCSR 0(%rsp), 16(%rsp), %r8d /* caller's at 0, test's at 16 */
    SETX87  4(%rsp), 20(%rsp), %r8d /* caller's at 4, test's at 20 */
    movq    %rdi, %rax              /* fn */
    movq    %rsi, %rdi              /* a0 */
    movq    %r9, %rsi               /* a1 */
    SEEDREGS %rdx, 1, %rbx, %rbp, %r12, %r13, %r14, %r15
    call    *%rax
    movq    8(%rsp), %rdx
    CHECKREGS %rdx, %rcx, 1, %rbx, %rbp, %r12, %r13, %r14, %r15
    CHECKMXCSR 7, 24(%rsp), 16(%rsp)
    CHECKX87 8, 28(%rsp), 20(%rsp), %r8d
    xorl    %eax, %eax
.Ldone:
    ldmxcsr 0(%rsp)                 /* give the caller its FP modes back */
    fldcw   4(%rsp)
    addq    $40, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .size   tsk_test_regs, .-tsk_test_regs
    .size   tsk_test_regs2, .-tsk_test_regs2
