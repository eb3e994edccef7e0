/*
** common.h
** Shared fixtures of the C tests.
**
** Objects that tasklets share live in static storage: a tasklet's stack
** bytes are copied away while it is suspended, so pointers into another
** tasklet's stack are not valid (see core/tsk.h).
*/
#ifndef COMMON_H
#define COMMON_H
#include "check.h"

static tsk_sched S;
static tsk_tasklet M;

static inline void setup(void) { CHECK_OK(tsk_sched_init(&S, &M, NULL)); }

/* a trace of who ran, as a string of letters */
static char trace_buf[4096];
static size_t trace_len;
static inline void trace(char c) {
    if (trace_len + 1 < sizeof trace_buf) {
        trace_buf[trace_len++] = c;
        trace_buf[trace_len] = 0;
    }
}
#define CHECK_TRACE(s)                                                     \
    do {                                                                   \
        if (strcmp(trace_buf, (s)) != 0) {                                 \
            fprintf(stderr, "%s:%d: trace '%s' != '%s'\n", __FILE__,       \
                    __LINE__, trace_buf, (s));                             \
            abort();                                                       \
        }                                                                  \
    } while (0)

static tsk_tasklet T[8];
#endif
