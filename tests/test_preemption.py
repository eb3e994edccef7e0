"""run(timeout): preemptive scheduling of CPU-bound tasklets (§5.4).

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
