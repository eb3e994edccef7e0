/*
** gcwalk.c
** What a suspended tasklet's frames own, for the cycle collector.
** See LICENSE in the project root.
**
** A suspended tasklet's execution owns its frames' references; nothing else
** reports them to the collector (CPython skips the frames of a running
** thread, and the thread is running another tasklet).  Visiting exactly
** those references lets gc.collect() find cycles through suspended
** tasklets; the finalizer then kills the tasklet (TaskletExit) before
** anything is freed.  Only references we are sure of are visited: one
** visit too many could let the collector free a live object, one too few
** only keeps garbage alive.  So: locals always; a frame's evaluation stack
** only where its depth is exactly known (a caller suspended in a Python
** call, or the top frame pinned by a channel operation); never C locals.
*/
#if PY_VERSION_HEX >= 0x030B0000 || !defined(PY_VERSION_HEX)
#define Py_BUILD_CORE 1
#endif
#include "ext.h"
#include <descrobject.h>
#if EXT_PY311
#include "internal/pycore_frame.h"
#endif

#if EXT_PY311
typedef _PyInterpreterFrame Frame;

static PyCodeObject *frame_code(Frame *f) {
#if EXT_PY313
    return PyCode_Check(f->f_executable) ? (PyCodeObject *)f->f_executable : NULL;
#else
    return f->f_code;
#endif
}

static PyObject *frame_func(Frame *f) {
#if EXT_PY312
    return f->f_funcobj;
#else
    return (PyObject *)f->f_func;
#endif
}

static Frame *top_frame(PyThreadState *tstate) {
#if EXT_PY313
    return tstate->current_frame;
#else
    return tstate->cframe->current_frame;
#endif
}
#endif

int ext_traverse_frames(TaskletObject *t, visitproc visit, void *arg) {
#if EXT_PY311
    Frame *f;
    char *lo = t->t.start, *hi = t->t.stop;
    int top = 1, exact = 0;
    for (f = t->st.iframe; f != NULL; f = f->previous) {
        PyCodeObject *code;
        int i, n, m;
        /* an entry frame on the (saved) C stack: what lies beyond belongs
        ** to C code we cannot see into */
        if ((char *)f >= lo && (char *)f < hi)
            break;
        if (f->owner == FRAME_OWNED_BY_THREAD) {
            code = frame_code(f);
            Py_VISIT((PyObject *)code);
            Py_VISIT(frame_func(f));
            Py_VISIT(f->f_locals);
            Py_VISIT((PyObject *)f->frame_obj);
            if (code != NULL) {
                n = code->co_nlocalsplus;
                m = n;
                if (top && t->st.pin != NULL)
                    m = (int)(t->st.pin - f->localsplus);
                else if (!top && exact && f->stacktop >= n)
                    m = f->stacktop;
                if (m < n || m > n + code->co_stacksize)
                    m = n;
                for (i = 0; i < m; i++)
                    Py_VISIT(f->localsplus[i]);
            }
        }
        /* is the caller's saved stack depth exact?  Only if it was saved
        ** for an inlined Python call, i.e. this frame was not entered
        ** from C */
#if EXT_PY312
        exact = 1;               /* 3.12+: stacktop is -1 unless saved */
#else
        exact = !f->is_entry;
#endif
        top = 0;
    }
#else
    /* each frame of the chain is held by one level of the suspended C
    ** stack, except a generator's, which its generator holds.  The fast
    ** call path runs frames untracked: the collector never looks into
    ** those, so their contents are ours to report. */
    PyFrameObject *f;
    for (f = t->st.frame; f != NULL; f = f->f_back) {
        if (f->f_gen != NULL)
            continue;
#if PY_VERSION_HEX >= 0x03090000
        if (PyObject_GC_IsTracked((PyObject *)f)) {
#else
        if (_PyObject_GC_IS_TRACKED(f)) {
#endif
            Py_VISIT((PyObject *)f);
        } else {
            int r = Py_TYPE(f)->tp_traverse((PyObject *)f, visit, arg);
            if (r)
                return r;
        }
    }
#endif
    return 0;
}

/* A channel method called directly by the eval loop gets 'args' pointing
** into the caller's evaluation stack, right after [descriptor, self]; then
** args + nargs is the exact top of that stack.  Record it for the collector
** while the tasklet is suspended.
** Any other caller is C code (iter(ch.receive, None), map, ctypes, ...):
** its 'args' is NULL (no arguments) or points into its own memory, so
** nothing around it may be read before it is known to lie inside the top
** frame's value stack.  Addresses are compared as integers: pointer
** arithmetic outside an array (NULL - 2 wraps around) proves nothing. */
void ext_pin_stack(TaskletObject *t, PyObject *self, void *meth,
                   PyObject *const *args, Py_ssize_t nargs) {
    PyObject *const *base;
    PyObject *d;
    uintptr_t a = (uintptr_t)args;
    int size;
#if EXT_PY311
    Frame *f = top_frame(t->ts->tstate);
    PyCodeObject *code;
    if (f == NULL || (code = frame_code(f)) == NULL)
        return;
    base = f->localsplus + code->co_nlocalsplus;
    size = code->co_stacksize;
#else
    PyFrameObject *f = PyEval_GetFrame();
    if (f == NULL)
        return;
    base = f->f_valuestack;
    size = f->f_code->co_stacksize;
#if PY_VERSION_HEX >= 0x030A0000
    if (f->f_stackdepth != -1)
        return;
#else
    if (f->f_stacktop != NULL)
        return;
#endif
#endif
    if (args == NULL || nargs < 0 || a < (uintptr_t)(base + 2) || a > (uintptr_t)(base + size) ||
        (uintptr_t)(base + size) - a < (uintptr_t)nargs * sizeof *args)
        return;
    /* args[-1] and args[-2] are slots of that stack now; a live self at
    ** args[-1] means a live (possibly NULL) slot below it */
    d = args[-2];
    if (args[-1] != self || d == NULL || Py_TYPE(d) != &PyMethodDescr_Type ||
        (void *)((PyMethodDescrObject *)d)->d_method->ml_meth != meth)
        return;
#if EXT_PY311
    t->st.pin = (PyObject **)(args + nargs);
#elif PY_VERSION_HEX >= 0x030A0000
    f->f_stackdepth = (int)(args + nargs - base);
    t->st.pin = (PyObject **)(args + nargs);
#else
    f->f_stacktop = (PyObject **)(args + nargs);
    t->st.pin = (PyObject **)(args + nargs);
#endif
}

void ext_unpin_stack(TaskletObject *t) {
#if !EXT_PY311
    PyFrameObject *f;
    if (t->st.pin == NULL)
        return;
    f = PyEval_GetFrame();
#if PY_VERSION_HEX >= 0x030A0000
    f->f_stackdepth = -1;
#else
    f->f_stacktop = NULL;
#endif
#endif
    t->st.pin = NULL;
}
