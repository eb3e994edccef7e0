"""Constants, results and errors, bombs, the hooks (the cffi backend).

The core's result codes and flags under short names, its messages as
Python exceptions (_error), TaskletExit, and bomb: an exception carried
from one tasklet to another.
"""
import builtins as _builtins
import os as _os
import types as _types
from tasklets._tasklets_cffi import ffi as _ffi
from tasklets._tasklets_cffi import lib as _lib


# {======================================================================
# Constants, errors
# ======================================================================
# TASKLETS_PYPY_FRAMES=1: remember the top frame of every tasklet that
# switches away, for recursion_depth of suspended tasklets (tasklet.frame
# reads the suspended continulet instead, for free).
# Off by default: sys._getframe() at each switch costs ~20% of the switch
# rate on PyPy (it forces the JIT's virtual frames).
_RECORD_FRAMES = _os.environ.get("TASKLETS_PYPY_FRAMES") == "1"

_NULL = _ffi.NULL
_from_handle = _ffi.from_handle
_OK = _lib.TSK_OK
_WAIT = _lib.TSK_WAIT
_E_DEADLOCK = _lib.TSK_E_DEADLOCK
_E_CLOSED = _lib.TSK_E_CLOSED
_E_NOMEM = _lib.TSK_E_NOMEM
_E_NO_SENDER = _lib.TSK_E_NO_SENDER
_E_NO_RECEIVER = _lib.TSK_E_NO_RECEIVER
_E_DEAD = _lib.TSK_E_DEAD
_E_THROWN = _lib.TSK_E_THROWN
_PENDING = _lib.TSK_PENDING
_F_ALIVE = _lib.TSK_F_ALIVE
_F_STARTED = _lib.TSK_F_STARTED
_F_MAIN = _lib.TSK_F_MAIN
_F_ATOMIC = _lib.TSK_F_ATOMIC
_F_BLOCK_TRAP = _lib.TSK_F_BLOCK_TRAP
_F_IGNORE_NEST = _lib.TSK_F_IGNORE_NEST
_F_XFER = _lib.TG_F_XFER
_CH_CLOSING = _lib.TSK_CH_CLOSING
_CH_SCHEDULE_ALL = _lib.TSK_CH_SCHEDULE_ALL
_IN_NONE = _lib.TSK__IN_NONE
_IN_RING = _lib.TSK__IN_RING
_IN_CHAN = _lib.TSK__IN_CHAN

_MESSAGES = {}


def _message(r):
    m = _MESSAGES.get(r)
    if m is None:
        m = _MESSAGES[r] = _ffi.string(_lib.tsk_strerror(r)).decode("ascii")
    return m


# The one mapping from a core result to a Python exception: the core
# decides, and its text (tsk_strerror) is the message.  RuntimeError unless
# listed (cpython_ext's ext_raise has the same table).
_ERRORS = {
    _E_CLOSED: ValueError,
    _lib.TSK_E_BAD_THREAD: ValueError,
}


def _error(r):
    if r == _E_THROWN:
        # a plan of the current tasklet: a throw from another thread waited
        # for this switch point (tasklet._deliver kept its bomb)
        from .threads import _ts_maybe   # (imports errors)
        s = _ts_maybe()
        cur = s.cur if s is not None else None
        b = cur._pend if cur is not None else None
        if b is not None:
            cur._pend = None
            try:
                _explode(b)
            except BaseException as e:
                return e
    if r == _E_NOMEM:
        return MemoryError()
    return _ERRORS.get(r, RuntimeError)(_message(r))


def core_version():
    """TSK_VERSION of core/tsk.h: the package's version"""
    return _ffi.string(_lib.TSK_VERSION).decode("ascii")


TaskletExit = getattr(_builtins, "TaskletExit", None)
if TaskletExit is None:
    class TaskletExit(SystemExit):
        """Raised in a tasklet to kill it; ends it silently."""

    TaskletExit.__module__ = "builtins"
    _builtins.TaskletExit = TaskletExit


class _Hooks(object):
    schedule_cb = None
    channel_cb = None
    error_handler = None


_hooks = _Hooks()
# }======================================================================

# {======================================================================
# bomb
# ======================================================================
_MISSING = object()


class bomb(object):
    """bomb(type=None, value=None, traceback=None): an exception that
    explodes in the tasklet that receives it."""

    __slots__ = ("_type", "_value", "_tb")

    def __init_subclass__(cls, **kwargs):
        # a final type, as Stackless's and the C one
        raise TypeError("type 'tasklets.bomb' is not an acceptable base "
                        "type")

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], tuple):
            args = args[0]                    # bomb(sys.exc_info())
        return _bomb_parse(cls, *_bomb_args(args, kwargs))

    @property
    def type(self):
        return self._type

    @property
    def value(self):
        return self._value

    @property
    def traceback(self):
        return self._tb

    def __reduce__(self):
        return (type(self), (), (self._type, self._value, self._tb))

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) != 3:
            raise ValueError("bad exception tuple for bomb")
        self._type, self._value, self._tb = state

    def raise_(self):
        """Raise the packed exception."""
        _explode(self)


_BOMB_NAMES = ("type", "value", "traceback")


def _bomb_args(args, kwargs):
    """bomb()'s three arguments, with the C extension's errors (Python's
    own would name _bomb_parse)."""
    if len(args) + len(kwargs) > 3:
        raise TypeError("bomb() takes at most 3 arguments (%d given)"
                        % (len(args) + len(kwargs)))
    vals = list(args) + [None] * (3 - len(args))
    for k, v in kwargs.items():
        if k not in _BOMB_NAMES:
            raise TypeError("'%s' is an invalid keyword argument for bomb()"
                            % k)
        i = _BOMB_NAMES.index(k)
        if i < len(args):
            raise TypeError("argument for bomb() given by name ('%s') and "
                            "position (%d)" % (k, i + 1))
        vals[i] = v
    return vals


def _bomb_parse(cls, type, value, traceback):
    b = object.__new__(cls)
    if isinstance(type, BaseException) and value is None:
        value = type                          # bomb(instance)
        type = value.__class__
    b._type, b._value, b._tb = type, value, traceback
    return b


def _new_bomb(t, v=None, tb=None):
    b = object.__new__(bomb)
    b._type, b._value, b._tb = t, v, tb
    return b


_TB = _types.TracebackType


def _explode(b):
    t, v, tb = b._type, b._value, b._tb
    if t is None:
        raise TypeError("exceptions must derive from BaseException")
    if isinstance(t, str):                    # Stackless accepts a string
        raise RuntimeError(t)
    if isinstance(t, BaseException):
        raise t
    if not (isinstance(t, type) and issubclass(t, BaseException)):
        raise TypeError("exceptions must derive from BaseException, not %s"
                        % type(t).__name__)
    if v is None:
        e = t()
    elif isinstance(v, t):
        e = v
    elif isinstance(v, tuple):
        e = t(*v)
    else:
        e = t(v)
    if isinstance(tb, _TB):
        e.__traceback__ = tb                  # keep the original traceback
    raise e


def _bomb_from(exc):
    return _new_bomb(type(exc), exc, exc.__traceback__)


def _make_bomb_args(exc, val, tb):
    """'raise' semantics of throw() and send_throw()."""
    if tb is not None and not isinstance(tb, _TB):
        raise TypeError("third argument must be a traceback object")
    if isinstance(exc, type) and issubclass(exc, BaseException):
        if val is None:
            inst = exc()
        elif isinstance(val, BaseException) and isinstance(val, exc):
            inst = val
        elif isinstance(val, tuple):
            inst = exc(*val)
        else:
            inst = exc(val)
        if tb is not None:
            inst.__traceback__ = tb
        return _new_bomb(type(inst), inst, tb)
    if isinstance(exc, BaseException):
        if val is not None:
            raise TypeError("instance exception may not have a separate value")
        if tb is None:
            tb = exc.__traceback__
        else:
            exc.__traceback__ = tb
        return _new_bomb(type(exc), exc, tb)
    raise TypeError("exceptions must be classes, or instances, not %s"
                    % type(exc).__name__)


def _class_bomb(cls, args, who):
    """send_exception / raise_exception: cls(*args) as a bomb."""
    if isinstance(cls, str):
        return _new_bomb(cls, args)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        raise TypeError("%s needs Exception or string subclass as first "
                        "parameter" % who)
    inst = cls(*args)
    return _new_bomb(type(inst), inst)
# }======================================================================


def _no_pickle(self):
    # as the C extension: copy, deepcopy and pickle refuse (a copy made
    # from the instance dict would share the original's core struct)
    raise TypeError("cannot pickle '%s' object" % type(self).__name__)


def _del_as_none(prop):
    """prop, where del sets None: the C extension's setters take a deletion
    as NULL and NULL as None (tempval, trace_function: cleared; block_trap,
    preference, schedule_all: TypeError)."""
    return prop.deleter(lambda self: prop.fset(self, None))
