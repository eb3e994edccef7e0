"""The tasklet class, and the collector's help for killing unreachable
paused tasklets.
"""
import contextvars as _contextvars
import gc as _gc
import sys as _sys
from tasklets._tasklets_cffi import ffi as _ffi
from tasklets._tasklets_cffi import lib as _lib
from .errors import (
    _class_bomb, _del_as_none, _E_DEAD, _E_NO_RECEIVER, _E_NO_SENDER,
    _E_THROWN, _error, _explode, _F_ALIVE, _F_ATOMIC, _F_BLOCK_TRAP,
    _F_IGNORE_NEST, _F_MAIN, _F_STARTED, _F_XFER, _IN_NONE, _make_bomb_args,
    _message, _MISSING, _new_bomb, _no_pickle, _NULL, _OK, _PENDING, bomb,
    TaskletExit,
)


# {======================================================================
# tasklet
# ======================================================================


class tasklet(object):
    """tasklet(func=None, args=None, kwargs=None): a lightweight thread of
    control."""

    def __reduce__(self):
        _no_pickle(self)        # (a method: its errors name __reduce__)

    # no instance __dict__, as in Stackless: a subclass gets one unless it
    # says otherwise (stacklesslib's __slots__ = ["__dict__"] works)
    __slots__ = ("_t", "_h", "_s", "_cont", "_held", "_hn", "_hp",
                 "_tempval", "_func", "_args", "_kwargs", "_ctx", "_trace",
                 "_prof", "_frame", "_served", "_irq_gen", "_pend",
                 "__weakref__")

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self._setup_fields(_ts())
        return self

    def _setup_fields(self, s):
        self._t = t = _ffi.new("tsk_tasklet *")
        self._h = _new_handle(self)
        t.data = self._h
        _lib.tg_bind_sched(t, s.p)        # (a zeroed tasklet: cannot fail)
        self._s = s
        self._cont = None        # continulet / greenlet, made on first run
        self._held = None        # the _Holder that keeps it alive
        self._hn = self._hp = None  # its neighbours there
        self._tempval = None
        self._func = self._args = self._kwargs = None
        self._ctx = None
        self._trace = self._prof = None
        self._frame = None       # top frame while suspended (_RECORD_FRAMES)
        self._served = False     # a partner of another thread delivered
        self._irq_gen = 0        # s.irq_gen when it last ran
        self._pend = None        # bomb of a pending wake (core: t.pend)

    def __init__(self, func=None, args=None, kwargs=None):
        func, args, kwargs = _parse_bind(func, args, kwargs)
        if func is None and args is None and kwargs is None:
            return
        self._bind(func, args, kwargs)

    # {==================================================================
    # binding
    # ==================================================================
    def _is_current(self):
        s = self._s
        return s is not None and s.cur is self

    def _alive(self):
        return (self._t.flags & _F_ALIVE) != 0 and self._s.alive()

    def _unbind(self, none):
        """bind()'s rules are the core's; then it forgets its old life"""
        r = _lib.tg_bind_check(self._t, none)
        if r:
            raise _error(r)
        if _lib.tg_unbind(self._t):
            self._cont = None             # dead: its frames are dropped

    def _bind(self, func, args, kwargs):
        t = self._t
        self._unbind(args is None and kwargs is None)
        if (func is None and self._func is None and
                self._tempval is not None and callable(self._tempval) and
                (args is not None or kwargs is not None)):
            func = self._tempval
        if func is not None:
            self._ctx = _contextvars.copy_context()
            self._trace = _sys.gettrace()
            self._prof = _sys.getprofile()
            self._func = func
        if args is None and kwargs is None:
            # bound, not alive: the function is kept in tempval
            self._tempval = self._func
            self._func = self._args = self._kwargs = None
            return
        if self._func is None:
            raise _error(_lib.TSK_E_NOT_BOUND)
        self._args = () if args is None else args
        self._kwargs = kwargs
        self._tempval = None
        self._s.alive()                   # (notices an ended thread)
        r = _lib.tg_tasklet_init(t, self._s.p)
        if r != _OK:
            raise _error(r)

    def bind(self, func=None, args=None, kwargs=None):
        """bind(func=None, args=None, kwargs=None) -> self"""
        func, args, kwargs = _parse_bind(func, args, kwargs)
        if func is None and args is None and kwargs is None:
            # bind(None): unbind
            self._unbind(1)
            self._func = self._args = self._kwargs = None
            self._tempval = None
        else:
            self._bind(func, args, kwargs)
        return self

    def setup(self, *args, **kwargs):
        """setup(*args, **kwargs) -> self: bind the arguments and insert"""
        func = self._tempval
        if self._t.flags & _F_ALIVE:
            raise _error(_lib.TSK_E_ALIVE)
        if func is None:
            raise _error(_lib.TSK_E_NOT_BOUND)
        if not callable(func):
            raise TypeError("cframe function must be a callable")
        self._tempval = None
        self._func = func
        self._bind(None, args, kwargs or None)
        r = _lib.tg_insert(self._t)
        if r != _OK:
            raise _error(r)
        _sync(self)
        return self

    __call__ = setup

    def bind_thread(self, thread_id=_MISSING):
        t = self._t
        if thread_id is not _MISSING:
            if not isinstance(thread_id, int):
                raise TypeError("thread id must be an integer")
            _c_long(thread_id, 64, "C long long")
            if thread_id < -1:
                raise OverflowError("thread id must not be negative")
        else:
            thread_id = -1
        if thread_id == -1:
            target = _ts()
        else:
            target = _scheds.get(thread_id)
            if target is not None and not target.alive():
                target = None             # (noticed its end)
        # the core's rules: not runnable, no C state, a known thread
        r = _lib.tg_bind_sched(t, _NULL if target is None else target.p)
        if r != _OK:
            raise _error(r)
        if target is not self._s:
            self._s = target
        return None
    # }==================================================================

    # {==================================================================
    # scheduling
    # ==================================================================
    def insert(self):
        """insert() -> self"""
        _ts()
        self._s.alive()                   # (notices an ended thread)
        r = _lib.tg_insert(self._t)
        if r != _OK:
            raise _error(r)
        _sync(self)
        return self

    def remove(self):
        """remove() -> self"""
        _ts()
        self._s.alive()                   # (notices an ended thread)
        r = _lib.tg_remove(self._t)
        if r != _OK:
            raise _error(r)
        _sync(self)
        return self

    def _run_or_switch(self, remove_self):
        s = _ts()
        _sched_guard(s)
        cur = s.cur
        if self is cur:
            return cur._claim()
        if self._s is not s:
            self._s.alive()               # (notices an ended thread)
        s.busy = True
        r = _lib.tg_plan_run(s.p, self._t, remove_self, s.nextp)
        if r < 0:
            s.busy = False
            raise _error(r)
        _sync(self)
        if remove_self:
            _sync(cur)
        cur = None
        return _carry(s, r)

    def run(self):
        """run(): switch to it now"""
        return self._run_or_switch(0)

    def switch(self):
        """switch(): like run(), but the caller leaves the run queue"""
        return self._run_or_switch(1)

    def _deliver(self, b, pending, kill=False):
        """kill, throw, raise_exception: bomb b goes to self."""
        s = _ts()
        cur = s.cur
        if self is cur:
            _explode(b)
        t = self._t
        self._s.alive()                   # (notices an ended thread)
        bt = b._type
        exit = isinstance(bt, type) and issubclass(bt, TaskletExit)
        r = _lib.tg_throw_check(t, exit, kill)
        if r == _E_DEAD:                  # an exit: nothing more to do
            if not (t.flags & _F_ALIVE):
                self._cont = None         # frames a kill dropped
            _sync(self)
            return None
        if r != _OK:
            raise _error(r)
        r = _lib.tsk_refusal(s.p, 0)
        if r:
            raise _error(r)
        if s._busy:
            raise RuntimeError(_NESTED)
        if _th._gl_watch and not pending:
            _gl_guard(s)
        if s.pending:
            _run_pending(s)
        # b is in place before the core decides: the target's thread runs
        # while the glue decides (cffi releases the GIL), and may take it
        # at once, from its tempval (resumed) or its _pend (its next plan)
        s.busy = True
        old = self._tempval
        self._tempval = self._pend = b
        r = _lib.tg_plan_throw(s.p, t, _E_THROWN, 1 if pending else 0,
                               s.nextp)
        if r == _PENDING:
            # it runs in its thread: its next switch raises it
            s.busy = False
            if self._tempval is b:
                self._tempval = old
            return None
        if self._pend is b:
            self._pend = None             # (a pending one is replaced)
        if r < 0:
            s.busy = False
            self._tempval = None
            raise _error(r)
        _sync(self)
        cur = None
        return _carry(s, r)

    def throw(self, exc=None, val=None, tb=None, pending=False):
        """throw(exc=None, val=None, tb=None, pending=False)"""
        if exc is None:
            exc = TaskletExit
        return self._deliver(_make_bomb_args(exc, val, tb), pending)

    def kill(self, pending=False):
        """kill(pending=False): raise TaskletExit in the tasklet"""
        return self._deliver(_new_bomb(TaskletExit, TaskletExit()), pending,
                             True)

    def raise_exception(self, *args):
        """raise_exception(exc_class, *args)"""
        if not args:
            raise TypeError("raise_exception() takes at least 1 argument")
        return self._deliver(_class_bomb(args[0], args[1:],
                                         "tasklet.raise_exception"), False)

    def _set_flag(self, flag, bit, msg):
        old = (self._t.flags & bit) != 0
        _set_bit(_lib.tg_set_flags, self._t, bit, flag, msg)
        return old

    def set_atomic(self, flag):
        return self._set_flag(flag, _F_ATOMIC,
                              "set_atomic needs exactly one bool or integer")

    def set_ignore_nesting(self, flag):
        return self._set_flag(flag, _F_IGNORE_NEST,
                              "set_ignore_nesting needs exactly one bool or "
                              "integer")

    def context_run(self, *args, **kwargs):
        if not args:
            raise TypeError("run() missing 1 required positional argument")
        fn = args[0]
        if self._is_current():
            return fn(*args[1:], **kwargs)
        ctx = self._ctx
        if ctx is None:
            ctx = self._ctx = _contextvars.Context()
        return ctx.run(fn, *args[1:], **kwargs)
    # }==================================================================

    # {==================================================================
    # claiming the tempval on resume
    # ==================================================================
    def _claim(self):
        t = self._t
        if t.flags & _F_XFER:
            _wait_xfer(t)
        w = t.wake
        v = self._tempval
        # taken: no call between here and the return (see _carry_waited).
        # (tsk_take_wake would do it, but a cffi call costs ~550
        # instructions on PyPy: ping-pong 4665 -> 5820 per round trip)
        t.wake = 0
        self._tempval = None
        self._served = False
        if w == _E_NO_SENDER or w == _E_NO_RECEIVER:
            raise RuntimeError(_message(w))
        if type(v) is bomb:
            _explode(v)
        return v
    # }==================================================================

    # {==================================================================
    # attributes
    # ==================================================================
    # (_is_current is also true of the tasklet a dead thread left current;
    # users see what the core's tsk_is_current says: not once it ended)
    @property
    def alive(self):
        return self._alive() or (self._is_current() and self._s.alive())

    @property
    def paused(self):
        return (self._alive() and self._t.where == _IN_NONE and
                not self._is_current())

    @property
    def blocked(self):
        return self._t.blocked != 0

    @property
    def scheduled(self):
        return self._t.where != _IN_NONE

    @property
    def restorable(self):
        f = self._t.flags
        return not ((f & _F_STARTED) and (f & _F_ALIVE))

    @property
    def nesting_level(self):
        f = self._t.flags
        return 1 if (f & _F_STARTED) and (f & _F_ALIVE) else 0

    @property
    def atomic(self):
        return (self._t.flags & _F_ATOMIC) != 0

    @property
    def ignore_nesting(self):
        return (self._t.flags & _F_IGNORE_NEST) != 0

    @property
    def block_trap(self):
        return (self._t.flags & _F_BLOCK_TRAP) != 0

    @_del_as_none
    @block_trap.setter
    def block_trap(self, v):
        _set_bit(_lib.tg_set_flags, self._t, _F_BLOCK_TRAP, v,
                 "block_trap must be set to a bool or integer")

    @property
    def frame(self):
        if self._is_current() and self._s is _ts_maybe():
            return _sys._getframe(1)
        if (self._cont is None or not self._alive() or self._is_current()
                or not self._t.flags & _F_STARTED):
            return None
        f = _user_frame(_suspended_top(self._cont))
        if f is None or self._t.flags & _F_MAIN:
            return f
        return _FrameView(f)

    @property
    def recursion_depth(self):
        if self._is_current() and self._s is _ts_maybe():
            return _depth(_sys._getframe(1))
        if self._frame is not None and self._alive():
            return _depth(_user_frame(self._frame))
        return 0

    @property
    def thread_id(self):
        s = self._s
        if not s.alive():
            return -1
        return s.ident

    @property
    def next(self):
        p = self._t.next
        return None if p == _NULL else _obj(p)

    @property
    def prev(self):
        p = self._t.prev
        return None if p == _NULL else _obj(p)

    @property
    def is_main(self):
        return (self._t.flags & _F_MAIN) != 0

    @property
    def is_current(self):
        return self._is_current() and self._s.alive()

    @property
    def tempval(self):
        return self._tempval

    @_del_as_none
    @tempval.setter
    def tempval(self, v):
        self._tempval = v

    @property
    def _channel(self):
        c = self._t.chan
        return None if c == _NULL else _obj(c)

    @property
    def context(self):
        if self._is_current() and self._s is _ts_maybe():
            ctx = _ctx_get()
            if ctx is None:
                ctx = _contextvars.Context()
                _ctx_set(ctx)
            return ctx
        if self._ctx is None:
            self._ctx = _contextvars.Context()
        return self._ctx

    def _get_tracing(self, profile):
        if self._is_current() and self._s is _ts_maybe():
            if profile:
                return _sys.getprofile()
            tr = _sys.gettrace()
            if tr is not _tick:          # (run(timeout) keeps it aside)
                return tr
        return self._prof if profile else self._trace

    def _set_tracing(self, v, profile):
        if self._is_current():
            if self._s is not _ts_maybe():
                raise RuntimeError(
                    "You cannot set the %s function of the current tasklet "
                    "of another thread" % ("profile" if profile else "trace"))
            if profile:
                _sys.setprofile(v)
            elif _sys.gettrace() is _tick:
                self._trace = v          # (run(timeout) keeps it aside)
            else:
                _sys.settrace(v)
        elif v is not None and not (self._t.flags & _F_ALIVE):
            raise _error(_lib.TSK_E_NOT_ALIVE)    # (Stackless 3.7)
        elif profile:
            self._prof = v
        else:
            self._trace = v

    @property
    def trace_function(self):
        return self._get_tracing(False)

    @_del_as_none
    @trace_function.setter
    def trace_function(self, v):
        self._set_tracing(v, False)

    @property
    def profile_function(self):
        return self._get_tracing(True)

    @_del_as_none
    @profile_function.setter
    def profile_function(self, v):
        self._set_tracing(v, True)
    # }==================================================================

    # {==================================================================
    # lifetime: kill on collection
    # ==================================================================
    def __del__(self):
        try:
            t = self._t
            s = self._s
        except AttributeError:
            return
        f = t.flags
        if not (f & _F_STARTED) or not (f & _F_ALIVE) or (f & _F_MAIN):
            return
        if s.dead or s.cur is self:
            return
        # paused, or blocked on a channel that is garbage too; no call
        # into the module here (a field read is none: a cffi call would let
        # threads and signal handlers in while the GC finalizes)
        if s is _ts_maybe() and not s.busy and not s.p.incb:
            try:
                _kill_dying(self)
            except BaseException as e:
                _write_unraisable(e, "Exception ignored in", self)
            # finalizers that ran meanwhile (while busy) left kills behind
            _run_pending(s)
            _collect_again()
        else:
            s.pending.append(self)       # the owner kills it at a safe point

    def _kill_now(self):
        t = self._t
        if not (t.flags & _F_ALIVE) or self._s.dead:
            return
        self._deliver(_new_bomb(TaskletExit, TaskletExit()), False)
    # }==================================================================


_gc_state = {"kills": 0, "collecting": False}


def _collect_again():
    """PyPy finalizes one object of a cycle per collection: a paused
    tasklet that was kept alive only by another (now killed) one waits for
    the next collection.  Collect again until a collection kills nothing,
    so that one gc.collect() ends them all, as on CPython."""
    st = _gc_state
    st["kills"] += 1
    if st["collecting"] or not _gc.isenabled():
        # (with gc.disable(), gc.collect() re-enables finalizers for its
        # own run only: a nested one would fail; the next one goes on)
        return
    st["collecting"] = True
    try:
        n = -1
        while n != st["kills"]:
            n = st["kills"]
            _gc.collect()
    finally:
        st["collecting"] = False


def _set_bit(setter, p, bit, v, msg):
    """Set or clear flag bit of p (a tasklet or channel) from int v."""
    if not isinstance(v, int):
        raise TypeError(msg)
    if v:
        setter(p, bit, 0)
    else:
        setter(p, 0, bit)


def _parse_bind(func, args, kwargs):
    if func is not None and not callable(func):
        raise TypeError("tasklet function must be a callable or None")
    if args is not None and not isinstance(args, tuple):
        raise TypeError("tasklet args must be a tuple or None")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError("tasklet kwargs must be a dictionary or None")
    return func, args, kwargs


# the other modules' names, imported last: see backend.py
from .switching import (  # noqa: E402
    _ctx_get, _ctx_set, _kill_dying, _new_handle, _obj, _suspended_top,
    _write_unraisable,
)
from .threads import _gl_guard, _scheds, _sync, _ts, _ts_maybe  # noqa: E402
from .sched import _carry, _NESTED, _run_pending, _sched_guard  # noqa: E402
from .preempt import _c_long, _tick  # noqa: E402
from .frames import _depth, _FrameView, _user_frame, _wait_xfer  # noqa: E402
from . import threads as _th  # noqa: E402
