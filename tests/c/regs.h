/*
** regs.h
** Register-preservation helper, one assembly file per ABI (regs_*.S).
**
** tsk_test_regs(fn, arg, seed) loads every callee-saved register of the
** ABI (integer, FP/SIMD and the FP control bits the ABI calls callee-saved)
** with values derived from seed, calls fn(arg), and returns 0 when all of
** them still hold their values afterwards, or the 1-based index of the
** first register that changed (the order is listed in each .S file).
*/
#ifndef REGS_H
#define REGS_H
int tsk_test_regs(void (*fn)(void *), void *arg, unsigned long seed);
#endif
