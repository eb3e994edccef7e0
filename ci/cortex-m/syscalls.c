/*
** syscalls.c
** The newlib system calls of the test firmware, over semihosting.
** See LICENSE in the project root.
**
** Only the tests link this: they use printf, malloc and abort.  Output
** goes to the host through semihosting; the heap is [__heap_start,
** __heap_end) from the linker script; exit() flushes stdio, then ends
** the emulation with the status.  The core itself needs none of it.
*/
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "semihost.h"

extern char __heap_start[], __heap_end[];

/* prototypes, for -Wmissing-prototypes: newlib calls these */
int _write(int fd, const char *buf, int n);
int _read(int fd, char *buf, int n);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int off, int whence);
void *_sbrk(ptrdiff_t incr);
void _exit(int status) __attribute__((noreturn));
int _kill(int pid, int sig);
int _getpid(void);
void _init(void);
void _fini(void);
void board_exit(int status) __attribute__((noreturn));

int _write(int fd, const char *buf, int n) {
    sh_write(fd, buf, (size_t)n);
    return n;
}

int _read(int fd, char *buf, int n) {
    (void)fd;
    (void)buf;
    (void)n;
    return 0; /* no input: end of file */
}

int _close(int fd) {
    (void)fd;
    return 0;
}

int _fstat(int fd, struct stat *st) {
    (void)fd;
    st->st_mode = S_IFCHR; /* a terminal: line buffered */
    return 0;
}

int _isatty(int fd) {
    (void)fd;
    return 1;
}

int _lseek(int fd, int off, int whence) {
    (void)fd;
    (void)off;
    (void)whence;
    return 0;
}

void *_sbrk(ptrdiff_t incr) {
    static char *brk = __heap_start;
    char *old = brk;
    if (incr > __heap_end - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    brk += incr;
    return old;
}

void _exit(int status) { sh_exit(status); }

/* abort() raises SIGABRT: end with the shell's status for it */
int _kill(int pid, int sig) {
    (void)pid;
    sh_exit(128 + sig);
}

int _getpid(void) { return 1; }

/* crti/crtn are not linked (-nostartfiles); exit() still calls _fini */
void _init(void) {}
void _fini(void) {}

/* main returned (startup.c): flush stdio on the way out */
void board_exit(int status) { exit(status); }
