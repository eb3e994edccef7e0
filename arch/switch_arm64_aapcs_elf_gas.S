/*
** switch_arm64_aapcs_elf_gas.S
** Stack transfer for AArch64, AAPCS64, ELF, GNU as.
** See LICENSE in the project root; contract in core/tsk_arch.h.
**
** Frame pushed by tsk__arch_switch (offsets from the saved sp):
**
**   +-------+--------+----------------------------------+
**   | slot  | offset | content                          |
**   +-------+--------+----------------------------------+
**   |   0   |    0   | x19                              |
**   |   1   |    8   | x20                              |
**   |  ...  |  ...   | x21-x27                          |
**   |   9   |   72   | x28                              |
**   |  10   |   80   | x29 (frame pointer)              |
**   |  11   |   88   | x30 (lr, return address)         |
**   |  12   |   96   | d8                               |
**   |  ...  |  ...   | d9-d14                           |
**   |  19   |  152   | d15                              |
**   +-------+--------+----------------------------------+
**
** Callee-saved per AAPCS64: x19-x28, x29 (fp), x30 (lr), sp, and the low
** 64 bits of v8-v15 (d8-d15).  FPCR/FPSR are global, not saved.  x18 is
** the platform register: never touched here.  The frame is 160 bytes, so
** sp stays 16-aligned.
**
** Branch protection: under __ARM_FEATURE_BTI_DEFAULT the entry is a BTI c
** landing pad and the object carries a GNU property note, so BTI-enabled
** links keep BTI on.  Under __ARM_FEATURE_PAC_DEFAULT the saved lr is
** signed against sp at entry (paciasp/pacibsp, an implicit BTI c) and
** authenticated before the return: the resumed side authenticates its own
** lr against the same sp it was signed with.
*/
#if !defined(__aarch64__) || defined(__ILP32__) || defined(__APPLE__) || defined(_WIN32)
#error "switch_arm64_aapcs_elf_gas.S assembled for a target that is not AArch64 AAPCS64 ELF"
#endif

#if defined(__ARM_FEATURE_PAC_DEFAULT) && (__ARM_FEATURE_PAC_DEFAULT & 2)
#define ENTRY_PAD hint #27                  /* pacibsp */
#define RET_AUTH  hint #31                  /* autibsp */
#elif defined(__ARM_FEATURE_PAC_DEFAULT) && (__ARM_FEATURE_PAC_DEFAULT & 1)
#define ENTRY_PAD hint #25                  /* paciasp */
#define RET_AUTH  hint #29                  /* autiasp */
#elif defined(__ARM_FEATURE_BTI_DEFAULT)
#define ENTRY_PAD hint #34                  /* bti c */
#define RET_AUTH
#else
#define ENTRY_PAD
#define RET_AUTH
#endif

    .file   "switch_arm64_aapcs_elf_gas.S"
    .text

/* The registers of the frame, in slot order from sp + 0: x19-x28, fp and
** lr, d8-d15; op (stp or ldp) each pair at off, off + 16, ... from sp. */
#define FRAME_REGS x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29, \
    x30, d8, d9, d10, d11, d12, d13, d14, d15
.macro PAIRS op, off, r1, r2, more:vararg
    \op     \r1, \r2, [sp, #\off]
    .ifnb \more
    PAIRS   \op, "(\off + 16)", \more
    .endif
.endm

/* Entry, frame and return, the same in every function here: a frame
** saved by one of them is resumed by another. */
.macro ENTER
    .cfi_startproc
#if defined(__ARM_FEATURE_PAC_DEFAULT) && (__ARM_FEATURE_PAC_DEFAULT & 2)
    .cfi_b_key_frame                /* lr is signed with the B key */
#endif
    ENTRY_PAD                       /* BTI landing pad / sign lr */
#if defined(__ARM_FEATURE_PAC_DEFAULT)
    .cfi_negate_ra_state            /* lr is signed from here on */
#endif
    sub     sp, sp, #160            /* the frame; sp stays 16-aligned */
    .cfi_adjust_cfa_offset 160
    PAIRS   stp, 0, FRAME_REGS
.endm

.macro LEAVE
    PAIRS   ldp, 0, FRAME_REGS
    add     sp, sp, #160            /* drop the frame */
    .cfi_adjust_cfa_offset -160
.endm

.macro RETURN
    RET_AUTH                        /* check lr's signature, if signed */
#if defined(__ARM_FEATURE_PAC_DEFAULT)
    .cfi_negate_ra_state            /* lr is plain again */
#endif
    ret
.endm

    FUNCTION tsk__arch_switch, 4
tsk__arch_switch:
    ENTER
    .cfi_rel_offset x19, 0
    .cfi_rel_offset x20, 8
    .cfi_rel_offset x21, 16
    .cfi_rel_offset x22, 24
    .cfi_rel_offset x23, 32
    .cfi_rel_offset x24, 40
    .cfi_rel_offset x25, 48
    .cfi_rel_offset x26, 56
    .cfi_rel_offset x27, 64
    .cfi_rel_offset x28, 72
    .cfi_rel_offset x29, 80
    .cfi_rel_offset x30, 88
    .cfi_rel_offset d8, 96
    .cfi_rel_offset d9, 104
    .cfi_rel_offset d10, 112
    .cfi_rel_offset d11, 120
    .cfi_rel_offset d12, 128
    .cfi_rel_offset d13, 136
    .cfi_rel_offset d14, 144
    .cfi_rel_offset d15, 152

    mov     x19, x0                 /* keep cb in a callee-saved register */
    mov     x20, x1                 /* keep ctx likewise */

    mov     x0, x20                 /* arg 1: ctx */
    mov     x1, sp                  /* arg 2: sp of the saved frame */
    mov     w2, #0                  /* arg 3: TSK__ARCH_SAVE */
    blr     x19
    cbz     x0, .Lout               /* NULL: the core aborted the switch */
    tbnz    x0, #0, .Lstart         /* tagged: start a new tasklet */

    mov     sp, x0                  /* land on the resumed tasklet's frame */
    mov     x0, x20                 /* arg 1: ctx */
    mov     x1, sp                  /* arg 2: sp */
    mov     w2, #1                  /* arg 3: TSK__ARCH_RESTORE */
    blr     x19                     /* x0: value to return */

    .cfi_remember_state
.Lout:
    LEAVE
    RETURN

.Lstart:
    .cfi_restore_state              /* the whole frame is on the stack */
    sub     x0, x0, #1              /* untag: the new tasklet's sp */
    mov     sp, x0                  /* move onto the new stack */
    .cfi_undefined x30              /* no frame above: unwinders stop */
    mov     x1, x0                  /* arg 2: sp */
    mov     x0, x20                 /* arg 1: ctx */
    mov     w2, #2                  /* arg 3: TSK__ARCH_START */
    blr     x19                     /* never returns */
    brk     #0                      /* trap if it does */
    .cfi_endproc
    .size   tsk__arch_switch, .-tsk__arch_switch

/*
** int tsk__arch_jump(char **save_sp, char *new_sp);
** The no-copy switch: the same frame as above, sp stored in *save_sp,
** continue on new_sp (a frame saved by either function), return 0.  Each side signs
** and authenticates its own lr against its own sp, as above.
*/
    FUNCTION tsk__arch_jump, 4
tsk__arch_jump:
    ENTER
    mov     x2, sp                  /* sp cannot be stored directly */
    str     x2, [x0]                /* the leaving side's sp */
    mov     sp, x1                  /* the arriving side's frame */
    LEAVE
    mov     w0, #0                  /* return 0 */
    RETURN
    .cfi_endproc
    .size   tsk__arch_jump, .-tsk__arch_jump

    .section .note.GNU-stack,"",%progbits

#if defined(__ARM_FEATURE_BTI_DEFAULT) || defined(__ARM_FEATURE_PAC_DEFAULT)
/* GNU property note: GNU_PROPERTY_AARCH64_FEATURE_1_AND with BTI (bit 0)
** and/or PAC (bit 1), so the linker keeps the output's protection on. */
#if defined(__ARM_FEATURE_BTI_DEFAULT)
#define TSK_GNU_PROP_BTI 1
#else
#define TSK_GNU_PROP_BTI 0
#endif
#if defined(__ARM_FEATURE_PAC_DEFAULT)
#define TSK_GNU_PROP_PAC 2
#else
#define TSK_GNU_PROP_PAC 0
#endif
    .section .note.gnu.property, "a"
    .p2align 3
    .word   4                       /* n_namesz: "GNU\0" */
    .word   16                      /* n_descsz: one property, padded */
    .word   5                       /* n_type: NT_GNU_PROPERTY_TYPE_0 */
    .asciz  "GNU"
    .word   0xc0000000              /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
    .word   4                       /* pr_datasz */
    .word   TSK_GNU_PROP_BTI | TSK_GNU_PROP_PAC
    .word   0                       /* pad to 8 bytes */
#endif
