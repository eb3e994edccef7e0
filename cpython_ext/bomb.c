/*
** bomb.c
** stackless.bomb: an exception packed into a tempval, raised on resume.
** See LICENSE in the project root.
*/
#include "ext.h"
#include <structmember.h>

PyObject *ext_bomb_new(PyObject *type, PyObject *value, PyObject *tb) {
    BombObject *b = PyObject_GC_New(BombObject, &Ext_BombType);
    if (b == NULL)
        return NULL;
    Py_XINCREF(type);
    Py_XINCREF(value);
    Py_XINCREF(tb);
    b->type = type ? type : (Py_INCREF(Py_None), Py_None);
    b->value = value ? value : (Py_INCREF(Py_None), Py_None);
    b->tb = tb ? tb : (Py_INCREF(Py_None), Py_None);
    PyObject_GC_Track(b);
    return (PyObject *)b;
}

PyObject *ext_bomb_from_error(void) {
    PyObject *t, *v, *tb, *b;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb != NULL && v != NULL)
        PyException_SetTraceback(v, tb);
    b = ext_bomb_new(t, v, tb);
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
    return b;
}

void ext_bomb_raise(PyObject *bomb) {
    BombObject *b = (BombObject *)bomb;
    PyObject *t = b->type, *v = b->value, *tb = b->tb;
    if (t == Py_None) {
        PyErr_SetString(PyExc_TypeError,
                        "exceptions must derive from BaseException");
        return;
    }
    if (PyUnicode_Check(t)) { /* Stackless accepts a string */
        PyErr_SetObject(PyExc_RuntimeError, t);
        return;
    }
    if (PyExceptionInstance_Check(t)) { /* bomb(instance) */
        PyErr_SetObject((PyObject *)Py_TYPE(t), t);
        return;
    }
    if (!PyExceptionClass_Check(t)) {
        PyErr_Format(PyExc_TypeError,
                     "exceptions must derive from BaseException, not %s",
                     Py_TYPE(t)->tp_name);
        return;
    }
    if (v != Py_None && !PyExceptionInstance_Check(v) && !PyTuple_Check(v)) {
        /* a single argument: make the instance here, as raise would */
        PyObject *inst = PyObject_CallOneArg(t, v);
        if (inst == NULL)
            return;
        PyErr_SetObject(t, inst);
        Py_DECREF(inst);
        goto keep_tb;
    }
    Py_INCREF(t);
    Py_INCREF(v);
    if (tb == Py_None || !PyTraceBack_Check(tb)) {
        tb = NULL;
    } else {
        Py_INCREF(tb);
    }
    if (v == Py_None) {
        Py_DECREF(v);
        v = NULL;
    }
    PyErr_Restore(t, v, tb);
keep_tb:
    if (b->tb == Py_None || !PyTraceBack_Check(b->tb))
        return;
    /* keep the original traceback, as Stackless does */
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb == NULL) {
        tb = b->tb;
        Py_INCREF(tb);
    }
    if (v != NULL)
        PyException_SetTraceback(v, tb);
    PyErr_Restore(t, v, tb);
}

/* The bomb of channel.send_exception(cls, *args) and
** tasklet.raise_exception(cls, *args): cls(*args), or a string "class"
** with args as its value (Stackless allows both). */
PyObject *ext_bomb_from_call(PyObject *args, const char *meth,
                             const char *type_name) {
    PyObject *cls, *rest, *inst, *bomb;
    if (PyTuple_GET_SIZE(args) < 1) {
        PyErr_Format(PyExc_TypeError, "%s() takes at least 1 argument", meth);
        return NULL;
    }
    cls = PyTuple_GET_ITEM(args, 0);
    if (!PyExceptionClass_Check(cls) && !PyUnicode_Check(cls)) {
        PyErr_Format(PyExc_TypeError,
                     "%s.%s needs Exception or string subclass as first "
                     "parameter",
                     type_name, meth);
        return NULL;
    }
    rest = PyTuple_GetSlice(args, 1, PyTuple_GET_SIZE(args));
    if (rest == NULL)
        return NULL;
    if (PyUnicode_Check(cls)) {
        bomb = ext_bomb_new(cls, rest, NULL);
    } else {
        inst = PyObject_Call(cls, rest, NULL);
        bomb =
            inst ? ext_bomb_new((PyObject *)Py_TYPE(inst), inst, NULL) : NULL;
        Py_XDECREF(inst);
    }
    Py_DECREF(rest);
    return bomb;
}

/* 'raise' semantics of throw() and send_throw(). */
PyObject *ext_make_bomb_args(PyObject *exc, PyObject *val, PyObject *tb,
                             const char *who) {
    (void)who;
    if (val == Py_None)
        val = NULL;
    if (tb == Py_None)
        tb = NULL;
    if (tb != NULL && !PyTraceBack_Check(tb)) {
        PyErr_SetString(PyExc_TypeError,
                        "third argument must be a traceback object");
        return NULL;
    }
    if (PyExceptionClass_Check(exc)) {
        PyObject *inst, *b;
        /* instantiate now, so errors show up in the caller */
        if (val == NULL)
            inst = PyObject_CallNoArgs(exc);
        else if (PyExceptionInstance_Check(val) &&
                 PyObject_IsInstance(val, exc) == 1)
            inst = (Py_INCREF(val), val);
        else if (PyTuple_Check(val))
            inst = PyObject_Call(exc, val, NULL);
        else
            inst = PyObject_CallOneArg(exc, val);
        if (inst == NULL)
            return NULL;
        if (tb != NULL)
            PyException_SetTraceback(inst, tb);
        b = ext_bomb_new((PyObject *)Py_TYPE(inst), inst, tb);
        Py_DECREF(inst);
        return b;
    }
    if (PyExceptionInstance_Check(exc)) {
        if (val != NULL) {
            PyErr_SetString(
                PyExc_TypeError,
                "instance exception may not have a separate value");
            return NULL;
        }
        if (tb == NULL)
            tb = PyException_GetTraceback(exc);
        else
            Py_INCREF(tb);
        if (tb != NULL)
            PyException_SetTraceback(exc, tb);
        {
            PyObject *b = ext_bomb_new((PyObject *)Py_TYPE(exc), exc, tb);
            Py_XDECREF(tb);
            return b;
        }
    }
    PyErr_Format(PyExc_TypeError,
                 "exceptions must be classes, or instances, not %s",
                 Py_TYPE(exc)->tp_name);
    return NULL;
}

static PyObject *bomb_tp_new(PyTypeObject *type, PyObject *args,
                             PyObject *kwds) {
    static char *kw[] = {"type", "value", "traceback", NULL};
    PyObject *t = NULL, *v = NULL, *tb = NULL;
    BombObject *b;
    (void)type;
    if (PyTuple_GET_SIZE(args) == 1 && kwds == NULL &&
        PyTuple_Check(PyTuple_GET_ITEM(args, 0)))
        args = PyTuple_GET_ITEM(args, 0); /* bomb(sys.exc_info()) */
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOO:bomb", kw, &t, &v, &tb))
        return NULL;
    if (t != NULL && PyExceptionInstance_Check(t) &&
        (v == NULL || v == Py_None)) {
        v = t; /* bomb(instance) */
        t = (PyObject *)Py_TYPE(v);
    }
    b = (BombObject *)ext_bomb_new(t, v, tb);
    return (PyObject *)b;
}

static int bomb_traverse(BombObject *b, visitproc visit, void *arg) {
    Py_VISIT(b->type);
    Py_VISIT(b->value);
    Py_VISIT(b->tb);
    return 0;
}

static int bomb_clear(BombObject *b) {
    Py_CLEAR(b->type);
    Py_CLEAR(b->value);
    Py_CLEAR(b->tb);
    return 0;
}

static void bomb_dealloc(BombObject *b) {
    PyObject_GC_UnTrack(b);
    bomb_clear(b);
    PyObject_GC_Del(b);
}

static PyObject *bomb_reduce(BombObject *b, PyObject *unused) {
    (void)unused;
    return Py_BuildValue("(O()(OOO))", Py_TYPE(b), b->type, b->value, b->tb);
}

static PyObject *bomb_setstate(BombObject *b, PyObject *state) {
    PyObject *t, *v, *tb;
    if (!PyTuple_Check(state) || PyTuple_GET_SIZE(state) != 3) {
        PyErr_SetString(PyExc_ValueError, "bad exception tuple for bomb");
        return NULL;
    }
    t = PyTuple_GET_ITEM(state, 0);
    v = PyTuple_GET_ITEM(state, 1);
    tb = PyTuple_GET_ITEM(state, 2);
    Py_INCREF(t);
    Py_INCREF(v);
    Py_INCREF(tb);
    Py_SETREF(b->type, t);
    Py_SETREF(b->value, v);
    Py_SETREF(b->tb, tb);
    Py_RETURN_NONE;
}

static PyObject *bomb_raise(BombObject *b, PyObject *unused) {
    (void)unused;
    ext_bomb_raise((PyObject *)b);
    return NULL;
}

static PyMethodDef bomb_methods[] = {
    {"__reduce__", (PyCFunction)bomb_reduce, METH_NOARGS, NULL},
    {"__setstate__", (PyCFunction)bomb_setstate, METH_O, NULL},
    {"raise_", (PyCFunction)bomb_raise, METH_NOARGS,
     "Raise the packed exception."},
    {NULL, NULL, 0, NULL}};

static PyMemberDef bomb_members[] = {
    {"type", T_OBJECT, offsetof(BombObject, type), READONLY, NULL},
    {"value", T_OBJECT, offsetof(BombObject, value), READONLY, NULL},
    {"traceback", T_OBJECT, offsetof(BombObject, tb), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}};

PyTypeObject Ext_BombType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tasklets.bomb",
    .tp_basicsize = sizeof(BombObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "bomb(type=None, value=None, traceback=None): an exception "
              "that explodes in the tasklet that receives it.",
    .tp_new = bomb_tp_new,
    .tp_dealloc = (destructor)bomb_dealloc,
    .tp_traverse = (traverseproc)bomb_traverse,
    .tp_clear = (inquiry)bomb_clear,
    .tp_methods = bomb_methods,
    .tp_members = bomb_members,
};
