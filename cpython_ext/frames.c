/*
** frames.c
** The frames of a suspended tasklet, as Python code sees them.
** See LICENSE in the project root.
**
** From 3.12 every call of the eval loop from C puts an "entry" interpreter
** frame on the C stack, and the frame it runs links to it ('previous').  A
** suspended tasklet's C stack may be sliced away to the heap while other
** tasklets run on the same addresses, so a reader of f_back (anyone holding
** one of its frame objects, or tasklet.frame) would follow 'previous' into
** foreign bytes.  So when a tasklet is switched out, while its stack is
** still in place, every link into its C stack is rewritten to skip the
** frames there (they are incomplete, which CPython's own f_back skips too),
** and the original is restored before the tasklet runs again.  Only the
** links are recorded (one per entry frame: usually one per tasklet); no
** frame object is made.  3.8-3.11 keep every frame on the heap: nothing to
** do there.  (The version facts: pycompat.h.)
*/
#define Py_BUILD_CORE       1
#define EXT_FRAME_INTERNALS 1
#include "ext.h"

#if EXT_ENTRY_FRAMES_ON_C_STACK
typedef ExtFrame Frame;

static int on_stack(const Frame *f, const char *lo, const char *hi) {
    return (const char *)f >= lo && (const char *)f < hi;
}

/* Record f's link before it is rewritten (the first one in place). */
static int add_link(PyState *st, Frame *f) {
    ExtLink *l = &st->link0;
    if (st->nlinks > 0) {
        int i = st->nlinks - 1;
        if (i >= st->capmore) {
            int cap = st->capmore ? st->capmore * 2 : 4;
            ExtLink *m = PyMem_Realloc(st->more, (size_t)cap * sizeof *m);
            if (m == NULL)
                return -1;
            st->more = m;
            st->capmore = cap;
        }
        l = &st->more[i];
    }
    l->frame = f;
    l->prev = f->previous;
    st->nlinks++;
    return 0;
}

/* Called on the leaving side before its stack moves.  [lo, hi) is the
** part of the C stack where its entry frames lie and other tasklets may
** run: from the current stack pointer up to the top of its stack region.
** Main's older entry frames, above hi, are never overwritten: the walk
** stops at the first of them (main's chain may be long).  Costs one load
** and two compares per frame. */
void ext_frames_hide(PyState *st, const char *lo, const char *hi, int main) {
    Frame *f, *p;
    st->nlinks = 0;
    for (f = st->frame; f != NULL; f = p) {
        p = f->previous;
        if (!on_stack(p, lo, hi)) {
            if (main && p != NULL && EXT_FRAME_ON_C_STACK(p))
                return;
            continue;
        }
        if (add_link(st, f) < 0) {
            /* no memory for the record: cut the chain here rather than
            ** leave a link into bytes that may be sliced away */
            f->previous = NULL;
            return;
        }
        while (on_stack(p, lo, hi))
            p = p->previous;
        f->previous = p;
    }
}

/* Called on the arriving side once its stack is back, before it runs. */
void ext_frames_unhide(PyState *st) {
    int i;
    if (st->nlinks == 0)
        return;
    st->link0.frame->previous = st->link0.prev;
    for (i = 1; i < st->nlinks; i++)
        st->more[i - 1].frame->previous = st->more[i - 1].prev;
    st->nlinks = 0;
}

void ext_frames_free(PyState *st) {
    PyMem_Free(st->more);
    st->more = NULL;
    st->capmore = 0;
}
#endif

/* The innermost frame object of a suspended tasklet, or None.  It never
** makes the tasklet's frames the thread's: a frame object is made through
** PyFrame_GetBack of a stand-in frame whose 'previous' is the tasklet's top
** (PyFrame_GetBack is the public way to CPython's frame-object maker). */
PyObject *ext_state_frame(ThreadState *ts, PyState *st) {
    (void)ts;
#if EXT_HAS_IFRAME
    {
        PyFrameObject stand_in;
        ExtFrame link;
        if (st->frame == NULL)
            Py_RETURN_NONE;
        memset(&stand_in, 0, sizeof stand_in);
        memset(&link, 0, sizeof link);
        link.owner = FRAME_OWNED_BY_GENERATOR; /* complete, never read */
        link.previous = st->frame;
        stand_in.f_frame = &link;
        {
            PyFrameObject *f = PyFrame_GetBack(&stand_in);
            if (f == NULL) {
                if (PyErr_Occurred())
                    return NULL;
                Py_RETURN_NONE;
            }
            return (PyObject *)f;
        }
    }
#else
    if (st->frame == NULL)
        Py_RETURN_NONE;
    Py_INCREF(st->frame);
    return (PyObject *)st->frame;
#endif
}
