"""Per-tasklet interpreter state: exceptions, contextvars, recursion, tracing."""
import contextvars
import sys

import pytest

import tasklets as stackless

needs_tracing = pytest.mark.skipif(
    "tracing" not in stackless.backend_features,
    reason="backend has no per-tasklet tracing")


def run_all():
    stackless.run()


def test_exc_info_is_per_tasklet():
    seen = []

    def worker():
        try:
            raise KeyError("worker")
        except KeyError:
            stackless.schedule()
            seen.append(sys.exc_info()[0])
        seen.append(sys.exc_info()[0])

    stackless.tasklet(worker)()
    try:
        raise ValueError("main")
    except ValueError:
        stackless.schedule()          # worker runs inside its except block
        assert sys.exc_info()[0] is ValueError
        stackless.schedule()
        assert sys.exc_info()[0] is ValueError
    run_all()
    assert seen == [KeyError, None]


def test_new_tasklet_starts_without_exception_state():
    seen = []
    stackless.tasklet(lambda: seen.append(sys.exc_info()))()
    try:
        raise ValueError
    except ValueError:
        run_all()
    assert seen == [(None, None, None)]


var = contextvars.ContextVar("var", default="unset")


def test_contextvars_are_isolated():
    seen = []

    def worker(name):
        var.set(name)
        stackless.schedule()
        seen.append((name, var.get()))

    var.set("main")
    stackless.tasklet(worker)("a")
    stackless.tasklet(worker)("b")
    run_all()
    assert sorted(seen) == [("a", "a"), ("b", "b")]
    assert var.get() == "main"


def test_tasklet_copies_creators_context():
    var.set("creator")
    seen = []
    t = stackless.tasklet(lambda: seen.append(var.get()))
    var.set("later")
    t()
    run_all()
    assert seen == ["creator"]


def test_context_run_uses_tasklets_context():
    var.set("main")

    def worker():
        var.set("worker")
        stackless.schedule_remove()

    t = stackless.tasklet(worker)()
    t.run()
    assert t.paused
    assert t.context_run(var.get) == "worker"
    assert var.get() == "main"
    t.kill()


@pytest.mark.skipif("recursion_depth" not in stackless.backend_features,
                    reason="backend does not report recursion_depth")
def test_recursion_depth_is_per_tasklet():
    depths = []

    def rec(n):
        if n == 0:
            depths.append(stackless.getcurrent().recursion_depth)
            stackless.schedule()
            depths.append(stackless.getcurrent().recursion_depth)
            return
        rec(n - 1)

    t = stackless.tasklet(rec)(50)
    assert t.recursion_depth == 0
    t.run()
    assert depths[0] >= 50
    assert t.recursion_depth == depths[0]
    assert stackless.getcurrent().recursion_depth < depths[0]
    run_all()
    assert depths[0] == depths[1]


def test_recursion_error_in_tasklet():
    result = []

    def rec(n):
        return rec(n + 1)

    def worker():
        try:
            rec(0)
        except RecursionError:
            result.append("RecursionError")

    stackless.tasklet(worker)()
    run_all()
    assert result == ["RecursionError"]


class Nested:
    def __init__(self, inner):
        self.inner = inner

    def __repr__(self):
        return "N(%r)" % (self.inner,)


def test_c_level_recursion_error_in_tasklet():
    # repr of deeply nested objects recurses through C (tp_repr), not only
    # through Python frames
    obj = None
    for _ in range(100000):
        obj = Nested(obj)
    result = []

    def worker():
        try:
            repr(obj)
        except RecursionError:
            result.append("RecursionError")

    stackless.tasklet(worker)()
    run_all()
    assert result == ["RecursionError"]
    # the scheduler is fine afterwards
    stackless.tasklet(lambda: result.append("ok"))()
    run_all()
    assert result[-1] == "ok"


def test_deep_recursion_then_switches():
    sys_limit = sys.getrecursionlimit()
    inp, out = stackless.channel(), stackless.channel()

    def rec(n):
        if n == 0:
            return inp.receive()
        return rec(n - 1) + 1

    def deep():
        out.send(rec(sys_limit - 100))

    stackless.tasklet(deep)()
    stackless.tasklet(deep)()
    stackless.schedule()          # both recurse, then block in receive
    assert inp.balance == -2
    inp.send(1)
    inp.send(2)
    depth = sys_limit - 100
    assert sorted([out.receive(), out.receive()]) == [1 + depth, 2 + depth]
    stackless.run()


def test_traceback_of_tasklet_error_reaches_main():
    def inner():
        raise ValueError("deep")

    def worker():
        inner()

    stackless.tasklet(worker)()
    with pytest.raises(ValueError) as info:
        run_all()
    names = [entry.name for entry in info.traceback]
    assert "worker" in names and "inner" in names


@pytest.mark.skipif("frame_of_current" not in stackless.backend_features,
                    reason="backend cannot show the current frame")
def test_frame_of_current_and_new():
    t = stackless.tasklet(lambda: None)
    assert t.frame is None
    assert stackless.getcurrent().frame is sys._getframe()
    t()
    assert t.frame is None           # set up, never run
    run_all()
    assert t.frame is None           # dead


@pytest.mark.skipif("frame_of_suspended" not in stackless.backend_features,
                    reason="backend cannot expose frames of suspended tasklets")
def test_frame_of_suspended():
    def worker():
        stackless.schedule_remove()

    t = stackless.tasklet(worker)()
    t.run()
    f = t.frame
    assert f.f_code is worker.__code__
    t.kill()


def tracer_of(name, events):
    """A trace function that records the events of frames of code 'name'."""
    def tracer(frame, event, arg):
        if frame.f_code.co_name == name:
            events.append(event)
        return tracer
    return tracer


@needs_tracing
def test_trace_function_is_per_tasklet():
    events = []
    tracer = tracer_of("traced", events)

    def traced():
        stackless.schedule()
        return 1

    t = stackless.tasklet(traced)()
    t.trace_function = tracer
    assert t.trace_function is tracer
    assert sys.gettrace() is None
    run_all()
    assert sys.gettrace() is None
    assert "call" in events and "return" in events
    assert stackless.getcurrent().trace_function is None


@needs_tracing
def test_settrace_in_main_is_inherited_by_new_tasklets():
    events = []
    tracer = tracer_of("traced", events)

    def traced():
        return 1

    sys.settrace(tracer)
    try:
        stackless.tasklet(traced)()
        run_all()
    finally:
        sys.settrace(None)
    assert "call" in events
