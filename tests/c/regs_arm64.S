/*
** regs_arm64.S -- see regs.h.  Checked, in order: 1-10 x19-x28, 11 x29,
** 12-19 d8-d15.  Register k gets seed + k (d registers: as a bit pattern).
** x18 (platform register) and x30 (the return address) are not checked.
**
** Also tsk_test_regs2(fn, a0, a1, seed): the same check around fn(a0, a1);
** tests/c/test_arch.c passes tsk__arch_switch as fn, so that nothing but
** the stack transfer runs between loading and checking the registers.
*/
#if !defined(__aarch64__)
#error "regs_arm64.S assembled for a target that is not AArch64"
#endif

#if defined(__ARM_FEATURE_BTI_DEFAULT)
#define BTI_C hint #34
#else
#define BTI_C
#endif

    /* x0 = idx when the register differs from seed + idx (seed in x2) */
    .macro CHECKX idx, reg
    mov     x0, #\idx
    add     x1, x2, #\idx
    cmp     \reg, x1
    b.ne    .Ldone
    .endm
    .macro CHECKD idx, reg
    mov     x0, #\idx
    add     x1, x2, #\idx
    fmov    x3, \reg
    cmp     x3, x1
    b.ne    .Ldone
    .endm
    .macro LOADD idx, reg
    add     x5, x2, #\idx
    fmov    \reg, x5
    .endm

    .text
    .p2align 4
tsk_test_regs:                      /* (fn, arg, seed): fn(arg, 0) */
    BTI_C
    mov     x3, x2                  /* seed */
    mov     x2, #0                  /* a1 = 0; fall into tsk_test_regs2 */
tsk_test_regs2:                     /* (fn, a0, a1, seed) */
    BTI_C
    sub     sp, sp, #176
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    stp     d8, d9, [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    str     x3, [sp, #160]          /* seed */
    mov     x4, x0                  /* fn */
    mov     x0, x1                  /* a0 */
    mov     x1, x2                  /* a1 */
    mov     x2, x3                  /* seed, for the macros */
    add     x19, x2, #1
    add     x20, x2, #2
    add     x21, x2, #3
    add     x22, x2, #4
    add     x23, x2, #5
    add     x24, x2, #6
    add     x25, x2, #7
    add     x26, x2, #8
    add     x27, x2, #9
    add     x28, x2, #10
    add     x29, x2, #11
    LOADD   12, d8
    LOADD   13, d9
    LOADD   14, d10
    LOADD   15, d11
    LOADD   16, d12
    LOADD   17, d13
    LOADD   18, d14
    LOADD   19, d15
    blr     x4
    ldr     x2, [sp, #160]
    CHECKX  1, x19
    CHECKX  2, x20
    CHECKX  3, x21
    CHECKX  4, x22
    CHECKX  5, x23
    CHECKX  6, x24
    CHECKX  7, x25
    CHECKX  8, x26
    CHECKX  9, x27
    CHECKX  10, x28
    CHECKX  11, x29
    CHECKD  12, d8
    CHECKD  13, d9
    CHECKD  14, d10
    CHECKD  15, d11
    CHECKD  16, d12
    CHECKD  17, d13
    CHECKD  18, d14
    CHECKD  19, d15
    mov     x0, #0
.Ldone:
    ldp     d14, d15, [sp, #144]
    ldp     d12, d13, [sp, #128]
    ldp     d10, d11, [sp, #112]
    ldp     d8, d9, [sp, #96]
    ldp     x29, x30, [sp, #80]
    ldp     x27, x28, [sp, #64]
    ldp     x25, x26, [sp, #48]
    ldp     x23, x24, [sp, #32]
    ldp     x21, x22, [sp, #16]
    ldp     x19, x20, [sp, #0]
    add     sp, sp, #176
    ret
    .size   tsk_test_regs2, .-tsk_test_regs2
    .size   tsk_test_regs, .-tsk_test_regs

#if defined(__ARM_FEATURE_BTI_DEFAULT)
    .section .note.gnu.property, "a"  /* BTI-compatible, see the switch */
    .p2align 3
    .word   4, 16, 5
    .asciz  "GNU"
    .word   0xc0000000, 4, 1, 0
#endif
