/*
** switch_arm_aapcs_elf_gas.S
** Stack transfer for 32-bit ARM (ARM, Thumb-2 and Thumb-1), AAPCS, ELF, GNU as.
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
** 28, the padding word at 32 and lr at 36.  ARMv6-M (Thumb-1) has no VFP
** and uses this same 40-byte frame, built in four steps (below).
**
** Callee-saved per the AAPCS: r4-r11 (r9 is platform-defined, r11 or r7 is
** the frame pointer: both are saved anyway) and, with VFP, d8-d15
** (= s16-s31, also on M-profile FPv4/FPv5).  FPSCR is global state, not
** saved.  lr is saved because the resumed side returns through its own
** saved lr.
**
** One source, three instruction sets, chosen by the target:
**   ARM state      -marm; also -mthumb on a Thumb-1 core that has ARM state
**                  (ARMv4T-ARMv6): this one function is assembled as ARM
**                  code, so it can push r8-r11 and d8-d15, and the linker
**                  interworks the calls (BLX, or a veneer on ARMv4T).
**   Thumb-2        ARMv6T2 and later, ARMv7-M/ARMv7E-M (Cortex-M3/M4/M7):
**                  the same instructions as ARM state (unified syntax).
**   Thumb-1 only   ARMv6-M (Cortex-M0/M0+/M1) and ARMv8-M Baseline (M23):
**                  push/pop take only r0-r7 and lr/pc, so r8-r11 go through
**                  low registers (SAVE_CORE/RESTORE_CORE below).
** Calls use blx and the return bx lr, so ARM and Thumb callers and
** callbacks interwork; ARMv4T has no blx: there CALL is "mov lr, pc; bx"
** (ARM state only, which is what v4T gets here).
*/
#if !defined(__arm__) || defined(__aarch64__) || defined(__APPLE__) || defined(_WIN32)
#error "switch_arm_aapcs_elf_gas.S assembled for a target that is not 32-bit ARM AAPCS ELF"
#endif

#if defined(__VFP_FP__) && !defined(__SOFTFP__)
#define TSK_ARM_VFP 1
#else
#define TSK_ARM_VFP 0
#endif

/* TSK_ARM_T1: Thumb-1 code (no ARM state to fall back on); TSK_ARM_T: the
** function is Thumb code (Thumb-2 or Thumb-1), else ARM code. */
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
#if TSK_ARM_T1 && TSK_ARM_VFP
#error "switch_arm_aapcs_elf_gas.S: a Thumb-1-only core with VFP registers?"
#endif

    .syntax unified
#if TSK_ARM_T
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

/* The integer part of the frame: r4-r11, a padding word (r12 or r2,
** scratch) and lr.  One instruction each way on ARM and Thumb-2. */
#if !TSK_ARM_T1
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
#else
/* Thumb-1: the same 40 bytes, pushed from the top down in four steps,
** r8-r11 copied through r2/r3 (free: cb and ctx are still in r0/r1). */
    .macro SAVE_CORE
    push    {r3, lr}                @ lr at 36; r3 is the padding word
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset lr, 4
    mov     r2, r10                 @ r10 and r11 via low registers
    mov     r3, r11
    push    {r2, r3}                @ save r10 (24) and r11 (28)
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r10, 0
    .cfi_rel_offset r11, 4
    mov     r2, r8                  @ r8 and r9 likewise
    mov     r3, r9
    push    {r2, r3}                @ save r8 (16) and r9 (20)
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r8, 0
    .cfi_rel_offset r9, 4
    push    {r4-r7}                 @ save r4-r7 (0-12)
    .cfi_adjust_cfa_offset 16
    .cfi_rel_offset r4, 0
    .cfi_rel_offset r5, 4
    .cfi_rel_offset r6, 8
    .cfi_rel_offset r7, 12
    .endm
    .macro RESTORE_CORE
    pop     {r4-r7}                 @ restore r4-r7
    .cfi_adjust_cfa_offset -16
    .cfi_restore r4
    .cfi_restore r5
    .cfi_restore r6
    .cfi_restore r7
    pop     {r2, r3}                @ r8 and r9 via low registers
    mov     r8, r2                  @ restore r8
    mov     r9, r3                  @ restore r9
    .cfi_adjust_cfa_offset -8
    .cfi_restore r8
    .cfi_restore r9
    pop     {r2, r3}                @ r10 and r11 likewise
    mov     r10, r2                 @ restore r10
    mov     r11, r3                 @ restore r11
    .cfi_adjust_cfa_offset -8
    .cfi_restore r10
    .cfi_restore r11
    pop     {r2, r3}                @ padding word; lr into r3
    mov     lr, r3                  @ restore lr (pop cannot load it)
    .cfi_adjust_cfa_offset -8
    .cfi_restore lr
    .endm
#endif

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
    FUNCTION tsk__arch_switch, 2
#if TSK_ARM_T
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
    movs    r2, #0                  @ arg 3: TSK__ARCH_SAVE
    CALL    r4
    cmp     r0, #0                  @ NULL: the core aborted the switch
    beq     .Lout
    lsls    r3, r0, #31             @ bit 0 (the tag) alone: Z clear if set
    bne     .Lstart                 @ tagged: start a new tasklet

    mov     sp, r0                  @ land on the resumed tasklet's frame
    mov     r0, r5                  @ arg 1: ctx
    mov     r1, sp                  @ arg 2: sp
    movs    r2, #1                  @ arg 3: TSK__ARCH_RESTORE
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
    subs    r0, r0, #1              @ untag: the new tasklet's sp
    mov     sp, r0                  @ move onto the new stack
    .cfi_undefined lr               @ no frame above: unwinders stop
    mov     r1, r0                  @ arg 2: sp
    mov     r0, r5                  @ arg 1: ctx
    movs    r2, #2                  @ arg 3: TSK__ARCH_START
    CALL    r4                      @ never returns
    udf     #0                      @ trap if it does
    .cfi_endproc
    .size   tsk__arch_switch, .-tsk__arch_switch

/*
** int tsk__arch_jump(char **save_sp, char *new_sp);
** The no-copy switch: push the same frame as above, store sp in *save_sp,
** continue on new_sp (a frame saved by either function), pop, return 0.
** r0 and r1 survive SAVE_CORE (Thumb-1 goes through r2/r3 only).
*/
    FUNCTION tsk__arch_jump, 2
#if TSK_ARM_T
    .thumb_func
#endif
tsk__arch_jump:
    .cfi_startproc
    SAVE_CORE
#if TSK_ARM_VFP
    vpush   {d8-d15}                @ save d8-d15
    .cfi_adjust_cfa_offset 64
    CFI_VFP 0
#endif
    mov     r2, sp                  @ Thumb cannot store sp directly
    str     r2, [r0]                @ the leaving side's sp
    mov     sp, r1                  @ the arriving side's frame
#if TSK_ARM_VFP
    vpop    {d8-d15}                @ restore d8-d15
    .cfi_adjust_cfa_offset -64
#endif
    RESTORE_CORE
    movs    r0, #0                  @ return 0
    bx      lr                      @ to ARM or Thumb code
    .cfi_endproc
    .size   tsk__arch_jump, .-tsk__arch_jump

    .section .note.GNU-stack,"",%progbits
