"""The corner cases of syncless's greenstackless test suite
(docs/stackless_api.md §8, 1-31).

Ported from syncless ``test/stackless_test.py`` (written against Stackless
2.6) with the 3.x differences listed in §9: the "main tasklet is
receiving/sending ..." error is a RuntimeError, a tasklet that raises while
main is blocked hands main its own exception, and the error messages are the
3.x ones.
"""
import sys
import weakref

import pytest

import tasklets as stackless
from conftest import (channel_queue, collect_until, kill_all,
                      needs_frame_cycles, pause_and_drop, raises_exact,
                      run_until_quiet, runqueue, waiting_catcher)

DEADLOCK = "Deadlock: the last runnable tasklet cannot be blocked."


class Workers(object):
    """Four tasklets A-D that loop forever on 'receive' (testStackless)."""

    def __init__(self, events, ch):
        self.events = events
        self.ch = ch
        self.ta = stackless.tasklet(self.worker)("A")
        self.tb = stackless.tasklet(self.worker)("B")
        self.tc = stackless.tasklet(self.worker)("C")
        self.td = stackless.tasklet().bind(self.worker)("D")

    def worker(self, name):
        while True:
            self.events.append(name + ".wait")
            self.events.append("%s/%s" % (name, self.ch.receive()))

    def all(self):
        return [self.ta, self.tb, self.tc, self.td]

    def block_all(self):
        """Let A-D run once so that they all wait on the channel."""
        stackless.schedule()
        assert self.ch.balance == -4
        assert channel_queue(self.ch) == self.all()
        del self.events[:]

    def kill(self):
        kill_all(*self.all())


@pytest.fixture
def workers():
    w = Workers([], stackless.channel())
    try:
        yield w
    finally:
        w.kill()


def cooperative(events, name):
    while True:
        events.append(name + ".coop")
        stackless.schedule()


def cooperative_remove(events, name):
    while True:
        events.append(name + ".corm")
        stackless.schedule_remove()


def single(events, name):
    events.append(name + ".single")


def divide_by_zero_info():
    try:
        42 / 0
    except ZeroDivisionError:
        return sys.exc_info()


def tb_chain(tb):
    chain = []
    while tb is not None:
        chain.append(tb)
        tb = tb.tb_next
    return chain


def assert_same_error(exc_info, typ, val, tb):
    """The exception that came back is the original one, traceback kept."""
    assert exc_info.type is typ
    assert exc_info.value is val
    assert tb in tb_chain(exc_info.tb)


def frees_at_once():
    """Does this interpreter free an object as soon as it loses its last
    reference (reference counting)?"""
    freed = []

    class Probe(object):
        def __del__(self):
            freed.append(True)

    Probe()
    return freed == [True]


def setter(target, value):
    target.tempval = value


# 1
def test_01_initial_topology():
    main = stackless.main
    assert stackless.current is stackless.getmain()
    assert stackless.getcurrent() is main
    assert stackless.getruncount() == 1
    assert stackless.current is main.next
    assert stackless.current is main.prev
    w = Workers([], stackless.channel())
    try:
        assert stackless.getruncount() == 5
        assert stackless.runcount == 5
        assert w.td is stackless.current.prev
        assert w.ta is stackless.getcurrent().next
        assert w.td.next is stackless.current
        assert w.td.prev is w.tc
        assert runqueue() == [main, w.ta, w.tb, w.tc, w.td]
    finally:
        w.kill()


# 2
def test_02_send_without_receiver_while_workers_runnable(workers):
    w = workers
    assert w.ch.preference == -1
    assert w.ch.balance == 0
    w.events.append("send")
    assert stackless.getruncount() == 5
    assert w.ch.send("msg") is None
    assert stackless.getruncount() == 1
    run_until_quiet(w.events)
    assert " ".join(w.events) == (
        "send A.wait A/msg A.wait B.wait C.wait D.wait schedule done")
    assert w.ch.preference == -1
    assert w.ch.balance == -4


# 3
@pytest.mark.parametrize("preference, stored, sends, events", [
    (0, 0, 1, "send schedule A/msg A.wait schedule done"),
    (1, 1, 1, "send schedule A/msg A.wait schedule done"),
    (2, 1, 2, "send schedule A/msg A.wait B/msg B.wait schedule done"),
])
def test_03_sender_continues(workers, preference, stored, sends, events):
    w = workers
    w.block_all()
    w.ch.preference = preference
    assert w.ch.preference == stored
    w.events.append("send")
    for _ in range(sends):
        assert w.ch.send("msg") is None
    assert stackless.getruncount() == 1 + sends
    assert runqueue() == [stackless.main] + w.all()[:sends]
    run_until_quiet(w.events)
    assert " ".join(w.events) == events
    assert w.ch.balance == -4
    assert channel_queue(w.ch) == w.all()[sends:] + w.all()[:sends]


def test_03_preference_5_more_sends_than_receivers(workers):
    """The 'send a4 T.single A/msg1 ...' sequence of testStackless."""
    w = workers
    w.block_all()
    w.ch.preference = 5
    assert w.ch.preference == 1
    w.events.append("send")
    t = stackless.tasklet(single)
    assert stackless.getruncount() == 1
    assert t is t(w.events, "T")
    assert stackless.getruncount() == 2
    for i in range(1, 5):
        assert w.ch.send("msg%d" % i) is None
        assert w.ch.balance == -4 + i
    assert stackless.getruncount() == 6
    assert runqueue() == [stackless.main, t, w.ta, w.tb, w.tc, w.td]
    w.events.append("a4")
    assert w.ch.send("msg5") is None          # blocks: no receiver waits
    assert stackless.getruncount() == 5
    w.events.append("a5")
    assert w.ch.send("msg6") is None
    assert stackless.getruncount() == 5
    run_until_quiet(w.events)
    assert " ".join(w.events) == (
        "send a4 T.single A/msg1 A.wait a5 B/msg2 B.wait schedule "
        "C/msg3 C.wait D/msg4 D.wait A/msg5 A.wait B/msg6 B.wait "
        "schedule done")
    main = stackless.getcurrent()
    assert main.next is main and main.prev is main
    assert w.ch.balance == -4
    assert channel_queue(w.ch) == [w.tc, w.td, w.ta, w.tb]


def test_03_preference_42_released_receivers_go_to_the_end(workers):
    w = workers
    w.block_all()
    main = stackless.current
    w.ch.preference = 42
    assert w.ch.send("msg1") is None
    assert w.ch.balance == -3
    assert w.ta is main.next and w.ta is main.prev
    assert w.ta.prev is main and w.ta.next is main
    assert w.ch.send("msg2") is None
    assert w.ch.balance == -2
    assert w.ta is main.next
    assert w.tb is main.prev
    assert w.tb.next is main
    assert w.tb.prev is w.ta
    assert w.ch.send("msg3") is None
    assert w.ch.balance == -1
    assert w.ta is main.next
    assert w.tc is main.prev
    assert w.tc.next is main
    assert w.tc.prev is w.tb
    assert w.events == []
    assert stackless.getruncount() == 4
    assert runqueue() == [main, w.ta, w.tb, w.tc]


# 4
def test_04_call_insert_remove_bookkeeping():
    events = []
    t = stackless.tasklet(single)
    try:
        assert stackless.getruncount() == 1
        assert not t.alive
        assert t is t(events, "T")
        assert stackless.getruncount() == 2
        assert t.alive and t.scheduled
        assert t.remove() is t
        assert stackless.getruncount() == 1
        assert t.paused
        assert t.insert() is t
        assert stackless.getruncount() == 2
        assert stackless.current.prev is t
        assert events == []
    finally:
        kill_all(t)


# 5
def test_05_run_of_removed_tasklet_returns_to_caller(workers):
    w = workers
    w.block_all()
    w.ch.preference = 1
    for i in range(3):
        w.ch.send("msg%d" % i)
    assert stackless.getruncount() == 4
    t = stackless.tasklet(single)(w.events, "T")
    assert t is stackless.getcurrent().prev
    assert w.tc is t.prev
    assert t.alive
    assert stackless.getruncount() == 5
    t.remove()
    assert t.next is None and t.prev is None
    assert w.tc is stackless.current.prev
    assert t.alive
    assert stackless.getruncount() == 4
    assert t.run() is None
    assert stackless.getruncount() == 4
    assert not t.alive
    assert " ".join(w.events) == "T.single"


# 6
def test_06_run_deeper_in_queue_runs_what_follows(workers):
    w = workers
    w.block_all()
    w.ch.preference = 1
    for i in range(3):
        w.ch.send("msg%d" % i)
    # run queue: main A B C (each holding a message)
    assert runqueue() == [stackless.main, w.ta, w.tb, w.tc]
    w.tb.run()
    assert " ".join(w.events) == "B/msg1 B.wait C/msg2 C.wait"
    del w.events[:]
    assert w.ch.balance == -3
    main = stackless.current
    assert w.ta is main.next and w.ta is main.prev
    assert w.ta.prev is main and w.ta.next is main
    w.ta.run()
    assert " ".join(w.events) == "A/msg0 A.wait"
    assert w.ch.balance == -4
    assert main.next is main and main.prev is main


# 7
def test_07_cooperative_and_removing_workers():
    events = []
    t = stackless.tasklet(cooperative)(events, "T")
    r = stackless.tasklet(cooperative_remove)(events, "R")
    u = stackless.tasklet(cooperative)(events, "U")
    try:
        assert stackless.getruncount() == 4
        stackless.schedule()
        assert " ".join(events) == "T.coop R.corm U.coop"
        assert stackless.getruncount() == 3
        assert r.paused
        del events[:]
        stackless.schedule()
        assert " ".join(events) == "T.coop U.coop"
        assert stackless.getruncount() == 3
    finally:
        kill_all(t, r, u)


# 8
def test_08_kill_runnable_runs_the_rest_of_the_queue():
    events = []
    t = stackless.tasklet(cooperative)(events, "T")
    r = stackless.tasklet(cooperative_remove)(events, "R")
    u = stackless.tasklet(cooperative)(events, "U")
    try:
        stackless.schedule()
        stackless.schedule()
        del events[:]
        assert stackless.getruncount() == 3
        t.kill()              # switches to t in place, so u runs as well
        assert " ".join(events) == "U.coop"
        assert not t.alive
        assert stackless.getruncount() == 2
        r.kill()              # paused
        assert not r.alive
        assert stackless.getruncount() == 2
        r.kill()              # twice: harmless
        assert stackless.getruncount() == 2
        u.kill()
        assert stackless.getruncount() == 1
        assert " ".join(events) == "U.coop"
    finally:
        kill_all(t, r, u)


# 9
def test_09_bomb_in_tempval_of_current_then_run():
    typ, val, tb1 = divide_by_zero_info()
    assert typ is ZeroDivisionError
    stackless.getcurrent().tempval = stackless.bomb(typ, val, tb1)
    with pytest.raises(ZeroDivisionError) as ei:
        stackless.current.run()
    assert_same_error(ei, typ, val, tb1)
    assert stackless.current.tempval is None


# 10
def test_10_killing_blocked_receivers_lowers_balance(workers):
    w = workers
    w.block_all()
    assert w.ch.balance == -4
    for t, balance in ((w.ta, -3), (w.td, -2), (w.tc, -1), (w.tb, 0)):
        t.kill()
        assert w.ch.balance == balance
        assert not t.alive and not t.blocked
        assert t not in channel_queue(w.ch)
    assert w.ch.queue is None
    assert stackless.getruncount() == 1


# 11
@pytest.mark.parametrize("preference", [1, 0, -1])
def test_11_bomb_sent_to_receiving_main(preference):
    typ, val, tb1 = divide_by_zero_info()
    c = stackless.channel()
    c.preference = preference
    results = []

    def send_bomb():
        results.append(c.send(stackless.bomb(typ, val, tb1)))

    t = stackless.tasklet(send_bomb)()
    try:
        with pytest.raises(ZeroDivisionError) as ei:
            c.receive()
        assert_same_error(ei, typ, val, tb1)
        stackless.schedule()
        assert results == [None]
        assert c.balance == 0
    finally:
        kill_all(t)


def test_11_bomb_sent_by_main_to_receiver():
    typ, val, tb1 = divide_by_zero_info()
    c = stackless.channel()
    c.preference = 1
    t = waiting_catcher(c.receive, ZeroDivisionError)
    try:
        assert c.balance == -1
        assert c.send(stackless.bomb(typ, val, tb1)) is None
        assert t.caught == []     # preference 1: the sender continues
        stackless.schedule()
        assert len(t.caught) == 1
        assert t.caught[0][0] is val
        assert tb1 in tb_chain(t.caught[0][1])
    finally:
        kill_all(t)


# 12
def test_12_raise_exception_on_main_from_worker():
    def raiser(task):
        task.raise_exception(ValueError, 42)

    t = stackless.tasklet(raiser)(stackless.getcurrent())
    try:
        with raises_exact(ValueError, "42") as ei:
            stackless.schedule()
        assert ei.value.args == (42,)
        assert ei.tb is not None
        assert stackless.getruncount() == 2       # raiser stays queued
        stackless.schedule()
        assert not t.alive
    finally:
        kill_all(t)


# 13
def test_13_send_exception_with_args():
    c = stackless.channel()
    c.preference = 1
    results = []

    def send_exception():
        results.append(c.send_exception(ValueError, 43))

    t = stackless.tasklet(send_exception)()
    try:
        with raises_exact(ValueError, "43") as ei:
            c.receive()
        assert ei.value.args == (43,)
        stackless.schedule()
        assert results == [None]
    finally:
        kill_all(t)


# 14
def test_14_kill_never_started_head_of_queue():
    items = []
    main = stackless.main
    assert main is stackless.current
    assert main is stackless.current.next
    assert main is stackless.current.prev
    dead = stackless.tasklet(items.append)("dead")
    assert main is stackless.current
    assert dead is stackless.current.next
    assert main is stackless.current.next.next
    assert dead is stackless.current.prev
    assert main is stackless.current.prev.prev
    worker = stackless.tasklet(items.append)("worker")
    try:
        assert runqueue() == [main, dead, worker]
        assert worker is stackless.current.prev
        assert dead is stackless.current.prev.prev
        items.append("before")
        dead.kill()
        assert main is stackless.current
        assert main is stackless.current.next
        assert main is stackless.current.prev
        items.append("after")
        assert ",".join(items) == "before,worker,after"
        assert not dead.alive and not worker.alive
    finally:
        kill_all(dead, worker)


# 15
def test_15_channel_receive_linked_list():
    c = stackless.channel()
    assert c.queue is None
    t1 = stackless.tasklet(c.receive)()
    t2 = t3 = None
    try:
        assert t1.next is stackless.getcurrent()
        stackless.schedule()
        assert c.queue is t1
        assert t1.next is None
        assert t1.prev is None

        t2 = stackless.tasklet(c.receive)()
        assert t1.blocked is True
        assert t1.scheduled is True
        assert t1._channel is c
        assert t2.blocked is False
        assert t2.scheduled is True
        assert t2._channel is None
        stackless.schedule()
        assert t2._channel is c
        assert t1.next is t2
        assert t1.prev is None

        t3 = stackless.tasklet(c.receive)()
        assert c.queue is t1
        stackless.schedule()
        assert c.queue is t1
        assert t1.next is t2
        assert t2.next is t3
        assert t3.next is None
        assert t1.prev is None
        assert t2.prev is t1
        assert t3.prev is t2
        assert c.balance == -3
        assert channel_queue(c) == [t1, t2, t3]
    finally:
        kill_all(t1, t2, t3)


# 16
def test_16_insert_blocked_tasklet():
    c = stackless.channel()
    t = stackless.tasklet(c.receive)()
    try:
        assert t.blocked is False
        assert t.scheduled is True
        stackless.schedule()
        assert t.blocked is True
        assert t.scheduled is True
        with raises_exact(RuntimeError, "You cannot run a blocked tasklet"):
            t.insert()
        assert t.blocked and c.balance == -1
    finally:
        kill_all(t)


# 17
def test_17_runnables_order_at_kill_and_raise_exception():
    items = []

    def safe():
        try:
            items.append("start")
            stackless.schedule()
        except ValueError:
            items.append("caught")

    stackless.schedule()
    t1 = stackless.tasklet(lambda: 1 / 0)()
    t2 = stackless.tasklet(safe)()
    t3 = None
    try:
        t2.run()
        assert ",".join(items) == "start"
        t3 = stackless.tasklet(items.append)("t3 ran")
        t2.remove()
        t2.remove()
        t2.raise_exception(ValueError)
        assert ",".join(items) == "start,caught"
        assert t1.alive
        assert not t2.alive
        assert t3.alive
        t1.remove()
        t1.kill()             # does not run t3
        assert not t1.alive
        assert t3.alive
        assert ",".join(items) == "start,caught"
        t3.kill()
        t2.kill()
        assert ",".join(items) == "start,caught"
    finally:
        kill_all(t1, t2, t3)


# 18
def test_18_tempval_protocol():
    def worker(items):
        items.append(stackless.schedule())
        items.append(stackless.schedule(None))
        items.append(stackless.schedule("foo"))
        items.append(stackless.schedule(42))

    items = []
    t = stackless.tasklet(worker)(items)
    try:
        assert t.tempval is None
        assert items == []
        stackless.current.tempval = 5
        assert stackless.schedule() is stackless.getcurrent()
        assert stackless.current.tempval is None
        assert t.tempval is t
        assert items == []
        stackless.schedule()
        assert t.tempval is None
        assert items == [t]
        stackless.schedule()
        assert t.tempval == "foo"
        assert items == [t, None]
        t.tempval = False
        stackless.schedule()
        assert items == [t, None, False]
        assert t.tempval == 42
        stackless.schedule()
        assert items == [t, None, False, 42]
        assert t.tempval is None            # after death
        assert not t.alive
    finally:
        kill_all(t)


def test_18_tempval_main_alone():
    assert stackless.getruncount() == 1
    assert stackless.schedule() is stackless.getcurrent()
    assert stackless.current.tempval is None
    assert stackless.schedule(43) == 43
    assert stackless.getcurrent().tempval is None
    assert stackless.schedule_remove(54) == 54
    assert stackless.current.tempval is None
    assert stackless.getruncount() == 1
    assert stackless.main.scheduled


def test_18_tempval_schedule_remove_revived_by_worker():
    def worker2(items, main):
        items.append(stackless.getcurrent().tempval)
        items.append(stackless.schedule(44))
        items.append(stackless.current.tempval)
        main.insert()

    items = []
    t = stackless.tasklet(worker2)(items, stackless.getcurrent())
    try:
        assert stackless.schedule_remove(55) == 55
        assert stackless.current.tempval is None
        assert items == [None, 44, None]
    finally:
        kill_all(t)


def test_18_tempval_schedule_bomb():
    with raises_exact(AssertionError, ""):
        stackless.schedule(stackless.bomb(AssertionError))
    with raises_exact(AssertionError, "foo"):
        stackless.schedule(stackless.bomb(AssertionError, "foo"))
    assert stackless.current.tempval is None


# 19
def test_19_remove_current():
    with raises_exact(RuntimeError, "The current tasklet cannot be removed."):
        stackless.getcurrent().remove()
    seen = []

    def worker():
        try:
            stackless.getcurrent().remove()
        except RuntimeError as e:
            seen.append(str(e))

    stackless.tasklet(worker)().run()
    assert seen == ["The current tasklet cannot be removed."]
    assert stackless.getruncount() == 1


# 20
def test_20_schedule_remove_last_revives_main():
    def worker1():
        stackless.schedule_remove()
        raise AssertionError("worker1 resumed")

    def worker2():
        stackless.schedule_remove()
        1 / 0

    t1 = stackless.tasklet(worker1)()
    t2 = stackless.tasklet(worker2)()
    try:
        assert stackless.schedule_remove() is stackless.getmain()
        assert stackless.getruncount() == 1
        assert t1.paused and t2.paused
    finally:
        kill_all(t1, t2)


# 21
def test_21_exception_while_main_in_schedule_remove():
    ran = []
    t1 = stackless.tasklet(lambda: 1 / 0)()
    t2 = stackless.tasklet(ran.append)("none")
    try:
        with pytest.raises(ZeroDivisionError):
            stackless.schedule_remove()
        assert stackless.getruncount() == 2           # the None tasklet
        assert runqueue() == [stackless.main, t2]
        assert ran == []
        stackless.schedule()
        assert ran == ["none"]
    finally:
        kill_all(t1, t2)


# 22
def test_22_main_alone_deadlocks():
    c = stackless.channel()
    with raises_exact(RuntimeError, DEADLOCK):
        c.receive()
    with raises_exact(RuntimeError, DEADLOCK):
        c.send(55)
    assert c.balance == 0
    assert c.queue is None
    assert not stackless.main.blocked
    assert stackless.getruncount() == 1


def test_22_schedule_remove_with_a_tasklet_that_blocks():
    c = stackless.channel()
    t = stackless.tasklet(c.receive)()
    try:
        assert not t.blocked
        stackless.schedule_remove()        # blocking re-adds main
        assert t.blocked
        assert c.balance == -1
        t.kill()
        assert c.balance == 0
        assert not t.blocked
        assert stackless.getruncount() == 1
    finally:
        kill_all(t)


@pytest.mark.parametrize("direction", ["receive", "send"])
def test_22_main_blocked_when_last_tasklet_ends(direction):
    c = stackless.channel()
    t = stackless.tasklet(lambda: None)()
    try:
        if direction == "receive":
            op = c.receive
            message = "the main tasklet is receiving without a sender available."
        else:
            op = lambda: c.send(55)  # noqa: E731
            message = "the main tasklet is sending without a receiver available."
        with raises_exact(RuntimeError, message):
            op()
        assert not t.alive
        assert stackless.getruncount() == 1
        assert c.balance == 0 and c.queue is None
        assert not stackless.main.blocked
        with raises_exact(RuntimeError, DEADLOCK):
            op()
    finally:
        kill_all(t)


def test_22_main_blocked_gets_exception_of_last_tasklet():
    c = stackless.channel()

    def lazy():
        stackless.schedule()
        stackless.schedule()
        stackless.schedule()
        raise AssertionError("lazy")

    t = stackless.tasklet(lazy)()
    try:
        stackless.schedule()
        assert stackless.getruncount() == 2
        assert t.alive
        with raises_exact(AssertionError, "lazy"):
            c.receive()
        assert not t.alive
        assert stackless.getruncount() == 1
        assert c.balance == 0
    finally:
        kill_all(t)


def test_22_main_blocked_gets_exceptions_in_queue_order():
    c = stackless.channel()

    def value_worker():
        stackless.schedule()
        raise ValueError("v")

    def divide_worker():
        stackless.schedule()
        1 / 0

    t1 = stackless.tasklet(value_worker)()
    t2 = stackless.tasklet(divide_worker)()
    try:
        stackless.schedule()
        assert stackless.getruncount() == 3
        assert t1.alive and t2.alive
        with raises_exact(ValueError, "v"):
            c.receive()
        assert not t1.alive
        assert t2.alive
        assert stackless.getruncount() == 2
        assert c.balance == 0
        with pytest.raises(ZeroDivisionError):
            c.send(55)
        assert not t2.alive
        assert c.balance == 0
        assert stackless.getruncount() == 1
    finally:
        kill_all(t1, t2)


# 23
def test_23_insert_bound_but_not_called():
    t = stackless.tasklet(lambda: 1 / 0)
    assert not t.alive
    with raises_exact(RuntimeError, "You cannot run an unbound(dead) tasklet"):
        t.insert()
    assert not t.scheduled
    assert stackless.getruncount() == 1


# 24
def test_24_bind_while_scheduled_then_after_death():
    t = stackless.tasklet(lambda: 0)()
    try:
        with raises_exact(RuntimeError, "tasklet is scheduled"):
            t.bind(lambda: 2 / 0)
        stackless.schedule()
        assert not t.alive
        f = lambda: 3 / 0  # noqa: E731
        assert t.bind(f) is t
        assert not t.alive
        assert t.tempval is f
    finally:
        kill_all(t)


# 25
def test_25_insert_current_is_a_noop():
    items = []
    stackless.tasklet(items.append)(55)
    stackless.tasklet(items.append)(66)
    before = runqueue()
    assert stackless.current.insert() is stackless.current
    assert runqueue() == before
    assert items == []
    stackless.schedule()
    assert items == [55, 66]


# 26
def test_26_call_already_called_tasklet():
    t = stackless.tasklet(lambda: 0)()
    try:
        with raises_exact(RuntimeError, "tasklet is alive"):
            t()
        t.remove()
        with raises_exact(RuntimeError, "tasklet is alive"):
            t()
        assert t.paused
    finally:
        kill_all(t)


# 27
def test_27_run_returns_callers_tempval():
    a = stackless.tasklet(stackless.schedule)(42)
    t = stackless.tasklet(stackless.schedule)(43)
    c = stackless.tasklet(stackless.schedule)(44)
    try:
        assert stackless.getruncount() == 4
        assert t.run() is None
        assert stackless.getruncount() == 4
        assert stackless.schedule(50) == 50
        assert stackless.getruncount() == 2
        assert stackless.schedule(51) == 51
        assert stackless.getruncount() == 1
    finally:
        kill_all(a, t, c)


def test_27_last_writer_of_main_tempval_wins():
    def bomber(target, msg):
        target.tempval = stackless.bomb(AssertionError, msg)

    stackless.tasklet(bomber)(stackless.current, "foo")
    stackless.tasklet(bomber)(stackless.current, "bar")
    with raises_exact(AssertionError, "bar"):
        stackless.schedule()

    stackless.tasklet(setter)(stackless.current, "food")
    stackless.tasklet(setter)(stackless.current, "bard")
    assert stackless.schedule() == "bard"
    assert stackless.getruncount() == 1


def test_27_current_run_and_preset_tempval():
    stackless.tasklet(setter)(stackless.current, "fooe")
    t = stackless.tasklet(setter)(stackless.current, "bare")
    stackless.tasklet(setter)(stackless.current, "baze")
    stackless.current.tempval = "tv"
    assert stackless.current.run() == "tv"
    assert stackless.current.tempval is None
    assert t.run() == "baze"
    assert stackless.schedule() == "fooe"
    assert stackless.getruncount() == 1

    stackless.current.tempval = 50
    t = stackless.tasklet(lambda: 0)()
    assert t.run() == 50
    assert stackless.current.tempval is None
    assert stackless.getruncount() == 1

    stackless.current.tempval = 51
    assert stackless.current.run() == 51
    assert stackless.current.tempval is None


def test_27_kill_and_raise_exception_return_callers_tempval():
    def ignorer():
        try:
            stackless.schedule()
            1 / 0
        except AssertionError as e:
            assert str(e) == "ae"

    t1 = stackless.tasklet(lambda: 0)()
    stackless.tasklet(setter)(stackless.current, "back")
    assert t1.kill() == "back"
    assert stackless.getruncount() == 1

    t1 = stackless.tasklet(ignorer)()
    stackless.schedule()              # enter the 'try:' block
    stackless.tasklet(setter)(stackless.current, "back2")
    assert t1.raise_exception(AssertionError, "ae") == "back2"
    assert not t1.alive
    assert stackless.getruncount() == 1


def test_27_kill_and_raise_exception_of_blocked_receivers():
    c = stackless.channel()
    t1 = stackless.tasklet(c.receive)()
    assert c.balance == 0
    stackless.schedule()
    assert c.balance == -1
    assert t1.kill() is None
    assert c.balance == 0
    assert stackless.getruncount() == 1

    caught = []

    def receive_ignorer():
        try:
            c.receive()
            1 / 0
        except AssertionError as e:
            caught.append(str(e))

    t2 = stackless.tasklet(receive_ignorer)()
    try:
        assert c.balance == 0
        stackless.schedule()
        assert c.balance == -1
        t2.raise_exception(AssertionError, "ae")
        assert c.balance == 0
        assert caught == ["ae"]
        assert not t2.alive
    finally:
        kill_all(t1, t2)


# 28
def test_28_send_runs_receiver_then_the_tasklet_already_next():
    c = stackless.channel()
    assert c.queue is None
    t1 = stackless.tasklet(lambda: 1 / 0)()
    t2 = stackless.tasklet(c.receive)()
    try:
        t2.run()
        assert t2.blocked
        assert t1.alive            # run() in place: t1 was not reached
        with raises_exact(RuntimeError, "You cannot remove a blocked tasklet."):
            t2.remove()
        # the receiver is linked right after main and run; then t1 runs
        with pytest.raises(ZeroDivisionError):
            c.send(0)
        assert stackless.getruncount() == 1
        assert c.queue is None
        assert not t1.alive and not t2.alive
    finally:
        kill_all(t1, t2)


def test_28_send_with_preference_1_keeps_order():
    c = stackless.channel()
    c.preference = 1
    t1 = stackless.tasklet(lambda: 1 / 0)()
    t2 = stackless.tasklet(c.receive)()
    try:
        assert t2.blocked is False
        assert t2.scheduled is True
        t2.run()
        assert t2.blocked is True
        assert t2.scheduled is True
        assert stackless.getcurrent().next is t1
        assert c.send(0) is None
        assert stackless.getcurrent().next is t1
        assert stackless.current.prev is t2
        t1.remove()
        stackless.schedule()
        assert not t2.alive
        assert t1.paused
    finally:
        kill_all(t1, t2)


# 29
def test_29_main_and_current_are_tasklets():
    assert isinstance(stackless.current, stackless.tasklet)
    assert isinstance(stackless.main, stackless.tasklet)
    assert stackless.current.is_main is True
    assert stackless.current.is_current is True
    assert stackless.main is stackless.current
    seen = []

    def worker():
        cur = stackless.getcurrent()
        seen.append((cur.is_main, cur.is_current, stackless.main.is_current,
                     stackless.main.is_main))

    stackless.tasklet(worker)().run()
    assert seen == [(False, True, False, True)]


# 30
@pytest.mark.collects_suspended
def test_30_kill_on_dealloc():
    exits = []

    def reporter(parent):
        exits.append("HI")
        try:
            parent.run()
        except BaseException as e:
            exits.append(isinstance(e, TaskletExit))
            raise

    tasklets = [stackless.tasklet(reporter)(stackless.current)]
    assert exits == []
    tasklets[-1].run()
    assert exits == ["HI"]
    ref = weakref.ref(tasklets[-1])
    tasklets.pop().remove()           # like 'del tasklets[0]'
    if frees_at_once():               # reference counting: at once
        assert exits == ["HI", True]
    assert collect_until(lambda: exits == ["HI", True] and ref() is None), exits
    assert stackless.getruncount() == 1


@pytest.mark.collects_suspended
def test_30_kill_on_dealloc_runs_finally():
    """Dropping a paused tasklet runs its 'finally:' and nothing else."""
    events = []

    def body():
        try:
            stackless.schedule_remove()
            events.append("resumed")
        finally:
            events.append("finally")

    pause_and_drop(body)
    assert collect_until(lambda: events == ["finally"]), events
    assert stackless.getruncount() == 1


# 31
class Held(object):
    pass


@pytest.mark.collects_suspended
def test_31_paused_tasklets_referencing_each_other_are_collected():
    def f(other_ref, x):
        stackless.schedule_remove()

    x = Held()
    xref = weakref.ref(x)
    g = [stackless.tasklet(f), stackless.tasklet(f)]
    g[0](g[1], x)
    g[1](g[0], x)
    del x
    g[0].run()
    assert g[0].paused and g[1].paused
    g[1].run()
    assert g[0].paused and not g[1].alive
    refs = [weakref.ref(t) for t in g]
    del g[:]
    assert collect_until(
        lambda: xref() is None and [r() for r in refs] == [None, None])


@pytest.mark.collects_suspended
@needs_frame_cycles
def test_31_two_paused_tasklets_in_a_cycle_are_collected():
    events = []

    def f(name, other_ref, x):
        try:
            stackless.schedule_remove()
        finally:
            events.append(name)

    x = Held()
    xref = weakref.ref(x)
    g = [stackless.tasklet(f), stackless.tasklet(f)]
    g[0]("a", g, x)
    g[1]("b", g, x)
    del x
    g[0].run()
    assert g[0].paused and g[1].paused
    refs = [weakref.ref(t) for t in g]
    del g
    assert collect_until(
        lambda: xref() is None and [r() for r in refs] == [None, None])
    assert sorted(events) == ["a", "b"]
    assert stackless.getruncount() == 1
