"""tasklet.frame of suspended tasklets: the chain, lines, locals,
tracebacks, frames kept across switches, and Stackless's own bind tests."""
import sys
import traceback
import types
import weakref

import pytest

import tasklets as stackless

pytestmark = pytest.mark.skipif(
    "frame_of_suspended" not in stackless.backend_features,
    reason="backend cannot expose frames of suspended tasklets")


def chain(f, limit=1000):
    out = []
    while f is not None:
        out.append(f)
        assert len(out) < limit, "the f_back chain does not end"
        f = f.f_back
    return out


def iter_back(f):
    while f is not None:
        yield f
        f = f.f_back


def names(f):
    return [g.f_code.co_name for g in chain(f)]


def test_blocked_three_calls_deep():
    ch = stackless.channel()
    lines = {}

    def c(x):
        mine = x * 10  # noqa: F841 (read back through f_locals)
        lines["c"] = sys._getframe().f_lineno + 1
        return ch.receive()

    def b(x):
        return c(x + 1)

    def a(x):
        lines["a"] = sys._getframe().f_lineno + 1
        return b(x + 1)

    t = stackless.tasklet(a)(1)
    stackless.run()
    assert t.blocked
    f = t.frame
    assert isinstance(f, types.FrameType)
    assert names(f) == ["c", "b", "a"]        # ends at the tasklet's function
    fc, fb, fa = chain(f)
    assert fc.f_lineno == lines["c"]
    assert fa.f_lineno == lines["a"]
    assert fb.f_code is b.__code__
    assert fc.f_locals["x"] == 3 and fc.f_locals["mine"] == 30
    assert fb.f_locals["x"] == 2 and fa.f_locals["x"] == 1
    assert t.frame is f or t.frame.f_code is f.f_code
    ch.send("v")
    assert not t.alive
    # kept after its function returned: like any finished function's frame
    assert fc.f_code is c.__code__
    assert fc.f_locals["mine"] == 30
    assert t.frame is None


def test_paused_and_scheduled_and_through_c():
    ch = stackless.channel()

    def inner(x):
        stackless.schedule_remove()           # paused
        stackless.schedule()                  # scheduled, started
        return ch.receive()                   # blocked

    def outer():
        return list(map(inner, [7]))          # a C call re-enters Python

    t = stackless.tasklet(outer)()
    stackless.run()
    assert t.paused
    assert names(t.frame) == ["inner", "outer"]
    t.insert()
    stackless.schedule()
    assert t.scheduled and not t.blocked
    assert names(t.frame) == ["inner", "outer"]
    stackless.run()
    assert t.blocked
    assert names(t.frame) == ["inner", "outer"]
    assert t.frame.f_locals["x"] == 7
    ch.send(1)
    assert not t.alive


def test_generator_frames_in_the_chain():
    ch = stackless.channel()

    def gen():
        yield ch.receive()

    def user():
        for v in gen():
            return v

    t = stackless.tasklet(user)()
    stackless.run()
    assert names(t.frame) == ["gen", "user"]
    ch.send(5)
    assert not t.alive


def test_format_and_extract_stack():
    ch = stackless.channel()

    def waiter():
        ch.receive()

    def top():
        waiter()

    t = stackless.tasklet(top)()
    stackless.run()
    summary = traceback.extract_stack(t.frame)
    assert [e.name for e in summary] == ["top", "waiter"]
    assert summary[-1].line == "ch.receive()"
    text = "".join(traceback.format_stack(t.frame))
    assert "in waiter" in text and "ch.receive()" in text
    assert "in top" in text
    t.kill()


def test_frames_kept_from_inside_while_stacks_are_sliced():
    # frames taken by the tasklets themselves, read by main while their C
    # stacks are sliced away by the others (each one re-enters Python
    # from C, so its chain runs through C-called frames)
    ch = stackless.channel()
    kept = []

    def deep(n):
        if n == 0:
            kept.append(sys._getframe())
            ch.receive()
            return
        return list(map(deep, [n - 1]))

    ts = [stackless.tasklet(deep)(4) for _ in range(20)]
    stackless.run()
    if stackless.backend == "cext":
        assert any(t._stack_saved > 0 for t in ts)
    for _ in range(3):
        for f in kept:
            if stackless.backend == "cext":
                assert names(f) == ["deep"] * 5
            else:
                # PyPy links a suspended continulet's bottom back to its
                # top: a real frame's chain cycles (tasklet.frame ends)
                fs = [g.f_code.co_name for g, _ in zip(iter_back(f), range(5))]
                assert fs == ["deep"] * 5
        stackless.schedule()
    for t in ts:
        assert names(t.frame) == ["deep"] * 5
    for _ in ts:
        ch.send(None)
    assert not any(t.alive for t in ts)


def test_reading_frames_while_others_switch():
    stop = []
    ch = stackless.channel()

    def spinner(i):
        depth = i % 4
        while not stop:
            if depth:
                list(map(lambda _: stackless.schedule(), [0]))
            else:
                stackless.schedule()
        ch.send(i)

    ts = [stackless.tasklet(spinner)(i) for i in range(30)]
    stackless.schedule()
    seen = 0
    for _ in range(60):
        for t in ts:
            f = t.frame
            if f is not None:
                fs = chain(f)
                assert fs[-1].f_code.co_name == "spinner"
                assert fs[-1].f_locals["i"] == ts.index(t)
                traceback.format_stack(f)
                seen += 1
        stackless.schedule()
    assert seen > 0
    stop.append(1)
    assert sorted(ch.receive() for _ in ts) == list(range(30))
    stackless.run()
    assert not any(t.alive for t in ts)


# Stackless's Stackless/unittests/test_miscell.py, TestBind: the parts that
# check t.frame (unbinding needs soft switching, which no stock
# interpreter has: a started tasklet always holds C state here).
class TestStacklessBind(object):
    def setup_method(self):
        self.finally_run_count = 0

    def task(self):
        try:
            stackless.schedule_remove(None)
        finally:
            self.finally_run_count += 1

    def test_bind(self):
        t = stackless.tasklet()
        wr = weakref.ref(t)
        assert not t.alive
        assert t.frame is None
        assert t.nesting_level == 0
        t.bind(None)                     # must not change the tasklet
        assert not t.alive
        assert t.frame is None
        t.bind(self.task)
        t.setup()
        stackless.run()
        assert not t.scheduled
        assert t.alive
        assert isinstance(t.frame, types.FrameType)
        t.insert()
        stackless.run()
        t = None
        from conftest import collect_until
        assert collect_until(lambda: wr() is None)
        assert self.finally_run_count == 1

    def test_unbind_fail_scheduled(self):
        t = stackless.tasklet(self.task)()
        stackless.run()                  # a paused tasklet
        t.insert()
        assert t.scheduled
        assert t.alive
        assert isinstance(t.frame, types.FrameType)
        with pytest.raises(RuntimeError, match="scheduled"):
            t.bind(None)
        t.kill()
        assert self.finally_run_count == 1

    def test_unbind_fail_cstate(self):
        t = stackless.tasklet(self.task)()
        wr = weakref.ref(t)
        stackless.run()
        assert not t.scheduled
        assert t.alive
        assert t.nesting_level >= 1
        assert isinstance(t.frame, types.FrameType)
        with pytest.raises(RuntimeError, match="C state"):
            t.bind(None)
        t = None                         # dropping it runs its finally
        from conftest import collect_until
        assert collect_until(lambda: wr() is None)
        assert self.finally_run_count == 1


# {======================================================================
# The dump of every tasklet
# ======================================================================


def test_format_tasklets_states_and_stacks():
    ch = stackless.channel()
    out = stackless.channel()

    def receiver():
        ch.receive()

    def sender():
        out.send(1)

    def pauser():
        stackless.schedule_remove()

    r = stackless.tasklet(receiver)()
    s = stackless.tasklet(sender)()
    p = stackless.tasklet(pauser)()
    stackless.run()
    fresh = stackless.tasklet(lambda: None)()
    fresh.set_atomic(True)
    text = stackless.format_tasklets()
    me = "Tasklet %#x, " % id(stackless.getcurrent())
    assert me + "main, running" in text
    assert "Tasklet %#x, blocked receiving on %r" % (id(r), ch) in text
    assert "Tasklet %#x, blocked sending on %r" % (id(s), out) in text
    assert "Tasklet %#x, paused" % id(p) in text
    assert "Tasklet %#x, scheduled, atomic" % id(fresh) in text
    assert "in receiver" in text and "ch.receive()" in text
    assert "in sender" in text and "in pauser" in text
    assert "test_format_tasklets_states_and_stacks" in text   # main's stack
    for t in (r, s, p, fresh):
        t.kill()


def test_format_tasklets_with_ten_thousand():
    ch = stackless.channel()

    def waiter(i):
        ch.receive()

    ts = [stackless.tasklet(waiter)(i) for i in range(10000)]
    stackless.run()
    text = stackless.format_tasklets(limit=5)
    assert text.count("blocked receiving on") == 10000
    assert text.count("in waiter") == 10000
    for t in ts:
        t.kill()
    heads = [ln for ln in stackless.format_tasklets().splitlines()
             if ln.startswith("  Tasklet ")]
    assert len(heads) == 1 and "main, running" in heads[0]


def test_enable_dump_on_signal(tmp_path):
    import os
    import signal
    if not hasattr(signal, "SIGUSR1"):
        pytest.skip("no SIGUSR1 on this platform")
    ch = stackless.channel()

    def sleeper():
        ch.receive()

    t = stackless.tasklet(sleeper)()
    stackless.run()
    path = tmp_path / "dump.txt"
    with open(path, "w") as fh:
        stackless.enable_dump(signal.SIGUSR1, fh)
        try:
            os.kill(os.getpid(), signal.SIGUSR1)
            for _ in range(100):         # the handler runs at a bytecode
                pass
        finally:
            assert stackless.disable_dump(signal.SIGUSR1)
    assert not stackless.disable_dump(signal.SIGUSR1)
    assert signal.getsignal(signal.SIGUSR1) in (signal.SIG_DFL, None)
    text = path.read_text()
    assert "blocked receiving on" in text and "in sleeper" in text
    with pytest.raises(TypeError):
        stackless.enable_dump(signal.SIGUSR1, object())
    t.kill()
