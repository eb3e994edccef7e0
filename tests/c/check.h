/*
** check.h
** A tiny test runner for the C tests: typed asserts and TAP output.
** See LICENSE in the project root.
**
** Each test runs in a child process where fork() exists, so a crash fails
** one test, not the run.  The last line is "N passed, N failed".
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

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                      \
            abort();                                                       \
        }                                                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                     \
    do {                                                                   \
        long long a_ = (long long)(a), b_ = (long long)(b);                \
        if (a_ != b_) {                                                    \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n",      \
                    __FILE__, __LINE__, #a, #b, a_, b_);                   \
            abort();                                                       \
        }                                                                  \
    } while (0)

#define CHECK_PTR(a, b)                                                    \
    do {                                                                   \
        const void *a_ = (const void *)(a), *b_ = (const void *)(b);       \
        if (a_ != b_) {                                                    \
            fprintf(stderr, "%s:%d: %s == %s failed: %p != %p\n",          \
                    __FILE__, __LINE__, #a, #b, a_, b_);                   \
            abort();                                                       \
        }                                                                  \
    } while (0)

#define CHECK_OK(expr) CHECK_EQ((expr), TSK_OK)

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

/* Run the cases named on the command line, or all of them. */
static int check_main(const char *suite, const check_case *cases, int argc,
                      char **argv) {
    int i, n = 0, passed = 0, failed = 0;
    while (cases[n].name != NULL)
        n++;
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

#define CHECK_CASE(f) {#f, f}

#endif
