/*
** check.h
** A tiny test runner for the C tests: typed asserts and TAP output.
** See LICENSE in the project root.
**
** Each test runs in a child process where fork() exists, so a crash fails
** one test, not the run.  The last line is "N passed, N failed".
** Without fork (-DCHECK_NO_FORK, or no __unix__) the cases run in turn in
** one process, sharing static state, and the first failure ends the run;
** ci/cortex-m/run-tests.sh gets the isolation back by starting a fresh
** emulation per case (see --list).
*/
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tsk.h"

#if defined(__unix__) && !defined(CHECK_NO_FORK)
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#define CHECK_FORK 1
#endif

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,  \
                    #cond);                                                   \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* v in decimal, in buf (24 bytes): printf's %lld is missing from some
** small C libraries (newlib-nano, which the Cortex-M firmware links) */
static inline const char *check_ll(char *buf, long long v) {
    unsigned long long u =
        v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    char *p = buf + 23;
    *p = 0;
    do {
        *--p = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    return p;
}

#define CHECK_EQ(a, b)                                                        \
    do {                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                   \
        if (a_ != b_) {                                                       \
            char ta_[24], tb_[24];                                            \
            fprintf(stderr, "%s:%d: %s == %s failed: %s != %s\n", __FILE__,   \
                    __LINE__, #a, #b, check_ll(ta_, a_), check_ll(tb_, b_));  \
            abort();                                                          \
        }                                                                     \
    } while (0)

#define CHECK_PTR(a, b)                                                       \
    do {                                                                      \
        const void *a_ = (const void *)(a), *b_ = (const void *)(b);          \
        if (a_ != b_) {                                                       \
            fprintf(stderr, "%s:%d: %s == %s failed: %p != %p\n", __FILE__,   \
                    __LINE__, #a, #b, a_, b_);                                \
            abort();                                                          \
        }                                                                     \
    } while (0)

#define CHECK_OK(expr) CHECK_EQ((expr), TSK_OK)

/* Sizes of the heavier tests.  The defaults are what every hosted target
** runs; a board with little RAM passes smaller ones on the command line
** (ci/cortex-m/Makefile): the same checks, at a smaller scale. */
#ifndef CHECK_MANY
#define CHECK_MANY 100000 /* tasklets in test_many_round_robin */
#endif
#ifndef CHECK_DEPTH
#define CHECK_DEPTH 10000 /* C recursion depth in test_depth */
#endif
#ifndef CHECK_STACK_SIZE
#define CHECK_STACK_SIZE (64 * 1024) /* each static tasklet stack */
#endif
#ifndef CHECK_TRACE_SIZE
#define CHECK_TRACE_SIZE 4096 /* bytes of the trace buffer */
#endif

typedef struct check_case {
    const char *name;
    void (*fn)(void);
} check_case;

static int check_run_one(const check_case *c) {
#ifdef CHECK_FORK
    int status = 0;
    pid_t pid;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        c->fn();
        fflush(stdout);
        _exit(0);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
#else
    c->fn();
    return 1;
#endif
}

/* Run the cases named on the command line, or all of them.  "--list"
** prints the names instead, one a line (for a runner that starts one
** process, or one emulation, per case). */
static int check_main(const char *suite, const check_case *cases, int argc,
                      char **argv) {
    int i, n = 0, passed = 0, failed = 0;
    while (cases[n].name != NULL)
        n++;
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (i = 0; i < n; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    printf("# %s\n", suite);
    for (i = 0; i < n; i++) {
        int j, want = argc <= 1;
        for (j = 1; j < argc; j++)
            if (strcmp(argv[j], cases[i].name) == 0)
                want = 1;
        if (!want)
            continue;
        if (check_run_one(&cases[i])) {
            passed++;
            printf("ok %d - %s\n", i + 1, cases[i].name);
        } else {
            failed++;
            printf("not ok %d - %s\n", i + 1, cases[i].name);
        }
        fflush(stdout);
    }
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed ? 1 : 0;
}

#define CHECK_CASE(f)                                                         \
    { #f, f }

/* The end of every test file: its cases, in order, and main(). */
#define CHECK_MAIN(suite, ...)                                                \
    static const check_case cases[] = {__VA_ARGS__, {NULL, NULL}};            \
    int main(int argc, char **argv) {                                         \
        return check_main(suite, cases, argc, argv);                          \
    }

#endif
