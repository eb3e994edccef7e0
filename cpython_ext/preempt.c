/*
** preempt.c
** run(timeout): preemption by ticks.
** See LICENSE in the project root.
**
** Stackless counts bytecodes; a stock interpreter offers no such counter, so
** a tick here is a line event (a new line, or a backward jump within one
** line), delivered while run(timeout) runs:
**  - 3.8-3.11: a C trace function (PyEval_SetTrace) replaces the tasklets'
**    own trace functions meanwhile (pystate.c leaves the slot alone);
**  - 3.12+: a sys.monitoring tool (PEP 669) with LINE and JUMP events.
**    sys.settrace is itself built on sys.monitoring there and would reach
**    only code that is instrumented, which a suspended tasklet's frames are
**    not: setting events instruments the code of the frames that the
**    threads are running, and other code when a frame of it starts
**    (RESUME).  A tasklet that was suspended before run(timeout) resumes in
**    the middle of its code.  So the first time each tasklet runs under a
**    run(timeout), the code of its frames is brought up to date
**    (set_local_events forces it).  A tool only gets the events it asked
**    for: no call or return events, no frame objects made, and the
**    tasklets' own trace and profile functions keep working.
** The victim is interrupted inside the event, a safe point: its frames are
** intact and it resumes there when it runs again.  What an interrupt does
** is the core's decision (core/preempt.c): in hard mode a plan made here,
** in soft mode part of the plan of the next switch.
*/
#include "ext.h"

/* One tick of the running tasklet: when the budget is used up, switch to
** the watchdog (hard mode).  -1 with an exception set, e.g. when the victim
** is killed while interrupted. */
static int tick(ThreadState *ts) {
    TaskletObject *cur = TASKLET(ts->s.current);
    tsk_tasklet *next;
    tsk_result r;
    PyObject *res;
    if (++ts->irq_ticks < ts->irq_budget)
        return 0;
    if (ts->irq_soft) {
        tsk_preempt_soft(&ts->s, &ts->irq_wd->t); /* the next switch */
        return 0;
    }
    if (!tsk_interruptible(&ts->s, &ts->irq_wd->t))
        return 0; /* pending: fires when it becomes possible */
    if (ext_gl_guard(ts) < 0) {
        PyErr_Clear();
        return 0; /* inside a greenlet (greenlets.c): as well */
    }
    r = tsk_plan_interrupt(&ts->s, &ts->irq_wd->t, &next);
    if (r == TSK_E_THROWN) {
        ts->irq_ticks = 0;
        ext_raise(r); /* thrown from another thread: here */
        return -1;
    }
    if (r < 0 || next == NULL)
        return 0;
    ts->irq_ticks = 0;
    Py_INCREF(cur);
    Py_XSETREF(ts->irq_victim, cur);
    res = ext_switch(ts, r, next, cur);
    if (res == NULL)
        return -1;
    Py_DECREF(res);
    return 0;
}

#if !EXT_HAS_MONITORING
/* {======================================================================
** 3.8-3.11: a C trace function.  CPython's C-level line events reach every
** frame (no f_trace needed), including those that existed before.
** ======================================================================= */
int ext_tick_trace(PyObject *obj, PyFrameObject *frame, int what,
                   PyObject *arg) {
    ThreadState *ts = ext_ts_maybe();
    (void)obj;
    (void)frame;
    (void)arg;
    if (what != PyTrace_LINE || ts == NULL || ts->irq_wd == NULL)
        return 0;
    return tick(ts);
}

static int ticks_on(ThreadState *ts) {
    PyThreadState *tstate = ts->tstate;
    ts->own_trace = tstate->c_tracefunc;
    ts->own_traceobj = tstate->c_traceobj;
    Py_XINCREF(ts->own_traceobj);
    PyEval_SetTrace(ext_tick_trace, NULL);
    return 0;
}

static void ticks_off(ThreadState *ts) {
    PyObject *o = ts->own_traceobj;
    ts->own_traceobj = NULL;
    PyEval_SetTrace(ts->own_trace, o);
    Py_XDECREF(o);
}

void ext_irq_resumed(ThreadState *ts, TaskletObject *t) {
    (void)ts;
    (void)t;
}
#else
/* {======================================================================
** 3.12+: a sys.monitoring tool, shared by the threads inside run(timeout)
** (events are per interpreter; a thread that is not inside one returns at
** once).
** ======================================================================= */
static int tool = -1; /* our tool id while irq_users > 0 */
static int irq_users; /* threads inside run(timeout) */
static PyObject *mon; /* sys.monitoring (owned while in use) */
static PyObject *on_line_fn, *on_jump_fn, *disable, *ev_line, *ev_jump;
static PyObject *ref_code; /* a code object of our own, see below */

static PyObject *on_line(PyObject *self, PyObject *const *args,
                         Py_ssize_t nargs) {
    ThreadState *ts = ext_ts_maybe();
    (void)self;
    (void)args;
    (void)nargs;
    if (ts != NULL && ts->irq_wd != NULL && tick(ts) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* JUMP: a backward jump within one line ticks, as a legacy 'line' event
** does; the others never will (LINE covers a jump to another line), so
** they are disabled for good at their location (for this tool only). */
static PyObject *on_jump(PyObject *self, PyObject *const *args,
                         Py_ssize_t nargs) {
    PyCodeObject *code;
    long from, to;
    if (nargs != 3 || !PyCode_Check(args[0]))
        Py_RETURN_NONE;
    code = (PyCodeObject *)args[0];
    from = PyLong_AsLong(args[1]);
    to = PyLong_AsLong(args[2]);
    if (PyErr_Occurred())
        return NULL;
    if (to > from ||
        PyCode_Addr2Line(code, (int)from) != PyCode_Addr2Line(code, (int)to))
        return Py_NewRef(disable);
    return on_line(self, args, nargs);
}

static PyMethodDef on_line_def = {"tick", (PyCFunction)(void (*)(void))on_line,
                                  METH_FASTCALL, NULL};
static PyMethodDef on_jump_def = {
    "tick_jump", (PyCFunction)(void (*)(void))on_jump, METH_FASTCALL, NULL};

static int call(const char *name, const char *fmt, ...) {
    PyObject *f = PyObject_GetAttrString(mon, name), *a, *r = NULL;
    va_list ap;
    if (f == NULL)
        return -1;
    va_start(ap, fmt);
    a = Py_VaBuildValue(fmt, ap);
    va_end(ap);
    if (a != NULL)
        r = PyObject_Call(f, a, NULL);
    Py_DECREF(f);
    Py_XDECREF(a);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* Bring code up to date with the events in force now (set_local_events
** re-instruments the code at once; setting and clearing a local event of
** ours leaves only the global ones). */
static int instrument(PyObject *code) {
    if (call("set_local_events", "(iOO)", tool, code, ev_line) < 0)
        return -1;
    return call("set_local_events", "(iOi)", tool, code, 0);
}

static void clear_statics(void) {
    Py_CLEAR(on_line_fn);
    Py_CLEAR(on_jump_fn);
    Py_CLEAR(disable);
    Py_CLEAR(ev_line);
    Py_CLEAR(ev_jump);
    Py_CLEAR(mon);
    tool = -1;
}

static int tool_open(void) {
    /* the ids without a name in PEP 669 first; 0-2 and 5 are taken by
    ** debuggers, coverage, profilers, optimizers when they run */
    static const int ids[] = {4, 3, 5, 2, 1, 0};
    PyObject *events, *both = NULL;
    size_t i;
    mon = PySys_GetObject("monitoring");
    if (mon == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "sys.monitoring is missing");
        return -1;
    }
    Py_INCREF(mon);
    for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (call("use_tool_id", "(is)", ids[i], "tasklets") == 0)
            break;
        if (!PyErr_ExceptionMatches(PyExc_ValueError))
            goto fail;
        PyErr_Clear();
    }
    if (i == sizeof ids / sizeof ids[0]) {
        PyErr_SetString(PyExc_RuntimeError,
                        "run(timeout) needs a free sys.monitoring tool id");
        goto fail;
    }
    tool = ids[i];
    events = PyObject_GetAttrString(mon, "events");
    if (events == NULL)
        goto fail_free;
    ev_line = PyObject_GetAttrString(events, "LINE");
    ev_jump = PyObject_GetAttrString(events, "JUMP");
    Py_DECREF(events);
    disable = PyObject_GetAttrString(mon, "DISABLE");
    on_line_fn = PyCFunction_New(&on_line_def, NULL);
    on_jump_fn = PyCFunction_New(&on_jump_def, NULL);
    if (ref_code == NULL)
        ref_code = Py_CompileString("0", "<tasklets>", Py_eval_input);
    if (ev_line == NULL || ev_jump == NULL || disable == NULL ||
        on_line_fn == NULL || on_jump_fn == NULL || ref_code == NULL ||
        (both = PyNumber_Or(ev_line, ev_jump)) == NULL ||
        call("register_callback", "(iOO)", tool, ev_line, on_line_fn) < 0 ||
        call("register_callback", "(iOO)", tool, ev_jump, on_jump_fn) < 0 ||
        call("set_events", "(iO)", tool, both) < 0) {
        Py_XDECREF(both);
        goto fail_free;
    }
    Py_DECREF(both);
    return 0;
fail_free:
    call("set_events", "(ii)", tool, 0);
    call("free_tool_id", "(i)", tool);
fail:
    clear_statics();
    return -1;
}

static void tool_close(void) {
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (call("set_events", "(ii)", tool, 0) < 0 ||
        call("register_callback", "(iOO)", tool, ev_line, Py_None) < 0 ||
        call("register_callback", "(iOO)", tool, ev_jump, Py_None) < 0 ||
        call("free_tool_id", "(i)", tool) < 0)
        PyErr_WriteUnraisable(NULL);
    clear_statics();
    PyErr_Restore(t, v, tb);
}

static int ticks_on(ThreadState *ts) {
    if (irq_users == 0 && tool_open() < 0)
        return -1;
    irq_users++;
    /* ref_code's instrumentation version is now the interpreter's, which
    ** includes our events: older code lacks them */
    if (instrument(ref_code) < 0) {
        if (--irq_users == 0)
            tool_close();
        return -1;
    }
    ts->irq_version = ((PyCodeObject *)ref_code)->_co_instrumentation_version;
    ts->irq_gen++;
    /* the running tasklet's frames were instrumented by set_events, or
    ** are now if another thread set them before */
    TASKLET(ts->s.current)->irq_gen = ts->irq_gen;
    return ext_instrument_frames(ts, ts->irq_version, instrument);
}

static void ticks_off(ThreadState *ts) {
    (void)ts;
    if (--irq_users == 0)
        tool_close();
}

/* t runs again (ext_switch, after the switch): the first time under this
** run(timeout), bring the code of its frames up to date. */
void ext_irq_resumed(ThreadState *ts, TaskletObject *t) {
    PyObject *et, *ev, *etb;
    t->irq_gen = ts->irq_gen;
    PyErr_Fetch(&et, &ev, &etb);
    if (ext_instrument_frames(ts, ts->irq_version, instrument) < 0)
        PyErr_WriteUnraisable(NULL); /* it then just ticks less */
    PyErr_Restore(et, ev, etb);
}
#endif

/* run(timeout) of the outermost watchdog: ticks on.  -1 on error. */
int ext_irq_start(ThreadState *ts, TaskletObject *wd, long budget, int soft,
                  int total) {
    ts->irq_wd = wd;
    ts->irq_budget = budget;
    ts->irq_ticks = 0;
    ts->irq_soft = soft;
    ts->irq_total = total;
    tsk_preempt_soft(&ts->s, NULL);
    if (ticks_on(ts) < 0) {
        ts->irq_wd = NULL;
        return -1;
    }
    return 0;
}

/* Ticks off; the interrupted tasklet (hard mode), a new reference, or
** NULL. */
TaskletObject *ext_irq_stop(ThreadState *ts) {
    TaskletObject *victim = ts->irq_victim;
    ticks_off(ts);
    ts->irq_wd = NULL;
    ts->irq_victim = NULL;
    tsk_preempt_soft(&ts->s, NULL);
    return victim;
}
