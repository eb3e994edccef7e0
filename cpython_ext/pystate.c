/*
** pystate.c
** The PyThreadState fields that belong to a tasklet, per CPython version.
** See LICENSE in the project root.
**
** Which fields exist in which version, and how to reach them, is
** pycompat.h's business; the per-field table is in VERSIONS.md.
*/
#include "ext.h"

/* bytes of a new tasklet's first frame-data chunk (pymalloc's limit) */
#define EXT_ROOT_CHUNK 512

int ext_state_depth(PyThreadState *tstate) { return ext_py_depth(tstate); }

static void set_tracing(PyThreadState *tstate, PyState *st) {
    /* rare: only when the two tasklets trace differently */
    if (tstate->c_tracefunc != st->tracefunc ||
        tstate->c_traceobj != st->traceobj) {
        PyEval_SetTrace(st->tracefunc, st->traceobj);
        if (PyErr_Occurred())
            PyErr_WriteUnraisable(NULL);
    }
    if (tstate->c_profilefunc != st->profilefunc ||
        tstate->c_profileobj != st->profileobj) {
        PyEval_SetProfile(st->profilefunc, st->profileobj);
        if (PyErr_Occurred())
            PyErr_WriteUnraisable(NULL);
    }
}

/* sys.setrecursionlimit() checks only its caller's depth: the limit may
** have dropped below this tasklet's depth while it was suspended.  CPython
** 3.8-3.11 then abort ("Cannot recover from stack overflow": creating the
** RecursionError overflows by more than its 50 levels of headroom).  The
** tasklet resumes counted at the limit, so its next call raises a
** catchable RecursionError; the levels left out are added back at save. */
static void restore_py_depth(PyThreadState *tstate, PyState *st) {
    int limit = Py_GetRecursionLimit();
    st->depth_over = st->py_depth > limit ? st->py_depth - limit : 0;
    ext_set_py_depth(tstate, st->py_depth - st->depth_over);
}

void ext_state_save(ThreadState *ts, PyState *st) {
    PyThreadState *tstate = ts->tstate;
    st->exc_info = tstate->exc_info;
    st->exc_state = tstate->exc_state; /* ownership moves */
    st->context = tstate->context;     /* ownership moves */
    tstate->context = NULL;
    st->py_depth = ext_py_depth(tstate) + st->depth_over;
#if EXT_HAS_CFRAME
    st->cframe = tstate->cframe;
#endif
    st->frame = ext_top_frame(tstate);
#if EXT_HAS_C_COUNTER
    st->c_depth = ext_c_depth(tstate);
#endif
#if EXT_HAS_DATASTACK
    st->chunk = tstate->datastack_chunk;
    st->top = tstate->datastack_top;
    st->limit = tstate->datastack_limit;
#endif
#if EXT_HAS_EXECUTOR
    st->executor = tstate->current_executor;
    Py_XINCREF(st->executor);
#endif
#if EXT_HAS_DELETE_LATER
    st->delete_later = tstate->delete_later;
    tstate->delete_later = NULL;
#else
    st->trash_nesting = ext_trash_nesting(tstate);
#endif
    st->tracing = tstate->tracing;
#if !EXT_HAS_MONITORING
    if (tstate->c_tracefunc == ext_tick_trace)
        return; /* run(timeout) owns the trace slot */
#endif
    st->tracefunc = tstate->c_tracefunc;
    st->profilefunc = tstate->c_profilefunc;
    Py_XINCREF(tstate->c_traceobj);
    Py_XINCREF(tstate->c_profileobj);
    Py_XSETREF(st->traceobj, tstate->c_traceobj);
    Py_XSETREF(st->profileobj, tstate->c_profileobj);
}

static void apply_tracing(PyThreadState *tstate, PyState *st) {
    tstate->tracing = st->tracing;
    st->tracing = 0;
#if !EXT_HAS_MONITORING
    if (tstate->c_tracefunc == ext_tick_trace) {
        /* keep counting ticks in this tasklet too; its own tracing waits
        ** in st until run() ends */
        if (tstate->tracing == 0)
            ext_force_use_tracing(tstate);
        return;
    }
#endif
    if (st->traceobj != tstate->c_traceobj ||
        st->tracefunc != tstate->c_tracefunc ||
        st->profileobj != tstate->c_profileobj ||
        st->profilefunc != tstate->c_profilefunc)
        set_tracing(tstate, st);
    Py_CLEAR(st->traceobj);
    Py_CLEAR(st->profileobj);
    st->tracefunc = st->profilefunc = NULL;
    /* what CPython derives: no events while inside a trace function */
    ext_derive_use_tracing(tstate);
}

void ext_state_restore(ThreadState *ts, PyState *st) {
    PyThreadState *tstate = ts->tstate;
#if EXT_ENTRY_FRAMES_ON_C_STACK
    ext_frames_unhide(st);
#endif
    tstate->exc_info = st->exc_info ? st->exc_info : &tstate->exc_state;
    tstate->exc_state = st->exc_state;
    memset(&st->exc_state, 0, sizeof st->exc_state);
    tstate->context = st->context;
    st->context = NULL;
    tstate->context_ver++;
#if EXT_HAS_CFRAME
    tstate->cframe = st->cframe;
#endif
    ext_set_top_frame(tstate, st->frame);
    restore_py_depth(tstate, st);
#if EXT_HAS_C_COUNTER
    ext_set_c_depth(tstate, st->c_depth);
#endif
#if EXT_HAS_DATASTACK
    tstate->datastack_chunk = st->chunk;
    tstate->datastack_top = st->top;
    tstate->datastack_limit = st->limit;
#endif
#if EXT_HAS_EXECUTOR
    /* installed first: if ours is the last reference, CPython's deletion
    ** list keeps it while this thread's current_executor names it */
    tstate->current_executor = st->executor;
    Py_XDECREF(st->executor);
    st->executor = NULL;
#endif
#if EXT_HAS_DELETE_LATER
    tstate->delete_later = st->delete_later;
    st->delete_later = NULL;
#else
    ext_set_trash_nesting(tstate, st->trash_nesting);
#endif
    apply_tracing(tstate, st);
}

/* The state of a tasklet that has never run: no frames, empty exception
** state, its own context, fresh recursion budgets and data stack.  No
** Python code may run between this and the tasklet's own cframe. */
void ext_state_fresh(ThreadState *ts, PyState *st, PyObject *ctx) {
    PyThreadState *tstate = ts->tstate;
    tstate->exc_info = &tstate->exc_state;
    memset(&tstate->exc_state, 0, sizeof tstate->exc_state);
    Py_XINCREF(ctx);
    tstate->context = ctx;
    tstate->context_ver++;
#if EXT_HAS_CFRAME
    tstate->cframe = &tstate->root_cframe; /* until the body's own */
#endif
    ext_set_top_frame(tstate, ext_base_frame(tstate));
    ext_set_py_depth(tstate, 0);
    st->depth_over = 0;
#if EXT_HAS_EXECUTOR
    tstate->current_executor = NULL;
#endif
#if EXT_HAS_C_COUNTER
    ext_set_c_depth(tstate, 0);
#endif
#if EXT_HAS_DELETE_LATER
    tstate->delete_later = NULL;
#else
    ext_set_trash_nesting(tstate, 0);
#endif
#if EXT_HAS_DATASTACK
    {
        /* A small root chunk of our own for the frame data stack: a
        ** blocked tasklet's frames usually fit, where CPython would map a
        ** 16 KiB chunk (a 4 KiB page resident per tasklet).  Deeper calls
        ** chain CPython's own chunks after it.  As for CPython's root
        ** chunk, slot 0 stays unused so that no frame ever starts the
        ** chunk and CPython never frees it; ext_state_reap does. */
        _PyStackChunk *c = PyMem_Malloc(EXT_ROOT_CHUNK);
        if (c != NULL) {
            c->previous = NULL;
            c->size = EXT_ROOT_CHUNK;
            c->top = 0;
            tstate->datastack_chunk = c;
            tstate->datastack_top = &c->data[1];
            tstate->datastack_limit =
                (PyObject **)((char *)c + EXT_ROOT_CHUNK);
        } else {
            tstate->datastack_chunk = NULL;
            tstate->datastack_top = NULL;
            tstate->datastack_limit = NULL;
        }
    }
#endif
    apply_tracing(tstate, st);
}

/* The tasklet that now runs runs on 'stack': CPython's C recursion check
** must describe that stack (3.14+), or deep C recursion there is never
** caught (a crash at the guard page) or caught too early. */
void ext_state_stack(ThreadState *ts, tsk_stack *stack) {
#if EXT_HAS_STACK_LIMITS
    if (stack == &ts->s.thread_stack)
        stack = NULL;
    if (stack == ts->limits_for)
        return;
    ts->limits_for = stack;
    if (stack == NULL)
        ext_set_stack_limits(ts->tstate, NULL, 0);
    else
        ext_set_stack_limits(ts->tstate, stack->lo,
                             (size_t)(stack->hi - stack->lo));
#else
    (void)ts;
    (void)stack;
#endif
}

/* The current tasklet has ended: keep what it leaves in tstate so that it
** can be released once the next tasklet's state is in place. */
void ext_state_dead(ThreadState *ts) {
    PyThreadState *tstate = ts->tstate;
#if EXT_HAS_DATASTACK
    ts->dead_chunk = tstate->datastack_chunk;
    tstate->datastack_chunk = NULL;
#endif
    ts->dead_context = tstate->context;
    tstate->context = NULL;
}

void ext_state_reap(ThreadState *ts) {
#if EXT_HAS_DATASTACK
    _PyStackChunk *c = ts->dead_chunk;
    if (c != NULL) {
        PyObjectArenaAllocator a;
        PyObject_GetArenaAllocator(&a);
        while (c != NULL) {
            _PyStackChunk *prev = c->previous;
            if (prev == NULL)
                PyMem_Free(c); /* our root chunk */
            else
                a.free(a.ctx, c, c->size);
            c = prev;
        }
        ts->dead_chunk = NULL;
    }
#endif
    (void)ts;
}

void ext_state_clear(PyState *st) {
#if EXT_EXC_VALUE_ONLY
    Py_CLEAR(st->exc_state.exc_value);
#else
    Py_CLEAR(st->exc_state.exc_type);
    Py_CLEAR(st->exc_state.exc_value);
    Py_CLEAR(st->exc_state.exc_traceback);
#endif
    Py_CLEAR(st->context);
    Py_CLEAR(st->traceobj);
    Py_CLEAR(st->profileobj);
#if EXT_HAS_EXECUTOR
    Py_CLEAR(st->executor);
#endif
#if EXT_ENTRY_FRAMES_ON_C_STACK
    ext_frames_free(st);
#endif
}

int ext_state_traverse(PyState *st, visitproc visit, void *arg) {
#if EXT_EXC_VALUE_ONLY
    Py_VISIT(st->exc_state.exc_value);
#else
    Py_VISIT(st->exc_state.exc_type);
    Py_VISIT(st->exc_state.exc_value);
    Py_VISIT(st->exc_state.exc_traceback);
#endif
    Py_VISIT(st->context);
    Py_VISIT(st->traceobj);
    Py_VISIT(st->profileobj);
    return 0;
}
