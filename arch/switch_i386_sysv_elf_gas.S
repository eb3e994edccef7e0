/*
** switch_i386_sysv_elf_gas.S
** Stack transfer for i386, System V ABI (cdecl), ELF, GNU as.
** See LICENSE in the project root; contract in core/tsk_arch.h.
**
** Frame pushed by tsk__arch_switch (offsets from the saved sp):
**
**   +-------+--------+----------------------------------+
**   | slot  | offset | content                          |
**   +-------+--------+----------------------------------+
**   |   0   |   0    | x87 CW (2 bytes), 2 unused bytes |
**   |   1   |   4    | MXCSR (only when __SSE__)        |
**   |   2   |   8    | unused (keeps sp 16-aligned)     |
**   |   3   |  12    | edi                              |
**   |   4   |  16    | esi                              |
**   |   5   |  20    | ebx                              |
**   |   6   |  24    | ebp                              |
**   |   7   |  28    | return address                   |
**   |  (8)  |  32    | (caller's argument cb)           |
**   |  (9)  |  36    | (caller's argument ctx)          |
**   +-------+--------+----------------------------------+
**
** Callee-saved per the psABI: ebx, esi, edi, ebp, the x87 control word
** and, where SSE is used, the MXCSR control bits.  Every x87 and xmm data
** register is caller-saved; DF is clear at calls and returns.
**
** gcc on Linux assumes a 16-byte aligned esp at every call.  With a caller
** that keeps it so, the 32-byte frame leaves the saved sp 16-aligned, and
** each call below reserves a 16-byte argument block, so every call made
** here sees an aligned esp again.  The arguments go below the saved sp:
** a callee may write to its argument block, and the bytes at or above the
** saved sp are the tasklet's (the core copies them away and back).
*/
#if !defined(__i386__) || defined(_WIN32)
#error "switch_i386_sysv_elf_gas.S assembled for a target that is not i386 System V"
#endif

#if defined(__CET__) && (__CET__ & 1)
#define ENDBR endbr32
#else
#define ENDBR
#endif

    .file   "switch_i386_sysv_elf_gas.S"

/* push (pop) each register named, telling the unwinder where it is
** saved (that it is back) and how far sp moved */
    .macro PUSH_REGS reg, more:vararg
    pushl   \reg
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset \reg, 0
    .ifnb \more
    PUSH_REGS \more
    .endif
    .endm
    .macro POP_REGS reg, more:vararg
    popl    \reg
    .cfi_adjust_cfa_offset -4
    .cfi_restore \reg
    .ifnb \more
    POP_REGS \more
    .endif
    .endm

/* The frame (table above), pushed and popped the same way by
** tsk__arch_switch and tsk__arch_jump. */
    .macro SAVE_FRAME
    PUSH_REGS %ebp, %ebx, %esi, %edi
    subl    $12, %esp               /* slots 0-2; sp is now 16-aligned */
    .cfi_adjust_cfa_offset 12
    fnstcw  0(%esp)                 /* save x87 control word */
#if defined(__SSE__)
    stmxcsr 4(%esp)                 /* save MXCSR */
#endif
    .endm
    .macro RESTORE_CONTROL
#if defined(__SSE__)
    ldmxcsr 4(%esp)                 /* restore MXCSR */
#endif
    fldcw   0(%esp)                 /* restore x87 control word */
    .endm
    .macro RESTORE_REGS
    addl    $12, %esp               /* drop slots 0-2 */
    .cfi_adjust_cfa_offset -12
    POP_REGS %edi, %esi, %ebx, %ebp
    .endm
    .macro RESTORE_FRAME            /* the whole frame, as it was saved */
    RESTORE_CONTROL
    RESTORE_REGS
    .endm

    .text
    FUNCTION tsk__arch_switch, 4
tsk__arch_switch:
    .cfi_startproc
    ENDBR
    SAVE_FRAME

    movl    32(%esp), %esi          /* keep cb in a callee-saved register */
    movl    36(%esp), %edi          /* keep ctx likewise */

    subl    $16, %esp               /* argument block, keeps 16-alignment */
    .cfi_adjust_cfa_offset 16
    movl    %edi, 0(%esp)           /* arg 1: ctx */
    leal    16(%esp), %eax          /* the saved frame's sp */
    movl    %eax, 4(%esp)           /* arg 2: sp of the saved frame */
    movl    $0, 8(%esp)             /* arg 3: TSK__ARCH_SAVE */
    call    *%esi
    addl    $16, %esp               /* drop the argument block */
    .cfi_adjust_cfa_offset -16
    testl   %eax, %eax              /* NULL: the core aborted the switch */
    jz      .Lout
    testl   $1, %eax                /* tagged: start a new tasklet */
    jnz     .Lstart

    movl    %eax, %esp              /* land on the resumed tasklet's frame */
    subl    $16, %esp               /* argument block below that frame */
    .cfi_adjust_cfa_offset 16
    movl    %edi, 0(%esp)           /* arg 1: ctx */
    movl    %eax, 4(%esp)           /* arg 2: sp */
    movl    $1, 8(%esp)             /* arg 3: TSK__ARCH_RESTORE */
    call    *%esi                   /* eax: value to return */
    addl    $16, %esp               /* drop the argument block */
    .cfi_adjust_cfa_offset -16

    RESTORE_CONTROL
.Lout:
    RESTORE_REGS
    ret

.Lstart:
    .cfi_adjust_cfa_offset 28
    .cfi_rel_offset %ebp, 24
    .cfi_rel_offset %ebx, 20
    .cfi_rel_offset %esi, 16
    .cfi_rel_offset %edi, 12
    decl    %eax                    /* untag: the new tasklet's sp */
    movl    %eax, %esp              /* move onto the new stack */
    .cfi_undefined %eip             /* no frame above: unwinders stop */
    subl    $16, %esp               /* argument block below it */
    movl    %edi, 0(%esp)           /* arg 1: ctx */
    movl    %eax, 4(%esp)           /* arg 2: sp */
    movl    $2, 8(%esp)             /* arg 3: TSK__ARCH_START */
    call    *%esi                   /* never returns */
    ud2
    .cfi_endproc
    .size   tsk__arch_switch, .-tsk__arch_switch

/*
** int tsk__arch_jump(char **save_sp, char *new_sp);
** The no-copy switch: push the same frame as above, store sp in *save_sp,
** continue on new_sp (a frame saved by either function), pop, return 0.
*/
    FUNCTION tsk__arch_jump, 4
tsk__arch_jump:
    .cfi_startproc
    ENDBR
    movl    4(%esp), %ecx           /* save_sp */
    movl    8(%esp), %edx           /* new_sp */
    SAVE_FRAME
    movl    %esp, (%ecx)            /* the leaving side's sp */
    movl    %edx, %esp              /* the arriving side's frame */
    RESTORE_FRAME
    xorl    %eax, %eax              /* return 0 */
    ret
    .cfi_endproc
    .size   tsk__arch_jump, .-tsk__arch_jump

    .section .note.GNU-stack,"",%progbits
