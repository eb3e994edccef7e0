/*
** tsk_conf.h
** Compile-time knobs of the tasklets core.
** See LICENSE in the project root.
**
** Every knob is an '#ifndef' default: override it on the compiler command
** line (-DTSK_...=...) or in a header named by TSK_USER_CONF.
*/
#ifndef TSK_CONF_H
#define TSK_CONF_H

#ifdef TSK_USER_CONF
#include TSK_USER_CONF
#endif

/*
@@ TSK_HOSTED: 1 when the core may use the hosted C library (malloc, mmap,
** pthread stack bounds for sanitizers).  0 for freestanding builds: then
** every allocation goes through the allocator hook and only memcpy/memset
** are needed.  The default is 1 on Linux; elsewhere it is 0 for 32-bit
** ARM (bare metal: arm-none-eabi) and for -ffreestanding, else 1.  Only
** saved slices of shared stacks are ever allocated: a program whose
** tasklets all run on dedicated stacks (tsk_stack_init) needs no
** allocator hook at all (see ci/cortex-m/README.md).
*/
#ifndef TSK_HOSTED
#if defined(__STDC_HOSTED__) && __STDC_HOSTED__ && !defined(__arm__) ||       \
    defined(__linux__)
#define TSK_HOSTED 1
#else
#define TSK_HOSTED 0
#endif
#endif

/*
@@ TSK_STACK_ALIGN: alignment of the stack pointer given to a new tasklet.
** 16 satisfies every supported ABI (x86-64, AArch64, RISC-V need 16; ARM 8).
*/
#ifndef TSK_STACK_ALIGN
#define TSK_STACK_ALIGN 16
#endif

/*
@@ TSK_STACK_GAP: bytes left unused between a stack's top and the first
** frame of a new tasklet.  Keeps the starting frame off whatever lies right
** above (the caller's frame on a thread stack, a canary on a dedicated one).
*/
#ifndef TSK_STACK_GAP
#define TSK_STACK_GAP 64
#endif

/*
@@ TSK_CANARY: 1 to write a canary word at the low end of dedicated stacks
** and check it at every switch (result TSK_E_STACK_OVERFLOW).
*/
#ifndef TSK_CANARY
#define TSK_CANARY 1
#endif

/*
@@ TSK_CHECKED: 1 compiles in the core's invariant checks (TSK_ASSERT in
** core/tsk_int.h: the ring, channel queues, watchdog stack and stack
** chains are as tsk.h states), which abort with the failed condition.
** The sanitizer and fuzz builds turn it on; 0 (the default) compiles the
** checks out entirely.
*/
#ifndef TSK_CHECKED
#define TSK_CHECKED 0
#endif

#endif
