/*
** tsk_arch.h
** The contract between the C core and the per-ABI assembly in arch/.
** See LICENSE in the project root; arch/README.md has the frame tables.
**
** void *tsk__arch_switch(tsk__arch_cb cb, void *ctx);
**
**   1. push every callee-saved register of the ABI (and the FP control
**      words the ABI calls callee-saved) onto the current stack;
**   2. sp1 = cb(ctx, sp, TSK__ARCH_SAVE)   -- sp: after the pushes
**      - sp1 == NULL: abort, pop and return NULL (no switch happened);
**      - sp1 & 1: a new tasklet starts: set sp = sp1 - 1 (already aligned
**        by the core) and call cb(ctx, sp, TSK__ARCH_START), which never
**        returns;
**   3. otherwise set sp = sp1 (a sp that an earlier SAVE was given),
**      r = cb(ctx, sp, TSK__ARCH_RESTORE);
**   4. pop the callee-saved registers (now the resumed side's) and return r.
**
** cb and ctx must be kept in callee-saved registers across the calls.  The
** stack must be aligned as the ABI wants at each call.  Once SAVE has been
** called, nothing may be written at or above the sp it was given (that is
** the leaving side's saved frame, possibly copied away already), and the
** new side's frame may not be read before RESTORE has returned.
*/
#ifndef TSK_ARCH_H
#define TSK_ARCH_H

#include "tsk_int.h"

#define TSK__ARCH_SAVE    0
#define TSK__ARCH_RESTORE 1
#define TSK__ARCH_START   2

typedef void *(*tsk__arch_cb)(void *ctx, void *sp, int op);

TSK_INTERNAL void *tsk__arch_switch(tsk__arch_cb cb, void *ctx);

/*
** Optional: int tsk__arch_jump(char **save_sp, char *new_sp);
** Pushes the same frame as tsk__arch_switch, stores sp in *save_sp, moves
** to new_sp (a frame either function saved), pops it and returns 0 there.
** (A frame it saved may also be resumed by tsk__arch_switch, which then
** returns what RESTORE returned: the core returns NULL, so 0 again.)
** The core uses it when nothing needs copying (the arriving tasklet is on
** top of its own stack region, nothing of it saved), and tail-calls it
** from tsk_switch.  An arch file that provides it is listed here.
*/
#if defined(__x86_64__) && !defined(__ILP32__) && !defined(_WIN32)
#define TSK__ARCH_HAS_JUMP 1 /* switch_x86_64_sysv_elf_gas.S */
#elif defined(__i386__) && !defined(_WIN32)
#define TSK__ARCH_HAS_JUMP 1 /* switch_i386_sysv_elf_gas.S */
#elif defined(__aarch64__) && !defined(__APPLE__) && !defined(_WIN32)
#define TSK__ARCH_HAS_JUMP 1 /* switch_arm64_aapcs_elf_gas.S */
#elif defined(__arm__) && !defined(__APPLE__) && !defined(_WIN32)
#define TSK__ARCH_HAS_JUMP 1 /* switch_arm_aapcs_elf_gas.S */
#elif defined(__riscv) && __riscv_xlen == 64
#define TSK__ARCH_HAS_JUMP 1 /* switch_riscv64_lp64_elf_gas.S */
#endif
#ifdef TSK__ARCH_HAS_JUMP
TSK_INTERNAL int tsk__arch_jump(char **save_sp, char *new_sp);
#endif
/*
** Optional: int tsk__arch_jump_br(char **save_sp, char *new_sp);
** tsk__arch_jump that returns through an indirect branch instead of the
** return instruction, for tsk_switch called directly between two different
** call sites (see the x86-64 file for the branch-prediction reason).
** Without it tsk_switch uses tsk__arch_jump.
*/
#if defined(__x86_64__) && !defined(__ILP32__) && !defined(_WIN32)
#define TSK__ARCH_HAS_JUMP_BR 1
TSK_INTERNAL int tsk__arch_jump_br(char **save_sp, char *new_sp);
#else
#define tsk__arch_jump_br tsk__arch_jump
#endif

#endif
