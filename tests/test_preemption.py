"""run(timeout): preemptive scheduling of CPU-bound tasklets
(docs/stackless_api.md §5.4).

Ticks here are line events, not bytecodes (see the README): the tests use
budgets far below the work each tasklet does, never exact counts.
"""
import sys

import pytest

import tasklets as stackless

pytestmark = pytest.mark.skipif("preemption" not in stackless.backend_features,
                                reason="backend has no run(timeout) preemption")


def spin(n):
    i = 0
    while i < n:
        i += 1
    return i


def test_cpu_bound_tasklet_is_interrupted():
    done = []
    t = stackless.tasklet(lambda: done.append(spin(100000)))()
    victim = stackless.run(50)
    assert victim is t
    assert t.alive and t.paused and not t.scheduled
    assert done == []
    t.kill()


def test_round_robin_until_all_finish():
    log = []

    def worker(name):
        spin(50000)
        log.append(name)

    for name in "abc":
        stackless.tasklet(worker)(name)
    interrupts = 0
    while stackless.getruncount() > 1:
        victim = stackless.run(100)
        if victim is not None:
            interrupts += 1
            victim.insert()
    assert sorted(log) == ["a", "b", "c"]
    assert interrupts > 3


def test_atomic_is_not_interrupted():
    done = []

    def worker():
        with stackless.atomic():
            spin(50000)
            done.append(1)
        spin(50000)
        done.append(2)

    t = stackless.tasklet(worker)()
    victim = stackless.run(50)
    # the atomic part ran to its end; the interrupt came after it
    assert victim is t and done == [1]
    t.kill()


def test_soft_timeout_waits_for_a_switch():
    log = []

    def polite(name):
        for _ in range(5):
            spin(2000)
            log.append(name)
            stackless.schedule()

    a = stackless.tasklet(polite)("a")
    b = stackless.tasklet(polite)("b")
    r = stackless.run(100, soft=True)
    assert r is None
    assert 0 < len(log) < 10
    assert a.scheduled and b.scheduled      # nobody was taken out
    stackless.run()
    assert len(log) == 10


def test_no_timeout_without_budget_exhaustion():
    done = []
    stackless.tasklet(lambda: done.append(spin(10)))()
    assert stackless.run(1000000) is None
    assert done == [10]


def test_inner_run_with_timeout_is_plain_run():
    log = []

    def inner():
        stackless.tasklet(lambda: log.append(spin(20000)))()
        r = stackless.run(10)          # the outer run(timeout) is the watchdog
        log.append(("inner", r))

    t = stackless.tasklet(inner)()
    while stackless.getruncount() > 1 or t.alive:
        v = stackless.run(100)
        if v is not None:
            v.insert()
        elif not t.alive:
            break
    assert ("inner", None) in log


def test_killing_an_interrupted_tasklet_runs_finally():
    log = []

    def worker():
        try:
            spin(10 ** 7)
        finally:
            log.append("finally")

    t = stackless.tasklet(worker)()
    assert stackless.run(50) is t
    t.kill()
    assert log == ["finally"] and not t.alive


def test_trace_function_is_back_after_run():
    calls = []

    def tracer(frame, event, arg):
        calls.append(event)
        return None

    sys.settrace(tracer)
    try:
        stackless.tasklet(spin)(10)
        stackless.run(1000)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)


# {======================================================================
# Tasklets whose frames exist before run(timeout) starts (issue 12, item 3:
# on CPython 3.12+ their code was not instrumented for the tick events, so
# they were never interrupted).  Each loop is bounded: without the fix the
# work just finishes and run() returns None instead of the victim.
# ======================================================================
N = 10 ** 6


def test_tasklet_started_before_run_is_interrupted():
    def body():
        stackless.schedule()
        i = 0
        while i < N:                   # a frame that existed before run()
            i += 1

    t = stackless.tasklet(body)()
    stackless.schedule()
    assert t.alive and t.scheduled
    assert stackless.run(150) is t
    t.kill()


def test_deep_chain_started_before_run_is_interrupted():
    log = []

    def rec(n):
        if n:
            rec(n - 1)
        else:
            stackless.schedule()
        i = 0
        while i < N // 50:             # every level loops after its callee
            i += 1
        log.append(n)

    t = stackless.tasklet(rec)(50)
    stackless.schedule()
    assert stackless.run(200) is t
    assert len(log) < 50
    t.kill()


def interrupted_after_start(body, ticks):
    """Start body's tasklet, then run(ticks): does run() return it, the
    tasklet it interrupted?  It is killed after."""
    t = stackless.tasklet(body)()
    stackless.schedule()
    try:
        return stackless.run(ticks) is t
    finally:
        t.kill()


def test_frame_beyond_a_c_call_started_before_run_is_interrupted():
    done = []

    def outer():
        # suspended under a C caller (map), then loops in outer's frame
        list(map(lambda _: stackless.schedule(), [0]))
        i = 0
        while i < N:
            i += 1
        done.append(1)

    assert interrupted_after_start(outer, 150) and done == []


def test_atomic_tasklet_started_before_run():
    done = []

    def worker():
        stackless.schedule()
        with stackless.atomic():
            i = 0
            while i < 50000:
                i += 1
            done.append(1)
        i = 0
        while i < N:
            i += 1
        done.append(2)

    assert interrupted_after_start(worker, 50) and done == [1]


def _polite_pair(log, rounds, work):
    def polite(name):
        stackless.schedule()
        for _ in range(rounds):
            i = 0
            while i < work:
                i += 1
            log.append(name)
            stackless.schedule()

    ts = [stackless.tasklet(polite)(n) for n in "ab"]
    stackless.schedule()             # both started before run()
    return ts


def test_soft_timeout_tasklets_started_before_run():
    log = []
    a, b = _polite_pair(log, 5, 2000)
    assert stackless.run(100, soft=True) is None
    assert 0 < len(log) < 10
    assert a.scheduled and b.scheduled
    stackless.run()
    assert len(log) == 10


def test_totaltimeout_tasklets_started_before_run():
    # slices of ~100 ticks each: only a budget that spans switches runs out
    log = []
    ts = _polite_pair(log, 50, 50)
    assert stackless.run(1000) is None and len(log) == 100
    log = []
    ts = _polite_pair(log, 50, 50)
    v = stackless.run(1000, totaltimeout=True)
    assert v in ts and len(log) < 100
    for t in ts:
        t.kill()
# }======================================================================


def test_tasklet_trace_function_survives_interruption():
    def tracer(frame, event, arg):
        return None

    def body():
        stackless.schedule()
        i = 0
        while i < N:
            i += 1

    t = stackless.tasklet(body)()
    t.trace_function = tracer
    stackless.schedule()
    assert stackless.run(100) is t
    assert t.trace_function is tracer and sys.gettrace() is None
    t.kill()


@pytest.mark.parametrize("timeout, exc", [
    ("x", TypeError), (1.5, TypeError), (None, TypeError), ([], TypeError),
    (2 ** 70, OverflowError), (-2 ** 70, OverflowError)])
def test_bad_timeout_raises(timeout, exc):
    stackless.tasklet(spin)(10)
    with pytest.raises(exc):
        stackless.run(timeout)
    assert stackless.getruncount() == 2      # nothing ran, nothing changed
    stackless.run()


def test_bad_run_arguments_raise():
    with pytest.raises(TypeError):
        stackless.run(1, 2, 3, 4, 5, 6)
    with pytest.raises(TypeError):
        stackless.run(nosuch=1)


class _Index(object):
    def __index__(self):
        return 100


def test_timeout_accepts_index():
    t = stackless.tasklet(spin)(10 ** 6)
    assert stackless.run(_Index()) is t
    t.kill()
