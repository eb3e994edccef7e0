"""The channel class, and _chan_op: the fast path of send and receive
(the core's decisions done in Python for the common cases).
"""
from tasklets._tasklets_cffi import ffi as _ffi
from tasklets._tasklets_cffi import lib as _lib
from .errors import (
    _CH_CLOSING, _CH_SCHEDULE_ALL, _class_bomb, _error, _F_BLOCK_TRAP, _F_XFER,
    _hooks, _IN_CHAN, _IN_RING, _del_as_none, _make_bomb_args, _no_pickle, _NULL,
)


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
        r = _lib.tsk_refusal(s.p, 1)
        if r:
            raise _error(r)
        if s._busy:
            raise RuntimeError(_NESTED)
        if _th._gl_watch:
            _gl_guard(s)
        if s.pending:
            _run_pending(s)
        cur = s.cur
        c = self._c
        cb = _hooks.channel_cb
        if cb is not None:
            b = c.balance
            willblock = (b >= 0) if d > 0 else (b <= 0)
            cur._tempval = value          # (as the callback sees it)
            old = _lib.tsk_callback_enter(s.p, _lib.TSK_CB_CHANNEL)
            try:
                cb(self, cur, 1 if d > 0 else 0, 1 if willblock else 0)
            finally:
                _lib.tsk_callback_leave(s.p, old)
                cur._tempval = None
        s.busy = True
        cur._tempval = value              # (after busy: see there)
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

    def __reduce__(self):
        _no_pickle(self)        # (a method: its errors name __reduce__)

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

    @_del_as_none
    @preference.setter
    def preference(self, v):
        if not isinstance(v, int):
            raise TypeError("preference must be set to an integer")
        _lib.tg_chan_set_preference(self._c, (v > 0) - (v < 0))

    @property
    def schedule_all(self):
        return 1 if self._c.flags & _CH_SCHEDULE_ALL else 0

    @_del_as_none
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
    creates the second scheduler sets threads._slow, then waits for the flag to
    clear (see _new_sched), so from then on every change goes through
    glue.c's mutex."""
    s = _ts()
    if _th._slow or s.pending or s.nofast or s.p.incb or s._busy:
        return ch._action(value, d)
    s.busy = s.infast = True              # first (see _Sched.busy)
    p = s.p
    cur = s.cur
    t = cur._t
    c = ch._c
    if _th._slow or p.switch_trap or t.where != _IN_RING:
        s.busy = s.infast = False
        return ch._action(value, d)
    b = c.balance
    if (b < 0) if d > 0 else (b > 0):
        # hand_over(): the partner at the head of the queue gets the value
        if c.flags & _CH_SCHEDULE_ALL:
            s.busy = s.infast = False
            return ch._action(value, d)
        pt = c.head
        po = _obj(pt)
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
            s.busy = s.infast = False
            return ch._action(value, d)   # deadlock/wait, or an error
        hd = p.head
        po = _obj(nx if hd == t else hd)  # runs next
        cur._tempval = value
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
        return _done(s)                   # not preferred: carry on
    s.target = po
    cur = po = x = t = c = p = pt = nx = pv = pos = tl = hd = a = z = f = None
    _switch(s)                            # (nothing of ours on the stack)
    try:
        return s.cur._claim()
    finally:
        s.busy = False                    # (see _done)


# the other modules' names, imported last: see backend.py
from .switching import _new_handle, _obj, _switch  # noqa: E402
from .threads import _gl_guard, _Holder, _move, _ts  # noqa: E402
from .sched import _carry, _done, _NESTED, _run_pending  # noqa: E402
from .tasklet import _set_bit  # noqa: E402
from . import threads as _th  # noqa: E402
