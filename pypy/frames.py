"""The frames of tasklets: where a tasklet's own frames end
(_ENTRY_CODES), the view of a suspended tasklet's frame, and the first
frame that is not the backend's own.
"""
import sys as _sys
import time as _time
from .errors import _F_XFER


_ENTRY_CODES = set()


def _depth(f):
    """Python frames of the running tasklet, from f down to its start."""
    n = 0
    while f is not None and f.f_code not in _ENTRY_CODES:
        n += 1
        f = f.f_back
    return n


# The backend's own frames (every module of this package) are not traced
# for preemption nor shown as a tasklet's frame: their globals name the
# package.
_PKG = __package__
_call_tracing = _sys.call_tracing


_FrameType = type(_sys._getframe())


class _FrameView(object):
    """The frame of a suspended tasklet, as tasklet.frame gives it.

    A suspended continulet's bottom frame links back to the top of its
    stack, so a real frame's f_back chain never ends (traceback.format_stack
    would loop).  This view forwards everything to the real frame and ends
    the chain at the tasklet's function; isinstance(v, types.FrameType)
    holds, as Stackless code and the inspect module expect."""

    __slots__ = ("_f",)

    def __init__(self, f):
        self._f = f

    @property
    def __class__(self):
        return _FrameType

    @property
    def f_back(self):
        b = self._f.f_back
        if b is None or b.f_code in _ENTRY_CODES:
            return None
        return _FrameView(b)

    f_code = property(lambda self: self._f.f_code)
    f_globals = property(lambda self: self._f.f_globals)
    f_builtins = property(lambda self: self._f.f_builtins)
    f_locals = property(lambda self: self._f.f_locals)
    f_lineno = property(lambda self: self._f.f_lineno)
    f_lasti = property(lambda self: self._f.f_lasti)

    @property
    def f_trace(self):
        return self._f.f_trace

    @f_trace.setter
    def f_trace(self, v):
        self._f.f_trace = v

    def clear(self):
        self._f.clear()

    def __eq__(self, other):
        return self._f == getattr(other, "_f", other)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._f)

    def __repr__(self):
        return repr(self._f)


def _user_frame(f):
    """The innermost frame of f's chain that is not this package's."""
    while f is not None and f.f_globals.get("__package__") == _PKG:
        if f.f_code in _ENTRY_CODES:
            return None          # no frame of its own (a suspended chain
        f = f.f_back             # cycles back to its top here)
    return f


def _wait_xfer(t):
    # the partner of another thread is still handing over the value
    while t.flags & _F_XFER:
        _time.sleep(0.0001)
# }======================================================================


# the other modules' names, imported last: see backend.py
from .sched import _tasklet_main  # noqa: E402

_ENTRY_CODES.add(_tasklet_main.__code__)
