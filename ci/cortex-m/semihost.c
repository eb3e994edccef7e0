/*
** semihost.c
** Arm semihosting calls (see semihost.h).
** See LICENSE in the project root.
*/
#include <stdint.h>
#include "semihost.h"

#define SYS_OPEN                        0x01
#define SYS_WRITE                       0x05
#define SYS_CLOCK                       0x10
#define SYS_GET_CMDLINE                 0x15
#define SYS_EXIT                        0x18
#define SYS_EXIT_EXTENDED               0x20
#define ADP_Stopped_ApplicationExit     0x20026
#define ADP_Stopped_RunTimeErrorUnknown 0x20023

/* The trap: operation in r0, argument (a word or a block) in r1. */
static long call(long op, void *arg) {
    register long r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* ":tt" opened for writing ("w", mode 4) is stdout, for append ("a",
** mode 8) stderr.  Opened on first use. */
static long handle[3] = {-1, -1, -1};

void sh_write(int fd, const char *buf, size_t n) {
    uintptr_t block[3];
    if (fd != 2)
        fd = 1;
    if (handle[fd] < 0) {
        uintptr_t open_block[3] = {(uintptr_t) ":tt", fd == 2 ? 8 : 4, 3};
        handle[fd] = call(SYS_OPEN, open_block);
    }
    block[0] = (uintptr_t)handle[fd];
    block[1] = (uintptr_t)buf;
    block[2] = n;
    call(SYS_WRITE, block);
}

void sh_puts(const char *s) {
    size_t n = 0;
    while (s[n] != 0)
        n++;
    sh_write(1, s, n);
}

void sh_putu(unsigned long v) {
    char b[12];
    int i = (int)sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    sh_write(1, b + i, sizeof b - (size_t)i);
}

void sh_puthex(unsigned long v) {
    char b[10];
    int i;
    b[0] = '0';
    b[1] = 'x';
    for (i = 9; i >= 2; i--, v >>= 4)
        b[i] = "0123456789abcdef"[v & 15];
    sh_write(1, b, sizeof b);
}

int sh_cmdline(char *buf, size_t size) {
    uintptr_t block[2] = {(uintptr_t)buf, size};
    if (size == 0 || call(SYS_GET_CMDLINE, block) != 0)
        return 0;
    buf[size - 1] = 0;
    return 1;
}

long sh_clock(void) { return call(SYS_CLOCK, NULL); }

void sh_exit(int status) {
    uintptr_t block[2] = {ADP_Stopped_ApplicationExit, (uintptr_t)status};
    /* the extended call carries the status; plain SYS_EXIT only ok/not */
    call(SYS_EXIT_EXTENDED, block);
    call(SYS_EXIT,
         (void *)(uintptr_t)(status == 0 ? ADP_Stopped_ApplicationExit
                                         : ADP_Stopped_RunTimeErrorUnknown));
    for (;;) {
    }
}
