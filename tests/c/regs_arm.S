/*
** regs_arm.S -- see regs.h.  Checked, in order: 1-8 r4-r11, then with VFP
** (__VFP_FP__ && !__SOFTFP__) 9-16 d8-d15.  Register k gets seed + k
** (d registers: low word seed + k, high word its complement).
** Works in ARM, Thumb-2 and Thumb-1 state: a Thumb-1 build for a core
** that has ARM state (ARMv4T-ARMv6) assembles it as ARM code, as
** arch/switch_arm_aapcs_elf_gas.S does; ARMv6-M (Cortex-M0/M0+) and
** ARMv8-M Baseline get a Thumb-1 body that moves r8-r11 through low
** registers.
**
** Also tsk_test_regs2(fn, a0, a1, seed): the same check around fn(a0, a1);
** tests/c/test_arch.c passes tsk__arch_switch as fn, so that nothing but
** the stack transfer runs between loading and checking the registers.
*/
#if !defined(__arm__) || defined(__aarch64__)
#error "regs_arm.S assembled for a target that is not 32-bit ARM"
#endif

#if defined(__VFP_FP__) && !defined(__SOFTFP__)
#define TSK_ARM_VFP 1
#else
#define TSK_ARM_VFP 0
#endif
/* the same choice as arch/switch_arm_aapcs_elf_gas.S */
#if defined(__thumb__) && !defined(__thumb2__) && !defined(__ARM_ARCH_ISA_ARM)
#define TSK_ARM_T1 1
#else
#define TSK_ARM_T1 0
#endif
#if defined(__thumb2__) || TSK_ARM_T1
#define TSK_ARM_T 1
#else
#define TSK_ARM_T 0
#endif

    .syntax unified
#if TSK_ARM_T
    .thumb
#else
    .arm
#endif

    /* r0 = idx when rX != seed + k (seed in r2) */
    .macro CHECKR idx, reg
#if TSK_ARM_T1
    movs    r0, #\idx
    movs    r1, #\idx
    adds    r1, r1, r2
#else
    mov     r0, #\idx
    add     r1, r2, #\idx
#endif
    cmp     \reg, r1
    bne     .Ldone
    .endm

    /* rX = seed + k (seed in r2; Thumb-1 goes through r3) */
    .macro LOADR idx, reg
#if TSK_ARM_T1
    movs    r3, #\idx
    adds    r3, r3, r2
    mov     \reg, r3
#else
    add     \reg, r2, #\idx
#endif
    .endm

    /* load dX with (seed + k, ~(seed + k)) */
    .macro LOADD idx, dreg
    add     r3, r2, #\idx
    mvn     ip, r3
    vmov    \dreg, r3, ip
    .endm

    /* r0 = idx when dX != (seed + k, ~(seed + k)) */
    .macro CHECKD idx, dreg
    mov     r0, #\idx
    vmov    r1, ip, \dreg
    add     r3, r2, #\idx
    cmp     r1, r3
    bne     .Ldone
    mvn     r3, r3
    cmp     ip, r3
    bne     .Ldone
    .endm

    .text
    .p2align 2
#if TSK_ARM_T
    .thumb_func
#endif
tsk_test_regs:                      @ (fn, arg, seed): fn(arg, 0)
    mov     r3, r2                  @ seed
    movs    r2, #0                  @ a1 = 0; fall into tsk_test_regs2
#if TSK_ARM_T
    .thumb_func
#endif
tsk_test_regs2:                     @ (fn, a0, a1, seed)
#if TSK_ARM_T1
    push    {r4-r7, lr}             @ 20 bytes
    mov     r4, r8
    mov     r5, r9
    mov     r6, r10
    mov     r7, r11
    push    {r4-r7}                 @ r8-r11: 36 bytes
#else
    push    {r4-r11, lr}            @ 36 bytes
#if TSK_ARM_VFP
    vpush   {d8-d15}                @ 64 bytes
#endif
#endif
    sub     sp, sp, #12             @ sp 8-aligned at the call
    str     r3, [sp]                @ seed
    str     r0, [sp, #4]            @ fn
    str     r2, [sp, #8]            @ a1
    mov     r2, r3                  @ seed, for the macros
#if TSK_ARM_VFP
    LOADD   9, d8
    LOADD   10, d9
    LOADD   11, d10
    LOADD   12, d11
    LOADD   13, d12
    LOADD   14, d13
    LOADD   15, d14
    LOADD   16, d15
#endif
    LOADR   1, r4
    LOADR   2, r5
    LOADR   3, r6
    LOADR   4, r7
    LOADR   5, r8
    LOADR   6, r9
    LOADR   7, r10
    LOADR   8, r11
    mov     r0, r1                  @ a0
    ldr     r1, [sp, #8]            @ a1
    ldr     r3, [sp, #4]            @ fn
#if !TSK_ARM_T && defined(__ARM_ARCH) && __ARM_ARCH < 5
    mov     lr, pc                  @ ARMv4T: no blx
    bx      r3
#else
    blx     r3
#endif
    ldr     r2, [sp]                @ seed
    CHECKR  1, r4
    CHECKR  2, r5
    CHECKR  3, r6
    CHECKR  4, r7
    CHECKR  5, r8
    CHECKR  6, r9
    CHECKR  7, r10
    CHECKR  8, r11
#if TSK_ARM_VFP
    CHECKD  9, d8
    CHECKD  10, d9
    CHECKD  11, d10
    CHECKD  12, d11
    CHECKD  13, d12
    CHECKD  14, d13
    CHECKD  15, d14
    CHECKD  16, d15
#endif
    movs    r0, #0
.Ldone:
    add     sp, sp, #12
#if TSK_ARM_T1
    pop     {r4-r7}                 @ the caller's r8-r11
    mov     r8, r4
    mov     r9, r5
    mov     r10, r6
    mov     r11, r7
    pop     {r4-r7, pc}
#else
#if TSK_ARM_VFP
    vpop    {d8-d15}
#endif
    pop     {r4-r11, lr}
    bx      lr
#endif
    .size   tsk_test_regs2, .-tsk_test_regs2
    .size   tsk_test_regs, .-tsk_test_regs
