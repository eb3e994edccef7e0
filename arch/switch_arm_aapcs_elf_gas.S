/*
** switch_arm_aapcs_elf_gas.S
** Stack transfer for 32-bit ARM (ARM and Thumb-2 state), AAPCS, ELF, GNU as.
** See LICENSE in the project root; contract in core/tsk_arch.h.
**
** Frame pushed by tsk__arch_switch (offsets from the saved sp), with VFP
** (__VFP_FP__ && !__SOFTFP__; hard-float and softfp builds):
**
**   +-------+--------+----------------------------------+
**   | slot  | offset | content                          |
**   +-------+--------+----------------------------------+
**   |  0-7  |  0-56  | d8-d15 (8 bytes each)            |
**   |   8   |   64   | r4                               |
**   |   9   |   68   | r5                               |
**   |  ...  |  ...   | r6-r10                           |
**   |  15   |   92   | r11                              |
**   |  16   |   96   | r12 (unused, keeps sp 8-aligned) |
**   |  17   |  100   | lr (return address)              |
**   +-------+--------+----------------------------------+
**
** Without VFP (soft-float) the d8-d15 block is absent: r4 is at 0, r11 at
** 28, the padding word at 32 and lr at 36.
**
** Callee-saved per the AAPCS: r4-r11 (r9 is platform-defined, r11 or r7 is
** the frame pointer: both are saved anyway) and, with VFP, d8-d15
** (= s16-s31).  FPSCR is global state, not saved.  lr is saved because the
** resumed side returns through its own saved lr.
**
** Both instruction sets are supported by one source: unified syntax, and
** calls and returns through blx/bx, so ARM-state and Thumb-state callers
** and callbacks interwork.  ARMv4T has no blx: there CALL is "mov lr, pc;
** bx", which works in ARM state (v4T has no Thumb-2).  Thumb-1 (ARMv6-M,
** no Thumb-2) cannot push r8-r11 or move sp freely: it needs its own
** long-hand SAVE_CORE / RESTORE_CORE macros below, which do not exist yet.
*/
#if !defined(__arm__) || defined(__aarch64__) || defined(__APPLE__) || defined(_WIN32)
#error "switch_arm_aapcs_elf_gas.S assembled for a target that is not 32-bit ARM AAPCS ELF"
#endif
#if defined(__thumb__) && !defined(__thumb2__)
#error "switch_arm_aapcs_elf_gas.S: Thumb-1 (ARMv6-M) is not supported yet; build with -marm or for a Thumb-2 core"
#endif

#if defined(__VFP_FP__) && !defined(__SOFTFP__)
#define TSK_ARM_VFP 1
#else
#define TSK_ARM_VFP 0
#endif

    .syntax unified
#if defined(__thumb__)
    .thumb
#else
    .arm
#endif

/* Call the function whose address is in 'reg', interworking. */
    .macro CALL reg
#if defined(__ARM_ARCH) && __ARM_ARCH < 5
    mov     lr, pc                  @ pc reads 8 ahead: the bx's successor
    bx      \reg
#else
    blx     \reg
#endif
    .endm

/* The integer part of the frame: r4-r11, a padding word (r12, scratch)
** and lr.  One instruction each way on ARM and Thumb-2. */
    .macro SAVE_CORE
    push    {r4-r12, lr}            @ save r4-r11 and lr; r12 pads to 8
    .cfi_adjust_cfa_offset 40
    .cfi_rel_offset r4, 0
    .cfi_rel_offset r5, 4
    .cfi_rel_offset r6, 8
    .cfi_rel_offset r7, 12
    .cfi_rel_offset r8, 16
    .cfi_rel_offset r9, 20
    .cfi_rel_offset r10, 24
    .cfi_rel_offset r11, 28
    .cfi_rel_offset lr, 36
    .endm
    .macro RESTORE_CORE
    pop     {r4-r12, lr}            @ restore r4-r11 and lr; r12 is scratch
    .cfi_adjust_cfa_offset -40
    .cfi_restore r4
    .cfi_restore r5
    .cfi_restore r6
    .cfi_restore r7
    .cfi_restore r8
    .cfi_restore r9
    .cfi_restore r10
    .cfi_restore r11
    .cfi_restore lr
    .endm

/* Where d8-d15 sit, for debuggers: 'base' is d8's offset from sp. */
    .macro CFI_VFP base
    .cfi_rel_offset d8, \base
    .cfi_rel_offset d9, \base + 8
    .cfi_rel_offset d10, \base + 16
    .cfi_rel_offset d11, \base + 24
    .cfi_rel_offset d12, \base + 32
    .cfi_rel_offset d13, \base + 40
    .cfi_rel_offset d14, \base + 48
    .cfi_rel_offset d15, \base + 56
    .endm

#if TSK_ARM_VFP
#define FRAME 104
#else
#define FRAME 40
#endif

    .file   "switch_arm_aapcs_elf_gas.S"
    .text
    .globl  tsk__arch_switch
    .hidden tsk__arch_switch
    .type   tsk__arch_switch, %function
    .p2align 2
#if defined(__thumb__)
    .thumb_func
#endif
tsk__arch_switch:
    .cfi_sections .debug_frame
    .cfi_startproc
    SAVE_CORE
#if TSK_ARM_VFP
    vpush   {d8-d15}                @ save d8-d15
    .cfi_adjust_cfa_offset 64
    CFI_VFP 0
#endif

    mov     r4, r0                  @ keep cb in a callee-saved register
    mov     r5, r1                  @ keep ctx likewise

    mov     r0, r5                  @ arg 1: ctx
    mov     r1, sp                  @ arg 2: sp of the saved frame
    mov     r2, #0                  @ arg 3: TSK__ARCH_SAVE
    CALL    r4
    cmp     r0, #0                  @ NULL: the core aborted the switch
    beq     .Lout
    tst     r0, #1                  @ tagged: start a new tasklet
    bne     .Lstart

    mov     sp, r0                  @ land on the resumed tasklet's frame
    mov     r0, r5                  @ arg 1: ctx
    mov     r1, sp                  @ arg 2: sp
    mov     r2, #1                  @ arg 3: TSK__ARCH_RESTORE
    CALL    r4                      @ r0: value to return

.Lout:
#if TSK_ARM_VFP
    vpop    {d8-d15}                @ restore d8-d15
    .cfi_adjust_cfa_offset -64
    .cfi_restore d8
    .cfi_restore d9
    .cfi_restore d10
    .cfi_restore d11
    .cfi_restore d12
    .cfi_restore d13
    .cfi_restore d14
    .cfi_restore d15
#endif
    RESTORE_CORE
    bx      lr                      @ return, to ARM or Thumb code

.Lstart:
    .cfi_adjust_cfa_offset FRAME
    .cfi_rel_offset r4, FRAME - 40
    .cfi_rel_offset r5, FRAME - 36
    .cfi_rel_offset r6, FRAME - 32
    .cfi_rel_offset r7, FRAME - 28
    .cfi_rel_offset r8, FRAME - 24
    .cfi_rel_offset r9, FRAME - 20
    .cfi_rel_offset r10, FRAME - 16
    .cfi_rel_offset r11, FRAME - 12
    .cfi_rel_offset lr, FRAME - 4
#if TSK_ARM_VFP
    CFI_VFP 0
#endif
    sub     r0, r0, #1              @ untag: the new tasklet's sp
    mov     sp, r0                  @ move onto the new stack
    .cfi_undefined lr               @ no frame above: unwinders stop
    mov     r1, r0                  @ arg 2: sp
    mov     r0, r5                  @ arg 1: ctx
    mov     r2, #2                  @ arg 3: TSK__ARCH_START
    CALL    r4                      @ never returns
    udf     #0                      @ trap if it does
    .cfi_endproc
    .size   tsk__arch_switch, .-tsk__arch_switch

    .section .note.GNU-stack,"",%progbits
