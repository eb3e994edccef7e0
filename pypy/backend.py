"""The Stackless API on the C core, for PyPy (installed as tasklets._pypy).

The core (core/*.c, built into tasklets._tasklets_cffi by cffi_build/)
decides who runs next; this module moves the Python frames.  Every
operation that may change the running tasklet goes the same way:

  1. a plan  (lib.tg_plan_*: run queue, channel queues, balance, blocking,
     deadlock detection, watchdogs) says which tasklet runs next;
  2. _switch moves the frames: each tasklet runs on its own continulet
     (PyPy) or greenlet (CPython, to test this backend there), and the
     per-tasklet interpreter state that the switch does not carry
     (contextvars context, trace and profile functions) is saved and
     restored here;
  3. the commit (tsk_commit's two stores) tells the core the switch
     happened.

A C library must never switch C stacks that hold PyPy frames, so the core's
own stack transfer (tsk_switch, arch/) is not used and not even built.

Ownership (what keeps tasklets alive):
  - a tasklet in a run queue is held by its scheduler (_Sched.ring), a
    tasklet blocked on a channel by that channel (channel._waiters): _sync()
    mirrors the core's 'where' after every operation on the tasklets it may
    have moved;
  - main tasklets and watchdogs (inside run()) are held by their scheduler;
  - a paused tasklet is held only by user code: when the GC finds it
    unreachable, __del__ kills it (TaskletExit), so its 'finally' blocks
    run.  PyPy has no reference counting: this happens at the next
    collection, not at 'del'.

Threads: one scheduler per thread, created lazily.  cffi releases the GIL
around C calls, so glue.c serialises core calls with a mutex; a thread with
nothing to run while another thread may feed it waits on a semaphore in C.
"""
import builtins as _builtins
import contextvars as _contextvars
import gc as _gc
import os as _os
import sys as _sys
import threading as _threading
import time as _time
import types as _types
import weakref as _weakref
from itertools import count as _count
from _thread import get_ident as _get_ident
from _thread import _local
from _thread import RLock as _RLock
from operator import index as _index

from tasklets._tasklets_cffi import ffi as _ffi
from tasklets._tasklets_cffi import lib as _lib

__all__ = [
    "tasklet", "channel", "bomb", "TaskletExit", "getcurrent", "getmain",
    "getruncount", "getcurrentid", "run", "schedule", "schedule_remove",
    "switch_trap", "set_schedule_callback", "get_schedule_callback",
    "set_channel_callback", "get_channel_callback", "set_error_handler",
    "getthreads", "get_thread_info", "getuncollectables", "core_version",
    "FEATURES", "SWITCHER", "_kill_at_exit",
]

# {======================================================================
# The switch layer: how frames move, and the interpreter state that a
# switch does not carry by itself.
#   _new_main()        the running code of this thread, as a switch target
#   _new_factory(s)    what starts new tasklets of scheduler s (or None)
#   _switch(s)         suspend s.cur (the running tasklet), resume or start
#                      s.target (cleared); returns when s.cur runs again
#   _finish(s, a, b)   tasklet a has ended: commit b; returning from a's
#                      entry function continues b
#   _ctx_get/_ctx_set  the thread's contextvars context
# A suspended tasklet's frames reference neither the tasklet itself nor the
# one it switched to (only that one's continulet), so that a paused
# tasklet nobody else references can be collected (and killed): the
# operations below drop their 'cur' before switching and take s.cur again
# when resumed, and a tasklet's entry gets the scheduler, not the tasklet.
# ======================================================================
try:
    from _continuation import continulet as _continulet
    from _continuation import permute as _permute
except ImportError:
    _continulet = None

if _continulet is not None:
    import __pypy__
    from __pypy__.thread import _signals_enter, _signals_exit

    SWITCHER = "continulet"
    _ctx_get = __pypy__.get_contextvar_context
    _ctx_set = __pypy__.set_contextvar_context
    _cnew = _continulet.__new__
    _cswitch = _continulet.switch

    def _new_main():
        # never initialised: it only ever holds the suspended main code
        return _cnew(_continulet)

    # A continulet's C stack starts where it is created, and PyPy's
    # recursion check measures the distance from the thread's stack base.
    # Created lazily inside whichever tasklet first switches to them, new
    # continulets would start ever deeper (a chain of 1000 tasklets each
    # started by the previous one overflows).  So every new continulet is
    # made by one 'factory' continulet per thread, which sits where the
    # thread's scheduler was created, and goes straight on to the new one.
    def _new_factory(s):
        return _continulet(_factory, s)

    def _factory(fc, s):
        while True:
            # s.fresh is the tasklet to start; its entry picks it up
            c = s.fresh._cont = _continulet(_tasklet_main, s)
            # same as fc.switch(to=c), without keeping c on this stack
            _permute(fc, c)
            c = None
            _cswitch(fc)

    def _switch(s):
        cur = s.cur
        nxt = s.target
        s.target = None
        _leave(s, cur, nxt)
        c = nxt._cont
        if c is None:
            s.fresh = nxt
            c = s.factory
        cc = cur._cont
        p = s.p                          # commit (see _leave)
        p.prev = p.current
        p.current = nxt._t
        s.cur = nxt
        cur = nxt = p = None
        # park the running code in our continulet, resume c's
        _cswitch(cc, to=c)
        # resumed: whoever switched here committed us already
        cc = c = None
        _restore_state(s.cur)

    def _finish(s, cur, nxt):
        c = nxt._cont
        if c is None:
            s.fresh = nxt
            c = s.factory
        p = s.p                          # commit (see _leave)
        p.prev = p.current
        p.current = nxt._t
        s.cur = nxt
        # a finished continulet returns to what it holds: make that nxt
        _permute(cur._cont, c)
        return None

    def _write_unraisable(exc, msg, obj):
        # msg is the whole err_msg, as CPython's hook gets it; PyPy puts
        # "Exception ignored " in front of what it is given
        prefix = "Exception ignored "
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
        __pypy__.write_unraisable(msg, exc, obj)

    def _suspended_top(c):
        # a suspended continulet's hidden bottom frame links to the top
        # of its stack (which is why its f_back chain never ends)
        f = c._get_frame()
        return None if f is None else f.f_back
else:
    try:
        import greenlet as _greenlet_mod
    except ImportError:
        raise ImportError("the cffi backend needs continulets (PyPy) or the "
                          "greenlet package (CPython)")
    SWITCHER = "greenlet"
    _signals_enter = _signals_exit = None
    _greenlet = _greenlet_mod.greenlet
    _gcurrent = _greenlet_mod.getcurrent

    def _ctx_get():
        return _gcurrent().gr_context

    def _ctx_set(ctx):
        _gcurrent().gr_context = ctx

    def _new_main():
        return _gcurrent()

    def _new_factory(s):
        return None

    def _suspended_top(g):
        return g.gr_frame

    def _gentry(s):
        return _tasklet_main(None, s)

    def _switch(s):
        cur = s.cur
        nxt = s.target
        s.target = None
        _leave(s, cur, nxt)
        g = nxt._cont
        if g is None:
            s.fresh = nxt
            g = nxt._cont = _greenlet(_gentry, s.main._cont)
        p = s.p                          # commit (see _leave)
        p.prev = p.current
        p.current = nxt._t
        s.cur = nxt
        cur = nxt = p = None
        g.switch(s)              # an unstarted g gets s as its argument
        g = None
        _restore_state(s.cur)

    def _finish(s, cur, nxt):
        g = nxt._cont
        if g is None:
            s.fresh = nxt
            g = nxt._cont = _greenlet(_gentry, s.main._cont)
        # a finished greenlet switches to its parent, passing the return
        # value (which an unstarted parent gets as its argument)
        cur._cont.parent = g
        p = s.p                          # commit (see _leave)
        p.prev = p.current
        p.current = nxt._t
        s.cur = nxt
        return s

    class _UnraisableArgs(object):
        __slots__ = ("exc_type", "exc_value", "exc_traceback", "err_msg",
                     "object")

        def __init__(self, exc, msg, obj):
            self.exc_type = type(exc)
            self.exc_value = exc
            self.exc_traceback = exc.__traceback__
            self.err_msg = msg
            self.object = obj

    def _write_unraisable(exc, msg, obj):
        hook = _sys.unraisablehook
        if hook is not _sys.__unraisablehook__:
            try:
                hook(_UnraisableArgs(exc, msg, obj))
                return
            except BaseException:
                pass
        import traceback
        _sys.stderr.write("%s: %r\n" % (msg, obj))
        traceback.print_exception(type(exc), exc, exc.__traceback__)
# }======================================================================

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
_E_BLOCKED = _lib.TSK_E_BLOCKED
_E_DEAD = _lib.TSK_E_DEAD
_E_NO_THREAD = _lib.TSK_E_NO_THREAD
_E_OTHER_THREAD = _lib.TSK_E_OTHER_THREAD
_E_THROWN = _lib.TSK_E_THROWN
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


def _error(r):
    if r == _E_CLOSED:
        return ValueError(_message(r))
    if r == _E_NOMEM:
        return MemoryError()
    return RuntimeError(_message(r))


def core_version():
    return "0.1.0"


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
        return _bomb_parse(cls, *args, **kwargs)

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


def _bomb_parse(cls, type=None, value=None, traceback=None):
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

# {======================================================================
# Per-thread schedulers
# ======================================================================
_tls = _local()
_serials = _count()
_scheds = {}            # thread ident -> _Sched (threads that used tasklets)


class _Sched(object):
    """One thread's scheduler: the core's tsk_sched plus what Python
    needs next to it."""

    def __init__(self):
        g = _lib.tg_sched_new()
        if g == _NULL:
            raise MemoryError()
        self.g = _ffi.gc(g, _lib.tg_sched_free)
        self.p = _lib.tg_core(g)
        self.h = _ffi.new_handle(self)
        self.p.data = self.h
        self.ring = _Holder()    # tasklets held by being in the run queue
        self.watchdogs = []      # run() callers, innermost last
        self.started = {}        # serial -> weakref: started, not ended
        self.pending = []        # kills deferred by __del__
        self.in_pending = False  # _run_pending is at work
        self.pending_exc = None  # see _pass_on
        self._busy = False       # see busy
        self.in_sched_cb = False
        self.in_chan_cb = False
        self.dead = False
        self.ident = _get_ident()
        self.thread = _threading.current_thread()
        self.initial = self.ident == _threading.main_thread().ident
        self.nextp = _ffi.new("tsk_tasklet **")
        self.partp = _ffi.new("tsk_tasklet **")
        main = object.__new__(tasklet)
        main._setup_fields(self)
        self.main = self.cur = main
        r = _lib.tg_sched_init(self.g, main._t)
        if r != _OK:
            raise _error(r)
        main._cont = _new_main()
        self.gl_home = None      # see _gl_guard
        self.fresh = None        # the tasklet the factory starts next
        self.target = None       # the tasklet _switch goes to
        self.infast = False      # changing the core without its mutex
        # run(timeout) (see "Preemption"): the watchdog that ticks count
        # for, ticks per slice and used, soft/totaltimeout, the victim
        self.irq_wd = None
        self.irq_budget = self.irq_ticks = 0
        self.irq_soft = self.irq_total = False
        self.irq_victim = None
        self.irq_gen = 0         # counts run(timeout) calls
        self.irq_own = None      # the watchdog's own trace function
        self.irq_saved = []      # (frame, its f_trace) replaced by _tick
        self.nofast = False      # the fast paths are off (soft run(timeout))
        self.factory = _new_factory(self)
        _sync(main)

    # between a plan and the end of its switch; in the initial thread (the
    # one that runs signal handlers) signals wait meanwhile: a handler that
    # ran there (PyPy runs them between any two bytecodes of this module)
    # and switched or raised would find the scheduler half changed
    @property
    def busy(self):
        return self._busy

    @busy.setter
    def busy(self, v):
        if v:
            if not self._busy:
                self._busy = True
                if self.initial and _signals_exit is not None:
                    _signals_exit()
        elif self._busy:
            self._busy = False
            if self.initial and _signals_exit is not None:
                _signals_enter()

    def alive(self):
        """Does the thread still run?  Notices its end on first call."""
        if self.dead:
            return False
        if self.initial or self.thread.is_alive():
            # (threading marks the main thread stopped before atexit runs)
            return True
        self._thread_ended()
        return False

    def _thread_ended(self):
        # its tasklets become thread-less: not alive, thread_id -1
        self.dead = True
        _lib.tg_sched_fini(self.g)
        with _hold_lock:
            self.ring.clear()
        self.watchdogs = []
        self.pending = []
        if _scheds.get(self.ident) is self:
            del _scheds[self.ident]


def _kill_started(s):
    """Kill every started tasklet of s that is still alive (thread end,
    interpreter exit), so that their 'finally' blocks run: their frames
    cannot outlive the thread."""
    for ref in list(s.started.values()):
        t = ref()
        if t is None or t is s.cur or t is s.main:
            continue
        if (t._t.flags & _F_ALIVE) and not s.dead:
            try:
                t._deliver(_new_bomb(TaskletExit, TaskletExit()), False)
            except BaseException as e:
                _write_unraisable(e, "Exception ignored while killing a "
                                  "tasklet", t)
        t = None


def _thread_ending():
    """Runs on a thread started through threading, after its function."""
    s = _ts_maybe()
    if s is None or s.dead:
        return
    if s.cur is s.main:
        # threading has taken the Thread out of _active already: code in
        # the killed tasklets' finally blocks (logging) asking
        # current_thread() would make a _DummyThread that stays there
        active = getattr(_threading, "_active", None)
        put = isinstance(active, dict) and s.ident not in active
        if put:
            active[s.ident] = s.thread
        try:
            _kill_started(s)
        finally:
            if put and active.get(s.ident) is s.thread:
                del active[s.ident]
    s._thread_ended()
    try:
        del _tls.s
    except AttributeError:
        pass


def _install_thread_end_hook():
    """PyPy has no hook on the ending thread (CPython: the thread-state
    dict).  Threads started through 'threading' call this module's
    _thread_ending() after their function: threading's start function is
    wrapped.  Threads started otherwise (or before this import) keep their
    suspended tasklets unkilled; they only become thread-less."""
    orig = _threading._start_new_thread
    if getattr(orig, "_tasklets_wrapped", False):
        return

    def start_new_thread(function, args, kwargs=None):
        def bootstrap(*a, **kw):
            try:
                return function(*a, **kw)
            finally:
                _thread_ending()
        if kwargs is None:
            return orig(bootstrap, args)
        return orig(bootstrap, args, kwargs)

    start_new_thread._tasklets_wrapped = True
    _threading._start_new_thread = start_new_thread


def _fork_before():
    # no other thread may hold a lock of ours across the fork (see
    # tg_fork_lock); same order as everywhere: the holders' lock, then
    # the glue's mutex
    _hold_lock.acquire()
    _lib.tg_fork_lock()


def _fork_parent():
    _lib.tg_fork_unlock()
    _hold_lock.release()


def _fork_child():
    """Only the forking thread exists in the child: the other threads'
    schedulers end as at a thread's end (their tasklets become
    thread-less; they cannot be killed, their frames need their thread)."""
    global _initial_ident, _initial_sched
    _fork_parent()
    me = _get_ident()
    for ident, s in list(_scheds.items()):
        if ident != me and not s.dead:
            s._thread_ended()
    if _initial_ident != me:
        _initial_ident, _initial_sched = -1, None


def _kill_at_exit():
    """atexit (registered by the facade): main's suspended tasklets are
    killed while the interpreter still works fully."""
    s = _ts_maybe()
    if s is not None and not s.dead and s.cur is s.main:
        _kill_started(s)


def _new_sched():
    for ident, s in list(_scheds.items()):
        s.alive()                             # prune ended threads
    global _initial_ident, _initial_sched, _threaded
    if _scheds:
        _threaded = True                  # holders need their lock now
        _update_slow()
        # a fast path that started before may still be changing the core
        # of its thread without the mutex: let it finish (see _chan_op)
        for o in list(_scheds.values()):
            while o.infast:
                _time.sleep(0.0001)
    s = _Sched()
    _scheds[s.ident] = s
    _tls.s = s
    if s.initial:
        _initial_sched = s
        _initial_ident = s.ident
    cb = _hooks.schedule_cb
    if cb is not None:
        _call_schedule_cb(s, cb, None, s.main)
    return s


# The process's initial thread lives as long as the process: its scheduler
# is found without the thread-local lookup (which costs more than the rest
# of a channel operation's Python side).
_initial_ident = -1
_initial_sched = None


def _ts():
    if _get_ident() == _initial_ident:
        return _initial_sched
    try:
        return _tls.s
    except AttributeError:
        return _new_sched()


def _ts_maybe():
    if _get_ident() == _initial_ident:
        return _initial_sched
    return getattr(_tls, "s", None)


@_ffi.def_extern()
def tg_py_others_could_run(p):
    """Could another thread still insert work into this one?  Yes while any
    other thread is not itself waiting in its scheduler.  Runs with the
    glue's mutex held: reads fields only, calls no tg_* function."""
    try:
        me = _from_handle(p.data)
        for ident in _sys._current_frames():
            if ident == me.ident:
                continue
            o = _scheds.get(ident)
            if o is None or o.dead or not o.p.waiting:
                return 1
        return 0
    except BaseException:
        return 1


if SWITCHER == "greenlet":
    # CPython frees what loses its last reference at once (and kills a
    # suspended tasklet then): a handle must not reference its tasklet or
    # channel back, so it holds a weak reference.
    def _new_handle(x):
        return _ffi.new_handle(_weakref.ref(x))

    def _obj(p):
        """The tasklet or channel of a core struct (its 'data')."""
        return _from_handle(p.data)()
else:
    _new_handle = _ffi.new_handle

    def _obj(p):
        """The tasklet or channel of a core struct (its 'data')."""
        return _from_handle(p.data)


class _Holder(object):
    """Strong references to the tasklets in one queue (a scheduler's ring
    or a channel's waiters).  An intrusive doubly linked list through the
    tasklets' _hn/_hp (no hashing, no list resizing on the hot path: only
    attribute loads and stores).  A tasklet is in at most one holder (its
    _held); like the core's queues, a held tasklet keeps its holder (and
    so the other tasklets in it) reachable."""

    __slots__ = ("first",)

    def __init__(self):
        self.first = None

    def add(self, x):
        f = self.first
        x._hn = f
        x._hp = None
        if f is not None:
            f._hp = x
        self.first = x
        x._held = self

    def remove(self, x):
        p = x._hp
        n = x._hn
        if p is None:
            self.first = n
        else:
            p._hn = n
        if n is not None:
            n._hp = p
        x._hn = x._hp = None
        x._held = None

    def clear(self):
        x = self.first
        self.first = None
        while x is not None:
            n = x._hn
            x._hn = x._hp = None
            x._held = None
            x = n


# Holders are shared between threads (channels, a ring another thread
# inserts into): once a second thread has a scheduler, their updates take
# this lock (re-entrant: a finalizer may kill a tasklet meanwhile).
_threaded = False
_hold_lock = _RLock()

# The fast paths (_chan_op, schedule) do the core's work for the common
# cases in Python, unless this is set: a second thread has a scheduler
# (the core is then shared and every change goes through glue.c's mutex),
# or a channel or schedule callback is installed.
_slow = False


def _update_slow():
    global _slow
    _slow = (_threaded or _hooks.schedule_cb is not None or
             _hooks.channel_cb is not None or _gl_watch)


# Tasklets next to PyPy's greenlet module (continulets too, with its own
# current greenlet per thread).  The rule of cpython_ext/greenlets.c: a
# tasklet other than main may switch only under the greenlet that main
# last switched away in, else RuntimeError before anything changes; otherwise a tasklet switch inside a greenlet started
# within a tasklet resumes the wrong frames.  _gl_watch (set once greenlet
# is imported, see the facade) sends every operation down the slow paths,
# which check.  Not in the greenlet switcher (CPython testing mode), whose
# tasklets are greenlets themselves.
_gl_watch = False
_gl_getcurrent = None


def _greenlet_imported():
    global _gl_watch
    if SWITCHER == "continulet":
        _gl_watch = True
        _update_slow()


def _gl_guard(s):
    global _gl_watch, _gl_getcurrent
    if _gl_getcurrent is None:
        m = _sys.modules.get("greenlet")
        _gl_getcurrent = getattr(m, "getcurrent", None)
        if _gl_getcurrent is None:        # the import failed: watch again
            _gl_watch = False
            _update_slow()
            return
    g = _gl_getcurrent()
    if s.cur is s.main:
        s.gl_home = g                     # the other tasklets run in g
        return
    if s.gl_home is None:                 # greenlet came after the tasklets
        root = g
        while root.parent is not None:
            root = root.parent
        s.gl_home = root
    if g is not s.gl_home:
        raise RuntimeError("cannot switch tasklets while a greenlet started "
                           "inside a tasklet runs; switch back to the "
                           "greenlet the tasklets run in first")


def _move1(x, h):
    old = x._held
    if h is not old:
        if old is not None:
            old.remove(x)
        if h is not None:
            h.add(x)


def _move(x, h):
    """Hold x in h (or nowhere)."""
    if _threaded:
        with _hold_lock:
            _move1(x, h)
    else:
        _move1(x, h)


def _sync1(x):
    t = x._t
    w = t.where
    if w == _IN_RING:
        h = x._s.ring
    elif w == _IN_CHAN:
        h = _obj(t.chan)._waiters
    else:
        h = None
    _move1(x, h)


def _sync(x):
    """Hold x where the core has linked it: its scheduler's ring, a
    channel's queue, or nowhere (paused, dead)."""
    if _threaded:
        with _hold_lock:
            _sync1(x)
    else:
        _sync1(x)


def _sync_watchdogs(s):
    """Mirror the core's watchdog chain after it changed."""
    chain = []
    p = s.p.watchdog
    while p != _NULL:
        chain.append(_obj(p))
        p = p.wd_next
    chain.reverse()
    old = s.watchdogs
    s.watchdogs = chain
    for w in old:
        _sync(w)


def _call_schedule_cb(s, cb, prev, nxt):
    s.in_sched_cb = True
    try:
        cb(prev, nxt)
    except BaseException as e:
        _write_unraisable(e, "Exception ignored in scheduling callback",
                          cb)
    finally:
        s.in_sched_cb = False


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
                t._kill_now()
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
    sig = s.initial and s._busy and _signals_exit is not None
    if sig:
        _signals_enter()
    try:
        _lib.tg_wait(s.g, 50)
    finally:
        if sig:
            _signals_exit()


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
    s.busy = False
    return s.cur._claim()


def _carry_waited(s):
    """_carry after TSK_WAIT: another thread serves us.  Once it has, an
    exception from a signal handler must not lose what it delivered (the
    C extension checks signals only inside its wait): the outcome is
    claimed and the exception comes from the next operation."""
    try:
        return _go(s, _wait(s))
    except BaseException as e:
        s.busy = False
        cur = s.cur
        if not (cur._served or cur._t.wake):
            raise
        _pass_on(s, e)
    return s.cur._claim()


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
    s.busy = False
    failed = 0
    func, args, kwargs = t._func, t._args, t._kwargs
    t._func = t._args = t._kwargs = None
    tv = t._tempval
    t._tempval = None
    t._t.wake = 0
    t = None
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


def _sched_guard(s):
    if s.in_sched_cb:
        raise RuntimeError("Recursive scheduler call due to callbacks!")
    if _gl_watch:
        _gl_guard(s)
    if s.pending and not s.busy:
        _run_pending(s)
# }======================================================================

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
    cur._tempval = cur if retval is _MISSING else retval
    s.busy = True
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
    if _slow or s.in_sched_cb or s.pending or s.nofast:
        return _schedule(retval, 0)
    cur = s.cur
    t = cur._t
    p = s.p
    if p.switch_trap or t.where != _IN_RING:
        return _schedule(retval, 0)
    # tsk_plan_schedule(s, 0) for a current tasklet in the ring, written
    # out here (a call into the core costs more than all of this; see
    # _chan_op for s.infast)
    cur._tempval = cur if retval is _MISSING else retval
    nx = t.next
    if nx == t:
        return cur._claim()               # alone: carry on
    s.busy = s.infast = True
    if _slow:
        s.busy = s.infast = False
        return _schedule(retval, 0)
    s.target = _obj(nx)
    p.head = nx
    s.infast = False
    cur = t = nx = p = None               # (see the switch layer)
    _switch(s)
    s.busy = False
    return s.cur._claim()


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
#  - This module's frames are not traced: never interrupted between a plan
#    and its switch, and cheaper.
# ======================================================================
_LONG_MAX = (1 << (8 * _ffi.sizeof("long") - 1)) - 1


def _c_long(v):
    """v as a C long, with the C extension's errors."""
    if isinstance(v, float):
        raise TypeError("integer argument expected, got float")
    v = _index(v)
    if not -_LONG_MAX - 1 <= v <= _LONG_MAX:
        raise OverflowError("Python int too large to convert to C long")
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
    g = _G
    saved = s.irq_saved
    while f is not None and f.f_code not in _ENTRY_CODES:
        if f.f_globals is not g:
            tr = f.f_trace
            if tr is not _tick:
                if tr is not None:
                    saved.append((f, tr))
                f.f_trace = _tick
        f = f.f_back


def _interruptible(s):
    cur = s.cur
    return (cur is not s.irq_wd and not s.busy and
            not (cur._t.flags & _F_ATOMIC) and s.p.switch_trap == 0 and
            not s.in_sched_cb and not s.in_chan_cb)


def _tick(frame, event, arg):
    if frame.f_globals is _G:
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
    if _gl_watch:
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
    cur = s.cur
    return (cur is not s.irq_wd and not (cur._t.flags & _F_ATOMIC) and
            s.p.switch_trap == 0 and not s.in_sched_cb and not s.in_chan_cb)


def _update_fast(s):
    # soft mode decides at every switch: the fast paths are off meanwhile
    s.nofast = s.irq_wd is not None and s.irq_soft
# }======================================================================


def switch_trap(change=0):
    """switch_trap(change=0) -> old level; switching is an error while > 0"""
    s = _ts()
    return _lib.tg_switch_trap(s.p, int(change))


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

# {======================================================================
# tasklet
# ======================================================================


def _no_pickle(self):
    # as the C extension: copy, deepcopy and pickle refuse (a copy made
    # from the instance dict would share the original's core struct)
    raise TypeError("cannot pickle '%s' object" % type(self).__name__)


class tasklet(object):
    """tasklet(func=None, args=None, kwargs=None): a lightweight thread of
    control."""

    __reduce__ = _no_pickle

    # no instance __dict__, as in Stackless: a subclass gets one unless it
    # says otherwise (stacklesslib's __slots__ = ["__dict__"] works)
    __slots__ = ("_t", "_h", "_s", "_cont", "_held", "_hn", "_hp",
                 "_tempval", "_func", "_args", "_kwargs", "_ctx", "_trace",
                 "_prof", "_frame", "_served", "_irq_gen", "__weakref__")

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self._setup_fields(_ts())
        return self

    def _setup_fields(self, s):
        self._t = t = _ffi.new("tsk_tasklet *")
        self._h = _new_handle(self)
        t.data = self._h
        t.sched = s.p
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

    def _check_rebind(self):
        t = self._t
        if self._is_current():
            raise RuntimeError("can't (re)bind the current tasklet")
        if t.where != _IN_NONE:
            raise RuntimeError("tasklet is scheduled")
        if (t.flags & _F_STARTED) and (t.flags & _F_ALIVE):
            raise _error(_lib.TSK_E_C_STATE)

    def _bind(self, func, args, kwargs):
        t = self._t
        self._check_rebind()
        if (t.flags & _F_MAIN) and args is None and kwargs is None:
            raise RuntimeError("can't unbind the main tasklet")
        if t.flags & _F_STARTED:
            self._cont = None             # dead: forget its old life
        _lib.tg_set_flags(t, 0, _F_ALIVE | _F_STARTED)
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
            raise RuntimeError("the tasklet was not bound to a function")
        self._args = () if args is None else args
        self._kwargs = kwargs
        self._tempval = None
        if not self._s.alive():
            raise RuntimeError("tasklet has no thread")
        r = _lib.tg_tasklet_init(t, self._s.p)
        if r != _OK:
            raise _error(r)

    def bind(self, func=None, args=None, kwargs=None):
        """bind(func=None, args=None, kwargs=None) -> self"""
        func, args, kwargs = _parse_bind(func, args, kwargs)
        if func is None and args is None and kwargs is None:
            # bind(None): unbind
            self._check_rebind()
            if self._t.flags & _F_MAIN:
                raise RuntimeError("can't unbind the main tasklet")
            _lib.tg_set_flags(self._t, 0, _F_ALIVE)
            self._func = self._args = self._kwargs = None
            self._tempval = None
        else:
            self._bind(func, args, kwargs)
        return self

    def setup(self, *args, **kwargs):
        """setup(*args, **kwargs) -> self: bind the arguments and insert"""
        func = self._tempval
        if self._t.flags & _F_ALIVE:
            raise RuntimeError("tasklet is alive")
        if func is None:
            raise RuntimeError("the tasklet was not bound to a function")
        if not callable(func):
            raise TypeError("cframe function must be a callable")
        self._tempval = None
        self._func = func
        self._bind(None, args, kwargs or None)
        if _lib.tg_insert(self._t) != _OK:
            raise RuntimeError(_message(_E_NO_THREAD))
        _sync(self)
        return self

    __call__ = setup

    def bind_thread(self, thread_id=_MISSING):
        t = self._t
        if thread_id is not _MISSING:
            if not isinstance(thread_id, int):
                raise TypeError("thread id must be an integer")
            if thread_id < -1:
                raise OverflowError("thread id must not be negative")
        else:
            thread_id = -1
        r = _lib.tg_movable(t)
        if r in (_lib.TSK_E_RUNNABLE, _lib.TSK_E_C_STATE):
            raise _error(r)
        if thread_id == -1:
            target = _ts()
        else:
            target = _scheds.get(thread_id)
            if target is None or not target.alive():
                raise ValueError("bad thread")
        if target is not self._s:
            r = _lib.tg_bind_sched(t, target.p)
            if r != _OK:
                raise _error(r)
            self._s = target
        return None
    # }==================================================================

    # {==================================================================
    # scheduling
    # ==================================================================
    def insert(self):
        """insert() -> self"""
        _ts()
        t = self._t
        if t.blocked:
            raise _error(_E_BLOCKED)
        if not self._is_current() and not self._alive():
            if self._s.dead and (t.flags & _F_ALIVE):
                raise RuntimeError("Target thread isn't initialized")
            raise _error(_E_DEAD)
        r = _lib.tg_insert(t)
        if r != _OK:
            if r == _E_NO_THREAD or self._s.dead:
                raise RuntimeError("Target thread isn't initialized")
            raise _error(r)
        _sync(self)
        return self

    def remove(self):
        """remove() -> self"""
        _ts()
        if self._s.dead:
            return self
        r = _lib.tg_remove(self._t)
        if r != _OK:
            raise _error(r)
        _sync(self)
        return self

    def _run_or_switch(self, remove_self):
        s = _ts()
        if s.in_sched_cb:
            raise RuntimeError("Recursive scheduler call due to callbacks!")
        if _gl_watch:
            _gl_guard(s)
        if s.pending and not s.busy:
            _run_pending(s)
        cur = s.cur
        if self is cur:
            return cur._claim()
        if self._s is not s:
            if remove_self:
                raise _error(_E_OTHER_THREAD)
            if not self._s.alive():
                raise RuntimeError("tasklet has no thread")
        if self._t.blocked:
            raise RuntimeError("You cannot switch to a blocked tasklet"
                               if remove_self else
                               "You cannot run a blocked tasklet")
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
        if not self._alive():             # (notices an ended thread)
            bt = b._type
            exit = isinstance(bt, type) and issubclass(bt, TaskletExit)
            r = _lib.tg_throw_check(t, exit, kill)
            if r == _E_DEAD:              # an exit: nothing more to do
                if not (t.flags & _F_ALIVE):
                    self._cont = None     # frames a kill dropped
                _sync(self)
                return None
            if r != _OK:
                raise _error(r)
        if s.in_sched_cb:
            raise RuntimeError("Recursive scheduler call due to callbacks!")
        if _gl_watch and not pending:
            _gl_guard(s)
        if s.pending and not s.busy:
            _run_pending(s)
        self._tempval = b
        s.busy = True
        r = _lib.tg_plan_throw(s.p, t, _E_THROWN, 1 if pending else 0,
                               s.nextp)
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
        t = self._t
        if not (t.flags & _F_ALIVE) and t.where == _IN_NONE:
            return None
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
        # taken: no call between here and the return (see _carry_waited)
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
    @property
    def alive(self):
        return self._is_current() or self._alive()

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
        return self._is_current()

    @property
    def tempval(self):
        return self._tempval

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

    @trace_function.setter
    def trace_function(self, v):
        self._set_tracing(v, False)

    @property
    def profile_function(self):
        return self._get_tracing(True)

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
        # paused, or blocked on a channel that is garbage too
        if (s is _ts_maybe() and not s.busy and not s.in_sched_cb and
                not s.in_chan_cb):
            try:
                self._kill_now()
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


_ENTRY_CODES = set()


def _depth(f):
    """Python frames of the running tasklet, from f down to its start."""
    n = 0
    while f is not None and f.f_code not in _ENTRY_CODES:
        n += 1
        f = f.f_back
    return n


_ENTRY_CODES.add(_tasklet_main.__code__)
_G = _tasklet_main.__globals__
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
    """The innermost frame of f's chain that is not this module's."""
    g = _tasklet_main.__globals__
    while f is not None and f.f_globals is g:
        if f.f_code in _ENTRY_CODES:
            return None          # no frame of its own (a suspended chain
        f = f.f_back             # cycles back to its top here)
    return f


def _wait_xfer(t):
    # the partner of another thread is still handing over the value
    while t.flags & _F_XFER:
        _time.sleep(0.0001)
# }======================================================================

# {======================================================================
# channel
# ======================================================================


class channel(object):
    """channel(): a rendezvous for tasklets to pass values."""

    __slots__ = ("_c", "_h", "_waiters", "__weakref__")   # as tasklet

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self._c = c = _ffi.new("tsk_channel *")
        _lib.tsk_channel_init(c)
        self._h = _new_handle(self)
        c.data = self._h
        self._waiters = _Holder()  # blocked tasklets: the queue holds them
        return self

    def __init__(self, *args, **kwargs):
        if type(self) is channel and (args or kwargs):
            raise TypeError("channel() takes no arguments")

    def _action(self, value, d):
        s = _ts()
        if s.in_chan_cb or s.in_sched_cb:
            raise RuntimeError("Recursive channel call due to callbacks!"
                               if s.in_chan_cb else
                               "Recursive scheduler call due to callbacks!")
        if _gl_watch:
            _gl_guard(s)
        if s.pending and not s.busy:
            _run_pending(s)
        cur = s.cur
        cur._tempval = value
        c = self._c
        cb = _hooks.channel_cb
        if cb is not None:
            b = c.balance
            willblock = (b >= 0) if d > 0 else (b <= 0)
            s.in_chan_cb = True
            try:
                cb(self, cur, 1 if d > 0 else 0, 1 if willblock else 0)
            except BaseException:
                cur._tempval = None
                raise
            finally:
                s.in_chan_cb = False
        s.busy = True
        r = _lib.tg_plan_channel(s.p, c, d, s.nextp, s.partp)
        if r < 0:
            s.busy = False
            cur._tempval = None
            raise _error(r)
        p = s.partp[0]
        if p != _NULL:
            po = _obj(p)
            # the core swapped the transfer values: do the same here
            cur._tempval, po._tempval = po._tempval, cur._tempval
            # po left our queue for its scheduler's ring (= _sync(po))
            _move(po, po._s.ring)
            if p.flags & _F_XFER:
                po._served = True
                # (only now may po's thread run it)
                _lib.tg_set_flags(p, 0, _F_XFER)
            po = None
        else:
            # cur left its ring for our queue (= _sync(cur))
            _move(cur, self._waiters)
        cur = None                    # (see the switch layer)
        return _carry(s, r)

    def send(self, value):
        """send(value)"""
        return _chan_op(self, value, 1)

    def receive(self):
        """receive() -> value"""
        return _chan_op(self, None, -1)

    def send_exception(self, *args):
        """send_exception(exc, *args): the receiver raises exc(*args)"""
        if not args:
            raise TypeError("send_exception() takes at least 1 argument")
        return self._action(_class_bomb(args[0], args[1:],
                                        "channel.send_exception"), 1)

    def send_throw(self, exc, val=None, tb=None):
        """send_throw(exc, val=None, tb=None): the receiver raises it"""
        return self._action(_make_bomb_args(exc, val, tb), 1)

    def send_sequence(self, seq):
        """send_sequence(iterable) -> number of items sent"""
        n = 0
        for item in seq:
            _chan_op(self, item, 1)
            n += 1
        return n

    def __iter__(self):
        return self

    def __next__(self):
        c = self._c
        if (c.flags & _CH_CLOSING) and c.balance <= 0:
            raise StopIteration
        return _chan_op(self, None, -1)

    def close(self):
        _lib.tg_chan_set_flags(self._c, _CH_CLOSING, 0)

    def open(self):
        _lib.tg_chan_set_flags(self._c, 0, _CH_CLOSING)

    __reduce__ = _no_pickle

    @property
    def balance(self):
        return self._c.balance

    @property
    def closing(self):
        return (self._c.flags & _CH_CLOSING) != 0

    @property
    def closed(self):
        c = self._c
        return (c.flags & _CH_CLOSING) != 0 and c.balance == 0

    @property
    def preference(self):
        return self._c.preference

    @preference.setter
    def preference(self, v):
        if not isinstance(v, int):
            raise TypeError("preference must be set to an integer")
        _lib.tg_chan_set_preference(self._c, (v > 0) - (v < 0))

    @property
    def schedule_all(self):
        return 1 if self._c.flags & _CH_SCHEDULE_ALL else 0

    @schedule_all.setter
    def schedule_all(self, v):
        # (the message really says "preference", as in Stackless)
        _set_bit(_lib.tg_chan_set_flags, self._c, _CH_SCHEDULE_ALL, v,
                 "preference must be set to a bool or integer")

    @property
    def queue(self):
        p = self._c.head
        return None if p == _NULL else _obj(p)
# }======================================================================


def _chan_op(ch, value, d):
    """A send (d=1) or receive (d=-1) on ch.  The common cases -- one
    thread, no callbacks, the current tasklet in the run queue, and either
    a partner waiting or another tasklet to run after blocking -- are
    tsk_plan_channel written out in Python over the core's structs (each
    field access is a load or store for the JIT; a call into the core
    costs more than the whole operation).  Everything else, and every
    error, goes through the core (channel._action).

    The changes to the core's structs and to the holders happen in one
    stretch with no call in it (no signal handler, finalizer or thread
    switch can come in between), flagged by s.infast: a thread that
    creates the second scheduler sets _slow, then waits for the flag to
    clear (see _new_sched), so from then on every change goes through
    glue.c's mutex."""
    s = _ts()
    if _slow or s.in_chan_cb or s.in_sched_cb or s.pending or s.nofast:
        return ch._action(value, d)
    p = s.p
    cur = s.cur
    t = cur._t
    c = ch._c
    if p.switch_trap or t.where != _IN_RING:
        return ch._action(value, d)
    b = c.balance
    if (b < 0) if d > 0 else (b > 0):
        # hand_over(): the partner at the head of the queue gets the value
        if c.flags & _CH_SCHEDULE_ALL:
            return ch._action(value, d)
        pt = c.head
        po = _obj(pt)
        s.busy = s.infast = True
        if _slow:
            s.busy = s.infast = False
            return ch._action(value, d)
        # -- no calls from here (see above) --
        nx = pt.next
        c.head = nx
        if nx == _NULL:
            c.tail = _NULL
        else:
            nx.prev = _NULL
        c.balance = b + d
        pt.blocked = 0
        pt.chan = _NULL
        now = c.preference == -d
        if now:
            pos = t.next                  # preferred: runs now, then cur
            p.head = pt
        else:
            pos = p.head                  # at the end of the run queue
        pv = pos.prev
        pt.next = pos
        pt.prev = pv
        pv.next = pt
        pos.prev = pt
        pt.where = _IN_RING
        p.runcount += 1
        # the values change hands (the core's hand_over swaps tempvals)
        cur._tempval = po._tempval
        po._tempval = value
        # po: from the channel's holder to the ring's (= _sync(po))
        x = po
        h = s.ring
    else:
        # block: from the run queue to the end of the channel's queue
        nx = t.next
        if (nx == t or (t.flags & _F_BLOCK_TRAP) or
                (c.flags & _CH_CLOSING)):
            return ch._action(value, d)   # deadlock/wait, or an error
        hd = p.head
        po = _obj(nx if hd == t else hd)  # runs next
        cur._tempval = value
        s.busy = s.infast = True
        if _slow:
            s.busy = s.infast = False
            return ch._action(value, d)
        # -- no calls from here (see above) --
        now = True
        pv = t.prev
        pv.next = nx
        nx.prev = pv
        p.runcount -= 1
        if hd == t:
            p.head = nx
        tl = c.tail
        t.next = _NULL
        t.prev = tl
        if tl == _NULL:
            c.head = t
        else:
            tl.next = t
        c.tail = t
        c.balance = b + d
        t.blocked = d
        t.chan = c
        t.where = _IN_CHAN
        # cur: from the ring's holder to the channel's (= _sync(cur))
        x = cur
        h = ch._waiters
    # _Holder.remove, _Holder.add, written out
    o = x._held
    if o is not None:
        a = x._hp
        z = x._hn
        if a is None:
            o.first = z
        else:
            a._hn = z
        if z is not None:
            z._hp = a
    f = h.first
    x._hn = f
    x._hp = None
    if f is not None:
        f._hp = x
    h.first = x
    x._held = h
    s.infast = False
    # -- calls allowed again --
    if not now:
        s.busy = False                    # not preferred: carry on
        return cur._claim()
    s.target = po
    cur = po = x = t = c = p = pt = nx = pv = pos = tl = hd = a = z = f = None
    _switch(s)                            # (nothing of ours on the stack)
    s.busy = False
    return s.cur._claim()


def _has_tracing_jit():
    info = getattr(_sys, "pypy_translation_info", None)
    return bool(info and info.get("translation.jit"))


# "jit_retains_frames": PyPy's JIT may keep a stale reference to a frame of
# a suspended tasklet.  Its blackhole interpreters (which finish a JITted
# frame after a guard fails) are reused from a free list that the prebuilt
# BlackholeInterpBuilder holds, and one released there can still hold, in
# its ref registers, a frame it ran (seen: the _switch frame of a tasklet
# that is now paused).  That frame reaches the tasklet's other frames
# (f_back, its continulet's saved stack), so the tasklet and whatever its
# frames reference stay reachable, and are not finalized, until that
# interpreter is reused.  Nothing of this module is on that path; with
# --jit off, or pypyjit.set_param("off") while the tasklets live, a paused
# tasklet in an unreachable cycle is killed at the next gc.collect().
FEATURES = frozenset({
    "threads",
    "preemption",
    "tracing",
    "contextvars",
    "frame_of_current",
    "caller_stacks",
    "frame_of_suspended",
} | ({"recursion_depth"} if _RECORD_FRAMES else set())
  | ({"jit_retains_frames"} if SWITCHER == "continulet" and
     _has_tracing_jit() else set()))

# the importing thread gets its scheduler now, like the C extension
_ts()
_install_thread_end_hook()
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(before=_fork_before, after_in_parent=_fork_parent,
                         after_in_child=_fork_child)
if "greenlet" in _sys.modules:
    _greenlet_imported()
