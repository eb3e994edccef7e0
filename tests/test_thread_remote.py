"""kill() and throw() of a tasklet that runs (is current) in another
thread.  Its tempval is no place for the exception: the outcome of its
next switch would overwrite it, and the kill was lost.  Stackless defers a
throw to another thread's tasklet; here it waits in the tasklet and the
tasklet's next switch point (schedule, a channel operation, run, switch)
raises it, once, without doing anything else."""
import threading

import pytest

import tasklets as stackless

pytestmark = pytest.mark.skipif("threads" not in stackless.backend_features,
                                reason="backend has no per-thread schedulers")


class Runner(object):
    """A thread whose tasklet t (or main) runs, waiting on an Event, while
    the test acts on it; then it calls op() and schedule() and logs what
    each did, and the thread's end."""

    def __init__(self, op, on_main=False):
        self.ready, self.go = threading.Event(), threading.Event()
        self.log = []
        self.t = None

        def body():
            self.ready.set()
            assert self.go.wait(30)
            for name, fn in (("op", op), ("after", stackless.schedule)):
                try:
                    fn()
                    self.log.append(name)
                except BaseException as e:  # noqa: B902 - log anything
                    self.log.append((name, type(e).__name__, str(e)))
                    if isinstance(e, TaskletExit):
                        raise

        def thread():
            if on_main:
                self.t = stackless.getcurrent()
                body()
            else:
                self.t = stackless.tasklet(body)()
                self.t.run()
                while self.t.scheduled and not self.t.blocked:
                    stackless.schedule()
            self.log.append("end")        # (the thread's end kills t)

        self.th = threading.Thread(target=thread)
        self.th.start()
        assert self.ready.wait(30)
        assert self.t.is_current and self.t.thread_id == self.th.ident

    def finish(self):
        self.go.set()
        self.th.join(30)
        assert not self.th.is_alive()
        return self.log


def act_on(op, act, on_main=False):
    """Runner(op, on_main), act(its tasklet) while it runs: (act's result,
    the log)."""
    r = Runner(op, on_main)
    try:
        res = act(r.t)
    finally:
        log = r.finish()
    return res, log, r.t


@pytest.mark.parametrize("pending", [False, True])
def test_kill_raises_taskletexit_at_the_next_schedule(pending):
    res, log, t = act_on(stackless.schedule,
                         lambda t: t.kill(pending=pending))
    assert res is None                              # the caller goes on
    assert log == [("op", "TaskletExit", ""), "end"]
    assert not t.alive


def _send_nobody_receives():
    ch = stackless.channel()
    try:
        ch.send("message")
    finally:
        assert ch.balance == 0                      # it never blocked


OPS = {
    "schedule": stackless.schedule,
    "schedule_remove": stackless.schedule_remove,
    "send": _send_nobody_receives,
    "receive": lambda: stackless.channel().receive(),
    "run": stackless.run,
    "tasklet.run": lambda: stackless.tasklet(lambda: None)().run(),
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_throw_is_raised_once_by_the_next_switch_point(op):
    res, log, _ = act_on(OPS[op], lambda t: t.throw(ValueError("boom")))
    assert res is None
    assert log == [("op", "ValueError", "boom"), "after", "end"]


def test_throw_to_the_main_tasklet_of_another_thread():
    res, log, t = act_on(stackless.schedule,
                         lambda t: t.raise_exception(KeyError, "k"), True)
    assert t.is_main
    assert log == [("op", "KeyError", "'k'"), "after", "end"]


def test_the_latest_of_two_throws_is_raised():
    def act(t):
        t.throw(ValueError("first"))
        t.throw(KeyError("second"), pending=True)
    log = act_on(stackless.schedule, act)[1]
    assert log == [("op", "KeyError", "'second'"), "after", "end"]
