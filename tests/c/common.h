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
static tsk_channel CH; /* the channel of script bodies (below) */

/* A freestanding core (TSK_HOSTED 0, the default on bare-metal ARM) has
** no allocator of its own: the tests give it the C library's, through the
** hook, for the slices of the shared stack. */
#if !TSK_HOSTED
static inline void *check_alloc(void *ud, void *p, size_t osize,
                                size_t nsize) {
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, nsize);
}
static const tsk_hooks check_hooks = {check_alloc, NULL, NULL, NULL,
                                      NULL,        NULL, NULL, NULL};
#define CHECK_HOOKS (&check_hooks)
#else
#define CHECK_HOOKS NULL
#endif

/* Hooks for a test to fill in: none set but the allocator above. */
static inline tsk_hooks check_hooks_base(void) {
    tsk_hooks h;
    memset(&h, 0, sizeof h);
#if !TSK_HOSTED
    h.alloc = check_alloc;
#endif
    return h;
}

static inline void setup(void) {
    CHECK_OK(tsk_sched_init(&S, &M, CHECK_HOOKS));
    tsk_channel_init(&CH);
}

/* a trace of who ran, as a string of letters */
static char trace_buf[CHECK_TRACE_SIZE];
static size_t trace_len;
static inline void trace(char c) {
    if (trace_len + 1 < sizeof trace_buf) {
        trace_buf[trace_len++] = c;
        trace_buf[trace_len] = 0;
    }
}
#define CHECK_TRACE(s)                                                        \
    do {                                                                      \
        if (strcmp(trace_buf, (s)) != 0) {                                    \
            fprintf(stderr, "%s:%d: trace '%s' != '%s'\n", __FILE__,          \
                    __LINE__, trace_buf, (s));                                \
            abort();                                                          \
        }                                                                     \
    } while (0)

static tsk_tasklet T[8];

/* The run queue, followed from its first member, is exactly the listed
** tasklets (next and prev links, and the runcount). */
#define CHECK_RING(...)                                                       \
    check_ring(__FILE__, __LINE__, (tsk_tasklet *const[]){__VA_ARGS__, NULL})
static inline void check_ring(const char *file, int line,
                              tsk_tasklet *const *want) {
    int i, n = 0;
    while (want[n] != NULL)
        n++;
    for (i = 0; i < n; i++) {
        tsk_tasklet *a = want[i], *b = want[(i + 1) % n];
        if (tsk_next(a) != b || tsk_prev(b) != a) {
            fprintf(stderr, "%s:%d: ring differs after position %d\n", file,
                    line, i);
            abort();
        }
    }
    if (tsk_runcount(&S) != n) {
        fprintf(stderr, "%s:%d: runcount %d != %d\n", file, line,
                tsk_runcount(&S), n);
        abort();
    }
}

/* {======================================================================
** Script bodies.  A tasklet whose body is 'script' runs its arg, a string
** literal (static storage, as tasklets need), one character at a time:
**   a letter or digit  trace it
**   '.'  tsk_schedule          '-'  tsk_schedule_remove
**   '<'  receive from CH and trace the value (a char)
**   '>'  send the next character of the script through CH
**   '^'  tsk_tasklet_run of main (main.run() from a worker)
**   '!'  end, failing (the body returns 1)
** An operation that returns TSK_E_KILLED traces 'k' and ends the body; any
** other error is traced as '#', kept in script_err, and the script goes on.
** ======================================================================= */
static tsk_result script_err;

/* Receive from CH and trace the value (a char). */
static inline tsk_result receive_trace(void) {
    void *v = NULL;
    tsk_result r = tsk_receive(&S, &CH, &v);
    if (r == TSK_OK)
        trace((char)(intptr_t)v);
    return r;
}

static inline int script(tsk_tasklet *t, void *arg) {
    const char *p;
    (void)t;
    for (p = (const char *)arg; *p != 0; p++) {
        tsk_result r = TSK_OK;
        switch (*p) {
        case '.': r = tsk_schedule(&S); break;
        case '-': r = tsk_schedule_remove(&S); break;
        case '<': r = receive_trace(); break;
        case '>':
            p++;
            r = tsk_send(&S, &CH, (void *)(intptr_t)*p);
            break;
        case '^': r = tsk_tasklet_run(&S, tsk_main(&S)); break;
        case '!': return 1;
        default: trace(*p);
        }
        if (r == TSK_E_KILLED) {
            trace('k');
            return 0;
        }
        if (r != TSK_OK) {
            trace('#');
            script_err = r;
        }
    }
    return 0;
}

/* Make T[i] a paused script tasklet (prepare) or queue it at the end too
** (spawn); spawn_fn queues T[i] with another body (its arg NULL). */
static inline tsk_tasklet *prepare(int i, const char *code) {
    CHECK_OK(tsk_tasklet_init(&T[i], &S, script, (void *)code, NULL));
    return &T[i];
}
static inline tsk_tasklet *spawn(int i, const char *code) {
    CHECK_OK(tsk_insert(prepare(i, code)));
    return &T[i];
}
static inline tsk_tasklet *spawn_fn(int i, tsk_fn fn) {
    CHECK_OK(tsk_tasklet_init(&T[i], &S, fn, NULL, NULL));
    CHECK_OK(tsk_insert(&T[i]));
    return &T[i];
}
/* }====================================================================== */
#endif
