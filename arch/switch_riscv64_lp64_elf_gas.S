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

/* The registers of the frame (table above), in slot order from sp + 0
** and sp + 104. */
#define XREGS ra, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11
#define FREGS fs0, fs1, fs2, fs3, fs4, fs5, fs6, fs7, fs8, fs9, fs10, fs11

/* op (a store or a load) each register named at off, off + 8, ... from
** sp; op "cfi" instead tells the unwinder that it is saved there */
    .macro EACH op, off, reg, more:vararg
    .ifc \op, cfi
    .cfi_rel_offset \reg, \off
    .else
    \op     \reg, \off(sp)
    .endif
    .ifnb \more
    EACH    \op, "(\off + 8)", \more
    .endif
    .endm

/* The frame, stored and loaded the same way by tsk__arch_switch and
** tsk__arch_jump. */
    .macro SAVE_REGS
    EACH    sd, 0, XREGS
    EACH    cfi, 0, XREGS
#if defined(FSAVE)
    EACH    FSAVE, 104, FREGS
    EACH    cfi, 104, FREGS
#endif
    .endm
    .macro RESTORE_REGS
#if defined(FLOAD)
    EACH    FLOAD, 104, FREGS
#endif
    EACH    ld, 0, XREGS
    .endm
    .text
    FUNCTION tsk__arch_switch, 2
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
    FUNCTION tsk__arch_jump, 2
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
