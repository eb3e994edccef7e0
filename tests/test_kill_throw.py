"""kill(), throw() and raise_exception() (docs/stackless_api.md §2.2 and §4).

Targets in every state: new (set up, never run), runnable (started and
queued), paused (started, out of the queue), blocked (in a channel), dead,
unbound and current.
"""
import sys
import traceback

import pytest

import tasklets as stackless
from conftest import (kill_all, raises_exact, refuses_bad_exception_args,
                      runqueue, waiting_catcher)

DEAD = "You cannot throw to a dead tasklet"


class Target(object):
    """A tasklet brought into one of the states 'new', 'runnable',
    'paused' or 'blocked'; it logs what reaches it.  A 'filler' tasklet is
    queued after it, to see which tasklets run before the caller resumes."""

    def __init__(self, kind):
        self.kind = kind
        self.log = []
        self.channel = stackless.channel()
        self.t = stackless.tasklet(self.body)()
        if kind != "new":
            self.t.run()
            assert self.log == ["started"]
        self.filler = stackless.tasklet(self.log.append)("filler")
        self.balance = -1 if kind == "blocked" else 0
        assert self.channel.balance == self.balance

    def body(self):
        self.log.append("started")
        try:
            if self.kind == "runnable":
                stackless.schedule()
            elif self.kind == "paused":
                stackless.schedule_remove()
            else:
                self.channel.receive()
            self.log.append("resumed")
        except BaseException as e:
            self.log.append(type(e).__name__)
            raise
        finally:
            self.log.append("finally")

    @property
    def in_place(self):
        """Is the target already queued (before the filler)?"""
        return self.kind in ("new", "runnable")

    def body_log(self, exc_name):
        """What the body logs when exc_name is raised at its waiting point."""
        if self.kind == "new":
            return []                      # the body never runs
        return ["started", exc_name, "finally"]

    def cleanup(self):
        kill_all(self.t, self.filler)


KINDS = ["new", "runnable", "paused", "blocked"]


@pytest.fixture(params=KINDS)
def target(request):
    tg = Target(request.param)
    try:
        yield tg
    finally:
        tg.cleanup()


def kill(t, pending):
    return t.kill(pending=pending)


def throw_index_error(t, pending):
    return t.throw(IndexError, pending=pending)


def raise_index_error(t, pending):
    return t.raise_exception(IndexError)


# {======================================================================
# Targets that are alive
# ======================================================================


def test_kill_immediate(target):
    assert target.t.kill() is None
    # a queued target is switched to in place, so the filler runs too;
    # one that was inserted at the end hands control straight back
    filler = ["filler"] if target.in_place else []
    assert target.log == target.body_log("TaskletExit") + filler
    assert not target.t.alive
    assert target.channel.balance == 0
    assert target.channel.queue is None


@pytest.mark.parametrize("deliver", [throw_index_error, raise_index_error])
def test_throw_immediate_uncaught_goes_to_the_caller(target, deliver):
    with pytest.raises(IndexError):
        deliver(target.t, False)
    # the error goes straight to the caller: the filler has not run yet
    assert target.log == target.body_log("IndexError")
    assert not target.t.alive
    assert target.channel.balance == 0
    stackless.run()
    assert target.log == target.body_log("IndexError") + ["filler"]


@pytest.mark.parametrize("deliver", [kill, throw_index_error])
def test_pending_only_makes_the_target_runnable(target, deliver):
    before = list(target.log)
    assert deliver(target.t, True) is None
    assert target.log == before                # nothing ran yet
    assert target.t.alive
    assert target.t.scheduled and not target.t.blocked
    assert target.channel.balance == 0
    queue = runqueue()
    if target.kind in ("paused", "blocked"):
        assert queue[-1] is target.t           # inserted at the end
    else:
        assert queue[1] is target.t            # left where it was
    name = "TaskletExit" if deliver is kill else "IndexError"
    if deliver is kill:
        assert stackless.run() is None
    else:
        with pytest.raises(IndexError):
            stackless.run()
        stackless.run()
    assert not target.t.alive
    body = target.body_log(name)
    if target.in_place:
        assert target.log == body + ["filler"]
    else:
        assert target.log == body[:1] + ["filler"] + body[1:]


def test_throw_to_blocked_raises_at_the_channel_call():
    c = stackless.channel()
    caught = []

    def body():
        try:
            c.receive()
        except IndexError as e:
            caught.append((e.args, c.balance))

    t = stackless.tasklet(body)()
    try:
        t.run()
        assert c.balance == -1
        t.throw(IndexError, (1, 2))
        assert caught == [((1, 2), 0)]
        assert not t.alive
    finally:
        kill_all(t)


@pytest.mark.parametrize("op, args", [("receive", ()), ("send", ("v",))])
def test_kill_blocked_unblocks_and_fixes_balance(op, args):
    c = stackless.channel()
    log = []

    def body():
        try:
            getattr(c, op)(*args)
        except TaskletExit:
            log.append((c.balance, stackless.getcurrent().blocked))
            raise

    t = stackless.tasklet(body)()
    t.run()
    assert abs(c.balance) == 1
    t.kill()
    assert log == [(0, False)]
    assert c.balance == 0 and c.queue is None
    assert not t.alive and not t.blocked


@pytest.mark.parametrize("args, expected", [
    ((IndexError,), ()),
    ((IndexError, 5), (5,)),
    ((IndexError, (1, 2, 3)), (1, 2, 3)),
    ((IndexError(1, 2, 3),), (1, 2, 3)),
])
def test_throw_args_and_instance(args, expected):
    t = waiting_catcher(stackless.schedule_remove, IndexError)
    t.throw(*args)
    assert [e.args for e, _ in t.caught] == [expected]
    if isinstance(args[0], BaseException):
        assert t.caught[0][0] is args[0]
    assert not t.alive


def test_throw_keeps_the_traceback():
    def errfunc():
        1 / 0

    t = waiting_catcher(stackless.schedule_remove, ZeroDivisionError)
    try:
        errfunc()
    except ZeroDivisionError:
        t.throw(*sys.exc_info())
    assert len(t.caught) == 1
    assert "in errfunc" in "".join(traceback.format_tb(t.caught[0][1]))


def test_throw_keywords():
    t = waiting_catcher(stackless.schedule_remove, KeyError)
    t.throw(exc=KeyError, val="k", tb=None, pending=True)
    assert t.caught == []
    t.run()
    assert [e.args for e, _ in t.caught] == [("k",)]

# }======================================================================

# {======================================================================
# Targets that are not alive, and the current tasklet
# ======================================================================


def dead_tasklet():
    t = stackless.tasklet(lambda: None)()
    t.run()
    assert not t.alive
    return t


@pytest.mark.parametrize("make", [dead_tasklet, stackless.tasklet,
                                  lambda: stackless.tasklet(len)],
                         ids=["dead", "unbound", "bound"])
def test_not_alive_targets(make):
    t = make()
    assert t.kill() is None
    assert t.kill() is None
    assert t.kill(pending=True) is None
    assert t.throw(TaskletExit) is None
    assert t.throw(TaskletExit, pending=True) is None

    class MyExit(TaskletExit):
        pass

    assert t.throw(MyExit) is None
    with raises_exact(RuntimeError, DEAD):
        t.throw(IndexError)
    with raises_exact(RuntimeError, DEAD):
        t.throw(IndexError, pending=True)
    with pytest.raises(RuntimeError):
        t.raise_exception(IndexError)
    assert not t.alive and not t.scheduled
    assert stackless.getruncount() == 1


def test_throw_to_new_tasklet_goes_to_the_error_handler():
    log = []
    handled = []
    t = stackless.tasklet(log.append)("ran")
    stackless.set_error_handler(lambda *info: handled.append(info[0]))
    try:
        assert t.throw(IndexError) is None
    finally:
        stackless.set_error_handler(None)
    assert handled == [IndexError]
    assert log == []
    assert not t.alive


def test_kill_new_tasklet_never_runs_its_function():
    log = []
    t = stackless.tasklet(log.append)("ran")
    t.kill()
    assert log == []
    assert not t.alive
    with pytest.raises(RuntimeError, match="dead"):
        t.run()


def test_kill_current_raises_in_the_caller():
    with pytest.raises(TaskletExit):
        stackless.getcurrent().kill()
    with raises_exact(ValueError, "1"):
        stackless.current.raise_exception(ValueError, 1)
    with raises_exact(KeyError, "'k'"):
        stackless.current.throw(KeyError, "k")
    with pytest.raises(KeyError):
        stackless.current.throw(KeyError, pending=True)
    assert stackless.getruncount() == 1


def test_tasklet_killing_itself_ends_quietly():
    log = []

    def task():
        try:
            stackless.current.kill()
        except TaskletExit:
            log.append("killed")
            raise

    t = stackless.tasklet(task)()
    t.run()
    assert log == ["killed"]
    assert not t.alive
    assert t.thread_id == stackless.current.thread_id


def test_kill_main_from_a_worker():
    def killer(main):
        main.kill()

    t = stackless.tasklet(killer)(stackless.main)
    try:
        with pytest.raises(TaskletExit):
            stackless.schedule()
        assert t.alive                # main.kill() returns when it resumes
        stackless.schedule()
        assert not t.alive
    finally:
        kill_all(t)

# }======================================================================

# {======================================================================
# Argument errors
# ======================================================================


@pytest.fixture
def queued():
    """A tasklet of a function that does nothing, in the run queue; killed
    after the test."""
    t = stackless.tasklet(lambda: None)()
    yield t
    kill_all(t)


def test_throw_argument_errors(queued):
    with raises_exact(TypeError,
                      "instance exception may not have a separate value"):
        queued.throw(IndexError(1), (1, 2, 3))
    with raises_exact(TypeError,
                      "third argument must be a traceback object"):
        queued.throw(IndexError, None, 42)
    with raises_exact(TypeError,
                      "exceptions must be classes, or instances, not int"):
        queued.throw(42)
    with raises_exact(TypeError,
                      "exceptions must be classes, or instances, not str"):
        queued.throw("IndexError")
    cur = stackless.current
    with raises_exact(TypeError,
                      "instance exception may not have a separate value"):
        cur.throw(IndexError(1), (1, 2, 3))
    assert queued.alive and queued.scheduled


def test_raise_exception_argument_errors(queued):
    refuses_bad_exception_args(queued.raise_exception,
                               "tasklet.raise_exception")
    assert queued.alive and queued.scheduled


def test_kill_signature(queued):
    with pytest.raises(TypeError):
        queued.kill(False, None)
    assert queued.alive

# }======================================================================

# {======================================================================
# Unwinding, refusing to die, and return values
# ======================================================================


def test_kill_runs_finally_blocks_and_exit_methods():
    log = []

    class Ctx(object):
        def __enter__(self):
            return self

        def __exit__(self, typ, val, tb):
            log.append(("exit", typ))

    def inner():
        try:
            stackless.schedule_remove()
        finally:
            log.append("inner finally")

    def body():
        with Ctx():
            try:
                inner()
            finally:
                log.append("outer finally")

    t = stackless.tasklet(body)()
    t.run()
    t.kill()
    assert log == ["inner finally", "outer finally", ("exit", TaskletExit)]
    assert not t.alive


def test_tasklet_that_refuses_to_die():
    log = []

    def stubborn():
        while True:
            try:
                stackless.schedule()
            except TaskletExit:
                log.append("refused")
                break
        stackless.schedule()
        log.append("after")

    t = stackless.tasklet(stubborn)()
    try:
        t.run()
        assert t.kill() is None       # returns once it switches away
        assert log == ["refused"]
        assert t.alive
        assert t.scheduled
        t.kill()                      # the second time it dies
        assert log == ["refused"]
        assert not t.alive
    finally:
        kill_all(t)


def test_kill_returns_callers_tempval():
    def body(main):
        try:
            stackless.schedule_remove()
        finally:
            main.tempval = "from the dying tasklet"

    t = stackless.tasklet(body)(stackless.main)
    t.run()
    assert t.kill() == "from the dying tasklet"
    assert stackless.main.tempval is None


def test_throw_returns_callers_tempval():
    def body(main):
        try:
            stackless.schedule_remove()
        except KeyError:
            main.tempval = "handled"

    t = stackless.tasklet(body)(stackless.main)
    t.run()
    assert t.throw(KeyError) == "handled"
    t = stackless.tasklet(body)(stackless.main)
    t.run()
    assert t.raise_exception(KeyError) == "handled"
    assert stackless.main.tempval is None


def test_kill_returns_none_normally():
    t = stackless.tasklet(stackless.schedule_remove)()
    t.run()
    stackless.main.tempval = None
    assert t.kill() is None


def test_pending_kill_then_immediate_kill():
    log = []

    def body():
        try:
            stackless.schedule_remove()
        except TaskletExit:
            log.append("exit")
            raise

    t = stackless.tasklet(body)()
    t.run()
    t.kill(pending=True)
    assert log == [] and t.alive and t.scheduled
    t.kill()
    assert log == ["exit"]
    assert not t.alive

# }======================================================================
