"""Watchdogs (tasklets waiting in run()) own a reference, as Stackless's
watchdog list does (issue 12, item 2): a tasklet that calls run() and is
referenced by nothing else must neither be killed nor collected while its
run() is active, at any nesting level, and kills, throws and wake-ups that
reach a watchdog behave as in Stackless (its test_watchdog.py
TestNewWatchdog, ported here with runners nobody else references).
"""
import gc
import weakref

import pytest

import tasklets as stackless



def spawn(func, *args):
    """Start func as a tasklet and keep no reference to it."""
    stackless.tasklet(func)(*args)


def test_nested_run_of_an_unreferenced_tasklet_resumes():
    log = []

    def g():
        spawn(log.append, "f")
        stackless.run()
        log.append("nested ok")

    spawn(g)
    stackless.run()
    assert log == ["f", "nested ok"]


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_unreferenced_watchdogs_at_every_level_survive_collection(depth):
    log, refs = [], []

    def inspect():
        gc.collect()
        log.append(("alive", [r() is not None and r().alive for r in refs],
                    [r().paused for r in refs]))

    def runner(level):
        refs.append(weakref.ref(stackless.getcurrent()))
        if level + 1 < depth:
            spawn(runner, level + 1)
        else:
            spawn(inspect)
        stackless.run()
        log.append(level)

    spawn(runner, 0)
    stackless.run()
    assert log == [("alive", [True] * depth, [True] * depth)] + list(
        range(depth - 1, -1, -1))
    gc.collect()
    assert [r() for r in refs] == [None] * depth


def test_unreferenced_watchdog_blocked_main_gets_its_send():
    ch = stackless.channel()

    def g():
        spawn(lambda: None)
        stackless.run()
        ch.send("from g")

    spawn(g)
    assert ch.receive() == "from g"
    assert stackless.getruncount() == 2    # g, after its send
    stackless.run()
    assert stackless.getruncount() == 1


def test_unreferenced_watchdog_finally_runs_once_at_its_end():
    log = []

    def g():
        spawn(log.append, "inner")
        try:
            stackless.run()
            log.append("returned")
        finally:
            log.append("finally")

    spawn(g)
    stackless.run()
    assert log == ["inner", "returned", "finally"]


# {======================================================================
# Stackless's TestNewWatchdog, runners referenced by nobody
# ======================================================================


class Done(object):
    def __init__(self):
        self.n = 0

    def worker(self):
        stackless.schedule()
        self.n += 1


@pytest.fixture
def done():
    d = Done()
    spawn(d.worker)
    return d


def test_run_from_worker_main_blocked(done):
    c = stackless.channel()

    def runner():
        stackless.run()
        done.n += 1
        c.send(None)

    spawn(runner)
    c.receive()
    assert done.n == 2
    stackless.run()                # the runner ends after its send
    assert stackless.getruncount() == 1


def test_run_from_worker_main_running(done):
    def runner():
        stackless.run()
        assert done.n == 1
        done.n += 1

    spawn(runner)
    stackless.run()
    assert done.n == 2


def test_inner_run_completes_first(done):
    seen = []

    def runner():
        stackless.run()
        seen.append(stackless.main.paused)
        done.n += 1

    spawn(runner)
    stackless.run()
    assert seen == [True]
    assert done.n == 2


def test_inner_run_gets_error(done):
    def errfunc():
        raise RuntimeError("foo")

    def runner():
        spawn(errfunc)
        with pytest.raises(RuntimeError, match="foo"):
            stackless.run()
        done.n += 1

    spawn(runner)
    stackless.run()
    assert done.n == 2


def test_manual_wakeup_unwinds_inner_watchdogs(done):
    def wakeup():
        stackless.main.run()
        done.n += 1

    def runner():
        spawn(wakeup)
        stackless.run()
        done.n += 1

    spawn(runner)
    stackless.run()
    assert done.n == 1             # only the worker has run to its end
    gc.collect()                   # the popped runner is queued, not lost
    assert stackless.getruncount() == 3
    stackless.run()
    assert done.n == 3             # the inner run() returned at once
    assert stackless.getruncount() == 1


def test_watchdog_left_in_run_lives_until_killed(done):
    refs = []

    def runner():
        refs.append(weakref.ref(stackless.getcurrent()))
        stackless.run()
        done.n += 1

    spawn(runner)
    while not done.n:
        stackless.schedule()
    gc.collect()
    t = refs[0]()
    assert t is not None and t.paused
    assert stackless.run() is None     # nothing runnable: at once
    stackless.schedule()
    assert done.n == 1                 # it waits until main is not runnable
    t.kill()
    assert not t.alive and done.n == 1
    del t
    gc.collect()
    assert refs[0]() is None
# }======================================================================

# {======================================================================
# kills and throws into watchdogs, several levels deep
# ======================================================================


def nest(log, action):
    """main -> run(); A -> run(); B -> run(); C does action(A) and logs.
    A, B and C are referenced by nobody but the scheduler."""
    who = {}

    def c():
        log.append("C")
        action(who["A"]())
        log.append("C after")

    def b():
        spawn(c)
        stackless.run()
        log.append("B returned")

    def a():
        who["A"] = weakref.ref(stackless.getcurrent())
        spawn(b)
        try:
            stackless.run()
            log.append("A returned")
        except TaskletExit:
            log.append("A killed")
            raise
        except ValueError as e:
            log.append("A got %s" % e)

    spawn(a)
    return who


def test_kill_of_an_outer_watchdog_unwinds_the_inner_ones():
    log = []
    who = nest(log, lambda a: a.kill())
    assert stackless.run() is None
    # A pops B (re-queued, it returns from run() when it next runs), dies;
    # C's kill returns, then B runs
    assert log == ["C", "A killed", "C after", "B returned"]
    gc.collect()
    assert who["A"]() is None


def test_pending_kill_of_an_outer_watchdog():
    log = []
    nest(log, lambda a: a.kill(pending=True))
    assert stackless.run() is None
    assert log == ["C", "C after", "A killed", "B returned"]


def test_throw_into_an_outer_watchdog_is_raised_from_its_run():
    log = []
    nest(log, lambda a: a.throw(ValueError("x")))
    assert stackless.run() is None
    assert log == ["C", "A got x", "C after", "B returned"]


def test_uncaught_throw_into_a_watchdog_reaches_the_next_outer_one():
    log = []

    def c():
        log.append("C")
        a.throw(KeyError("k"))
        log.append("C after")

    def runner():
        spawn(c)
        stackless.run()
        log.append("A returned")

    a = stackless.tasklet(runner)()
    with pytest.raises(KeyError):
        stackless.run()            # A's error reaches main's run()
    assert not a.alive
    assert log == ["C"]
    stackless.run()                # C is still queued
    assert log == ["C", "C after"]


def test_kill_of_the_innermost_watchdog_from_main_after_wakeup():
    log = []
    refs = []

    def wakeup():
        stackless.main.switch()
        log.append("wakeup resumed")

    def runner():
        refs.append(weakref.ref(stackless.getcurrent()))
        spawn(wakeup)
        try:
            stackless.run()
        except TaskletExit:
            log.append("runner killed")
            raise

    spawn(runner)
    stackless.run()                # main is woken by hand by wakeup
    gc.collect()
    r = refs[0]()
    assert r is not None and r.scheduled   # popped, back in the queue
    r.kill()
    assert log == ["runner killed"]
    del r
    gc.collect()
    assert refs[0]() is None
# }======================================================================
