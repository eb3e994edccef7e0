"""Carrying out a plan: schedule callbacks, pending kills, leaving and
resuming a tasklet, waiting for other threads, going to the planned
tasklet (_go, _carry), and the entry and end of every tasklet
(_tasklet_main).
"""
import sys as _sys
import weakref as _weakref
from tasklets._tasklets_cffi import lib as _lib
from .errors import (
    _bomb_from, _E_DEADLOCK, _error, _explode, _F_STARTED, _hooks, _IN_CHAN,
    _message, _NULL, _OK, _RECORD_FRAMES, _WAIT, bomb,
)


def _call_schedule_cb(s, cb, prev, nxt):
    old = _lib.tsk_callback_enter(s.p, _lib.TSK_CB_SCHEDULE)
    try:
        cb(prev, nxt)
    except BaseException as e:
        _write_unraisable(e, "Exception ignored in scheduling callback",
                          cb)
    finally:
        _lib.tsk_callback_leave(s.p, old)


def _run_pending(s):
    """Kills that __del__ could not do on the spot (not re-entrant: kills
    deferred meanwhile are taken by the loop)."""
    if s.in_pending:
        return
    s.in_pending = True
    try:
        while s.pending:
            t = s.pending.pop()
            if t is None:                 # see _pass_on
                e, s.pending_exc = s.pending_exc, None
                if e is not None:
                    raise e
                continue
            try:
                _kill_dying(t)
            except BaseException as e:
                _write_unraisable(e, "Exception ignored while killing a "
                                  "tasklet", t)
            t = None
    finally:
        s.in_pending = False
# }======================================================================

# {======================================================================
# Carrying out a plan
# ======================================================================


def _leave(s, cur, nxt):
    """Before a switch from cur to nxt: schedule callback, cur's state."""
    cb = _hooks.schedule_cb
    if cb is not None:
        _call_schedule_cb(s, cb, cur, nxt)
    cur._ctx = _ctx_get()
    if _RECORD_FRAMES:
        cur._frame = _sys._getframe(2)
    tr = _sys.gettrace()
    if tr is not _tick:          # (while ticking, _trace is kept aside)
        cur._trace = tr
    cur._prof = _sys.getprofile()


# Committing is tsk_commit(s, nxt)'s two stores, done from Python (a call
# through cffi costs more than the rest of a channel operation's Python
# side), plus the mirror s.cur:
#     p.prev = p.current; p.current = nxt._t; s.cur = nxt
# It is written out right before the transfer, with no Python call in
# between: PyPy may run a signal handler at a call, and an exception between
# the commit and the transfer would leave the scheduler pointing at a
# tasklet that does not run.


def _restore_state(t):
    _ctx_set(t._ctx)
    t._ctx = None
    t._frame = None
    s = t._s
    if s.irq_wd is not None:
        _ticks_resumed(s, t)
        tr = _tick
    else:
        tr = t._trace
    if tr is not _sys.gettrace():
        _sys.settrace(tr)
    pr = t._prof
    if pr is not _sys.getprofile():
        _sys.setprofile(pr)


def _wait(s, alive=True):
    """TSK_WAIT: nothing runnable here, but another thread may feed us.
    alive: the current tasklet is blocked (not ending): sync it when its
    block is undone."""
    in_chan = alive and s.cur._t.where == _IN_CHAN
    r = _WAIT
    while r == _WAIT:
        try:
            _wait_slices(s)
            r = _lib.tg_plan_resume(s.p, s.nextp)
        except BaseException as e:
            if r != _WAIT or (in_chan and s.cur._t.where != _IN_CHAN):
                # a partner of another thread served us while a signal
                # handler raised: finish the operation (its message is
                # ours now); the exception comes from the next one
                _pass_on(s, e)
                if r == _WAIT:
                    _lib.tg_wait(s.g, 0)
                    r = _lib.tg_plan_resume(s.p, s.nextp)
            else:
                _lib.tg_plan_abort(s.p)
                if alive:
                    _sync(s.cur)
                raise
    if r == _E_DEADLOCK and alive:
        _sync(s.cur)              # the block was undone
    return r


def _wait_slices(s):
    """Wait until woken, 50 ms at most: the core then decides again (a
    deadlock once the other threads ended).  Signal handlers run between
    the slices (busy holds them back elsewhere: here nothing is half
    changed)."""
    busy = s._busy
    sig = s.initial and busy and _signals_exit is not None
    if busy:
        _fin_on()             # (signals still wait: nothing raises here)
    try:
        if sig:
            _signals_enter()
        _lib.tg_wait(s.g, 50)
    finally:
        if sig:
            _signals_exit()
        if busy:
            _fin_off()


def _pass_on(s, e):
    """An exception (from a signal handler) that came where it cannot be
    raised without losing an outcome: the next operation of this thread
    raises it."""
    if s.pending_exc is None:
        s.pending_exc = e
        s.pending.append(None)


def _carry(s, r):
    """After a plan: wait if told to, switch, claim the tempval of the
    current tasklet (the caller's; never held across the switch)."""
    if r == _WAIT:
        return _carry_waited(s)
    return _go(s, r)


def _go(s, r):
    """Raise the plan's error, or switch as planned and claim."""
    if r != _OK:
        s.busy = False
        raise _error(r)
    if s.nofast and s.irq_wd is not None and s.nextp[0] != _NULL:
        _soft_interrupt(s)
    nxt = s.nextp[0]
    if nxt != _NULL and nxt != s.cur._t:
        s.target = _obj(nxt)
        nxt = None
        _switch(s)
    return _done(s)


def _done(s):
    """The end of an operation: claim, then let deferred code run (signal
    handlers, finalizers: see busy); it may switch, and what we claimed is
    in our frame by then."""
    try:
        return s.cur._claim()
    finally:
        s.busy = False


def _carry_waited(s):
    """_carry after TSK_WAIT: another thread serves us.  Once it has, an
    exception from a signal handler must not lose what it delivered (the
    C extension checks signals only inside its wait): the outcome is
    claimed and the exception comes from the next operation."""
    try:
        return _go(s, _wait(s))
    except BaseException as e:
        cur = s.cur
        if not (cur._served or cur._t.wake):
            s.busy = False
            raise
        _pass_on(s, e)
    return _done(s)


def _tasklet_main(_cont, s):
    """The entry of every tasklet's continulet/greenlet (s.fresh is the
    tasklet; not kept in a local while it runs, see the switch layer).
    The continulet calls it directly (_cont is the continulet): every
    Python frame below the tasklet's code is C stack that each switch
    copies."""
    t = s.fresh
    s.fresh = None
    _restore_state(t)
    _lib.tg_set_flags(t._t, _F_STARTED, 0)
    serial = next(_serials)
    s.started[serial] = _weakref.ref(t)
    failed = 0
    func, args, kwargs = t._func, t._args, t._kwargs
    t._func = t._args = t._kwargs = None
    tv = t._tempval
    t._tempval = None
    _lib.tsk_take_wake(t._t)
    t = None
    s.busy = False                        # (after taking what is ours)
    try:
        if type(tv) is bomb:
            _explode(tv)                  # killed or thrown before start
        elif func is not None:
            if kwargs is None:
                func(*args)
            else:
                func(*args, **kwargs)
    except BaseException as e:
        failed = _tasklet_failed(s, e)
    func = args = kwargs = tv = None
    s.cur._pend = None                    # thrown too late (see tsk.h)
    del s.started[serial]
    # the end: who runs next.  Nothing may escape from here on (there is
    # no caller to take it): an exception a signal handler raises meanwhile
    # is passed on to the next operation of this thread.
    t = s.cur
    s.busy = True
    step = 0
    while True:
        try:
            if step == 0:
                r = _WAIT
                r = _lib.tg_plan_end(s.p, failed, s.nextp)
                step = 1
            if step == 1:
                while r == _WAIT:
                    r = _wait(s, False)
                if r != _OK or s.nextp[0] == _NULL or s.nextp[0] == t._t:
                    _fatal("a tasklet ended with nothing left to run (%s)"
                           % _message(r))
                step = 2
            nxt = _obj(s.nextp[0])
            if step == 2:
                step = 3
                _sync(t)
                _sync(s.main)
                if s.watchdogs:
                    _sync(s.watchdogs[-1])
                cb = _hooks.schedule_cb
                if cb is not None:
                    _call_schedule_cb(s, cb, t, nxt)
                t._trace = t._prof = t._ctx = None
            return _finish(s, t, nxt)
        except BaseException as e:
            _pass_on(s, e)


def _fatal(msg):
    _sys.stderr.write("tasklets: fatal: %s\n" % msg)
    _sys.stderr.flush()
    import os
    os.abort()


def _tasklet_failed(s, e):
    """An uncaught exception ends the tasklet: decide where it goes."""
    if isinstance(e, SystemExit):
        # TaskletExit ends a tasklet quietly; a real SystemExit in the
        # initial thread goes to main and ends the process
        if type(e) is not SystemExit or not s.initial:
            return 0
    else:
        h = _hooks.error_handler
        if h is not None:
            try:
                h(type(e), e, e.__traceback__)
                return 0                  # handled
            except BaseException as e2:
                e = e2
    p = s.p.watchdog
    if p == _NULL:
        p = s.p.main
    _obj(p)._tempval = _bomb_from(e)
    return 1


_NESTED = ("a scheduling operation cannot start inside another one of its "
           "thread (in a signal handler or finalizer that runs while the "
           "thread waits for another)")


def _sched_guard(s):
    if s._busy:
        # (its end would end the outer one's busy: see _Sched.busy)
        raise RuntimeError(_NESTED)
    r = _lib.tsk_refusal(s.p, 0)
    if r:
        raise _error(r)
    if _th._gl_watch:
        _gl_guard(s)
    if s.pending and not s.busy:
        _run_pending(s)
# }======================================================================


# the other modules' names, imported last: see backend.py
from .switching import (  # noqa: E402
    _ctx_get, _ctx_set, _fin_off, _fin_on, _finish, _kill_dying, _obj,
    _signals_enter, _signals_exit, _switch, _write_unraisable,
)
from .threads import _gl_guard, _serials, _sync  # noqa: E402
from .preempt import _soft_interrupt, _tick, _ticks_resumed  # noqa: E402
from . import threads as _th  # noqa: E402
