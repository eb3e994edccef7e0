"""Channels (docs/stackless_api.md §3, with the deadlock rules of §3.4/§5.2
and §4)."""
import sys
import traceback

import pytest

import tasklets as stackless
from conftest import (Tasklet, channel_queue, kill_all, raises_exact,
                      refuses_bad_exception_args, runqueue, switch_trapped,
                      waiting_catcher)

DEADLOCK = "Deadlock: the last runnable tasklet cannot be blocked."
CLOSED = "Send/receive operation on a closed channel"
BLOCK_TRAP = "this tasklet does not like to be blocked."


def blocked_on(ch, op, *args, **kw):
    """A tasklet blocked in ch.<op>(*args); it records what the op returned
    in its 'results' and then calls kw['after'], if given."""
    results = []
    after = kw.pop("after", None)

    def body():
        results.append(getattr(ch, op)(*args))
        if after is not None:
            after()

    t = Tasklet(body)()
    t.run()
    assert t.blocked
    t.results = results
    return t


# {======================================================================
# balance and queue linkage
# ======================================================================


@pytest.mark.parametrize("op, args, sign", [("receive", (), -1),
                                            ("send", (None,), 1)])
def test_balance_and_fifo_queue(op, args, sign):
    c = stackless.channel()
    assert c.balance == 0 and c.queue is None
    ts = []
    try:
        for n in range(1, 4):
            ts.append(blocked_on(c, op, *args))
            assert c.balance == sign * n
            assert channel_queue(c) == ts
        assert c.queue is ts[0]
        assert ts[0].prev is None and ts[-1].next is None
        assert all(t._channel is c and t.blocked for t in ts)
        assert all(not t.paused and t.scheduled for t in ts)
        assert stackless.getruncount() == 1
    finally:
        kill_all(*ts)
    assert c.balance == 0 and c.queue is None


def test_blocked_tasklets_are_served_fifo():
    c = stackless.channel()
    ts = [blocked_on(c, "receive") for _ in range(3)]
    try:
        c.preference = 1
        for i in range(3):
            c.send(i)
        stackless.schedule()
        assert [t.results for t in ts] == [[0], [1], [2]]
    finally:
        kill_all(*ts)


def test_send_and_receive_values_and_return():
    c = stackless.channel()
    t = blocked_on(c, "receive")
    try:
        assert c.send("value") is None
        assert t.results == ["value"]
        s = blocked_on(c, "send", 42)
        assert c.receive() == 42
        stackless.schedule()
        assert s.results == [None]
    finally:
        kill_all(t)


def test_tempvals_are_swapped():
    c = stackless.channel()
    c.preference = 0
    t = blocked_on(c, "receive")
    try:
        c.send("x")
        assert t.tempval == "x"           # not claimed yet: t has not run
        assert stackless.current.tempval is None
        stackless.schedule()
        assert t.results == ["x"]
    finally:
        kill_all(t)

# }======================================================================

# {======================================================================
# §3.3 preference: who continues, and the resulting run-queue order
# ======================================================================


PREFERENCE_TABLE = [
    # (main's op, preference, who continues)
    ("send", -1, "partner"),
    ("send", 0, "caller"),
    ("send", 1, "caller"),
    ("receive", -1, "caller"),
    ("receive", 0, "caller"),
    ("receive", 1, "partner"),
]


@pytest.mark.parametrize("op, preference, continues", PREFERENCE_TABLE)
def test_preference_table(op, preference, continues):
    c = stackless.channel()
    c.preference = preference
    assert c.preference == preference
    log = []
    main = stackless.main
    partner_op = "receive" if op == "send" else "send"
    # the partner notes the queue when it gets control
    partner = blocked_on(c, partner_op, *(() if op == "send" else ("to main",)),
                         after=lambda: log.append(("P", runqueue())))
    x = stackless.tasklet(lambda: log.append(("X",)))()
    try:
        if op == "send":
            assert c.send("to partner") is None
        else:
            assert c.receive() == "to main"
        log.append(("main", runqueue()))
        stackless.run()
        if continues == "partner":
            # linked right after the caller and run at once
            assert log == [("P", [partner, x, main]), ("X",),
                           ("main", [main])]
        else:
            # the partner goes to the end of the queue, the caller goes on
            assert log[0] == ("main", [main, x, partner])
            assert [entry[0] for entry in log[1:]] == ["X", "P"]
        expected = "to partner" if op == "send" else None
        assert partner.results == [expected]
        assert c.balance == 0
    finally:
        kill_all(partner, x)


@pytest.mark.parametrize("op", ["send", "receive"])
def test_schedule_all_makes_the_caller_yield(op):
    c = stackless.channel()
    c.schedule_all = 1
    assert c.schedule_all == 1
    log = []
    partner = blocked_on(c, "receive" if op == "send" else "send",
                         *(() if op == "send" else ("v",)))
    x = stackless.tasklet(lambda: log.append("X"))()
    try:
        if op == "send":
            c.send("v")
        else:
            assert c.receive() == "v"
        log.append("main")
        # main yielded as in schedule(): X ran, then the partner ended
        assert log == ["X", "main"]
        assert not partner.alive
        assert partner.results == (["v"] if op == "send" else [None])
    finally:
        kill_all(partner, x)


def test_preference_setter_clamps_and_checks_type():
    c = stackless.channel()
    assert c.preference == -1
    for value, expected in ((2, 1), (42, 1), (-5, -1), (0, 0), (1, 1),
                            (True, 1), (10 ** 30, 1), (-10 ** 30, -1)):
        c.preference = value
        assert c.preference == expected
    with raises_exact(TypeError, "preference must be set to an integer"):
        c.preference = "1"
    with raises_exact(TypeError, "preference must be set to an integer"):
        c.preference = 1.0
    assert c.preference == -1


def test_schedule_all_setter():
    c = stackless.channel()
    assert c.schedule_all == 0
    c.schedule_all = 7
    assert c.schedule_all == 1
    assert type(c.schedule_all) is int
    c.schedule_all = False
    assert c.schedule_all == 0
    with raises_exact(TypeError,
                      "preference must be set to a bool or integer"):
        c.schedule_all = "yes"

# }======================================================================

# {======================================================================
# send_exception, send_throw, send_sequence
# ======================================================================


def test_send_exception_raises_in_receiver():
    c = stackless.channel()
    t = waiting_catcher(c.receive, IndexError)
    try:
        assert c.send_exception(IndexError, 1, 2, 3) is None
        assert [e.args for e, _ in t.caught] == [(1, 2, 3)]
    finally:
        kill_all(t)


def test_send_exception_argument_errors():
    c = stackless.channel()
    refuses_bad_exception_args(c.send_exception, "channel.send_exception")
    assert c.balance == 0
    assert stackless.current.tempval is None


def test_receiver_that_continues_raises_at_once():
    """A bomb is claimed right after a non-switching cando receive."""
    c = stackless.channel()
    s = stackless.tasklet(c.send_exception)(KeyError, "k")
    try:
        s.run()
        assert s.blocked and c.balance == 1
        with raises_exact(KeyError, "'k'"):
            c.receive()
        assert c.balance == 0
        assert stackless.current.tempval is None
    finally:
        kill_all(s)


def origin():
    raise ZeroDivisionError("origin")


def error_info():
    try:
        origin()
    except ZeroDivisionError:
        return sys.exc_info()


@pytest.mark.parametrize("form", ["class", "class+value", "class+args",
                                  "instance", "exc_info"])
def test_send_throw_forms(form):
    c = stackless.channel()
    typ, val, tb = error_info()
    args = {
        "class": (ZeroDivisionError,),
        "class+value": (ZeroDivisionError, "v"),
        "class+args": (ZeroDivisionError, ("a", "b")),
        "instance": (val,),
        "exc_info": (typ, val, tb),
    }[form]
    expected_args = {
        "class": (), "class+value": ("v",), "class+args": ("a", "b"),
        "instance": ("origin",), "exc_info": ("origin",),
    }[form]
    t = waiting_catcher(c.receive, ZeroDivisionError)
    try:
        assert c.send_throw(*args) is None
        assert len(t.caught) == 1
        exc, exc_tb = t.caught[0]
        assert exc.args == expected_args
        if form in ("instance", "exc_info"):
            assert exc is val
            tb_text = "".join(traceback.format_tb(exc_tb))
            assert "in origin" in tb_text             # traceback kept
    finally:
        kill_all(t)


def test_send_throw_argument_errors():
    c = stackless.channel()
    _, val, tb = error_info()
    with raises_exact(TypeError,
                      "instance exception may not have a separate value"):
        c.send_throw(val, "x")
    with raises_exact(TypeError, "third argument must be a traceback object"):
        c.send_throw(ZeroDivisionError, None, 42)
    with raises_exact(TypeError,
                      "exceptions must be classes, or instances, not int"):
        c.send_throw(42)
    assert c.balance == 0


def test_send_sequence_returns_the_count():
    c = stackless.channel()
    got = []

    def receiver():
        for item in c:
            got.append(item)

    t = stackless.tasklet(receiver)()
    try:
        t.run()
        assert c.send_sequence(range(5)) == 5
        assert c.send_sequence(iter([])) == 0
        assert c.send_sequence("ab") == 2
        assert got == [0, 1, 2, 3, 4, "a", "b"]
        c.send_exception(StopIteration)
        assert not t.alive
    finally:
        kill_all(t)


def test_send_sequence_iterator_errors_propagate():
    c = stackless.channel()
    got = []

    def items():
        yield 1
        yield 2
        raise KeyError("gen")

    def receiver():
        while True:
            got.append(c.receive())

    t = stackless.tasklet(receiver)()
    try:
        t.run()
        with raises_exact(KeyError, "'gen'"):
            c.send_sequence(items())
        assert got == [1, 2]
        assert c.balance == -1
    finally:
        kill_all(t)

# }======================================================================

# {======================================================================
# iteration, close and open
# ======================================================================


def test_iteration_protocol():
    c = stackless.channel()
    assert iter(c) is c
    got = []

    def sender():
        c.send_sequence([1, 2, 3])
        c.send_exception(StopIteration)

    t = stackless.tasklet(sender)()
    try:
        for item in c:
            got.append(item)
        assert got == [1, 2, 3]
        stackless.schedule()
        assert not t.alive
    finally:
        kill_all(t)


def test_next_raises_stopiteration_only_when_closing_without_sender():
    c = stackless.channel()
    s = blocked_on(c, "send", "last")
    try:
        c.close()
        assert c.closing and not c.closed      # a sender still waits
        assert next(c) == "last"
        assert c.closed
        with pytest.raises(StopIteration):
            next(c)
        assert list(c) == []
    finally:
        kill_all(s)


def test_close_does_not_wake_blocked_tasklets():
    c = stackless.channel()
    t = blocked_on(c, "receive")
    try:
        assert c.close() is None
        assert c.closing
        assert not c.closed                   # balance is -1
        assert t.blocked and c.balance == -1
        stackless.schedule()
        assert t.blocked
        c.send("still delivered")             # a waiting partner: cando
        assert t.results == ["still delivered"]
        assert c.closed
    finally:
        kill_all(t)


@pytest.mark.parametrize("op, args", [("receive", ()), ("send", (1,))])
def test_operations_on_a_closed_channel(op, args):
    c = stackless.channel()
    c.close()
    assert c.closed and c.closing
    other = stackless.tasklet(stackless.schedule)()   # so no deadlock
    t = None
    try:
        with raises_exact(ValueError, CLOSED):
            getattr(c, op)(*args)
        assert c.balance == 0 and c.queue is None
        assert stackless.current.tempval is None
        assert c.open() is None
        assert not c.closing and not c.closed
        c.preference = 1
        t = blocked_on(c, "send" if op == "receive" else "receive",
                       *((1,) if op == "receive" else ()))
        c.close()
        getattr(c, op)(*args)                 # a partner waits: allowed
        stackless.schedule()
        assert not t.alive
    finally:
        kill_all(other, t)


def test_closed_channel_in_a_worker():
    c = stackless.channel()
    c.close()
    errors = []

    def body():
        try:
            c.receive()
        except ValueError as e:
            errors.append(str(e))

    stackless.tasklet(body)().run()
    assert errors == [CLOSED]

# }======================================================================

# {======================================================================
# block_trap
# ======================================================================


def test_block_trap_attribute():
    t = stackless.tasklet(lambda: None)
    assert t.block_trap is False
    t.block_trap = True
    assert t.block_trap is True
    t.block_trap = 0
    assert t.block_trap is False
    with raises_exact(TypeError, "block_trap must be set to a bool or integer"):
        t.block_trap = "yes"


@pytest.mark.parametrize("op, args", [("receive", ()), ("send", (1,))])
def test_block_trap_refuses_blocking_in_main(op, args):
    c = stackless.channel()
    main = stackless.main
    other = stackless.tasklet(stackless.schedule)()
    try:
        main.block_trap = True
        with raises_exact(RuntimeError, BLOCK_TRAP):
            getattr(c, op)(*args)
        assert c.balance == 0
        assert not main.blocked
        c.close()                              # block_trap is checked first
        with raises_exact(RuntimeError, BLOCK_TRAP):
            getattr(c, op)(*args)
    finally:
        main.block_trap = False
        kill_all(other)


@pytest.mark.parametrize("op, args", [("receive", ()), ("send", (1,))])
def test_block_trap_refuses_blocking_in_a_worker(op, args):
    c = stackless.channel()
    errors = []

    def body():
        stackless.getcurrent().block_trap = True
        try:
            getattr(c, op)(*args)
        except RuntimeError as e:
            errors.append(str(e))

    stackless.tasklet(body)().run()
    assert errors == [BLOCK_TRAP]
    assert c.balance == 0


def test_block_trap_allows_operations_that_do_not_block():
    c = stackless.channel()
    main = stackless.main
    t = blocked_on(c, "send", "v")
    try:
        main.block_trap = True
        assert c.receive() == "v"
        assert stackless.schedule_remove("sr") == "sr"   # not affected
        assert not t.alive
    finally:
        main.block_trap = False
        kill_all(t)

# }======================================================================

# {======================================================================
# channel callback (§3.5)
# ======================================================================


@pytest.fixture
def chan_calls():
    calls = []

    def cb(channel, tasklet, sending, willblock):
        calls.append((channel, tasklet, sending, willblock, tasklet.tempval))

    assert stackless.set_channel_callback(cb) is None
    try:
        yield calls
    finally:
        stackless.set_channel_callback(None)


def test_channel_callback_arguments(chan_calls):
    c = stackless.channel()
    main = stackless.main
    t = blocked_on(c, "receive")
    c.send("payload")
    assert chan_calls == [(c, t, 0, 1, None), (c, main, 1, 0, "payload")]
    for call in chan_calls:
        assert type(call[2]) is int and type(call[3]) is int
    del chan_calls[:]
    s = blocked_on(c, "send", "back")
    assert c.receive() == "back"
    stackless.schedule()
    assert chan_calls == [(c, s, 1, 1, "back"), (c, main, 0, 0, None)]


def test_channel_callback_get_and_set():
    def cb1(*a):
        pass

    def cb2(*a):
        pass

    assert stackless.get_channel_callback() is None
    try:
        assert stackless.set_channel_callback(cb1) is None
        assert stackless.get_channel_callback() is cb1
        assert stackless.set_channel_callback(cb2) is cb1
        with raises_exact(TypeError, "channel callback must be callable"):
            stackless.set_channel_callback(42)
        assert stackless.get_channel_callback() is cb2
    finally:
        assert stackless.set_channel_callback(None) is cb2
    assert stackless.get_channel_callback() is None


def test_channel_operation_inside_channel_callback():
    c = stackless.channel()
    other = stackless.channel()
    errors = []

    def cb(channel, tasklet, sending, willblock):
        if channel is c:
            try:
                other.send(1)
            except RuntimeError as e:
                errors.append(str(e))

    t = blocked_on(c, "receive")
    stackless.set_channel_callback(cb)
    try:
        c.send(1)
    finally:
        stackless.set_channel_callback(None)
        kill_all(t)
    assert errors == ["Recursive channel call due to callbacks!"]
    assert t.results == [1]

def test_channel_callback_error_is_propagated_or_reported(monkeypatch):
    """The spec leaves the choice open (§3.5); either way the channel must
    stay consistent: an aborted op changes nothing, a reported error lets
    the op complete."""
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    c = stackless.channel()
    t = blocked_on(c, "receive")

    def cb(channel, tasklet, sending, willblock):
        raise KeyError("cb")

    stackless.set_channel_callback(cb)
    try:
        try:
            c.send("v")
            propagated = False
        except KeyError:
            propagated = True
    finally:
        stackless.set_channel_callback(None)
    try:
        if propagated:
            assert reported == []
            assert c.balance == -1 and channel_queue(c) == [t]
            assert t.results == []
            assert stackless.current.tempval is None
        else:
            assert len(reported) == 1
            assert isinstance(reported[0].exc_value, KeyError)
            assert t.results == ["v"]
            assert c.balance == 0
    finally:
        kill_all(t)

# }======================================================================

# {======================================================================
# deadlocks and uncaught errors (§3.4, §4)
# ======================================================================


@pytest.mark.parametrize("op, args", [("receive", ()), ("send", (1,))])
def test_main_alone_deadlocks_and_stays_runnable(op, args):
    c = stackless.channel()
    main = stackless.main
    with raises_exact(RuntimeError, DEADLOCK):
        getattr(c, op)(*args)
    assert c.balance == 0 and c.queue is None
    assert not main.blocked and main.scheduled
    assert stackless.getruncount() == 1
    assert main.tempval is None


def test_tasklet_gets_deadlock_when_main_is_blocked():
    mc = stackless.channel()
    errors = []

    def task():
        c = stackless.channel()
        try:
            c.receive()
        except RuntimeError as e:
            errors.append(str(e))
        mc.send(None)

    t = stackless.tasklet(task)()
    assert mc.receive() is None
    assert errors == [DEADLOCK]
    stackless.schedule()
    assert not t.alive


def test_tasklet_deadlock_error_goes_to_blocked_main():
    mc = stackless.channel()

    def task():
        stackless.channel().receive()

    t = stackless.tasklet(task)()
    with raises_exact(RuntimeError, DEADLOCK):
        mc.receive()
    assert not t.alive
    assert mc.balance == 0


@pytest.mark.parametrize("op, args, message", [
    ("receive", (), "the main tasklet is receiving without a sender available."),
    ("send", (1,), "the main tasklet is sending without a receiver available."),
])
def test_main_blocked_when_the_last_tasklet_ends(op, args, message):
    c = stackless.channel()
    log = []
    stackless.tasklet(log.append)("ended")
    with raises_exact(RuntimeError, message):
        getattr(c, op)(*args)
    assert log == ["ended"]
    assert c.balance == 0 and not stackless.main.blocked


def test_uncaught_error_of_a_worker_goes_to_mains_blocked_receive():
    c = stackless.channel()

    def fail():
        raise ZeroDivisionError("mumbai")

    t1 = stackless.tasklet(fail)()
    t2 = stackless.tasklet(stackless.schedule)()
    try:
        with raises_exact(ZeroDivisionError, "mumbai"):
            c.receive()
        assert c.balance == 0 and c.queue is None
        assert not stackless.main.blocked
        assert not t1.alive
        assert t2.alive and t2.scheduled       # the rest is left queued
        assert stackless.getruncount() == 2
    finally:
        kill_all(t1, t2)


def test_main_blocked_among_other_blocked_receivers_gets_the_error():
    c = stackless.channel()
    r = blocked_on(c, "receive")

    def fail():
        raise KeyError("late")

    t = stackless.tasklet(fail)()
    try:
        with raises_exact(KeyError, "'late'"):
            c.receive()
        assert channel_queue(c) == [r]
        assert c.balance == -1
    finally:
        kill_all(r, t)


def test_switch_trap_restores_the_channel():
    c = stackless.channel()
    s = blocked_on(c, "send", "v")
    try:
        c.preference = 1                      # receiving switches to sender
        with switch_trapped():
            with raises_exact(RuntimeError, "switch_trap"):
                c.receive()
        assert c.balance == 1 and channel_queue(c) == [s]
        assert c.receive() == "v"
    finally:
        kill_all(s)

# }======================================================================

# {======================================================================
# subclassing
# ======================================================================


class MyChannel(stackless.channel):
    def __init__(self, label, extra=None):
        self.label = label
        self.extra = extra


def test_channel_subclass_with_init():
    c = MyChannel("lbl", extra=3)
    assert isinstance(c, stackless.channel)
    assert (c.label, c.extra) == ("lbl", 3)
    assert c.balance == 0 and c.preference == -1
    t = blocked_on(c, "receive")
    try:
        assert t._channel is c
        c.send("sub")
        assert t.results == ["sub"]
    finally:
        kill_all(t)


def test_plain_channel_takes_no_arguments():
    with pytest.raises(TypeError):
        stackless.channel(1)

# }======================================================================
