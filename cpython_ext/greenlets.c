/*
** greenlets.c
** Tasklets next to greenlet (issue 12, item 5).
** See LICENSE in the project root.
**
** greenlet keeps one current greenlet per thread and slices the thread's
** C stack by absolute addresses, as tasklets do.  A tasklet switch moves
** the C stack behind greenlet's back.  That is harmless while greenlet's
** current greenlet stays the same across the switch: for greenlet, every
** tasklet then runs inside that one greenlet.  If instead a tasklet
** switches while a greenlet started (or switched to) inside it runs,
** greenlet later saves and restores stack bytes for the wrong greenlet
** and aborts the process ("g_switchstack: Failed low-level slp_switch()").
** greenlet offers no API to give each tasklet a current greenlet of its
** own, so the rule is: a tasklet other than main may switch only under
** the greenlet that main last switched away in (the thread's main
** greenlet, or a greenlet hosting the tasklet program); elsewhere the
** operation raises RuntimeError before anything changes.
**
** greenlet's slicing assumes one stack per thread: a greenlet switch
** copies the bytes between two stack pointers.  Tasklets normally run on
** a region of their own (threads.c), so a switch into a greenlet started
** on the other stack (a tasklet into one main started, or back) copied
** the gap between the two mappings and aborted, and main switching
** tasklets inside a greenlet started on the region lost that greenlet's
** frames (the core saves nothing of main's there).  Once greenlet is
** imported, new tasklets therefore start on the thread's own stack, as
** main and every greenlet do: the core and greenlet then slice one stack
** the same way (everything below the resumed one's far end is saved), and
** a greenlet may be switched to from any tasklet of its thread, as on
** PyPy.  Cost: main's bytes below the scheduler's base are copied when a
** tasklet resumes.  Tasklets started before the import stay on the
** region: a greenlet one of them starts must not be switched to from main
** or a later tasklet, nor they to one of those (not detected: greenlet
** has no hook before its switch).
**
** Cost when greenlet is not imported: one load and branch per operation
** (ext_gl_watch).  tasklets/__init__.py reports the import of greenlet's
** C module (a sys.meta_path entry that only looks at the name); the C API
** is taken from the imported module at the next check.
*/
#include "ext.h"

int ext_gl_watch;
int ext_gl_stacks;
static void **gl_api; /* greenlet's C API, or NULL */

/* greenlet.h's slot of PyGreenlet_GetCurrent (the same in every version) */
#define GL_GETCURRENT 4

static PyObject *gl_current(void) {
    return ((PyObject * (*)(void)) gl_api[GL_GETCURRENT])();
}

/* Load the C API once greenlet's C module is imported.  0: not there. */
static int gl_load(void) {
    PyObject *name = PyUnicode_FromString("greenlet._greenlet"), *m, *cap;
    m = name ? PyImport_GetModule(name) : NULL;
    Py_XDECREF(name);
    if (m == NULL) {
        PyErr_Clear();
        ext_gl_watch = 0; /* the import failed: watch again */
        return 0;
    }
    cap = PyObject_GetAttrString(m, "_C_API");
    Py_DECREF(m);
    if (cap != NULL)
        gl_api = PyCapsule_GetPointer(cap, "greenlet._C_API");
    Py_XDECREF(cap);
    if (gl_api == NULL) {
        PyErr_Clear();
        ext_gl_watch = 0; /* not a greenlet we know */
        return 0;
    }
    return 1;
}

/* The root of g's parent chain: the thread's main greenlet (owned). */
static PyObject *gl_root(PyObject *g) {
    PyObject *p;
    Py_INCREF(g);
    while ((p = PyObject_GetAttrString(g, "parent")) != NULL && p != Py_None) {
        Py_DECREF(g);
        g = p;
    }
    Py_XDECREF(p);
    PyErr_Clear();
    return g;
}

int ext_gl_check(ThreadState *ts) {
    PyObject *cur;
    int idle;
    if (gl_api == NULL && !gl_load())
        return 0;
    cur = gl_current();
    if (cur == NULL) { /* greenlet is being finalized */
        PyErr_Clear();
        return 0;
    }
    /* main's stack is not the tasklets': whatever greenlet main runs in
    ** when it switches away, the tasklets run in that one (tasklets that
    ** were suspended meanwhile left greenlet's state as they found it) */
    idle = ts->s.current == &ts->main->t;
    if (idle) {
        Py_XSETREF(ts->gl_home, cur);
        return 0;
    }
    if (ts->gl_home == NULL) {
        /* greenlet came after the tasklets started: none of its greenlets
        ** can host them */
        ts->gl_home = gl_root(cur);
    }
    idle = cur == ts->gl_home; /* now: same greenlet */
    Py_DECREF(cur);
    if (idle)
        return 0;
    ext_raise(TSK_E_FOREIGN);
    return -1;
}

void ext_gl_seen(void) {
    ThreadState *ts;
    ext_gl_watch = 1;
    ext_gl_stacks = 1;
    for (ts = ext_registry.rnext; ts != &ext_registry; ts = ts->rnext)
        ts->s.default_stack = &ts->s.thread_stack;
}

void ext_gl_init(void) {
    PyObject *mods = PyImport_GetModuleDict();
    if (mods != NULL && PyDict_GetItemString(mods, "greenlet._greenlet"))
        ext_gl_seen();
}
