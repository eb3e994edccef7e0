"""Preemption: run(timeout) counts the running tasklet's line events
with a trace function (_tick) and switches to the watchdog when its budget
is spent.
"""
import sys as _sys
from operator import index as _index
from tasklets._tasklets_cffi import ffi as _ffi
from tasklets._tasklets_cffi import lib as _lib
from .errors import _NULL


# {======================================================================
# Preemption: run(timeout) counts ticks as the C extension does, one per
# line event (a new line, or a backward jump within a line), with a
# sys.settrace function installed while the outermost run(timeout) runs
# (the tasklets' own trace functions wait meanwhile: _leave/_restore_state).
#  - Line events reach a frame only through its f_trace: frames made while
#    ticking get _tick from their 'call' event; the frames of a tasklet
#    that existed before get it when it first runs (_ticks_resumed).
#  - The interrupt switches from inside the trace function.  PyPy counts
#    'inside a trace function' per thread, not per continulet, so the
#    switch runs under sys.call_tracing(), which zeroes that count while it
#    runs (otherwise every other tasklet would run untraced until the
#    victim resumes) and restores it when the victim is back.
#  - This package's frames are not traced: never interrupted between a plan
#    and its switch, and cheaper.
# ======================================================================
_LONG_BITS = 8 * _ffi.sizeof("long")


def _c_long(v, bits=_LONG_BITS, what="C long"):
    """v as a C long (or a C integer of bits bits), with the C extension's
    errors."""
    if isinstance(v, float):
        raise TypeError("integer argument expected, got float")
    v = _index(v)
    if not -(1 << (bits - 1)) <= v < 1 << (bits - 1):
        raise OverflowError("Python int too large to convert to %s" % what)
    return v


def _ticks_on(s, wd, budget, soft, total):
    s.irq_wd = wd
    s.irq_budget = budget
    s.irq_ticks = 0
    s.irq_soft = soft
    s.irq_total = total
    s.irq_gen += 1
    wd._irq_gen = s.irq_gen
    s.irq_own = _sys.gettrace()
    _sys.settrace(_tick)
    _update_fast(s)


def _ticks_off(s):
    victim = s.irq_victim
    s.irq_victim = s.irq_wd = None
    _update_fast(s)
    _sys.settrace(s.irq_own)
    s.irq_own = None
    saved = s.irq_saved
    s.irq_saved = []
    for f, tr in saved:
        if f.f_trace is _tick:
            f.f_trace = tr
    return victim


def _ticks_resumed(s, t):
    """t runs (again) while ticking: a new slice, unless totaltimeout; the
    first time under this run(timeout), its frames get _tick."""
    if not s.irq_total:
        s.irq_ticks = 0
    if t._irq_gen == s.irq_gen:
        return
    t._irq_gen = s.irq_gen
    f = _sys._getframe(2)
    pkg = _PKG
    saved = s.irq_saved
    while f is not None and f.f_code not in _ENTRY_CODES:
        if f.f_globals.get("__package__") != pkg:
            tr = f.f_trace
            if tr is not _tick:
                if tr is not None:
                    saved.append((f, tr))
                f.f_trace = _tick
        f = f.f_back


def _interruptible(s):
    return not s.busy and _lib.tsk_interruptible(s.p, s.irq_wd._t)


def _tick(frame, event, arg):
    if frame.f_globals.get("__package__") == _PKG:
        return None
    s = _ts_maybe()
    if s is None or s.irq_wd is None:
        return None              # left over from a run(timeout) that ended
    if event == "line":
        n = s.irq_ticks + 1
        s.irq_ticks = n
        if n >= s.irq_budget and not s.irq_soft and _interruptible(s):
            s.irq_ticks = 0
            _call_tracing(_interrupt, (s,))
    return _tick


def _interrupt(s):
    if _th._gl_watch:
        try:
            _gl_guard(s)
        except RuntimeError:
            return               # inside a greenlet: later, as on CPython
    # (no local keeps the victim: a paused tasklet must stay collectable)
    s.irq_victim = s.cur
    s.irq_wd._run_or_switch(1)


def _soft_interrupt(s):
    """Soft mode: the first switch after the time is up goes to the
    watchdog instead; every tasklet stays where the plan put it."""
    wd = s.irq_wd
    if (s.irq_ticks < s.irq_budget or s.nextp[0] == wd._t or
            not _interruptible_soft(s)):
        return
    if _lib.tg_plan_run(s.p, wd._t, 0, s.nextp) < 0 or s.nextp[0] == _NULL:
        return
    _sync(wd)
    s.irq_ticks = 0


def _interruptible_soft(s):
    # (a pending throw waits for a plan of the tasklet itself)
    return s.cur._pend is None and _lib.tsk_interruptible(s.p, s.irq_wd._t)


def _update_fast(s):
    # soft mode decides at every switch: the fast paths are off meanwhile
    s.nofast = s.irq_wd is not None and s.irq_soft
# }======================================================================


# the other modules' names, imported last: see backend.py
from .threads import _gl_guard, _sync, _ts_maybe  # noqa: E402
from .frames import _call_tracing, _ENTRY_CODES, _PKG  # noqa: E402
from . import threads as _th  # noqa: E402
