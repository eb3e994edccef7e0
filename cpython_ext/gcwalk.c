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
#define Py_BUILD_CORE       1
#define EXT_FRAME_INTERNALS 1
#include "ext.h"
#include <descrobject.h>

int ext_traverse_frames(TaskletObject *t, visitproc visit, void *arg) {
#if EXT_HAS_IFRAME
    ExtFrame *f;
    char *lo = t->t.start, *hi = t->t.stop;
    int top = 1, exact = 0;
    for (f = t->st.frame; f != NULL; f = f->previous) {
        PyCodeObject *code;
        int i, n, m;
        /* an entry frame on the (saved) C stack: what lies beyond belongs
        ** to C code we cannot see into */
        if ((char *)f >= lo && (char *)f < hi)
            break;
        if (EXT_FRAME_OWNED_BY_THREAD(f)) {
            code = ext_frame_code(f);
            Py_VISIT(ext_slot_owned(EXT_FRAME_EXECUTABLE(f)));
            Py_VISIT(ext_slot_owned(EXT_FRAME_FUNC(f)));
            Py_VISIT(f->f_locals);
            Py_VISIT((PyObject *)f->frame_obj);
            if (code != NULL) {
                n = code->co_nlocalsplus;
                m = n;
                if (top && t->st.pin != NULL)
                    m = (int)((ExtSlot *)t->st.pin - f->localsplus);
                else if ((top ? EXT_TOP_STACKTOP_SAVED : exact) &&
                         ext_frame_stacktop(f) >= n)
                    m = ext_frame_stacktop(f);
                if (m < n || m > n + code->co_stacksize)
                    m = n;
                for (i = 0; i < m; i++)
                    Py_VISIT(ext_slot_owned(f->localsplus[i]));
            }
        }
        /* is the caller's saved stack depth exact?  Only if it was saved
        ** for an inlined Python call, i.e. this frame was not entered
        ** from C */
        exact = !ext_frame_entered_from_c(f);
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
        if (ext_gc_is_tracked((PyObject *)f)) {
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
#if EXT_TOP_STACKTOP_SAVED
    /* CPython saved the top frame's stack top itself */
    (void)t, (void)self, (void)meth, (void)args, (void)nargs;
#else
    PyObject *const *base;
    PyObject *d;
    uintptr_t a = (uintptr_t)args;
    int size;
#if EXT_HAS_IFRAME
    ExtFrame *f = ext_top_frame(t->ts->tstate);
    PyCodeObject *code;
    if (f == NULL || (code = ext_frame_code(f)) == NULL)
        return;
    base = (PyObject *const *)f->localsplus + code->co_nlocalsplus;
    size = code->co_stacksize;
#else
    PyFrameObject *f = PyEval_GetFrame();
    if (f == NULL || ext_pyframe_stack_saved(f))
        return;
    base = f->f_valuestack;
    size = f->f_code->co_stacksize;
#endif
    if (a < (uintptr_t)(base + 2) || a > (uintptr_t)(base + size) ||
        (uintptr_t)(base + size) - a < (uintptr_t)nargs * sizeof *args)
        return; /* (NULL is below base) */
    /* args[-1] and args[-2] are slots of that stack now; a live self at
    ** args[-1] means a live (possibly NULL) slot below it */
    d = args[-2];
    if (args[-1] != self || d == NULL || Py_TYPE(d) != &PyMethodDescr_Type ||
        (void *)((PyMethodDescrObject *)d)->d_method->ml_meth != meth)
        return;
#if !EXT_HAS_IFRAME
    ext_pyframe_set_stacktop(f, (PyObject **)(args + nargs));
#endif
    t->st.pin = (PyObject **)(args + nargs);
#endif
}

void ext_unpin_stack(TaskletObject *t) {
#if !EXT_HAS_IFRAME
    if (t->st.pin == NULL)
        return;
    ext_pyframe_set_stacktop(PyEval_GetFrame(), NULL);
#endif
    t->st.pin = NULL;
}

#if EXT_HAS_MONITORING
int ext_instrument_frames(ThreadState *ts, uintptr_t version,
                          int (*fn)(PyObject *code)) {
    ExtFrame *f;
    for (f = ext_top_frame(ts->tstate); f != NULL; f = f->previous) {
        PyCodeObject *code;
        if (EXT_FRAME_ON_C_STACK(f) || (code = ext_frame_code(f)) == NULL ||
            code->_co_instrumentation_version >= version)
            continue;
        if (fn((PyObject *)code) < 0)
            return -1;
    }
    return 0;
}
#endif
