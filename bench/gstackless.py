"""A small Stackless emulation on greenlet: the "greenlet-chan" implementation.

It is built the way the greenlet-based emulations are built (syncless's
greenstackless, the greenlet-era ``stackless.py`` of PyPy): every tasklet is a
greenlet, the run queue is a ``deque`` of greenlets, and a channel is a
``deque`` of blocked greenlets plus a balance.  It keeps only what the
benchmarks use and follows Stackless's default channel preference (-1, the
receiver runs first):

* ``send`` to a waiting receiver puts the sender at the front of the run queue
  and switches to the receiver; ``send`` with no receiver blocks the sender;
* ``receive`` from a waiting sender takes its value, appends the sender to the
  run queue and goes on; ``receive`` with no sender blocks the receiver;
* ``run()`` (main only) takes main off the run queue and switches to the next
  runnable greenlet; whoever leaves an empty run queue switches back to main;
* a new tasklet's greenlet is entered once from its creator at creation
  (as greenstackless does), and a tasklet that ends returns to a "reaper"
  greenlet that switches to the next runnable one (see ``tasklet``).

There is no error handling, no kill, no deadlock detection: a benchmark that
would deadlock under Stackless is a bug in the benchmark.
"""
from collections import deque

import greenlet as _greenlet

_getcurrent = _greenlet.getcurrent
_greenlet_type = _greenlet.greenlet


class _State(object):
    __slots__ = ("runnables", "main", "reaper")

    def __init__(self):
        self.runnables = deque()
        self.main = _getcurrent()
        self.reaper = None


_state = _State()


def _next():
    r = _state.runnables
    return r.popleft() if r else _state.main


def _reap(creator):
    """The parent of every tasklet greenlet: a tasklet that returns lands
    here, and this hands control to the next runnable one by an ordinary
    switch."""
    creator.switch()
    while True:
        _next().switch()


def _reaper():
    r = _state.reaper
    if r is None:
        r = _state.reaper = _greenlet_type(_reap, _state.main)
        r.switch(_getcurrent())
    return r


def getcurrent():
    return _getcurrent()


def getmain():
    return _state.main


def getruncount():
    return len(_state.runnables) + 1


def schedule():
    r = _state.runnables
    if r:
        r.append(_getcurrent())
        r.popleft().switch()


def run():
    """Run the runnables until none is left (main only)."""
    r = _state.runnables
    if r:
        r.popleft().switch()


class tasklet(object):
    """``tasklet(func)(*args)`` makes a runnable greenlet.

    As greenstackless does, the new greenlet is entered at once from its
    creator and switches straight back: every greenlet then starts on the
    creator's stack position and recursion depth.  A greenlet first entered
    from another tasklet would start below that one's C stack and inherit
    its Python recursion depth, so that a chain of such starts (a round
    robin of 10^4 new tasklets) overflows the recursion limit or the C
    stack.

    A tasklet that ends returns to the reaper greenlet, which switches to
    the next runnable one.  greenstackless instead sets the parent of the
    ending greenlet to the next tasklet; but greenlet keeps a dead greenlet
    alive until control leaves the chain of greenlets that ended into each
    other, so 10^5 trivial tasklets ending in a row make a parent chain of
    10^5 dead greenlets, whose recursive deallocation overflows the C stack
    (segfault in green_dealloc, greenlet 3.5).
    """

    __slots__ = ("func",)

    def __init__(self, func):
        self.func = func

    def __call__(self, *args):
        func = self.func

        def body(creator):
            creator.switch()
            func(*args)

        g = _greenlet_type(body, _reaper())
        g.switch(_getcurrent())
        _state.runnables.append(g)
        return g


class channel(object):
    __slots__ = ("queue", "balance")

    def __init__(self):
        self.queue = deque()
        self.balance = 0

    def send(self, value):
        if self.balance < 0:
            self.balance += 1
            receiver = self.queue.popleft()
            _state.runnables.appendleft(_getcurrent())
            receiver.switch(value)
        else:
            self.balance += 1
            self.queue.append((_getcurrent(), value))
            _next().switch()

    def receive(self):
        if self.balance > 0:
            self.balance -= 1
            sender, value = self.queue.popleft()
            _state.runnables.append(sender)
            return value
        self.balance -= 1
        self.queue.append(_getcurrent())
        return _next().switch()
