"""Switching when a C function sits between a tasklet's Python frames and
the channel operation or switch (issue 12, item 1).

Stackless code calls channel operations from C all the time: the classic
``for x in iter(ch.receive, None)``, ``map(ch.send, items)``, a sort key, a
ctypes callback, a generator resumed by ``list()``.  Each entry below runs
both in a tasklet (the C caller is on a sliced stack) and in main, and
switches in both directions while the C caller is suspended.
"""
import ctypes
import functools
import gc
import itertools
import operator
import sys
import weakref

import pytest

import tasklets as stackless
from conftest import collect_until

ITEMS = [3, 1, 2]


def feed(ch, items, end=None):
    """A tasklet that sends items, then end (if not None), on ch."""
    def producer():
        for x in items:
            ch.send(x)
        if end is not None:
            ch.send(end)
    return stackless.tasklet(producer)()


def drain(ch, n):
    """A tasklet that receives n values from ch; returns their list."""
    got = []

    def consumer():
        for _ in range(n):
            got.append(ch.receive())
    stackless.tasklet(consumer)()
    return got


def in_tasklet(fn):
    """Run fn() in a tasklet (main runs the others); return its result."""
    out = []
    stackless.tasklet(lambda: out.append(fn()))()
    stackless.run()
    assert len(out) == 1, "the tasklet did not finish"
    return out[0]


def in_main(fn):
    r = fn()
    stackless.run()                     # let the other tasklets end
    return r


WHERE = pytest.mark.parametrize("where", [in_tasklet, in_main],
                                ids=["tasklet", "main"])


# {======================================================================
# receive called from C
# ======================================================================

def _for_loop(ch):
    out = []
    for x in iter(ch.receive, None):       # the classic Stackless idiom
        out.append(x)
    return out


RECEIVERS = {
    "for-callable_iterator": _for_loop,
    "sum": lambda ch: sum(iter(ch.receive, None)),
    "list": lambda ch: list(iter(ch.receive, None)),
    "comprehension": lambda ch: [x for x in iter(ch.receive, None)],
    "sorted": lambda ch: sorted(iter(ch.receive, None)),
    "reduce": lambda ch: functools.reduce(operator.add,
                                          iter(ch.receive, None)),
    "islice": lambda ch: list(itertools.islice(iter(ch.receive, None), 3)),
    "starmap": lambda ch: list(itertools.starmap(ch.receive, [()] * 3)),
    "max-key": lambda ch: max(iter(ch.receive, None), key=operator.neg),
}
EXPECTED = {"sum": 6, "reduce": 6, "sorted": [1, 2, 3], "max-key": 1}


@WHERE
@pytest.mark.parametrize("name", sorted(RECEIVERS))
def test_receive_from_c(name, where):
    ch = stackless.channel()
    # None ends iter(ch.receive, None); islice and starmap take three
    feed(ch, ITEMS if name in ("islice", "starmap") else ITEMS + [None])
    got = where(lambda: RECEIVERS[name](ch))
    assert got == EXPECTED.get(name, ITEMS)
    stackless.run()
    assert ch.balance == 0


@WHERE
def test_iterating_a_channel(where):
    # the channel's own tp_iternext (an extension type's __next__)
    ch = stackless.channel()
    ch.preference = 1                   # the sender closes after its last

    def producer():
        for x in ITEMS:
            ch.send(x)
        ch.close()
    stackless.tasklet(producer)()
    assert where(lambda: [x for x in ch]) == ITEMS


@WHERE
def test_islice_and_starmap_over_a_channel(where):
    ch = stackless.channel()
    feed(ch, ITEMS * 2)
    got = where(lambda: (list(itertools.islice(ch, 3)),
                         list(itertools.starmap(operator.neg,
                                                zip(itertools.islice(ch, 3))))))
    assert got == (ITEMS, [-x for x in ITEMS])


# }======================================================================

# {======================================================================
# send, send_exception, schedule, switch called from C
# ======================================================================

@WHERE
@pytest.mark.parametrize("how", ["map", "filter", "sorted-key", "starmap"])
def test_send_from_c(how, where):
    ch = stackless.channel()
    got = drain(ch, len(ITEMS))
    run = {
        "map": lambda: list(map(ch.send, ITEMS)),
        "filter": lambda: list(filter(ch.send, ITEMS)),
        "sorted-key": lambda: [sorted([x], key=ch.send) for x in ITEMS],
        "starmap": lambda: list(itertools.starmap(ch.send, zip(ITEMS))),
    }[how]
    where(run)
    stackless.run()
    assert got == ITEMS


@WHERE
def test_send_exception_from_c(where):
    ch = stackless.channel()
    caught = []

    def consumer():
        for _ in range(2):
            try:
                ch.receive()
            except (KeyError, ValueError) as e:
                caught.append(type(e))
    stackless.tasklet(consumer)()
    where(lambda: list(map(ch.send_exception, [KeyError, ValueError])))
    stackless.run()
    assert caught == [KeyError, ValueError]


def spawn_counter(log, n):
    """A tasklet that logs 0 .. n-1, switching away after each."""
    def counter():
        for i in range(n):
            log.append(i)
            stackless.schedule()
    stackless.tasklet(counter)()


@WHERE
@pytest.mark.parametrize("how", ["map", "filter", "sorted-key", "reduce"])
def test_schedule_from_c(how, where):
    # schedule(retval) returns retval: a one-argument builtin that switches
    log = []

    spawn_counter(log, 6)
    run = {
        "map": lambda: list(map(stackless.schedule, ITEMS)),
        "filter": lambda: list(filter(stackless.schedule, ITEMS)),
        "sorted-key": lambda: sorted(ITEMS, key=stackless.schedule),
        "reduce": lambda: functools.reduce(
            operator.add, map(stackless.schedule, ITEMS)),
    }[how]
    got = where(run)
    assert got == {"reduce": 6, "sorted-key": [1, 2, 3]}.get(how, ITEMS)
    stackless.run()
    assert log == list(range(6))


@WHERE
def test_run_and_switch_from_c(where):
    # tasklet.run and tasklet.switch called by map (C) for each target
    log, caller = [], []

    def body(i):
        log.append(i)
        if i == 2:
            caller[0].insert()          # switch() paused the caller
        stackless.schedule()
        log.append(-i)
    t1, t2 = stackless.tasklet(body), stackless.tasklet(body)
    t1.setup(1).remove()
    t2.setup(2).remove()

    def run():
        caller.append(stackless.getcurrent())
        list(map(stackless.tasklet.run, [t1]))
        list(map(stackless.tasklet.switch, [t2]))
        return log[:2]
    assert where(run) == [1, 2]
    stackless.run()
    assert sorted(log) == [-2, -1, 1, 2]


# }======================================================================

# {======================================================================
# ctypes: a foreign C stack between the frames
# ======================================================================

def _qsort(values, key):
    """libc's qsort with a Python comparison callback (GIL released around
    the foreign call, re-acquired by the callback)."""
    libc = ctypes.CDLL(None)
    arr = (ctypes.c_int * len(values))(*values)
    CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                           ctypes.POINTER(ctypes.c_int))

    def cmp(a, b):
        x, y = key(a[0]), key(b[0])
        return (x > y) - (x < y)
    cb = CMP(cmp)
    libc.qsort(arr, len(values), ctypes.sizeof(ctypes.c_int), cb)
    return list(arr)


def _libc_available():
    try:
        ctypes.CDLL(None).qsort
    except (OSError, AttributeError):
        return False
    return True


needs_libc = pytest.mark.skipif(not _libc_available(),
                                reason="no libc qsort through ctypes here")


@needs_libc
@WHERE
def test_ctypes_callback_that_schedules(where):
    # two sorts interleave inside libc's qsort, switching in callbacks
    values = [5, 3, 9, 1, 7, 2]
    other = []
    stackless.tasklet(lambda: other.append(
        _qsort(values, stackless.schedule)))()
    got = where(lambda: _qsort(values, stackless.schedule))
    stackless.run()
    assert got == other[0] == sorted(values)


@needs_libc
@WHERE
def test_ctypes_callback_that_receives(where):
    ch = stackless.channel()
    values = [4, 2, 3, 1]

    def server():
        while True:
            ch.send(ch.receive() * 10)

    srv = stackless.tasklet(server)()

    def key(v):
        ch.send(v)
        return ch.receive()
    try:
        assert where(lambda: _qsort(values, key)) == sorted(values)
    finally:
        srv.kill()


@WHERE
def test_ctypes_thunk_calls_receive_directly(where):
    # a ctypes callback whose Python callable is ch.receive itself: the
    # thunk's C code calls the builtin method
    ch = stackless.channel()
    feed(ch, ITEMS)
    thunk = ctypes.CFUNCTYPE(ctypes.py_object)(ch.receive)
    assert where(lambda: [thunk() for _ in ITEMS]) == ITEMS


@pytest.mark.skipif(not hasattr(ctypes, "pythonapi"),
                    reason="this interpreter has no C API for ctypes")
@WHERE
def test_c_api_calls_receive(where):
    call = ctypes.pythonapi.PyObject_CallObject
    call.restype = ctypes.py_object
    call.argtypes = [ctypes.py_object, ctypes.c_void_p]   # None: NULL
    ch = stackless.channel()
    feed(ch, ITEMS)
    assert where(lambda: [call(ch.receive, None) for _ in ITEMS]) == ITEMS


# }======================================================================

# {======================================================================
# generators and coroutines resumed by C
# ======================================================================

def _receiving_gen(ch):
    while True:
        x = ch.receive()
        if x is None:
            return
        yield x


@WHERE
def test_generator_resumed_by_list(where):
    ch = stackless.channel()
    feed(ch, ITEMS + [None])
    assert where(lambda: list(_receiving_gen(ch))) == ITEMS


@WHERE
def test_generator_send_blocks_inside(where):
    ch = stackless.channel()
    feed(ch, ITEMS)

    def gen():
        total = 0
        while True:
            v = yield total
            total += v * ch.receive()
    g = gen()
    next(g)
    # g.send is a C method between this frame and the generator's
    assert where(lambda: list(map(g.send, [1, 1, 1]))) == [3, 4, 6]


@WHERE
def test_coroutine_send_blocks_inside(where):
    ch = stackless.channel()
    feed(ch, ITEMS)

    class Suspend:
        def __await__(self):
            return (yield "suspended")

    async def coro():
        total = 0
        for _ in ITEMS:
            total += ch.receive()
            total += await Suspend()
        return total

    def drive():
        c = coro()
        r = c.send(None)
        steps = [r]
        try:
            while True:
                steps.append(c.send(100))
        except StopIteration as e:
            return steps, e.value
    steps, value = where(drive)
    assert steps == ["suspended"] * 3 and value == 306


@WHERE
def test_generator_throw_blocks_inside(where):
    ch = stackless.channel()
    feed(ch, [7])

    def gen():
        try:
            yield 1
        except KeyError:
            yield ch.receive()
    g = gen()
    next(g)
    assert where(lambda: g.throw(KeyError)) == 7


# }======================================================================

# {======================================================================
# Entries from the interpreter itself: finalizers, weakref callbacks,
# trace functions, signal handlers, tasklets whose callable is a builtin
# ======================================================================

@WHERE
def test_del_blocks(where):
    ch = stackless.channel()
    got = drain(ch, 2)

    class Obj:
        def __del__(self):
            ch.send("del")
            stackless.schedule()
            ch.send("after")

    def run():
        o = Obj()
        del o          # CPython: __del__ runs here, from C; PyPy: at a
        collect_until(lambda: got)      # collection's finalizer point
        return "back"
    assert where(run) == "back"
    stackless.run()
    assert got == ["del", "after"]


@WHERE
def test_weakref_callback_blocks(where):
    ch = stackless.channel()
    got = drain(ch, 1)

    class Obj:
        pass

    def run():
        o = Obj()
        r = weakref.ref(o, lambda ref: ch.send("gone"))
        del o
        collect_until(lambda: got)
        return r() is None
    assert where(run) is True
    stackless.run()
    assert got == ["gone"]


@WHERE
def test_trace_function_switches(where):
    log = []

    spawn_counter(log, 3)

    def tracer(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "traced":
            stackless.schedule()
        return None

    def traced():
        return "traced"

    def run():
        old = sys.gettrace()
        sys.settrace(tracer)
        try:
            return [traced() for _ in range(3)]
        finally:
            sys.settrace(old)
    assert where(run) == ["traced"] * 3
    stackless.run()
    assert log == [0, 1, 2]


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGUSR1"),
                    reason="no SIGUSR1 on this platform")
@WHERE
def test_signal_handler_switches(where):
    import os
    import signal
    ch = stackless.channel()
    got = drain(ch, 1)

    def handler(signum, frame):
        ch.send("signal")

    def run():
        old = signal.signal(signal.SIGUSR1, handler)
        try:
            os.kill(os.getpid(), signal.SIGUSR1)
            for _ in range(1000):       # the handler runs at a boundary
                if got:
                    break
            return got[:]
        finally:
            signal.signal(signal.SIGUSR1, old)
    assert where(run) == ["signal"]


@pytest.mark.parametrize("op", ["receive", "send", "schedule"])
def test_builtin_as_tasklet_callable(op):
    # no Python frame at all in the tasklet
    ch = stackless.channel()
    if op == "receive":
        t = stackless.tasklet(ch.receive)()
        stackless.schedule()
        ch.send(5)
        assert t.tempval is None or not t.alive
    elif op == "send":
        stackless.tasklet(ch.send)(5)
        assert ch.receive() == 5
    else:
        stackless.tasklet(stackless.schedule)()
    stackless.run()
    assert ch.balance == 0


def test_collector_walks_tasklets_suspended_under_c_callers():
    # gc.collect() reports what the frames of tasklets suspended under C
    # callers own; what C locals hold (the iterator here) stays invisible
    # to it, so these tasklets stay alive and resume intact
    chans = {"a": stackless.channel(), "b": stackless.channel()}
    out = []

    def body(tag):
        junk = [tag] * 3
        junk.append(junk)                 # a cycle through the frame
        out.append((tag, sum(iter(chans[tag].receive, None)), len(junk)))
    for tag in "ab":
        stackless.tasklet(body)(tag)
    stackless.run()
    for _ in range(3):
        gc.collect()
    for tag in "ab":
        for v in ITEMS + [None]:
            chans[tag].send(v)
    stackless.run()
    assert out == [("a", 6, 4), ("b", 6, 4)]


def test_blocking_inside_an_asyncio_coroutine():
    # Defined behaviour: a tasklet may block inside a coroutine of a
    # running asyncio loop; the loop waits meanwhile (as for any blocking
    # call) and counts as running in this thread, so another tasklet that
    # starts a loop gets asyncio's own RuntimeError.
    import asyncio
    ch = stackless.channel()
    log = []

    async def coro():
        await asyncio.sleep(0)
        v = ch.receive()
        await asyncio.sleep(0)
        return v * 2

    def other():
        c = asyncio.sleep(0)
        try:
            asyncio.run(c)
        except RuntimeError as e:
            c.close()
            log.append(str(e))
        log.append(asyncio.get_running_loop() is not None)
        ch.send(21)
    stackless.tasklet(lambda: log.append(asyncio.run(coro())))()
    stackless.tasklet(other)()
    stackless.run()
    assert log == ["asyncio.run() cannot be called from a running event loop",
                   True, 42]
