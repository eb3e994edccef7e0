/*
** semihost.h
** Arm semihosting for the Cortex-M firmware: output, command line, exit.
** See LICENSE in the project root.
**
** Semihosting is a BKPT 0xAB trap the debugger (here qemu-system-arm with
** -semihosting-config enable=on) serves on the firmware's behalf: it
** writes to the host's terminal, hands over the command line and ends the
** emulation with an exit status.  Nothing here needs a C library.
*/
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stddef.h>

/* write n bytes to the host's stdout (fd 1) or stderr (fd 2) */
void sh_write(int fd, const char *buf, size_t n);
void sh_puts(const char *s);     /* a string, to stdout */
void sh_putu(unsigned long v);   /* decimal, to stdout */
void sh_puthex(unsigned long v); /* 0x%08lx, to stdout */
/* the command line QEMU was given (-append), NUL-terminated; 0 on error */
int sh_cmdline(char *buf, size_t size);
/* end the emulation: qemu-system-arm exits with 'status' */
void sh_exit(int status) __attribute__((noreturn));
/* centiseconds since the firmware started (SYS_CLOCK; host time) */
long sh_clock(void);

#endif
