/*
** switch_riscv64_lp64_elf_gas.S
** Stack transfer for RISC-V 64, LP64/LP64F/LP64D, ELF, GNU as.
** See LICENSE in the project root; contract in core/tsk_arch.h.
**
** Frame pushed by tsk__arch_switch (offsets from the saved sp):
**
**   +-------+--------+----------------------------------+
**   | slot  | offset | content                          |
**   +-------+--------+----------------------------------+
**   |   0   |    0   | ra (return address)              |
**   |   1   |    8   | s0 (fp)                          |
**   |   2   |   16   | s1                               |
**   |  ...  |  ...   | s2-s10                           |
**   |  12   |   96   | s11                              |
**   |  13   |  104   | fs0 (only with an F/D FPU)       |
**   |  ...  |  ...   | fs1-fs10                         |
**   |  24   |  192   | fs11                             |
**   |  25   |  200   | unused (keeps sp 16-aligned)     |
**   +-------+--------+----------------------------------+
**
** Without an FPU (__riscv_flen undefined) the frame ends after s11 at 104
** and is 112 bytes.  With F only (flen 32) fs0-fs11 take the low 4 bytes of
** their 8-byte slots.
**
** Callee-saved per the psABI: s0-s11, sp, and fs0-fs11 up to the FLEN of
** the hardware (saving them for LP64 with an FPU is harmless).  ra is saved
** because the resumed side returns through its own saved ra.  fcsr is
** global state; gp and tp are never touched.  The psABI keeps sp 16-aligned.
*/
#if !defined(__riscv) || __riscv_xlen != 64
#error "switch_riscv64_lp64_elf_gas.S assembled for a target that is not RISC-V 64"
#endif

#if defined(__riscv_flen) && __riscv_flen >= 64
#define FSAVE fsd
#define FLOAD fld
#define FRAME 208
#elif defined(__riscv_flen) && __riscv_flen == 32
#define FSAVE fsw
#define FLOAD flw
#define FRAME 208
#else
#define FRAME 112
#endif

    .file   "switch_riscv64_lp64_elf_gas.S"

/* The frame (table above) below sp, stored and loaded the same way by
** tsk__arch_switch and tsk__arch_jump. */
    .macro SAVE_REGS
    sd      ra, 0(sp)               /* save ra */
    sd      s0, 8(sp)               /* save s0 */
    sd      s1, 16(sp)              /* save s1 */
    sd      s2, 24(sp)              /* save s2 */
    sd      s3, 32(sp)              /* save s3 */
    sd      s4, 40(sp)              /* save s4 */
    sd      s5, 48(sp)              /* save s5 */
    sd      s6, 56(sp)              /* save s6 */
    sd      s7, 64(sp)              /* save s7 */
    sd      s8, 72(sp)              /* save s8 */
    sd      s9, 80(sp)              /* save s9 */
    sd      s10, 88(sp)             /* save s10 */
    sd      s11, 96(sp)             /* save s11 */
    .cfi_rel_offset ra, 0
    .cfi_rel_offset s0, 8
    .cfi_rel_offset s1, 16
    .cfi_rel_offset s2, 24
    .cfi_rel_offset s3, 32
    .cfi_rel_offset s4, 40
    .cfi_rel_offset s5, 48
    .cfi_rel_offset s6, 56
    .cfi_rel_offset s7, 64
    .cfi_rel_offset s8, 72
    .cfi_rel_offset s9, 80
    .cfi_rel_offset s10, 88
    .cfi_rel_offset s11, 96
#if defined(FSAVE)
    FSAVE   fs0, 104(sp)            /* save fs0 */
    FSAVE   fs1, 112(sp)            /* save fs1 */
    FSAVE   fs2, 120(sp)            /* save fs2 */
    FSAVE   fs3, 128(sp)            /* save fs3 */
    FSAVE   fs4, 136(sp)            /* save fs4 */
    FSAVE   fs5, 144(sp)            /* save fs5 */
    FSAVE   fs6, 152(sp)            /* save fs6 */
    FSAVE   fs7, 160(sp)            /* save fs7 */
    FSAVE   fs8, 168(sp)            /* save fs8 */
    FSAVE   fs9, 176(sp)            /* save fs9 */
    FSAVE   fs10, 184(sp)           /* save fs10 */
    FSAVE   fs11, 192(sp)           /* save fs11 */
    .cfi_rel_offset fs0, 104
    .cfi_rel_offset fs1, 112
    .cfi_rel_offset fs2, 120
    .cfi_rel_offset fs3, 128
    .cfi_rel_offset fs4, 136
    .cfi_rel_offset fs5, 144
    .cfi_rel_offset fs6, 152
    .cfi_rel_offset fs7, 160
    .cfi_rel_offset fs8, 168
    .cfi_rel_offset fs9, 176
    .cfi_rel_offset fs10, 184
    .cfi_rel_offset fs11, 192
#endif
    .endm
    .macro RESTORE_REGS
#if defined(FLOAD)
    FLOAD   fs0, 104(sp)            /* restore fs0 */
    FLOAD   fs1, 112(sp)            /* restore fs1 */
    FLOAD   fs2, 120(sp)            /* restore fs2 */
    FLOAD   fs3, 128(sp)            /* restore fs3 */
    FLOAD   fs4, 136(sp)            /* restore fs4 */
    FLOAD   fs5, 144(sp)            /* restore fs5 */
    FLOAD   fs6, 152(sp)            /* restore fs6 */
    FLOAD   fs7, 160(sp)            /* restore fs7 */
    FLOAD   fs8, 168(sp)            /* restore fs8 */
    FLOAD   fs9, 176(sp)            /* restore fs9 */
    FLOAD   fs10, 184(sp)           /* restore fs10 */
    FLOAD   fs11, 192(sp)           /* restore fs11 */
#endif
    ld      ra, 0(sp)               /* restore ra */
    ld      s0, 8(sp)               /* restore s0 */
    ld      s1, 16(sp)              /* restore s1 */
    ld      s2, 24(sp)              /* restore s2 */
    ld      s3, 32(sp)              /* restore s3 */
    ld      s4, 40(sp)              /* restore s4 */
    ld      s5, 48(sp)              /* restore s5 */
    ld      s6, 56(sp)              /* restore s6 */
    ld      s7, 64(sp)              /* restore s7 */
    ld      s8, 72(sp)              /* restore s8 */
    ld      s9, 80(sp)              /* restore s9 */
    ld      s10, 88(sp)             /* restore s10 */
    ld      s11, 96(sp)             /* restore s11 */
    .endm
    .text
    .globl  tsk__arch_switch
    .hidden tsk__arch_switch
    .type   tsk__arch_switch, @function
    .p2align 2
tsk__arch_switch:
    .cfi_startproc
    addi    sp, sp, -FRAME          /* the frame; sp stays 16-aligned */
    .cfi_adjust_cfa_offset FRAME
    SAVE_REGS

    mv      s1, a0                  /* keep cb in a callee-saved register */
    mv      s2, a1                  /* keep ctx likewise */

    mv      a0, s2                  /* arg 1: ctx */
    mv      a1, sp                  /* arg 2: sp of the saved frame */
    li      a2, 0                   /* arg 3: TSK__ARCH_SAVE */
    jalr    s1
    beqz    a0, .Lout               /* NULL: the core aborted the switch */
    andi    t0, a0, 1               /* tagged? */
    bnez    t0, .Lstart             /* yes: start a new tasklet */

    mv      sp, a0                  /* land on the resumed tasklet's frame */
    mv      a0, s2                  /* arg 1: ctx */
    mv      a1, sp                  /* arg 2: sp */
    li      a2, 1                   /* arg 3: TSK__ARCH_RESTORE */
    jalr    s1                      /* a0: value to return */

    .cfi_remember_state
.Lout:
    RESTORE_REGS
    addi    sp, sp, FRAME           /* drop the frame */
    .cfi_adjust_cfa_offset -FRAME
    ret

.Lstart:
    .cfi_restore_state              /* the whole frame is on the stack */
    addi    sp, a0, -1              /* untag: the new tasklet's sp */
    .cfi_undefined ra               /* no frame above: unwinders stop */
    mv      a1, sp                  /* arg 2: sp */
    mv      a0, s2                  /* arg 1: ctx */
    li      a2, 2                   /* arg 3: TSK__ARCH_START */
    jalr    s1                      /* never returns */
    unimp                           /* trap if it does */
    .cfi_endproc
    .size   tsk__arch_switch, .-tsk__arch_switch

/*
** int tsk__arch_jump(char **save_sp, char *new_sp);
** The no-copy switch: store the same frame as above, sp in *save_sp,
** continue on new_sp (a frame saved by either function), load, return 0.
*/
    .globl  tsk__arch_jump
    .hidden tsk__arch_jump
    .type   tsk__arch_jump, @function
    .p2align 2
tsk__arch_jump:
    .cfi_startproc
    addi    sp, sp, -FRAME          /* the same frame as tsk__arch_switch */
    .cfi_adjust_cfa_offset FRAME
    SAVE_REGS
    sd      sp, 0(a0)               /* the leaving side's sp */
    mv      sp, a1                  /* the arriving side's frame */
    RESTORE_REGS
    addi    sp, sp, FRAME           /* drop the frame */
    .cfi_adjust_cfa_offset -FRAME
    li      a0, 0                   /* return 0 */
    ret
    .cfi_endproc
    .size   tsk__arch_jump, .-tsk__arch_jump

    .section .note.GNU-stack,"",%progbits
