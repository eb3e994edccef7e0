/*
** switch_x86_64_sysv_elf_gas.S
** Stack transfer for x86-64, System V ABI, ELF, GNU as.
** See LICENSE in the project root; contract in core/tsk_arch.h.
**
** Frame pushed by tsk__arch_switch (offsets from the saved sp):
**
**   +-------+--------+----------------------------------+
**   | slot  | offset | content                          |
**   +-------+--------+----------------------------------+
**   |   0   |   0    | MXCSR (4 bytes) | x87 CW (2 bytes)|
**   |   1   |   8    | r15                              |
**   |   2   |  16    | r14                              |
**   |   3   |  24    | r13                              |
**   |   4   |  32    | r12                              |
**   |   5   |  40    | rbx                              |
**   |   6   |  48    | rbp                              |
**   |   7   |  56    | return address                   |
**   +-------+--------+----------------------------------+
**
** Callee-saved per the psABI: rbx, rbp, r12-r15, the MXCSR control bits
** and the x87 control word.  All xmm registers are caller-saved.
*/
#if !defined(__x86_64__) || defined(__ILP32__) || defined(_WIN32)
#error "switch_x86_64_sysv_elf_gas.S assembled for a target that is not x86-64 System V"
#endif

#if defined(__CET__)
#define ENDBR endbr64
#else
#define ENDBR
#endif

    .file   "switch_x86_64_sysv_elf_gas.S"
    .text

/* push (pop) each register named, telling the unwinder how far sp moved */
.macro PUSH_REGS reg, more:vararg
    pushq   \reg
    .cfi_adjust_cfa_offset 8
    .ifnb \more
    PUSH_REGS \more
    .endif
.endm

.macro POP_REGS reg, more:vararg
    popq    \reg
    .cfi_adjust_cfa_offset -8
    .ifnb \more
    POP_REGS \more
    .endif
.endm

/* The frame, pushed and popped the same way by every function here: a
** frame saved by one of them is resumed by another. */
.macro SAVE_FRAME
    PUSH_REGS %rbp, %rbx, %r12, %r13, %r14, %r15
    subq    $8, %rsp                /* slot 0; sp is now 16-byte aligned */
    .cfi_adjust_cfa_offset 8
    stmxcsr (%rsp)                  /* save MXCSR */
    fnstcw  4(%rsp)                 /* save x87 control word */
.endm

.macro RESTORE_CONTROL
    ldmxcsr (%rsp)                  /* restore MXCSR */
    fldcw   4(%rsp)                 /* restore x87 control word */
.endm

.macro RESTORE_REGS
    addq    $8, %rsp                /* drop slot 0 */
    .cfi_adjust_cfa_offset -8
    POP_REGS %r15, %r14, %r13, %r12, %rbx, %rbp
.endm

.macro RESTORE_FRAME                /* the whole frame, as it was saved */
    RESTORE_CONTROL
    RESTORE_REGS
.endm

    FUNCTION tsk__arch_switch, 4
tsk__arch_switch:
    .cfi_startproc
    ENDBR
    SAVE_FRAME

    movq    %rdi, %r12              /* keep cb in a callee-saved register */
    movq    %rsi, %r13              /* keep ctx likewise */

    movq    %r13, %rdi              /* arg 1: ctx */
    movq    %rsp, %rsi              /* arg 2: sp of the saved frame */
    xorl    %edx, %edx              /* arg 3: TSK__ARCH_SAVE */
    call    *%r12
    testq   %rax, %rax              /* NULL: the core aborted the switch */
    jz      .Lout
    testq   $1, %rax                /* tagged: start a new tasklet */
    jnz     .Lstart

    movq    %rax, %rsp              /* land on the resumed tasklet's frame */
    movq    %r13, %rdi              /* arg 1: ctx */
    movq    %rsp, %rsi              /* arg 2: sp */
    movl    $1, %edx                /* arg 3: TSK__ARCH_RESTORE */
    call    *%r12                   /* rax: value to return */

    RESTORE_CONTROL
.Lout:
    RESTORE_REGS
    ret

.Lstart:
    .cfi_adjust_cfa_offset 56
    leaq    -1(%rax), %rsp          /* untag: the new tasklet's sp */
    movq    %r13, %rdi              /* arg 1: ctx */
    movq    %rsp, %rsi              /* arg 2: sp */
    movl    $2, %edx                /* arg 3: TSK__ARCH_START */
    call    *%r12                   /* never returns */
    ud2
    .cfi_endproc
    .size   tsk__arch_switch, .-tsk__arch_switch

/*
** int tsk__arch_jump(char **save_sp, char *new_sp);
** The no-copy switch: push the same frame as above, store sp in *save_sp,
** continue on new_sp (a frame saved by any of these functions), pop,
** return 0.
**
** int tsk__arch_jump_br(char **save_sp, char *new_sp);
** The same, but it leaves through an indirect jump instead of 'ret'.  A
** 'ret' is predicted from the return-stack buffer, whose top is the
** leaving side's return address: right when both sides suspended at the
** same call site (a scheduler loop), wrong on every switch between two
** different sites (two coroutines calling tsk_switch directly).  The
** indirect jump is predicted from branch history instead, which learns
** such a ping-pong, at the price of leaving one return-stack entry
** unmatched.  tsk_switch uses this one; the scheduler's own paths use
** the other.
*/
.macro JUMP_BODY
    .cfi_startproc
    ENDBR
    SAVE_FRAME
    movq    %rsp, (%rdi)            /* the leaving side's sp */
    movq    %rsi, %rsp              /* the arriving side's frame */
    RESTORE_FRAME
    xorl    %eax, %eax              /* return 0 */
.endm

    FUNCTION tsk__arch_jump, 4
tsk__arch_jump:
    JUMP_BODY
    ret
    .cfi_endproc
    .size   tsk__arch_jump, .-tsk__arch_jump

    FUNCTION tsk__arch_jump_br, 4
tsk__arch_jump_br:
    JUMP_BODY
    popq    %rdx                    /* the arriving side's return address */
    .cfi_adjust_cfa_offset -8
    jmp     *%rdx
    .cfi_endproc
    .size   tsk__arch_jump_br, .-tsk__arch_jump_br

    .section .note.GNU-stack,"",%progbits
