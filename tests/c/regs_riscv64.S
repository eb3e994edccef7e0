/*
** regs_riscv64.S -- see regs.h.  Checked, in order: 1-12 s0-s11, then
** with a double-precision FPU (__riscv_flen >= 64) 13-24 fs0-fs11.
** Register k gets seed + k (fs registers: as a bit pattern).
**
** Also tsk_test_regs2(fn, a0, a1, seed): the same check around fn(a0, a1);
** tests/c/test_arch.c passes tsk__arch_switch as fn, so that nothing but
** the stack transfer runs between loading and checking the registers.
*/
#if !defined(__riscv) || __riscv_xlen != 64
#error "regs_riscv64.S assembled for a target that is not RISC-V 64"
#endif

#if defined(__riscv_flen) && __riscv_flen >= 64
#define TSK_RV_FD 1
#else
#define TSK_RV_FD 0
#endif

    /* a0 = idx when the register differs from seed + idx (seed in a2) */
    .macro CHECKX idx, reg
    li      a0, \idx
    addi    t1, a2, \idx
    bne     \reg, t1, .Ldone
    .endm
    .macro CHECKF idx, reg
    li      a0, \idx
    addi    t1, a2, \idx
    fmv.x.d t2, \reg
    bne     t2, t1, .Ldone
    .endm
    .macro LOADF idx, reg
    addi    t1, a2, \idx
    fmv.d.x \reg, t1
    .endm

    .text
    .p2align 2
tsk_test_regs:                      /* (fn, arg, seed): fn(arg, 0) */
    mv      a3, a2                  /* seed */
    li      a2, 0                   /* a1 = 0; fall into tsk_test_regs2 */
tsk_test_regs2:                     /* (fn, a0, a1, seed) */
    addi    sp, sp, -224
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    sd      s2, 24(sp)
    sd      s3, 32(sp)
    sd      s4, 40(sp)
    sd      s5, 48(sp)
    sd      s6, 56(sp)
    sd      s7, 64(sp)
    sd      s8, 72(sp)
    sd      s9, 80(sp)
    sd      s10, 88(sp)
    sd      s11, 96(sp)
#if TSK_RV_FD
    fsd     fs0, 104(sp)
    fsd     fs1, 112(sp)
    fsd     fs2, 120(sp)
    fsd     fs3, 128(sp)
    fsd     fs4, 136(sp)
    fsd     fs5, 144(sp)
    fsd     fs6, 152(sp)
    fsd     fs7, 160(sp)
    fsd     fs8, 168(sp)
    fsd     fs9, 176(sp)
    fsd     fs10, 184(sp)
    fsd     fs11, 192(sp)
#endif
    sd      a3, 200(sp)             /* seed */
    mv      t0, a0                  /* fn */
    mv      a0, a1                  /* a0 */
    mv      a1, a2                  /* a1 */
    mv      a2, a3                  /* seed, for the macros */
    addi    s0, a2, 1
    addi    s1, a2, 2
    addi    s2, a2, 3
    addi    s3, a2, 4
    addi    s4, a2, 5
    addi    s5, a2, 6
    addi    s6, a2, 7
    addi    s7, a2, 8
    addi    s8, a2, 9
    addi    s9, a2, 10
    addi    s10, a2, 11
    addi    s11, a2, 12
#if TSK_RV_FD
    LOADF   13, fs0
    LOADF   14, fs1
    LOADF   15, fs2
    LOADF   16, fs3
    LOADF   17, fs4
    LOADF   18, fs5
    LOADF   19, fs6
    LOADF   20, fs7
    LOADF   21, fs8
    LOADF   22, fs9
    LOADF   23, fs10
    LOADF   24, fs11
#endif
    jalr    t0
    ld      a2, 200(sp)
    CHECKX  1, s0
    CHECKX  2, s1
    CHECKX  3, s2
    CHECKX  4, s3
    CHECKX  5, s4
    CHECKX  6, s5
    CHECKX  7, s6
    CHECKX  8, s7
    CHECKX  9, s8
    CHECKX  10, s9
    CHECKX  11, s10
    CHECKX  12, s11
#if TSK_RV_FD
    CHECKF  13, fs0
    CHECKF  14, fs1
    CHECKF  15, fs2
    CHECKF  16, fs3
    CHECKF  17, fs4
    CHECKF  18, fs5
    CHECKF  19, fs6
    CHECKF  20, fs7
    CHECKF  21, fs8
    CHECKF  22, fs9
    CHECKF  23, fs10
    CHECKF  24, fs11
#endif
    li      a0, 0
.Ldone:
#if TSK_RV_FD
    fld     fs0, 104(sp)
    fld     fs1, 112(sp)
    fld     fs2, 120(sp)
    fld     fs3, 128(sp)
    fld     fs4, 136(sp)
    fld     fs5, 144(sp)
    fld     fs6, 152(sp)
    fld     fs7, 160(sp)
    fld     fs8, 168(sp)
    fld     fs9, 176(sp)
    fld     fs10, 184(sp)
    fld     fs11, 192(sp)
#endif
    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    ld      s2, 24(sp)
    ld      s3, 32(sp)
    ld      s4, 40(sp)
    ld      s5, 48(sp)
    ld      s6, 56(sp)
    ld      s7, 64(sp)
    ld      s8, 72(sp)
    ld      s9, 80(sp)
    ld      s10, 88(sp)
    ld      s11, 96(sp)
    addi    sp, sp, 224
    ret
    .size   tsk_test_regs2, .-tsk_test_regs2
    .size   tsk_test_regs, .-tsk_test_regs
