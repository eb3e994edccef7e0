/*
** ext.h
** Shared declarations of the CPython binding (tasklets._tasklets).
** See LICENSE in the project root.
**
** Ownership rules (they make dealloc-kills and cycle collection work):
**  - a tasklet in a run queue or a channel queue is referenced by that
**    queue (the core's 'link' hook: INCREF on link, deferred DECREF on
**    unlink, flushed at safe points by ext_flush);
**  - a paused tasklet is referenced only by user code: when the last
**    reference goes, the finalizer kills it (TaskletExit) so that its
**    'finally' blocks run;
**  - every tasklet references its thread's ThreadState object.
*/
#ifndef TASKLETS_EXT_H
#define TASKLETS_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include "tsk.h"

#include "pycompat.h"

#if defined(__GNUC__)
#define EXT_HIDDEN __attribute__((visibility("hidden")))
#else
#define EXT_HIDDEN
#endif

/* A frame link hidden while its tasklet is suspended (frames.c) */
typedef struct ExtLink {
    struct _PyInterpreterFrame *frame, *prev;
} ExtLink;

/* Interpreter state that belongs to a tasklet, not to the thread. */
typedef struct PyState {
    _PyErr_StackItem *exc_info; /* exception-state chain */
    _PyErr_StackItem exc_state; /* the thread's root item, saved */
    PyObject *context;          /* contextvars context (owned) */
    int py_depth;               /* Python recursion depth */
    int depth_over;             /* while it runs: levels above the
                                        limit left out of tstate's count */
#if EXT_HAS_C_COUNTER
    int c_depth; /* C recursion depth */
#endif
    ExtTopFrame *frame; /* top frame (borrowed from tstate) */
#if EXT_HAS_CFRAME
    void *cframe; /* CFrame chain on the C stack */
#endif
#if EXT_HAS_DATASTACK
    _PyStackChunk *chunk; /* frame data stack */
    PyObject **top, **limit;
#endif
#if EXT_HAS_EXECUTOR
    PyObject *executor; /* JIT executor (owned while saved:
                                        CPython frees a dead one unless a
                                        thread's current_executor is it) */
#endif
#if EXT_HAS_DELETE_LATER
    PyObject *delete_later; /* trashcan queue */
#else
    int trash_nesting;      /* trashcan nesting */
#endif
    Py_tracefunc tracefunc, profilefunc;
    PyObject *traceobj, *profileobj; /* owned */
    PyObject **pin;                  /* exact top of the top frame's value
                                        stack while suspended, or NULL */
    int tracing;                     /* inside a trace function */
#if EXT_ENTRY_FRAMES_ON_C_STACK
    int nlinks;    /* links hidden while suspended: */
    ExtLink link0; /* the first, */
    ExtLink *more; /* the others (owned) */
    int capmore;
#endif
} PyState;

typedef struct ThreadState ThreadState;

typedef struct TaskletObject {
    PyObject_HEAD tsk_tasklet t;         /* core state; t.tempval is owned */
    ThreadState *ts;                     /* owning thread (owned ref) */
    PyObject *pend;                      /* bomb of a pending wake (t.pend):
                                        thrown while it ran in a thread */
    PyObject *func, *args, *kwargs;      /* what setup() will call */
    PyObject *weakrefs;                  /* no __dict__, as in Stackless:
                                        subclasses get one if they want */
    PyState st;                          /* saved while not current */
    struct TaskletObject *gnext, *gprev; /* started tasklets of the thread */
    unsigned long irq_gen;               /* ts->irq_gen when it last ran */
    unsigned char linked;                /* the queue reference is held */
    unsigned char fresh;                 /* state not yet initialised */
} TaskletObject;

typedef struct ChannelObject {
    PyObject_HEAD tsk_channel c;
    PyObject *weakrefs; /* no __dict__ (see TaskletObject) */
} ChannelObject;

typedef struct BombObject {
    PyObject_HEAD PyObject *type, *value, *tb;
} BombObject;

/* Per-thread scheduler, a Python object so that tasklets can keep it alive
** after the thread is gone. */
struct ThreadState {
    PyObject_HEAD tsk_sched s;
    PyThreadState *tstate;
    unsigned long thread_id;
    int alive;               /* the thread still runs */
    int initial;             /* the interpreter's first thread */
    TaskletObject *main;     /* owned */
    PyThread_type_lock lock; /* wait/wake */
    int woken;
    PyObject **unref; /* deferred DECREFs */
    Py_ssize_t nunref, capunref;
    TaskletObject started;      /* list head of started tasklets */
    ThreadState *rnext, *rprev; /* registry of thread states */
#if EXT_HAS_DATASTACK
    _PyStackChunk *dead_chunk; /* chunks of a tasklet that just ended */
#endif
    /* run(timeout) preemption (see preempt.c) */
    TaskletObject *irq_wd;      /* the interrupt watchdog, or NULL */
    long irq_budget, irq_ticks; /* ticks per slice, ticks used */
    int irq_soft, irq_total;    /* run() options */
    TaskletObject *irq_victim;  /* hard mode: the interrupted tasklet */
    unsigned long irq_gen;      /* counts run(timeout) calls */
#if EXT_HAS_MONITORING
    uintptr_t irq_version; /* code instrumented before lacks ticks */
#else
    Py_tracefunc own_trace; /* tracing set aside by run(timeout) */
    PyObject *own_traceobj;
#endif
    int in_gc;        /* this thread runs a gc collection */
    tsk_stack region; /* where this thread's tasklets run */
#if EXT_HAS_STACK_LIMITS
    tsk_stack *limits_for; /* the stack CPython's C recursion
                                        limits describe (NULL: thread's) */
#endif
    void *region_map; /* its mapping (with a guard page) */
    size_t region_size;
    int region_pinned;    /* never unmap: the thread may still
                                        be parked on it (finalization) */
    PyObject *deferred;   /* tasklets to kill once the running
                                        garbage collection is over (list) */
    PyObject *thread_obj; /* its threading.Thread, or NULL */
    PyObject *dead_context;
    PyObject *gl_home; /* greenlet the tasklets run in */
};

typedef struct ModState {
    PyObject *schedule_cb, *channel_cb, *error_handler;
} ModState;

EXT_HIDDEN extern PyTypeObject Ext_TaskletType, Ext_ChannelType, Ext_BombType,
    Ext_ThreadStateType;
EXT_HIDDEN extern PyObject *Ext_TaskletExit;
EXT_HIDDEN extern ModState ext_mod;
EXT_HIDDEN extern ThreadState ext_registry;
EXT_HIDDEN extern int ext_in_gc; /* inside a gc collection */

#define TASKLET(t) ((TaskletObject *)((t)->data))

#define Ext_Bomb_Check(o) (Py_TYPE(o) == &Ext_BombType)

/* threads.c */
EXT_HIDDEN extern _Thread_local ThreadState *ext_tls_ts;
EXT_HIDDEN ThreadState *ext_ts_create(void);
EXT_HIDDEN ThreadState *ext_find_ts(PyThreadState *tstate); /* or NULL */
/* This thread's scheduler, or NULL (ext_ts_maybe); ext_ts() creates it on
** first use (threads.c), NULL with an error if that fails. */
static inline ThreadState *ext_ts_maybe(void) { return ext_tls_ts; }
static inline ThreadState *ext_ts(void) {
    ThreadState *ts = ext_tls_ts;
    return ts != NULL ? ts : ext_ts_create();
}

/* switch.c */
EXT_HIDDEN extern const tsk_hooks ext_hooks;
EXT_HIDDEN void ext_call_schedule_cb(ThreadState *ts, PyObject *prev,
                                     PyObject *next);
EXT_HIDDEN void ext_flush(ThreadState *ts); /* deferred DECREFs */
EXT_HIDDEN PyObject *ext_raise(tsk_result r);
/* Scheduling from inside the schedule callback would corrupt the switch:
** the core refuses (asked before anything here changes).  -1: error set */
static inline int ext_sched_guard(ThreadState *ts) {
    tsk_result r;
    if (__builtin_expect(tsk_in_callback(&ts->s) == 0, 1))
        return 0; /* the hot paths: one load, one branch */
    r = tsk_refusal(&ts->s, 0);
    if (r != TSK_OK) {
        ext_raise(r);
        return -1;
    }
    return 0;
}
EXT_HIDDEN PyObject *ext_switch(ThreadState *ts, tsk_result r,
                                tsk_tasklet *next, TaskletObject *cur);
EXT_HIDDEN PyObject *ext_claim(TaskletObject *t);

/* module.c */
/* truth of an int/bool attribute value, or -1 with TypeError(msg) */
EXT_HIDDEN int ext_int_flag(PyObject *v, const char *msg);

/* preempt.c: run(timeout) */
#if !EXT_HAS_MONITORING
EXT_HIDDEN int ext_tick_trace(PyObject *obj, PyFrameObject *frame, int what,
                              PyObject *arg);
#endif
EXT_HIDDEN int ext_irq_start(ThreadState *ts, TaskletObject *wd, long budget,
                             int soft, int total);
EXT_HIDDEN TaskletObject *ext_irq_stop(ThreadState *ts);
EXT_HIDDEN void ext_irq_resumed(ThreadState *ts, TaskletObject *t);

/* pystate.c */
EXT_HIDDEN void ext_state_save(ThreadState *ts, PyState *st);
EXT_HIDDEN void ext_state_restore(ThreadState *ts, PyState *st);
EXT_HIDDEN void ext_state_fresh(ThreadState *ts, PyState *st, PyObject *ctx);
EXT_HIDDEN void ext_state_clear(PyState *st);
EXT_HIDDEN void ext_state_stack(ThreadState *ts, tsk_stack *stack);
EXT_HIDDEN void ext_state_dead(ThreadState *ts);
EXT_HIDDEN void ext_state_reap(ThreadState *ts);
EXT_HIDDEN int ext_state_depth(PyThreadState *tstate);
EXT_HIDDEN int ext_state_traverse(PyState *st, visitproc visit, void *arg);

/* frames.c */
EXT_HIDDEN PyObject *ext_state_frame(ThreadState *ts, PyState *st);
#if EXT_ENTRY_FRAMES_ON_C_STACK
EXT_HIDDEN void ext_frames_hide(PyState *st, const char *lo, const char *hi,
                                int main);
EXT_HIDDEN void ext_frames_unhide(PyState *st);
EXT_HIDDEN void ext_frames_free(PyState *st);
#endif

/* gcwalk.c */
EXT_HIDDEN int ext_traverse_frames(TaskletObject *t, visitproc visit,
                                   void *arg);
EXT_HIDDEN void ext_pin_stack(TaskletObject *t, PyObject *self, void *meth,
                              PyObject *const *args, Py_ssize_t nargs);
EXT_HIDDEN void ext_unpin_stack(TaskletObject *t);
#if EXT_HAS_MONITORING
/* fn(code) for the code of each frame the thread runs now whose
** instrumentation is older than version */
EXT_HIDDEN int ext_instrument_frames(ThreadState *ts, uintptr_t version,
                                     int (*fn)(PyObject *code));
#endif

/* greenlets.c: may the running tasklet switch?  0, or -1 with
** RuntimeError (a greenlet started inside a tasklet runs) */
EXT_HIDDEN extern int ext_gl_watch;  /* greenlet is imported */
EXT_HIDDEN extern int ext_gl_stacks; /* so tasklets go on thread stacks */
/* greenlet is being imported: watch, and new tasklets of every thread
** start on the thread's own stack */
EXT_HIDDEN void ext_gl_seen(void);
EXT_HIDDEN int ext_gl_check(ThreadState *ts);
EXT_HIDDEN void ext_gl_init(void);
#define ext_gl_guard(ts)                                                      \
    (__builtin_expect(ext_gl_watch, 0) ? ext_gl_check(ts) : 0)

/* bomb.c */
EXT_HIDDEN PyObject *ext_bomb_from_error(void); /* fetches the error */
EXT_HIDDEN PyObject *ext_bomb_new(PyObject *type, PyObject *value,
                                  PyObject *tb);
EXT_HIDDEN void ext_bomb_raise(PyObject *bomb); /* sets the error */
EXT_HIDDEN PyObject *ext_make_bomb_args(PyObject *exc, PyObject *val,
                                        PyObject *tb, const char *who);
EXT_HIDDEN PyObject *ext_bomb_from_call(PyObject *args, const char *meth,
                                        const char *type_name);

/* tasklet.c, tasklet_bind.c, tasklet_ops.c, tasklet_attrs.c */
#define IS_CURRENT(o) ((o)->ts != NULL && (o)->ts->s.current == &(o)->t)
#define IS_MAIN(o)    (((o)->t.flags & TSK_F_MAIN) != 0)
#define ALIVE(o)      (tsk_alive(&(o)->t) && (o)->ts != NULL && (o)->ts->alive)
#define STARTED(o)    (((o)->t.flags & TSK_F_STARTED) != 0)

EXT_HIDDEN int ext_tasklet_body(tsk_tasklet *t, void *arg);
EXT_HIDDEN TaskletObject *ext_tasklet_new_main(ThreadState *ts);
/* t's tempval becomes v (a reference stolen); the old one is released */
static inline void ext_tasklet_set_tempval(TaskletObject *t, PyObject *v) {
    PyObject *old = (PyObject *)t->t.tempval;
    t->t.tempval = v;
    Py_XDECREF(old);
}
/* out of its thread's list of started tasklets, if in it */
static inline void ext_started_unlink(TaskletObject *t) {
    if (t->gnext != NULL) {
        t->gprev->gnext = t->gnext;
        t->gnext->gprev = t->gprev;
        t->gnext = t->gprev = NULL;
    }
}
EXT_HIDDEN void ext_kill_started(ThreadState *ts);
EXT_HIDDEN void ext_kill_deferred(ThreadState *ts);
/* deliver a bomb (kill, throw, raise_exception); steals the bomb */
EXT_HIDDEN PyObject *ext_tasklet_insert(TaskletObject *self);
EXT_HIDDEN PyObject *ext_tasklet_deliver(TaskletObject *self, PyObject *bomb,
                                         int pending, int kill);
EXT_HIDDEN int ext_tasklet_init(TaskletObject *self, PyObject *args,
                                PyObject *kwds);
EXT_HIDDEN PyObject *ext_tasklet_call(TaskletObject *self, PyObject *args,
                                      PyObject *kwds);
EXT_HIDDEN PyObject *ext_tasklet_bind(TaskletObject *self, PyObject *args,
                                      PyObject *kwds);
EXT_HIDDEN PyObject *ext_tasklet_setup(TaskletObject *self, PyObject *args,
                                       PyObject *kwds);
EXT_HIDDEN PyObject *ext_tasklet_bind_thread(TaskletObject *self,
                                             PyObject *args);
EXT_HIDDEN PyObject *ext_tasklet_context_run(TaskletObject *self,
                                             PyObject *args, PyObject *kwds);
EXT_HIDDEN extern PyMethodDef ext_tasklet_methods[];
EXT_HIDDEN extern PyGetSetDef ext_tasklet_getset[];

#endif
