/*
** board.h
** What the freestanding firmware (blinky, bench) needs from the board.
** See LICENSE in the project root.
**
** board.c drives the LEDs of the QEMU boards (MPS2 FPGAIO, micro:bit
** GPIO), reads SysTick, and supplies memcpy/memset for builds without a C
** library.  Output and exit go through semihosting (semihost.h).
*/
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>
#include "semihost.h"

#define board_puts sh_puts
#define board_putu sh_putu

/* LED 0 or 1 on (on != 0) or off; returns what the LED register reads
** back afterwards (the board's own record of the LEDs) */
unsigned board_led(int led, int on);

/* SysTick as a free-running down-counter on the processor clock:
** board_ticks() counts up, in processor clock ticks, wrapping at 2^24 */
void board_ticks_start(void);
uint32_t board_ticks(void);

#endif
