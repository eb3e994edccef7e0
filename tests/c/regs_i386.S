/*
** regs_i386.S -- see regs.h.  Checked, in order: 1 ebx, 2 esi, 3 edi,
** 4 ebp, 5 x87 control word, 6 MXCSR control bits (only when __SSE__).
** Register k gets seed + k; the x87 CW and MXCSR get rounding = seed & 3.
**
** Also tsk_test_regs2(fn, a0, a1, seed): the same check around fn(a0, a1);
** tests/c/test_arch.c passes tsk__arch_switch as fn, so that nothing but
** the stack transfer runs between loading and checking the registers.
**
** Frame of tsk_test_regs2 (offsets from esp at the call to fn):
**    0 a0 (outgoing)    4 a1 (outgoing)   8 caller's x87 CW
**   12 caller's MXCSR  16 seed           20 test x87 CW     24 test MXCSR
**   28 x87 CW read back                  32 MXCSR read back 36-43 unused
**   44 edi 48 esi 52 ebx 56 ebp 60 return address
**   64 fn  68 a0  72 a1  76 seed
*/
#if !defined(__i386__)
#error "regs_i386.S assembled for a target that is not i386"
#endif

    .text
    .globl  tsk_test_regs
    .type   tsk_test_regs, @function
    .p2align 4
tsk_test_regs:                      /* (fn, arg, seed): fn(arg, 0) */
    subl    $28, %esp               /* 16-byte aligned for the call */
    movl    32(%esp), %eax
    movl    %eax, 0(%esp)           /* fn */
    movl    36(%esp), %eax
    movl    %eax, 4(%esp)           /* a0 = arg */
    movl    $0, 8(%esp)             /* a1 = 0 */
    movl    40(%esp), %eax
    movl    %eax, 12(%esp)          /* seed */
    call    .Lregs2
    addl    $28, %esp
    ret
    .size   tsk_test_regs, .-tsk_test_regs

    .globl  tsk_test_regs2
    .type   tsk_test_regs2, @function
    .p2align 4
tsk_test_regs2:
.Lregs2:
    pushl   %ebp
    pushl   %ebx
    pushl   %esi
    pushl   %edi
    subl    $44, %esp               /* 16-byte aligned for the call */
    fnstcw  8(%esp)                 /* caller's x87 CW */
    movl    76(%esp), %edx          /* seed */
    movl    %edx, 16(%esp)
    movzwl  8(%esp), %ecx           /* x87 CW with rounding = seed & 3 */
    andl    $~0x0c00, %ecx
    movl    %edx, %eax
    andl    $3, %eax
    shll    $10, %eax
    orl     %eax, %ecx
    movw    %cx, 20(%esp)
    fldcw   20(%esp)
#if defined(__SSE__)
    stmxcsr 12(%esp)                /* caller's MXCSR */
    movl    12(%esp), %ecx          /* MXCSR with rounding = seed & 3 */
    andl    $~0x6000, %ecx
    movl    %edx, %eax
    andl    $3, %eax
    shll    $13, %eax
    orl     %eax, %ecx
    movl    %ecx, 24(%esp)
    ldmxcsr 24(%esp)
#endif
    movl    68(%esp), %eax          /* a0 */
    movl    %eax, 0(%esp)
    movl    72(%esp), %eax          /* a1 */
    movl    %eax, 4(%esp)
    movl    64(%esp), %eax          /* fn */
    leal    1(%edx), %ebx
    leal    2(%edx), %esi
    leal    3(%edx), %edi
    leal    4(%edx), %ebp
    call    *%eax
    movl    16(%esp), %edx
    movl    $1, %eax
    leal    1(%edx), %ecx
    cmpl    %ecx, %ebx
    jne     .Ldone
    movl    $2, %eax
    leal    2(%edx), %ecx
    cmpl    %ecx, %esi
    jne     .Ldone
    movl    $3, %eax
    leal    3(%edx), %ecx
    cmpl    %ecx, %edi
    jne     .Ldone
    movl    $4, %eax
    leal    4(%edx), %ecx
    cmpl    %ecx, %ebp
    jne     .Ldone
    movl    $5, %eax
    fnstcw  28(%esp)
    movzwl  28(%esp), %ecx
    movzwl  20(%esp), %edx
    cmpl    %edx, %ecx
    jne     .Ldone
#if defined(__SSE__)
    movl    $6, %eax
    stmxcsr 32(%esp)
    movl    32(%esp), %ecx
    xorl    24(%esp), %ecx
    andl    $0xffc0, %ecx           /* control bits only, not the flags */
    jnz     .Ldone
#endif
    xorl    %eax, %eax
.Ldone:
    fldcw   8(%esp)                 /* give the caller its FP modes back */
#if defined(__SSE__)
    ldmxcsr 12(%esp)
#endif
    addl    $44, %esp
    popl    %edi
    popl    %esi
    popl    %ebx
    popl    %ebp
    ret
    .size   tsk_test_regs2, .-tsk_test_regs2
    .section .note.GNU-stack,"",%progbits
