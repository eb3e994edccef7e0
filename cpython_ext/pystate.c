/*
** pystate.c
** The PyThreadState fields that belong to a tasklet, per CPython version.
** See LICENSE in the project root.
**
** Checked against each version's Include/cpython/pystate.h (3.8-3.13).
** CPython has no API for this; every minor release must be re-checked.
** Recursion counters are stored as depths so that sys.setrecursionlimit()
** keeps working across switches.
*/
#include "ext.h"

/* bytes of a new tasklet's first frame-data chunk (pymalloc's limit) */
#define EXT_ROOT_CHUNK 512

#if EXT_PY312 && !EXT_PY313
#define EXT_C_LIMIT C_RECURSION_LIMIT
#elif EXT_PY313
#define EXT_C_LIMIT Py_C_RECURSION_LIMIT
#endif

int ext_state_depth(PyThreadState *tstate) {
#if EXT_PY312
    return tstate->py_recursion_limit - tstate->py_recursion_remaining;
#elif EXT_PY311
    return tstate->recursion_limit - tstate->recursion_remaining;
#else
    return tstate->recursion_depth;
#endif
}

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

void ext_state_save(ThreadState *ts, PyState *st) {
    PyThreadState *tstate = ts->tstate;
    st->exc_info = tstate->exc_info;
    st->exc_state = tstate->exc_state;       /* ownership moves */
    st->context = tstate->context;           /* ownership moves */
    tstate->context = NULL;
    st->py_depth = ext_state_depth(tstate);
#if !EXT_PY311
    st->frame = tstate->frame;
#endif
#if EXT_PY310 && !EXT_PY313
    st->cframe = tstate->cframe;
#endif
#if EXT_PY311 && !EXT_PY313
    st->iframe = tstate->cframe->current_frame;
#elif EXT_PY313
    st->iframe = tstate->current_frame;
#endif
#if EXT_PY312
    st->c_depth = EXT_C_LIMIT - tstate->c_recursion_remaining;
#endif
#if EXT_PY311
    st->chunk = tstate->datastack_chunk;
    st->top = tstate->datastack_top;
    st->limit = tstate->datastack_limit;
#endif
#if EXT_PY313
    st->delete_later = tstate->delete_later;
    tstate->delete_later = NULL;
#elif EXT_PY312
    st->trash_nesting = tstate->trash.delete_nesting;
#else
    st->trash_nesting = tstate->trash_delete_nesting;
#endif
    st->tracing = tstate->tracing;
    if (tstate->c_tracefunc == ext_tick_trace)
        return;                  /* run(timeout) owns the trace slot */
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
    if (tstate->c_tracefunc == ext_tick_trace) {
        /* keep counting ticks in this tasklet too; its own tracing waits
        ** in st until run() ends */
        if (tstate->tracing == 0) {
#if !EXT_PY310
            tstate->use_tracing = 1;
#elif !EXT_PY311
            tstate->cframe->use_tracing = 1;
#elif !EXT_PY312
            tstate->cframe->use_tracing = 255;
#endif
        }
        return;
    }
    if (st->traceobj != tstate->c_traceobj ||
        st->tracefunc != tstate->c_tracefunc ||
        st->profileobj != tstate->c_profileobj ||
        st->profilefunc != tstate->c_profilefunc)
        set_tracing(tstate, st);
    Py_CLEAR(st->traceobj);
    Py_CLEAR(st->profileobj);
    st->tracefunc = st->profilefunc = NULL;
#if !EXT_PY310
    /* what CPython derives: no events while inside a trace function */
    tstate->use_tracing = tstate->tracing == 0 &&
                          (tstate->c_tracefunc || tstate->c_profilefunc);
#endif
}

void ext_state_restore(ThreadState *ts, PyState *st) {
    PyThreadState *tstate = ts->tstate;
    tstate->exc_info = st->exc_info ? st->exc_info : &tstate->exc_state;
    tstate->exc_state = st->exc_state;
    memset(&st->exc_state, 0, sizeof st->exc_state);
    tstate->context = st->context;
    st->context = NULL;
    tstate->context_ver++;
#if !EXT_PY311
    tstate->frame = st->frame;
    tstate->recursion_depth = st->py_depth;
#endif
#if EXT_PY310 && !EXT_PY313
    tstate->cframe = st->cframe;
#endif
#if EXT_PY311 && !EXT_PY313
    tstate->cframe->current_frame = st->iframe;
#elif EXT_PY313
    tstate->current_frame = st->iframe;
#endif
#if EXT_PY312
    tstate->py_recursion_remaining = tstate->py_recursion_limit - st->py_depth;
    tstate->c_recursion_remaining = EXT_C_LIMIT - st->c_depth;
#elif EXT_PY311
    tstate->recursion_remaining = tstate->recursion_limit - st->py_depth;
#endif
#if EXT_PY311
    tstate->datastack_chunk = st->chunk;
    tstate->datastack_top = st->top;
    tstate->datastack_limit = st->limit;
#endif
#if EXT_PY313
    tstate->delete_later = st->delete_later;
    st->delete_later = NULL;
#elif EXT_PY312
    tstate->trash.delete_nesting = st->trash_nesting;
#else
    tstate->trash_delete_nesting = st->trash_nesting;
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
#if !EXT_PY311
    tstate->frame = NULL;
    tstate->recursion_depth = 0;
#endif
#if EXT_PY310 && !EXT_PY313
    tstate->cframe = &tstate->root_cframe;   /* until the body's own */
#endif
#if EXT_PY312
    tstate->py_recursion_remaining = tstate->py_recursion_limit;
    tstate->c_recursion_remaining = EXT_C_LIMIT;
#elif EXT_PY311
    tstate->recursion_remaining = tstate->recursion_limit;
#endif
#if EXT_PY313
    tstate->current_frame = NULL;
    tstate->delete_later = NULL;
#elif EXT_PY312
    tstate->trash.delete_nesting = 0;
#else
    tstate->trash_delete_nesting = 0;
#endif
#if EXT_PY311
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
            tstate->datastack_limit = (PyObject **)((char *)c + EXT_ROOT_CHUNK);
        } else {
            tstate->datastack_chunk = NULL;
            tstate->datastack_top = NULL;
            tstate->datastack_limit = NULL;
        }
    }
#endif
    apply_tracing(tstate, st);
}

/* The current tasklet has ended: keep what it leaves in tstate so that it
** can be released once the next tasklet's state is in place. */
void ext_state_dead(ThreadState *ts) {
    PyThreadState *tstate = ts->tstate;
#if EXT_PY311
    ts->dead_chunk = tstate->datastack_chunk;
    tstate->datastack_chunk = NULL;
#endif
    ts->dead_context = tstate->context;
    tstate->context = NULL;
}

void ext_state_reap(ThreadState *ts) {
#if EXT_PY311
    _PyStackChunk *c = ts->dead_chunk;
    if (c != NULL) {
        PyObjectArenaAllocator a;
        PyObject_GetArenaAllocator(&a);
        while (c != NULL) {
            _PyStackChunk *prev = c->previous;
            if (prev == NULL)
                PyMem_Free(c);           /* our root chunk */
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
#if EXT_PY311
    Py_CLEAR(st->exc_state.exc_value);
#else
    Py_CLEAR(st->exc_state.exc_type);
    Py_CLEAR(st->exc_state.exc_value);
    Py_CLEAR(st->exc_state.exc_traceback);
#endif
    Py_CLEAR(st->context);
    Py_CLEAR(st->traceobj);
    Py_CLEAR(st->profileobj);
}

int ext_state_traverse(PyState *st, visitproc visit, void *arg) {
#if EXT_PY311
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

/* The top frame object of a suspended tasklet, or None. */
PyObject *ext_state_frame(ThreadState *ts, PyState *st) {
#if EXT_PY312
    /* From 3.12 a suspended tasklet's frame chain runs through entry
    ** frames on its (saved) C stack; f_back would read foreign memory. */
    (void)ts;
    (void)st;
    Py_RETURN_NONE;
#elif EXT_PY311
    PyThreadState *tstate = ts->tstate;
    struct _PyInterpreterFrame *saved;
    PyFrameObject *f;
    if (st->iframe == NULL)
        Py_RETURN_NONE;
    /* let CPython materialise the frame object of the saved chain */
    saved = tstate->cframe->current_frame;
    tstate->cframe->current_frame = st->iframe;
    f = PyThreadState_GetFrame(tstate);
    tstate->cframe->current_frame = saved;
    if (f == NULL)
        Py_RETURN_NONE;
    return (PyObject *)f;
#else
    (void)ts;
    if (st->frame == NULL)
        Py_RETURN_NONE;
    Py_INCREF(st->frame);
    return (PyObject *)st->frame;
#endif
}
