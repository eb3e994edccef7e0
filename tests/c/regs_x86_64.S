/*
** regs_x86_64.S -- see regs.h.  Checked, in order: 1 rbx, 2 rbp, 3 r12,
** 4 r13, 5 r14, 6 r15, 7 MXCSR control bits, 8 x87 control word.
**
** Also tsk_test_regs2(fn, a0, a1, seed): the same check around fn(a0, a1);
** tests/c/test_arch.c passes tsk__arch_switch as fn, so that nothing but
** the stack transfer runs between loading and checking the registers.
*/
    .text
    .globl  tsk_test_regs
    .type   tsk_test_regs, @function
    .globl  tsk_test_regs2
    .type   tsk_test_regs2, @function
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
    stmxcsr 0(%rsp)                 /* caller's MXCSR */
    fnstcw  4(%rsp)                 /* caller's x87 CW */
    movq    %rdx, %r9               /* a1 */
    movq    %rcx, %rdx              /* seed, from here on in rdx */
    movq    %rdx, 8(%rsp)
    movl    0(%rsp), %ecx           /* MXCSR with rounding = seed & 3 */
    andl    $~0x6000, %ecx
    movl    %edx, %r8d
    andl    $3, %r8d
    shll    $13, %r8d
    orl     %r8d, %ecx
    movl    %ecx, 16(%rsp)
    movzwl  4(%rsp), %ecx           /* x87 CW with rounding = seed & 3 */
    andl    $~0x0c00, %ecx
    movl    %edx, %r8d
    andl    $3, %r8d
    shll    $10, %r8d
    orl     %r8d, %ecx
    movw    %cx, 20(%rsp)
    ldmxcsr 16(%rsp)
    fldcw   20(%rsp)
    movq    %rdi, %rax              /* fn */
    movq    %rsi, %rdi              /* a0 */
    movq    %r9, %rsi               /* a1 */
    leaq    1(%rdx), %rbx
    leaq    2(%rdx), %rbp
    leaq    3(%rdx), %r12
    leaq    4(%rdx), %r13
    leaq    5(%rdx), %r14
    leaq    6(%rdx), %r15
    call    *%rax
    movq    8(%rsp), %rdx
    movl    $1, %eax
    leaq    1(%rdx), %rcx
    cmpq    %rcx, %rbx
    jne     .Ldone
    movl    $2, %eax
    leaq    2(%rdx), %rcx
    cmpq    %rcx, %rbp
    jne     .Ldone
    movl    $3, %eax
    leaq    3(%rdx), %rcx
    cmpq    %rcx, %r12
    jne     .Ldone
    movl    $4, %eax
    leaq    4(%rdx), %rcx
    cmpq    %rcx, %r13
    jne     .Ldone
    movl    $5, %eax
    leaq    5(%rdx), %rcx
    cmpq    %rcx, %r14
    jne     .Ldone
    movl    $6, %eax
    leaq    6(%rdx), %rcx
    cmpq    %rcx, %r15
    jne     .Ldone
    movl    $7, %eax
    stmxcsr 24(%rsp)
    movl    24(%rsp), %ecx
    xorl    16(%rsp), %ecx
    andl    $0xffc0, %ecx           /* control bits only, not the flags */
    jnz     .Ldone
    movl    $8, %eax
    fnstcw  28(%rsp)
    movzwl  28(%rsp), %ecx
    movzwl  20(%rsp), %r8d
    cmpl    %r8d, %ecx
    jne     .Ldone
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
    .section .note.GNU-stack,"",%progbits
