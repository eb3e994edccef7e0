/*
** pycompat.h
** Every per-version fact of CPython's internals the binding relies on, in
** one place: a new CPython release is this file's work (and VERSIONS.md's).
** See LICENSE in the project root.
**
** Checked against each version's headers (Include/cpython/pystate.h,
** internal/pycore_frame.h / pycore_interpframe.h, pycore_stackref.h).
** CPython has no API for switching a thread between stacks of frames; the
** other files use only the names below, never a version test of their own.
**
** A file that walks interpreter frames (gcwalk.c) defines Py_BUILD_CORE and
** EXT_FRAME_INTERNALS before including ext.h; it gets the frame section.
*/
#ifndef TASKLETS_PYCOMPAT_H
#define TASKLETS_PYCOMPAT_H

#if PY_VERSION_HEX < 0x03080000
#error "tasklets needs CPython 3.8 or newer"
#endif
#define EXT_PY39  (PY_VERSION_HEX >= 0x03090000)
#define EXT_PY310 (PY_VERSION_HEX >= 0x030A0000)
#define EXT_PY311 (PY_VERSION_HEX >= 0x030B0000)
#define EXT_PY312 (PY_VERSION_HEX >= 0x030C0000)
#define EXT_PY313 (PY_VERSION_HEX >= 0x030D0000)
#define EXT_PY314 (PY_VERSION_HEX >= 0x030E0000)
#define EXT_PY315 (PY_VERSION_HEX >= 0x030F0000)

/* {======================================================================
** Which PyThreadState facts a version has (each used by pystate.c)
** ======================================================================= */
/* top frame: a PyFrameObject in tstate->frame (3.8-3.10), else an
** interpreter frame (tstate->cframe->current_frame 3.11-3.12,
** tstate->current_frame 3.13+) */
#define EXT_HAS_IFRAME EXT_PY311
/* a C-frame chain (tstate->cframe, links on the C stack): 3.10-3.12 */
#define EXT_HAS_CFRAME (EXT_PY310 && !EXT_PY313)
/* frame data stack (datastack_chunk/top/limit): 3.11+ */
#define EXT_HAS_DATASTACK EXT_PY311
/* C recursion counter (c_recursion_remaining): 3.12-3.13 */
#define EXT_HAS_C_COUNTER (EXT_PY312 && !EXT_PY314)
/* a C function called from Python code counts a Python recursion level
** (before 3.11) */
#define EXT_C_CALLS_COUNT_DEPTH (!EXT_PY311)
/* a suspended tasklet's frame chain runs through entry frames on its C
** stack (3.12+): following it from outside would read foreign memory */
#define EXT_ENTRY_FRAMES_ON_C_STACK EXT_PY312
/* trashcan: a deferred-deallocation queue (delete_later) from 3.13, a
** nesting counter before */
#define EXT_HAS_DELETE_LATER EXT_PY313
/* exception state: one exc_value (3.11+) or type/value/traceback */
#define EXT_EXC_VALUE_ONLY EXT_PY311
/* C recursion is checked against the stack pointer with limits kept in
** _PyThreadStateImpl (3.14+): each stack a tasklet runs on needs its own */
#define EXT_HAS_STACK_LIMITS EXT_PY314
/* sys.monitoring (PEP 669, 3.12+): run(timeout) counts ticks through it;
** before, through a C trace function (preempt.c) */
#define EXT_HAS_MONITORING EXT_PY312
/* the JIT executor the top frame runs in (current_executor, 3.14+) */
#define EXT_HAS_EXECUTOR EXT_PY314

#if EXT_HAS_IFRAME
typedef struct _PyInterpreterFrame ExtTopFrame;
#else
typedef PyFrameObject ExtTopFrame;
#endif

static inline ExtTopFrame *ext_top_frame(PyThreadState *t) {
#if EXT_PY313
    return t->current_frame;
#elif EXT_PY311
    return t->cframe->current_frame;
#else
    return t->frame;
#endif
}

static inline void ext_set_top_frame(PyThreadState *t, ExtTopFrame *f) {
#if EXT_PY313
    t->current_frame = f;
#elif EXT_PY311
    t->cframe->current_frame = f;
#else
    t->frame = f;
#endif
}

/* Python recursion depth, stored as a depth so that sys.setrecursionlimit()
** keeps working across switches */
static inline int ext_py_depth(PyThreadState *t) {
#if EXT_PY312
    return t->py_recursion_limit - t->py_recursion_remaining;
#elif EXT_PY311
    return t->recursion_limit - t->recursion_remaining;
#else
    return t->recursion_depth;
#endif
}

static inline void ext_set_py_depth(PyThreadState *t, int depth) {
#if EXT_PY312
    t->py_recursion_remaining = t->py_recursion_limit - depth;
#elif EXT_PY311
    t->recursion_remaining = t->recursion_limit - depth;
#else
    t->recursion_depth = depth;
#endif
}

#if EXT_HAS_C_COUNTER
#if EXT_PY313
#define EXT_C_LIMIT Py_C_RECURSION_LIMIT
#else
#define EXT_C_LIMIT C_RECURSION_LIMIT
#endif
static inline int ext_c_depth(PyThreadState *t) {
    return EXT_C_LIMIT - t->c_recursion_remaining;
}
static inline void ext_set_c_depth(PyThreadState *t, int depth) {
    t->c_recursion_remaining = EXT_C_LIMIT - depth;
}
#endif

/* the frame a thread's chain starts from: tstate->base_frame (3.15+), a
** frame of the interpreter's own that profilers check complete unwinds
** against; none before */
static inline ExtTopFrame *ext_base_frame(PyThreadState *t) {
#if EXT_PY315
    return t->base_frame;
#else
    (void)t;
    return NULL;
#endif
}

#if EXT_HAS_STACK_LIMITS
/* Tell CPython which stack the thread now runs on: [lo, lo + size), or
** (lo NULL) the thread's own.  A region smaller than CPython's minimum
** keeps the thread's limits (the call fails with ValueError). */
static inline void ext_set_stack_limits(PyThreadState *t, void *lo,
                                        size_t size) {
    if (lo == NULL) {
        PyUnstable_ThreadState_ResetStackProtection(t);
    } else if (PyUnstable_ThreadState_SetStackProtection(t, lo, size) < 0) {
        PyErr_Clear();
        PyUnstable_ThreadState_ResetStackProtection(t);
    }
}
#endif

#if EXT_HAS_CFRAME
#if EXT_PY311
typedef _PyCFrame ExtCFrame;
#else
typedef CFrame ExtCFrame;
#endif
#endif

#if !EXT_HAS_DELETE_LATER
static inline int ext_trash_nesting(PyThreadState *t) {
#if EXT_PY312
    return t->trash.delete_nesting;
#else
    return t->trash_delete_nesting;
#endif
}
static inline void ext_set_trash_nesting(PyThreadState *t, int n) {
#if EXT_PY312
    t->trash.delete_nesting = n;
#else
    t->trash_delete_nesting = n;
#endif
}
#endif

/* Turn on the per-event check that lets the tick tracer see this tasklet
** (3.12+ derives it from the monitoring state: nothing to do). */
static inline void ext_force_use_tracing(PyThreadState *t) {
#if !EXT_PY310
    t->use_tracing = 1;
#elif !EXT_PY311
    t->cframe->use_tracing = 1;
#elif !EXT_PY312
    t->cframe->use_tracing = 255;
#else
    (void)t;
#endif
}

/* What CPython derives after a trace function change: 3.8-3.9 only (later
** versions keep it in the C-frame or in the monitoring state). */
static inline void ext_derive_use_tracing(PyThreadState *t) {
#if !EXT_PY310
    t->use_tracing = t->tracing == 0 && (t->c_tracefunc || t->c_profilefunc);
#else
    (void)t;
#endif
}

/* the initial use_tracing of a new C frame (3.10-3.11) */
#if EXT_HAS_CFRAME && !EXT_PY312
#define EXT_CFRAME_TRACING(t)                                                 \
    (((t)->c_tracefunc || (t)->c_profilefunc) ? (EXT_PY311 ? 255 : 1) : 0)
#endif
/* }====================================================================== */

/* {======================================================================
** API spelled differently per version
** ======================================================================= */
static inline int ext_is_finalizing(void) {
#if EXT_PY313
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

/* PyErr_WriteUnraisable with a message naming 'obj' */
#if EXT_PY313
#define ext_write_unraisable(what, obj)                                       \
    PyErr_FormatUnraisable("Exception ignored " what " %R", (obj))
#else
#define ext_write_unraisable(what, obj) _PyErr_WriteUnraisableMsg(what, (obj))
#endif

static inline int ext_gc_is_finalized(PyObject *o) {
#if EXT_PY39
    return PyObject_GC_IsFinalized(o);
#else
    return _PyGC_FINALIZED(o);
#endif
}

static inline int ext_gc_is_tracked(PyObject *o) {
#if EXT_PY39
    return PyObject_GC_IsTracked(o);
#else
    return _PyObject_GC_IS_TRACKED(o);
#endif
}

/* sign of an int object (one too large for a C long) */
static inline int ext_long_sign(PyObject *v) {
#if EXT_PY314
    int sign = 0;
    (void)PyLong_GetSign(v, &sign); /* v is an int: cannot fail */
    return sign;
#else
    return _PyLong_Sign(v);
#endif
}

#if !EXT_PY39
#define PyObject_CallNoArgs(f)    PyObject_CallFunctionObjArgs((f), NULL)
#define PyObject_CallOneArg(f, a) PyObject_CallFunctionObjArgs((f), (a), NULL)
#endif
/* }====================================================================== */

/* {======================================================================
** Interpreter frames (gcwalk.c only: needs Py_BUILD_CORE)
** ======================================================================= */
#if defined(EXT_FRAME_INTERNALS)
#if EXT_HAS_IFRAME
#if EXT_PY314
#include "internal/pycore_interpframe.h"
#include "internal/pycore_stackref.h"
#include "internal/pycore_frame.h" /* struct _frame (PyFrameObject) */
typedef _PyStackRef ExtSlot;       /* tagged (internal/pycore_stackref.h) */
#else
#include "internal/pycore_frame.h"
typedef PyObject *ExtSlot; /* a frame's local or stack slot */
#endif

typedef struct _PyInterpreterFrame ExtFrame;

/* the object a slot references, or NULL when the slot owns no reference
** the collector may count: 3.14+ slots may hold a tagged int, or a
** borrowed (or immortal) reference, whose count is elsewhere */
static inline PyObject *ext_slot_owned(ExtSlot s) {
#if EXT_PY314
    if (PyStackRef_IsNullOrInt(s) || !PyStackRef_RefcountOnObject(s))
        return NULL;
    return PyStackRef_AsPyObjectBorrow(s);
#else
    return s;
#endif
}

static inline PyCodeObject *ext_frame_code(ExtFrame *f) {
#if EXT_PY314
    PyObject *e;
    if (PyStackRef_IsNullOrInt(f->f_executable))
        return NULL;
    e = PyStackRef_AsPyObjectBorrow(f->f_executable);
    return PyCode_Check(e) ? (PyCodeObject *)e : NULL;
#elif EXT_PY313
    return PyCode_Check(f->f_executable) ? (PyCodeObject *)f->f_executable
                                         : NULL;
#else
    return f->f_code;
#endif
}

/* the frame's references beside its slots: code, function */
#if EXT_PY313
#define EXT_FRAME_EXECUTABLE(f) ((f)->f_executable)
#else
#define EXT_FRAME_EXECUTABLE(f) ((PyObject *)(f)->f_code)
#endif
#if EXT_PY312
#define EXT_FRAME_FUNC(f) ((f)->f_funcobj)
#else
#define EXT_FRAME_FUNC(f) ((PyObject *)(f)->f_func)
#endif

/* The saved stack top of a frame (slots in use), or -1 when unknown.
** 3.11-3.13 save it only for a Python-to-Python call (the caller of a
** frame that was not entered from C), and 3.12-3.13 reset it to -1 after.
** 3.14+ save it at every call that can run other code (a suspended
** frame is always in one); the field is not reset in release builds. */
static inline int ext_frame_stacktop(ExtFrame *f) {
#if EXT_PY314
    return f->stackpointer ? (int)(f->stackpointer - f->localsplus) : -1;
#else
    return f->stacktop;
#endif
}
/* was f entered from C (so its caller's stack top was not saved)? */
static inline int ext_frame_entered_from_c(ExtFrame *f) {
#if EXT_PY312
    (void)f;
    return 0;
#else
    return f->is_entry;
#endif
}
/* Is the top frame's stack top saved while it is suspended (in our C
** method)?  3.14+ yes; before, the channel methods pin it (gcwalk.c). */
#define EXT_TOP_STACKTOP_SAVED       EXT_PY314
#define EXT_FRAME_OWNED_BY_THREAD(f) ((f)->owner == FRAME_OWNED_BY_THREAD)
/* an entry or shim frame of the interpreter's own, on the C stack (3.12+):
** FRAME_OWNED_BY_CSTACK (3.12-3.14), FRAME_OWNED_BY_INTERPRETER (3.14+) */
#if EXT_PY315
#define EXT_FRAME_ON_C_STACK(f) ((f)->owner == FRAME_OWNED_BY_INTERPRETER)
#elif EXT_PY314
#define EXT_FRAME_ON_C_STACK(f)                                               \
    ((f)->owner == FRAME_OWNED_BY_CSTACK ||                                   \
     (f)->owner == FRAME_OWNED_BY_INTERPRETER)
#elif EXT_PY312
#define EXT_FRAME_ON_C_STACK(f) ((f)->owner == FRAME_OWNED_BY_CSTACK)
#endif
#else
/* A frame object's value stack (3.8-3.10): is its top saved (the frame is
** not executing)?  Set it (or clear it, NULL) while a channel method pins
** the exact top for the collector. */
static inline int ext_pyframe_stack_saved(PyFrameObject *f) {
#if EXT_PY310
    return f->f_stackdepth != -1;
#else
    return f->f_stacktop != NULL;
#endif
}
static inline void ext_pyframe_set_stacktop(PyFrameObject *f, PyObject **top) {
#if EXT_PY310
    f->f_stackdepth = top ? (int)(top - f->f_valuestack) : -1;
#else
    f->f_stacktop = top;
#endif
}
#endif /* EXT_HAS_IFRAME */
#endif /* EXT_FRAME_INTERNALS */
/* }====================================================================== */
#endif
