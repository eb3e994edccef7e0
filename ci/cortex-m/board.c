/*
** board.c
** LEDs, SysTick, and memcpy/memset for the freestanding firmware.
** See LICENSE in the project root.
*/
#include <stddef.h>
#include <stdint.h>
#include "board.h"

#define REG(a) (*(volatile uint32_t *)(a))

/* {======================================================================
** LEDs.  MPS2 (AN385/AN386): FPGAIO LED register at 0x40028000, bits 0-1
** are the user LEDs.  micro:bit (nRF51): the LED matrix's first column
** (P0.4, low = on) with rows 1 and 2 (P0.13, P0.14, high = on).
** ======================================================================= */
#if defined(BOARD_MICROBIT)
#define GPIO_OUT    0x50000504u
#define GPIO_OUTSET 0x50000508u
#define GPIO_OUTCLR 0x5000050Cu
#define GPIO_DIRSET 0x50000518u
unsigned board_led(int led, int on) {
    uint32_t row = 1u << (13 + (led & 1)), col = 1u << 4;
    REG(GPIO_DIRSET) = row | col;
    REG(GPIO_OUTCLR) = col;
    if (on)
        REG(GPIO_OUTSET) = row;
    else
        REG(GPIO_OUTCLR) = row;
    return (unsigned)(REG(GPIO_OUT) >> 13) & 3u;
}
#else
#define FPGAIO_LED 0x40028000u
unsigned board_led(int led, int on) {
    uint32_t bit = 1u << (led & 1), v = REG(FPGAIO_LED);
    REG(FPGAIO_LED) = on ? v | bit : v & ~bit;
    return (unsigned)REG(FPGAIO_LED) & 3u;
}
#endif
/* }====================================================================== */

/* SysTick: CTRL enable + processor clock, no interrupt; reload 2^24-1 */
#define SYST_CSR 0xE000E010u
#define SYST_RVR 0xE000E014u
#define SYST_CVR 0xE000E018u

void board_ticks_start(void) {
    REG(SYST_CSR) = 0;
    REG(SYST_RVR) = 0xFFFFFFu;
    REG(SYST_CVR) = 0;
    REG(SYST_CSR) = 5u;
}

uint32_t board_ticks(void) { return (0xFFFFFFu - REG(SYST_CVR)) & 0xFFFFFFu; }

/* {======================================================================
** memcpy and memset: all a freestanding core needs from a C library.
** Builds that link one (the tests, bench) take its versions instead:
** this file defines them only when BOARD_NO_LIBC is set.  The loops must
** not be turned back into calls to themselves.
** ======================================================================= */
#if defined(BOARD_NO_LIBC)
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *
memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n-- != 0)
        *d++ = *s++;
    return dst;
}

__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *
memset(void *dst, int c, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    while (n-- != 0)
        *d++ = (unsigned char)c;
    return dst;
}
#endif
/* }====================================================================== */
