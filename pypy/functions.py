"""The module functions of the Stackless API: getcurrent, schedule, run,
the callbacks, thread information.
"""
import sys as _sys
import threading as _threading
from _thread import get_ident as _get_ident
from tasklets._tasklets_cffi import lib as _lib
from .errors import _error, _F_ALIVE, _hooks, _IN_RING, _MISSING, _NULL


# {======================================================================
# Module functions
# ======================================================================


def getcurrent():
    """getcurrent() -> the running tasklet of this thread"""
    return _ts().cur


def getmain():
    """getmain() -> the main tasklet of this thread"""
    return _ts().main


def getruncount():
    """getruncount() -> tasklets in this thread's run queue"""
    return _ts().p.runcount


def getcurrentid():
    """getcurrentid() -> id of the current tasklet"""
    s = _ts_maybe()
    if s is None or s.cur is s.main:
        return _get_ident()
    return id(s.cur)


def _schedule(retval, remove):
    s = _ts()
    _sched_guard(s)
    cur = s.cur
    s.busy = True
    cur._tempval = cur if retval is _MISSING else retval
    r = _lib.tg_plan_schedule(s.p, remove, s.nextp)
    if r < 0:
        s.busy = False
        cur._tempval = None
        raise _error(r)
    _sync(cur)
    cur = None
    return _carry(s, r)


def schedule(retval=_MISSING):
    """schedule(retval=current) -> switch to the next runnable tasklet"""
    s = _ts()
    if _th._slow or s.pending or s.nofast or s.p.incb or s._busy:
        return _schedule(retval, 0)
    s.busy = s.infast = True              # first (see _Sched.busy)
    cur = s.cur
    t = cur._t
    p = s.p
    if _th._slow or p.switch_trap or t.where != _IN_RING:
        s.busy = s.infast = False
        return _schedule(retval, 0)
    # tsk_plan_schedule(s, 0) for a current tasklet in the ring, written
    # out here (a call into the core costs more than all of this; see
    # _chan_op for s.infast)
    cur._tempval = cur if retval is _MISSING else retval
    nx = t.next
    if nx == t:
        s.infast = False
        return _done(s)                   # alone: carry on
    s.target = _obj(nx)
    p.head = nx
    s.infast = False
    cur = t = nx = p = None               # (see the switch layer)
    _switch(s)
    try:
        return s.cur._claim()
    finally:
        s.busy = False                    # (see _done)


def schedule_remove(retval=_MISSING):
    """schedule_remove(retval=current) -> like schedule(), leaving the
    run queue"""
    return _schedule(retval, 1)


def run(timeout=0, threadblock=False, soft=False, ignore_nesting=False,
        totaltimeout=False):
    """run(timeout=0, threadblock=False, soft=False, ignore_nesting=False,
    totaltimeout=False) -> run the other tasklets until none is left; with
    a timeout, the tasklet interrupted when its ticks ran out, or None"""
    timeout = _c_long(timeout)
    soft, totaltimeout = bool(soft), bool(totaltimeout)
    bool(threadblock), bool(ignore_nesting)
    s = _ts()
    _sched_guard(s)
    cur = s.cur
    s.busy = True
    r = _lib.tg_plan_watchdog(s.p, s.nextp)
    if r < 0:
        s.busy = False
        raise _error(r)
    if s.nextp[0] == _NULL:
        s.busy = False
        return None
    s.watchdogs.append(cur)
    _sync(cur)
    irq = timeout > 0 and s.irq_wd is None
    if irq:
        # the outermost run(timeout) is the interrupt watchdog
        _ticks_on(s, cur, timeout, soft, totaltimeout)
    cur = None
    victim = None
    try:
        _carry(s, r)
    finally:
        cur = s.cur
        _lib.tg_watchdog_pop(s.p, cur._t)
        _sync_watchdogs(s)
        _sync(cur)
        if irq:
            victim = _ticks_off(s)
    return victim


def switch_trap(change=0):
    """switch_trap(change=0) -> old level; switching is an error while > 0"""
    change = _c_long(change)
    return _lib.tg_switch_trap(_ts().p, change)


def _set_hook(name, cb, msg):
    old = getattr(_hooks, name)
    if cb is not None and not callable(cb):
        raise TypeError(msg)
    setattr(_hooks, name, cb)
    _update_slow()
    return old


def set_schedule_callback(cb):
    return _set_hook("schedule_cb", cb, "schedule callback must be callable")


def get_schedule_callback():
    return _hooks.schedule_cb


def set_channel_callback(cb):
    return _set_hook("channel_cb", cb, "channel callback must be callable")


def get_channel_callback():
    return _hooks.channel_cb


def set_error_handler(handler=None):
    return _set_hook("error_handler", handler,
                     "error handler must be callable")


def getthreads():
    main = _threading.main_thread().ident
    ids = [i for i in _sys._current_frames() if i != main]
    return [main] + sorted(ids)


def get_thread_info(thread_id=-1, flags=0):
    thread_id = _c_long(thread_id, 64, "C long long")
    _c_long(flags)
    if thread_id == -1:
        s = _ts()
    else:
        if thread_id not in _sys._current_frames():
            raise RuntimeError("Thread id not found")
        s = _scheds.get(thread_id)
        if s is None or not s.alive():
            return (None, None, 0)
    n = s.p.runcount
    return (s.main, s.cur if n else None, n)


def getuncollectables():
    """getuncollectables() -> the alive, started, non-main tasklets of
    every thread (those with frames of their own, as in Stackless)"""
    found = []
    for s in list(_scheds.values()):
        if s.dead:
            continue
        for ref in list(s.started.values()):
            t = ref()
            if (t is not None and t is not s.main and
                    (t._t.flags & _F_ALIVE)):
                found.append(t)
            t = None
    return found
# }======================================================================


# the other modules' names, imported last: see backend.py
from .switching import _obj, _switch  # noqa: E402
from .threads import (  # noqa: E402
    _scheds, _sync, _sync_watchdogs, _ts, _ts_maybe, _update_slow,
)
from .sched import _carry, _done, _sched_guard  # noqa: E402
from .preempt import _c_long, _ticks_off, _ticks_on  # noqa: E402
from . import threads as _th  # noqa: E402
