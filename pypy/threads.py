"""Per-thread schedulers (_Sched), thread end, fork, and the holders.

A thread gets its scheduler lazily (_ts); an ending thread kills its
started tasklets; after fork only the forking thread's scheduler lives.
The holders (_Holder, _move, _sync) keep the strong references that mirror
the core's queues.  _slow and _gl_watch send every operation down the slow
paths; other modules read them as threads._slow and threads._gl_watch (they
change at run time, so nobody imports them by name).
"""
import os as _os
import sys as _sys
import threading as _threading
import time as _time
from _thread import RLock as _RLock
from _thread import _local
from _thread import get_ident as _get_ident
from itertools import count as _count
from tasklets._tasklets_cffi import ffi as _ffi
from tasklets._tasklets_cffi import lib as _lib
from .errors import (
    _error, _F_ALIVE, _from_handle, _hooks, _IN_CHAN, _IN_RING, _new_bomb,
    _NULL, _OK, TaskletExit,
)


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
    # and switched or raised would find the scheduler half changed.  The
    # same holds for finalizers (__del__, weakref callbacks), which PyPy
    # runs in any thread: they wait (gc.disable_finalizers, a process-wide
    # counter) and the clearing runs them, after the operation claimed its
    # result (_done).  Setting it comes before the operation reads or
    # writes anything (code that runs before is simply before it), and
    # the flag changes only while both wait, so that such code, which is
    # a whole operation itself, leaves both counters as it found them.
    @property
    def busy(self):
        return self._busy

    @busy.setter
    def busy(self, v):
        # (a signal handler may raise at any bytecode while signals are
        # enabled, and a pending one does right after _signals_enter; a
        # finalizer never raises)
        if v:
            if not self._busy:
                _fin_off()
                try:
                    if self.initial and _signals_exit is not None:
                        _signals_exit()
                except BaseException:
                    _fin_on()
                    raise
                self._busy = True
        elif self._busy:
            self._busy = False
            try:
                if self.initial and _signals_exit is not None:
                    _signals_enter()
            finally:
                _fin_on()

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
    # first the kills that finalizers queued here: one may be of a tasklet
    # below, which _deliver's own run of them would kill before its throw
    _run_pending(s)
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
    # CPython 3.13+ starts threads through _start_joinable_thread
    name = ("_start_joinable_thread"
            if hasattr(_threading, "_start_joinable_thread")
            else "_start_new_thread")
    orig = getattr(_threading, name)
    if getattr(orig, "_tasklets_wrapped", False):
        return

    def start_thread(function, *args, **kwargs):
        def bootstrap(*a, **kw):
            try:
                return function(*a, **kw)
            finally:
                _thread_ending()
        return orig(bootstrap, *args, **kwargs)

    start_thread._tasklets_wrapped = True
    setattr(_threading, name, start_thread)


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
        if ident != me and s._busy:
            # finalizers waited for it (see busy); its signal counter was
            # the vanished thread's own
            s._busy = False
            _fin_on()
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
        _drop_factory(s)


def _new_sched():
    for s in list(_scheds.values()):
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
# or a channel or schedule callback is installed, or _nofast: the fast
# paths turned off on purpose (TASKLETS_PYPY_NOFAST=1, or _set_fast), so
# that every operation asks the core's tsk_plan_*; tests/test_fast_paths.py
# runs the same programs both ways and compares what they do.
_nofast = _os.environ.get("TASKLETS_PYPY_NOFAST") == "1"
_slow = _nofast


def _update_slow():
    global _slow
    _slow = (_nofast or _threaded or _hooks.schedule_cb is not None or
             _hooks.channel_cb is not None or _gl_watch)


def _set_fast(on):
    """Fast paths on (when nothing else turns them off) or off; returns
    whether they are now in use."""
    global _nofast
    _nofast = not on
    _update_slow()
    return not _slow


# Tasklets next to PyPy's greenlet module (continulets too, with its own
# current greenlet per thread).  The rule of cpython_ext/greenlets.c: a
# tasklet other than main may switch only under the greenlet that main
# last switched away in, else RuntimeError before anything changes;
# otherwise a tasklet switch inside a greenlet started within a tasklet
# resumes the wrong frames.  _gl_watch (set once greenlet
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
        raise _error(_lib.TSK_E_FOREIGN)


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


# the other modules' names, imported last: see backend.py
from .switching import (  # noqa: E402
    _drop_factory, _fin_off, _fin_on, _new_factory, _new_main, _obj,
    _signals_enter, _signals_exit, _write_unraisable, SWITCHER,
)
from .sched import _call_schedule_cb, _run_pending  # noqa: E402
from .tasklet import tasklet  # noqa: E402
