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

#include "regs_x86.inc"

    .text
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

    .p2align 4
tsk_test_regs2:
.Lregs2:
    pushl   %ebp
    pushl   %ebx
    pushl   %esi
    pushl   %edi
    subl    $44, %esp               /* 16-byte aligned for the call */
    movl    76(%esp), %edx          /* seed */
    movl    %edx, 16(%esp)
    SETX87  8(%esp), 20(%esp), %eax /* caller's at 8, test's at 20 */
#if defined(__SSE__)
    SETMXCSR 12(%esp), 24(%esp), %eax /* caller's at 12, test's at 24 */
#endif
    movl    68(%esp), %eax          /* a0 */
    movl    %eax, 0(%esp)
    movl    72(%esp), %eax          /* a1 */
    movl    %eax, 4(%esp)
    movl    64(%esp), %eax          /* fn */
    SEEDREGS %edx, 1, %ebx, %esi, %edi, %ebp
    call    *%eax
    movl    16(%esp), %edx
    CHECKREGS %edx, %ecx, 1, %ebx, %esi, %edi, %ebp
    CHECKX87 5, 28(%esp), 20(%esp), %edx
#if defined(__SSE__)
    CHECKMXCSR 6, 32(%esp), 24(%esp)
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
