"""The scheduler: run queue order, run/switch/insert/remove, the state chart,
watchdog nesting, tempval and bombs, switch_trap, atomic, the schedule
callback and the error handler (docs/stackless_api.md
§1.1, §1.4, §2.2, §2.5, §3.5, §4, §5).
"""
import pickle
import sys
import threading

import pytest

import tasklets as stackless
from conftest import (kill_all, raises_exact, runqueue, switch_trapped,
                      waiting_catcher)

DEADLOCK = "Deadlock: the last runnable tasklet cannot be blocked."


def noop():
    pass


def state(t):
    """(alive, paused, scheduled, blocked) of a tasklet."""
    return (t.alive, t.paused, t.scheduled, t.blocked)


NOT_ALIVE = (False, False, False, False)
PAUSED = (True, True, False, False)
RUNNABLE = (True, False, True, False)
CURRENT = (True, False, True, False)     # as RUNNABLE; is_current differs
BLOCKED = (True, False, True, True)


# {======================================================================
# §5.1 run-queue order
# ======================================================================

def test_round_robin_in_creation_order():
    events = []

    def worker(name, count):
        while count > 0:
            events.append(name)
            stackless.schedule()
            count -= 1

    ts = [stackless.tasklet(worker)("A", 5),
          stackless.tasklet(worker)("B", 9),
          stackless.tasklet(worker)("C", 7)]
    try:
        for _ in range(10):
            stackless.schedule()
        assert "".join(events) == "ABCABCABCABCABCBCBCBB"
        assert not any(t.alive for t in ts)
    finally:
        kill_all(*ts)


def test_new_tasklets_are_linked_before_current():
    main = stackless.getcurrent()
    ts = [stackless.tasklet(noop)() for _ in range(4)]
    try:
        assert stackless.getruncount() == 5
        assert runqueue() == [main] + ts
        assert main.next is ts[0]
        assert main.prev is ts[-1]
    finally:
        kill_all(*ts)


def test_tasklet_created_by_a_worker_goes_before_it():
    seen = []

    def worker():
        new = stackless.tasklet(noop)()
        seen.append(runqueue())
        seen.append(new)

    t = stackless.tasklet(worker)()
    t.run()
    chain, new = seen
    assert chain == [t, stackless.main, new]
    stackless.schedule()
    assert not new.alive


def test_schedule_makes_the_caller_last():
    seen = []

    def worker():
        seen.append(runqueue())
        stackless.schedule()
        seen.append(runqueue())

    t1 = stackless.tasklet(worker)()
    t2 = stackless.tasklet(noop)()
    main = stackless.main
    try:
        stackless.schedule()
        # t1 ran first and saw the queue from its place; then t2 ran and died
        assert seen == [[t1, t2, main]]
        assert runqueue() == [main, t1]
        stackless.schedule()
        assert seen[1] == [t1, main]
    finally:
        kill_all(t1, t2)


def test_runcount_includes_current():
    counts = []
    t = stackless.tasklet(lambda: counts.append(stackless.getruncount()))()
    assert stackless.getruncount() == 2
    assert stackless.runcount == 2
    t.run()
    assert counts == [2]
    assert stackless.getruncount() == 1

# }======================================================================

# {======================================================================
# run()
# ======================================================================


def test_run_with_nothing_runnable_returns_none_at_once():
    assert stackless.run() is None
    assert stackless.getruncount() == 1
    assert stackless.main.scheduled


def test_run_runs_until_the_queue_is_empty():
    events = []

    def worker(name):
        for i in range(3):
            events.append("%s%d" % (name, i))
            stackless.schedule()

    ts = [stackless.tasklet(worker)(n) for n in "AB"]
    assert stackless.run() is None
    assert events == ["A0", "B0", "A1", "B1", "A2", "B2"]
    assert not any(t.alive for t in ts)
    assert stackless.getruncount() == 1
    assert stackless.current is stackless.main


def test_run_accepts_positional_and_keyword_arguments():
    done = []
    stackless.tasklet(done.append)(1)
    assert stackless.run(0, False, False, False, False) is None
    stackless.tasklet(done.append)(2)
    assert stackless.run(timeout=0, threadblock=False, soft=False,
                         ignore_nesting=False, totaltimeout=False) is None
    assert done == [1, 2]


def test_caller_of_run_is_paused_and_not_counted():
    seen = []
    main = stackless.main

    def worker():
        seen.append((stackless.getruncount(), state(main)))

    stackless.tasklet(worker)()
    stackless.run()
    assert seen == [(1, PAUSED)]
    assert state(main) == CURRENT


def test_run_returns_when_every_tasklet_blocked():
    c = stackless.channel()
    t = stackless.tasklet(c.receive)()
    try:
        assert stackless.run() is None
        assert t.blocked
        assert c.balance == -1
        assert stackless.getruncount() == 1
    finally:
        kill_all(t)


def test_run_returns_when_lone_tasklet_schedule_removes():
    t = stackless.tasklet(stackless.schedule_remove)()
    try:
        assert stackless.run() is None
        assert state(t) == PAUSED
        assert stackless.getruncount() == 1
    finally:
        kill_all(t)


def test_uncaught_error_comes_out_of_run_and_queue_is_kept():
    log = []

    def task1():
        stackless.schedule()
        log.append("task1 done")

    def task2():
        raise ZeroDivisionError("bar")

    t1 = stackless.tasklet(task1)()
    t2 = stackless.tasklet(task2)()
    try:
        with raises_exact(ZeroDivisionError, "bar"):
            stackless.run()
        assert not t2.alive
        assert t1.alive and t1.scheduled
        assert stackless.getruncount() == 2
        assert stackless.run() is None          # run() can be called again
        assert log == ["task1 done"]
    finally:
        kill_all(t1, t2)

# }======================================================================

# {======================================================================
# switch(), insert(), remove(), schedule_remove()
# ======================================================================


def test_switch_pauses_the_caller():
    main = stackless.main
    seen = []

    def worker():
        seen.append((stackless.getruncount(), state(main)))
        main.switch()
        seen.append("resumed")

    t = stackless.tasklet(worker)()
    try:
        assert t.switch() is None
        assert seen == [(1, PAUSED)]
        assert state(t) == PAUSED
        assert stackless.getruncount() == 1
        t.switch()
        assert seen[-1] == "resumed"
        assert not t.alive
    finally:
        kill_all(t)


def test_switch_to_current_is_a_noop_even_when_trapped():
    cur = stackless.current
    cur.switch()
    cur.switch()
    with switch_trapped():
        cur.switch()
        cur.run()
    assert stackless.getruncount() == 1


def test_blocked_tasklet_cannot_be_switched_to_run_or_removed():
    c = stackless.channel()
    t = stackless.tasklet(c.receive)()
    try:
        stackless.schedule()
        with pytest.raises(RuntimeError, match="blocked"):
            t.switch()
        with raises_exact(RuntimeError, "You cannot run a blocked tasklet"):
            t.run()
        with raises_exact(RuntimeError, "You cannot remove a blocked tasklet."):
            t.remove()
        assert t.blocked and c.balance == -1
        assert stackless.getruncount() == 1
    finally:
        kill_all(t)


def test_run_or_switch_dead_tasklet():
    t = stackless.tasklet(noop)()
    t.run()
    assert not t.alive
    with raises_exact(RuntimeError, "You cannot run an unbound(dead) tasklet"):
        t.run()
    with pytest.raises(RuntimeError, match="dead"):
        t.switch()
    with raises_exact(RuntimeError, "You cannot run an unbound(dead) tasklet"):
        stackless.tasklet().run()


def test_run_of_paused_tasklet_links_it_before_the_caller():
    log = []

    def worker():
        log.append(runqueue())

    t = stackless.tasklet(worker)
    t.bind(worker, ())
    other = stackless.tasklet(noop)()
    try:
        assert state(t) == PAUSED
        t.run()
        assert log == [[t, stackless.main, other]]
        assert other.alive                 # not reached: t returned to main
    finally:
        kill_all(t, other)


def test_insert_and_remove_return_self_and_are_idempotent():
    t = stackless.tasklet(noop)()
    try:
        assert t.insert() is t                # already scheduled: no-op
        assert stackless.getruncount() == 2
        assert t.remove() is t
        assert t.remove() is t                # not scheduled: no-op
        assert stackless.getruncount() == 1
        assert state(t) == PAUSED
        assert t.insert() is t
        assert t.insert() is t
        assert stackless.getruncount() == 2
        assert runqueue() == [stackless.main, t]
    finally:
        kill_all(t)


def test_remove_of_unbound_and_dead_tasklets_is_a_noop():
    t = stackless.tasklet()
    assert t.remove() is t
    t = stackless.tasklet(noop)()
    t.run()
    assert t.remove() is t
    assert stackless.getruncount() == 1


def test_schedule_remove_from_worker_pauses_it():
    log = []

    def worker():
        log.append(stackless.schedule_remove("x"))

    t = stackless.tasklet(worker)()
    try:
        t.run()
        assert state(t) == PAUSED
        assert t.tempval == "x"
        assert stackless.getruncount() == 1
        t.insert()
        stackless.schedule()
        assert log == ["x"]
        assert not t.alive
    finally:
        kill_all(t)


def test_schedule_remove_of_last_runnable_while_main_blocked():
    c = stackless.channel()
    log = []

    def worker():
        try:
            stackless.schedule_remove()
        except RuntimeError as e:
            log.append(str(e))
        log.append(stackless.getcurrent().scheduled)
        c.send("ok")

    t = stackless.tasklet(worker)()
    try:
        assert c.receive() == "ok"
        assert log == [DEADLOCK, True]
        stackless.schedule()
        assert not t.alive
    finally:
        kill_all(t)

# }======================================================================

# {======================================================================
# §2.5 state chart
# ======================================================================


def test_states_unbound_bound_and_paused():
    t = stackless.tasklet()
    assert state(t) == NOT_ALIVE
    assert t.tempval is None
    assert t.bind(noop) is t
    assert state(t) == NOT_ALIVE
    assert t.tempval is noop
    assert t.bind(None) is t
    assert state(t) == NOT_ALIVE
    assert t.tempval is None
    t.bind(noop, ())
    assert state(t) == PAUSED
    assert t.tempval is None
    assert t.next is None and t.prev is None
    t.insert()
    try:
        assert state(t) == RUNNABLE
    finally:
        kill_all(t)


def test_states_through_a_tasklets_life():
    main = stackless.main
    c = stackless.channel()
    seen = {}

    def body():
        me = stackless.getcurrent()
        seen["current"] = state(me)
        seen["is_current"] = me.is_current
        stackless.schedule()            # current -> runnable
        main.switch()                   # current -> paused
        stackless.schedule_remove()     # current -> paused
        c.receive()                     # current -> blocked
        stackless.schedule()

    t = stackless.tasklet(body)
    assert state(t) == NOT_ALIVE
    t()                                          # setup: runnable
    try:
        assert state(t) == RUNNABLE
        assert not t.is_current
        t.remove()
        assert state(t) == PAUSED
        t.insert()
        assert state(t) == RUNNABLE
        t.run()
        assert seen == {"current": CURRENT, "is_current": True}
        assert state(t) == RUNNABLE              # after schedule()
        t.run()
        assert state(t) == PAUSED                # after main.switch()
        t.switch()                               # main leaves the queue
        assert state(t) == PAUSED                # after schedule_remove()
        assert state(main) == CURRENT
        t.run()
        assert state(t) == BLOCKED
        assert t.next is None and t.prev is None  # alone in the channel
        c.preference = 1
        c.send(None)                             # partner's op: runnable
        assert state(t) == RUNNABLE
        t.run()
        stackless.schedule()
        assert state(t) == NOT_ALIVE             # the function returned
        assert t.tempval is None
    finally:
        kill_all(t)


def test_blocked_partner_becomes_current_with_default_preference():
    c = stackless.channel()
    seen = []

    def body():
        c.receive()
        seen.append(state(stackless.getcurrent()))
        seen.append(state(stackless.main))

    t = stackless.tasklet(body)()
    try:
        t.run()
        c.send(None)
        assert seen == [CURRENT, RUNNABLE]
    finally:
        kill_all(t)


def test_bind_none_drops_a_new_tasklet_without_running_it():
    log = []
    t = stackless.tasklet(log.append)
    t.bind(None, ("x",))  # args with the function kept in tempval
    assert state(t) == PAUSED
    t.bind(None)
    assert state(t) == NOT_ALIVE
    assert log == []

# }======================================================================

# {======================================================================
# §5.3 run() nesting and watchdogs
# ======================================================================


class Nest(object):
    """The fixture of Stackless's TestNewWatchdog: one worker queued."""

    def __init__(self):
        self.done = 0
        self.worker = stackless.tasklet(self.worker_func)()
        self.others = []

    def worker_func(self):
        stackless.schedule()
        self.done += 1

    def tasklet(self, func, *args):
        t = stackless.tasklet(func)(*args)
        self.others.append(t)
        return t

    def runner(self):
        stackless.run()
        self.done += 1

    def runner_left_in_run(self):
        """A runner whose run() cannot return while main keeps running."""
        t = self.tasklet(self.runner)
        while not self.done:
            stackless.schedule()
        assert self.done == 1          # only the worker has finished
        assert state(t) == PAUSED
        return t


@pytest.fixture
def nest():
    n = Nest()
    try:
        yield n
    finally:
        kill_all(n.worker, *n.others)


def test_run_from_worker_while_main_keeps_running(nest):
    t = nest.runner_left_in_run()
    t.run()                    # wake it by hand: its run() returns
    assert nest.done == 2
    assert not t.alive


def test_run_from_worker_while_main_is_blocked(nest):
    c = stackless.channel()

    def runner():
        stackless.run()
        nest.done += 1
        c.send(None)

    t = nest.tasklet(runner)
    c.receive()
    assert nest.done == 2
    stackless.schedule()
    assert not t.alive


def test_nested_run_inner_returns_first(nest):
    seen = []

    def runner():
        stackless.run()
        seen.append((nest.done, stackless.main.paused))
        nest.done += 1

    nest.tasklet(runner)
    assert stackless.run() is None
    assert seen == [(1, True)]
    assert nest.done == 2


def test_main_switch_from_worker_unwinds_inner_runs(nest):
    def wakeup():
        stackless.main.switch()
        nest.done += 1

    def runner():
        nest.tasklet(wakeup)
        stackless.run()
        nest.done += 1

    r = nest.tasklet(runner)
    stackless.run()
    assert nest.done == 1
    w = nest.others[-1]
    assert state(w) == PAUSED          # it switched away
    assert state(r) == RUNNABLE        # popped from the watchdogs, re-inserted
    assert stackless.getruncount() == 2
    stackless.run()
    assert nest.done == 2
    assert not r.alive
    w.run()
    assert nest.done == 3


def test_watchdog_left_in_run_by_a_running_main(nest):
    t = nest.runner_left_in_run()
    assert stackless.run() is None     # nothing runnable: at once
    assert nest.done == 1
    assert stackless.run() is None
    stackless.schedule()
    assert nest.done == 1              # it waits until main is not runnable
    assert t.alive
    t.kill()
    assert not t.alive
    # the killed watchdog is gone: run() works normally again
    log = []
    stackless.tasklet(log.append)(1)
    assert stackless.run() is None
    assert log == [1]

# }======================================================================

# {======================================================================
# tempval and bombs (§1.4)
# ======================================================================


def test_schedule_retval_keyword():
    assert stackless.schedule(retval=5) == 5
    assert stackless.schedule_remove(retval=6) == 6
    t = stackless.tasklet(stackless.schedule)(retval="kw")
    try:
        t.run()
        assert t.tempval == "kw"
    finally:
        kill_all(t)


def test_schedule_retval_is_visible_in_tempval_while_waiting():
    t = stackless.tasklet(stackless.schedule)("v")
    try:
        t.run()
        assert t.tempval == "v"
        t.tempval = "w"
        t.run()
        assert not t.alive
        assert t.tempval is None
    finally:
        kill_all(t)


def test_bomb_in_tempval_explodes_when_the_tasklet_resumes():
    t = waiting_catcher(stackless.schedule, ValueError)
    try:
        t.tempval = stackless.bomb(ValueError, "x")
        t.run()
        assert [str(e) for e, _ in t.caught] == ["x"]
        assert not t.alive
    finally:
        kill_all(t)


def test_bomb_in_tempval_of_new_tasklet_raises_before_function():
    log = []
    t = stackless.tasklet(log.append)("ran")
    t.tempval = stackless.bomb(KeyError, "k")
    with pytest.raises(KeyError):
        t.run()
    assert log == []
    assert not t.alive


def test_bomb_set_on_main_by_worker_raises_in_schedule():
    def worker(main):
        main.tempval = stackless.bomb(KeyError, KeyError("k"))

    stackless.tasklet(worker)(stackless.main)
    with raises_exact(KeyError, "'k'"):
        stackless.schedule()


def test_bomb_of_an_exception_instance_does_not_crash():
    # bomb(type=...) given an instance: raise it or refuse it, never crash
    with pytest.raises((KeyError, TypeError)):
        stackless.schedule(stackless.bomb(KeyError("k")))


def test_bomb_constructor_and_members():
    b = stackless.bomb()
    assert (b.type, b.value, b.traceback) == (None, None, None)
    try:
        1 / 0
    except ZeroDivisionError:
        info = sys.exc_info()
    b = stackless.bomb(*info)
    assert (b.type, b.value, b.traceback) == info
    b = stackless.bomb(info)
    assert (b.type, b.value, b.traceback) == info
    with pytest.raises(AttributeError):
        b.type = KeyError
    assert b.type is ZeroDivisionError


def test_bomb_keeps_its_traceback():
    def origin():
        raise KeyError("deep")

    try:
        origin()
    except KeyError:
        info = sys.exc_info()
    with pytest.raises(KeyError) as ei:
        stackless.schedule(stackless.bomb(*info))
    assert ei.value is info[1]
    names = [entry.name for entry in ei.traceback]
    assert "origin" in names


def test_bomb_pickles():
    b = stackless.bomb(KeyError, KeyError("k"))
    b2 = pickle.loads(pickle.dumps(b))
    assert b2.type is KeyError
    assert isinstance(b2.value, KeyError) and b2.value.args == ("k",)
    with raises_exact(ValueError, "bad exception tuple for bomb"):
        b2.__setstate__((1,))

# }======================================================================

# {======================================================================
# switch_trap (§1.1)
# ======================================================================


def test_switch_trap_levels():
    assert stackless.switch_trap(0) == 0
    assert stackless.switch_trap(1) == 0
    assert stackless.switch_trap(1) == 1
    assert stackless.switch_trap(0) == 2
    assert stackless.switch_trap(-1) == 2
    assert stackless.switch_trap(-1) == 1
    assert stackless.switch_trap() == 0


def test_switch_trap_refuses_switches():
    c = stackless.channel()
    recv = stackless.tasklet(c.receive)()
    other = stackless.tasklet(noop)()
    try:
        ops = [stackless.schedule, stackless.schedule_remove, stackless.run,
               other.run, other.switch, other.kill,
               lambda: other.raise_exception(KeyError),
               lambda: other.throw(KeyError)]
        for op in ops:
            with switch_trapped():
                with raises_exact(RuntimeError, "switch_trap"):
                    op()
            assert stackless.getruncount() == 3
            assert other.alive and other.scheduled
        stackless.schedule()
        assert recv.blocked
        with switch_trapped():
            with raises_exact(RuntimeError, "switch_trap"):
                c.send(1)                  # default preference switches
            with raises_exact(RuntimeError, "switch_trap"):
                recv.kill()
        assert recv.blocked and c.balance == -1
        assert stackless.main.tempval is None
    finally:
        kill_all(recv, other)


def test_switch_trap_refuses_blocking_receive():
    c = stackless.channel()
    t = stackless.tasklet(c.send)(1)
    try:
        with switch_trapped():
            with raises_exact(RuntimeError, "switch_trap"):
                c.receive()
        assert c.balance == 0
        assert c.receive() == 1
    finally:
        kill_all(t)


def test_switch_trap_allows_operations_without_switch():
    c = stackless.channel()
    recv = stackless.tasklet(c.receive)()
    try:
        stackless.schedule()
        with switch_trapped():
            c.preference = 0                # the sender continues: no switch
            c.send("x")
            assert recv.scheduled and not recv.blocked
            stackless.current.switch()
            stackless.current.run()
            stackless.current.insert()
        stackless.schedule()
        assert not recv.alive
    finally:
        kill_all(recv)


def test_switch_trap_schedule_alone_returns_at_once():
    with switch_trapped():
        assert stackless.schedule("alone") == "alone"
        assert stackless.schedule_remove(3) == 3
    assert stackless.main.scheduled

# }======================================================================

# {======================================================================
# atomic
# ======================================================================


def test_atomic_context_manager_sets_and_restores():
    main = stackless.main
    assert not main.atomic
    with stackless.atomic():
        assert main.atomic
        with stackless.atomic():
            assert main.atomic
        assert main.atomic
    assert not main.atomic


def test_atomic_does_not_swallow_exceptions():
    with pytest.raises(KeyError):
        with stackless.atomic():
            raise KeyError
    assert not stackless.main.atomic


def test_atomic_exit_restores_on_the_tasklet_current_at_exit():
    a = stackless.atomic()
    seen = []

    def worker():
        me = stackless.getcurrent()
        me.set_atomic(True)
        a.__exit__(None, None, None)
        seen.append(me.atomic)

    a.__enter__()
    try:
        assert stackless.main.atomic
        stackless.tasklet(worker)().run()
        assert seen == [False]             # the value saved in main
        assert stackless.main.atomic       # main untouched
    finally:
        stackless.main.set_atomic(False)


def test_set_atomic_returns_old_value_and_checks_type():
    main = stackless.main
    try:
        assert main.set_atomic(True) is False
        assert main.set_atomic(1) is True
        assert main.set_atomic(0) is True
        assert main.set_atomic(False) is False
        with raises_exact(TypeError,
                          "set_atomic needs exactly one bool or integer"):
            main.set_atomic("yes")
    finally:
        main.set_atomic(False)


def test_new_tasklets_do_not_inherit_atomic():
    seen = []
    with stackless.atomic():
        t = stackless.tasklet(lambda: seen.append(stackless.current.atomic))()
        assert not t.atomic
    t.run()
    assert seen == [False]

# }======================================================================

# {======================================================================
# schedule callback (§3.5)
# ======================================================================


@pytest.fixture
def sched_calls():
    calls = []

    def cb(prev, next):
        calls.append((prev, next, stackless.getcurrent()))

    old = stackless.set_schedule_callback(cb)
    assert old is None
    try:
        yield calls
    finally:
        stackless.set_schedule_callback(None)


def test_schedule_callback_sees_every_real_switch(sched_calls):
    main = stackless.main
    t = stackless.tasklet(stackless.schedule)()
    stackless.schedule()
    stackless.schedule()
    assert [(p, n) for p, n, _ in sched_calls] == [
        (main, t), (t, main), (main, t), (t, main)]
    assert not t.alive


def test_schedule_callback_current_is_prev(sched_calls):
    t = stackless.tasklet(noop)()
    t.run()
    assert len(sched_calls) == 2
    for prev, _, cur in sched_calls:
        assert cur is prev


def test_schedule_callback_not_called_without_switch(sched_calls):
    stackless.schedule()
    stackless.current.run()
    stackless.current.switch()
    stackless.schedule_remove()
    assert stackless.run() is None
    assert sched_calls == []


def test_schedule_callback_on_channel_switches(sched_calls):
    main = stackless.main
    c = stackless.channel()
    t = stackless.tasklet(c.receive)()
    c.send(1)          # main blocks; t receives, continues and ends
    assert not t.alive
    assert [(p, n) for p, n, _ in sched_calls] == [(main, t), (t, main)]


def test_schedule_callback_errors_are_reported_and_swallowed(monkeypatch):
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    log = []

    def cb(prev, next):
        log.append(next)
        raise KeyError("in callback")

    stackless.set_schedule_callback(cb)
    try:
        t = stackless.tasklet(log.append)("ran")
        stackless.schedule()
    finally:
        stackless.set_schedule_callback(None)
    assert log == [t, "ran", stackless.main]
    assert len(reported) == 2
    assert all(isinstance(r.exc_value, KeyError) for r in reported)


def test_schedule_callback_error_message(monkeypatch):
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    def cb(prev, next):
        raise KeyError("in callback")

    stackless.set_schedule_callback(cb)
    try:
        stackless.tasklet(noop)().run()
    finally:
        stackless.set_schedule_callback(None)
    assert reported
    text = "%s %s" % (reported[0].err_msg, reported[0].object)
    # PyPy said "Exception ignored Error in scheduling callback"
    assert text.startswith("Exception ignored in scheduling callback")
    assert text.count("Exception ignored") == 1


def test_schedule_callback_get_and_set():
    def cb1(prev, next):
        pass

    def cb2(prev, next):
        pass

    assert stackless.get_schedule_callback() is None
    try:
        assert stackless.set_schedule_callback(cb1) is None
        assert stackless.get_schedule_callback() is cb1
        assert stackless.set_schedule_callback(cb2) is cb1
        assert stackless.get_schedule_callback() is cb2
        with raises_exact(TypeError, "schedule callback must be callable"):
            stackless.set_schedule_callback(42)
        assert stackless.get_schedule_callback() is cb2
    finally:
        assert stackless.set_schedule_callback(None) is cb2
    assert stackless.get_schedule_callback() is None


def schedule_calls_in_a_thread(thread_func):
    """The (prev, next) pairs the schedule callback saw while thread_func
    ran in a new thread."""
    calls = []
    stackless.set_schedule_callback(lambda *pair: calls.append(pair))
    try:
        th = threading.Thread(target=thread_func)
        th.start()
        th.join()
    finally:
        stackless.set_schedule_callback(None)
    return calls


@pytest.mark.skipif("threads" not in stackless.backend_features,
                    reason="needs the 'threads' capability")
def test_schedule_callback_prev_none_when_thread_main_is_created():
    mains = []

    def thread_func():
        mains.append(stackless.getmain())
        stackless.getcurrent()

    assert schedule_calls_in_a_thread(thread_func) == [(None, mains[0])]

@pytest.mark.skipif("threads" not in stackless.backend_features,
                    reason="needs the 'threads' capability")
def test_schedule_callback_in_a_fresh_thread():
    seen = []

    def thread_func():
        t = stackless.tasklet(noop)()
        t.run()
        seen.extend([stackless.getmain(), t])

    calls = schedule_calls_in_a_thread(thread_func)
    tmain, t = seen
    assert calls == [(None, tmain), (tmain, t), (t, tmain)]

# }======================================================================

# {======================================================================
# error handler (§1.1, §4)
# ======================================================================


@pytest.fixture
def handled():
    calls = []

    def handler(typ, val, tb):
        calls.append((typ, val, tb, stackless.getcurrent()))

    assert stackless.set_error_handler(handler) is None
    try:
        yield calls
    finally:
        stackless.set_error_handler(None)


def test_error_handler_runs_in_the_dying_tasklet(handled):
    def fail():
        raise KeyError("k")

    t = stackless.tasklet(fail)()
    assert stackless.run() is None               # swallowed
    assert len(handled) == 1
    typ, val, tb, cur = handled[0]
    assert typ is KeyError and isinstance(val, KeyError)
    assert tb is not None
    assert cur is t
    assert not t.alive


def test_error_handler_not_called_for_tasklet_exit(handled):
    def exit_():
        raise TaskletExit

    t = stackless.tasklet(exit_)()
    assert stackless.run() is None
    assert not t.alive
    assert handled == []


def test_error_handler_that_raises_sends_its_error_to_main():
    def handler(typ, val, tb):
        raise ValueError("from handler")

    stackless.set_error_handler(handler)
    try:
        stackless.tasklet(lambda: 1 / 0)()
        with raises_exact(ValueError, "from handler"):
            stackless.run()
    finally:
        stackless.set_error_handler(None)


def test_error_handler_set_returns_previous():
    def h1(*a):
        pass

    def h2(*a):
        pass

    assert stackless.set_error_handler(h1) is None
    try:
        assert stackless.set_error_handler(h2) is h1
    finally:
        assert stackless.set_error_handler(None) is h2
    assert stackless.set_error_handler() is None
    stackless.tasklet(lambda: 1 / 0)()
    with pytest.raises(ZeroDivisionError):        # default restored
        stackless.run()


def test_error_handler_swallows_and_blocked_main_gets_no_partner_error(handled):
    c = stackless.channel()
    stackless.tasklet(lambda: 1 / 0)()
    with raises_exact(RuntimeError, "the main tasklet is receiving without "
                      "a sender available."):
        c.receive()
    assert len(handled) == 1 and handled[0][0] is ZeroDivisionError


def test_uncaught_error_revives_main_paused_by_switch():
    def fail():
        raise KeyError("to main")

    t = stackless.tasklet(fail)()
    with raises_exact(KeyError, "'to main'"):
        t.switch()                    # main left the queue
    assert stackless.main.scheduled
    assert stackless.getruncount() == 1


def test_system_exit_in_tasklet_of_initial_thread_reaches_main():
    stackless.tasklet(sys.exit)(3)
    with pytest.raises(SystemExit) as ei:
        stackless.run()
    assert ei.type is SystemExit
    assert ei.value.code == 3


@pytest.mark.skipif("threads" not in stackless.backend_features,
                    reason="needs the 'threads' capability")
def test_system_exit_in_tasklet_of_another_thread_is_silenced():
    results = []

    def thread_func():
        t = stackless.tasklet(sys.exit)(3)
        try:
            results.append(stackless.run())
        except BaseException as e:
            results.append(e)
        results.append(t.alive)

    th = threading.Thread(target=thread_func)
    th.start()
    th.join()
    assert results == [None, False]


def test_tasklet_exit_subclass_ends_tasklet_quietly():
    class MyExit(TaskletExit):
        pass

    def body():
        raise MyExit

    t = stackless.tasklet(body)()
    assert stackless.run() is None
    assert not t.alive

# }======================================================================
