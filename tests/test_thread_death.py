"""What happens to a thread's tasklets, and to the threads waiting for it,
when a thread ends (issue 12, items 7 and 8), as Stackless's
test_thread.py (DeadThreadTest, TestRemoteSchedule) and test_miscell.py
(_test_kill_without_thread_state, test_unbind_fail_cstate_no_thread)
expect; plus the argument checks of throw() and of the tracing
attributes (test_tracing.py, Stackless 3.7).
"""
import sys
import threading
import time

import pytest

import tasklets as stackless
from conftest import raises_exact, run_python

pytestmark = pytest.mark.skipif("threads" not in stackless.backend_features,
                                reason="backend has no per-thread schedulers")

DEADLOCK = "Deadlock: the last runnable tasklet cannot be blocked."
NO_THREAD = "tasklet has no thread"
C_STATE = "tasklet has C state on its stack"


def run_thread(fn, *args):
    th = threading.Thread(target=fn, args=args)
    th.start()
    th.join(30)
    assert not th.is_alive()
    time.sleep(0.01)              # let it clean up


def fresh_from_dead_thread():
    """A runnable, never started tasklet of a thread that ended."""
    box = []
    run_thread(lambda: box.append(stackless.tasklet(lambda: None)()))
    return box[0]


class Refuser(object):
    """A started tasklet of a thread that ended: it caught the TaskletExit
    of the thread's end, so it still has its frames (C state)."""

    def __init__(self, block):
        self.loop = True
        self.ch = stackless.channel()

        def task():
            while self.loop:
                try:
                    if block:
                        self.ch.receive()
                    else:
                        stackless.main.switch()
                except TaskletExit:
                    pass

        box = []

        def thread():
            t = stackless.tasklet(task)()
            t.run()
            box.append(t)

        run_thread(thread)
        self.t = box[0]


# {======================================================================
# item 8: a waiting thread finds the deadlock once the others ended
# ======================================================================


@pytest.mark.parametrize("op", ["receive", "send"])
@pytest.mark.parametrize("uses_tasklets", [True, False])
def test_main_waiting_on_a_channel_gets_deadlock_when_other_threads_end(
        op, uses_tasklets):
    ch = stackless.channel()

    def worker():
        if uses_tasklets:
            stackless.getcurrent()
        time.sleep(0.2)

    th = threading.Thread(target=worker)
    th.start()
    try:
        with raises_exact(RuntimeError, DEADLOCK):
            if op == "send":
                ch.send(1)
            else:
                ch.receive()
        assert ch.balance == 0 and not stackless.main.blocked
    finally:
        th.join(30)


def test_ended_tasklet_waiting_for_threads_gives_blocked_main_its_error():
    """The last tasklet ends while main is blocked and another thread still
    runs: its end waits; once that thread is gone, main gets Stackless's
    'no sender' error."""
    ch = stackless.channel()
    th = threading.Thread(target=time.sleep, args=(0.2,))
    th.start()
    try:
        stackless.tasklet(lambda: None)()
        with raises_exact(RuntimeError, "the main tasklet is receiving "
                          "without a sender available."):
            ch.receive()
    finally:
        th.join(30)


def test_second_waiting_thread_gets_deadlock_then_main_when_it_ends():
    ch, other = stackless.channel(), stackless.channel()
    seen = []

    def worker():
        time.sleep(0.1)           # main waits by now
        try:
            other.receive()
        except RuntimeError as e:
            seen.append(str(e))

    th = threading.Thread(target=worker)
    th.start()
    try:
        with raises_exact(RuntimeError, DEADLOCK):
            ch.receive()
    finally:
        th.join(30)
    assert seen == [DEADLOCK]
# }======================================================================

# {======================================================================
# item 7: tasklets of a thread that ended
# ======================================================================


def test_fresh_tasklet_of_dead_thread():
    """DeadThreadTest.test_methods_on_dead"""
    class MyException(Exception):
        pass

    t = fresh_from_dead_thread()
    assert t.thread_id == -1
    assert (t.alive, t.paused, t.blocked, t.scheduled) == (False,) * 4
    assert t.next is None and t.prev is None
    assert t.trace_function is None and t.profile_function is None
    with raises_exact(RuntimeError, NO_THREAD):
        t.throw(MyException)
    with raises_exact(RuntimeError, NO_THREAD):
        t.throw(TaskletExit, pending=True)
    with raises_exact(RuntimeError, NO_THREAD):
        t.raise_exception(MyException, "test")
    for method in (t.insert, t.run, t.switch):
        with pytest.raises(RuntimeError):
            method()
    assert t.thread_id == -1
    t.set_atomic(t.set_atomic(True))
    t.bind(None)
    t.remove()
    t.bind(lambda: None)
    with pytest.raises(RuntimeError):
        t.setup()
    with pytest.raises(RuntimeError):
        t.bind(lambda: None, ())
    assert t.thread_id == -1


def test_fresh_tasklet_of_dead_thread_can_be_rebound_and_run_here():
    log = []
    box = []
    run_thread(lambda: box.append(stackless.tasklet(log.append)(1)))
    t = box[0]
    t.bind_thread()
    assert t.thread_id == stackless.getcurrent().thread_id and t.alive
    t.run()
    assert log == [1] and not t.alive


def test_kill_of_fresh_tasklet_of_dead_thread_drops_it():
    t = fresh_from_dead_thread()
    assert t.kill() is None
    assert not t.alive and not t.scheduled
    t.bind(None)                  # unbound now: no C state, no frame


def test_kill_of_fresh_tasklet_on_the_stack_of_a_freed_thread():
    """Tasklets made on their thread's own stack (greenlet imported, or
    TASKLETS_THREAD_STACK) outlive that thread; killing one after the
    thread's main tasklet was freed walked a stack chain that started at
    freed memory (segfault under -X dev, whose allocator poisons it)."""
    r = run_python("""
        import gc, os, threading
        os.environ["TASKLETS_THREAD_STACK"] = "1"
        import tasklets as stackless
        for i in range(100):
            box = []
            th = threading.Thread(
                target=lambda: box.append(stackless.tasklet(lambda: 0)()))
            th.start()
            th.join()
            del th
            gc.collect()
            t = box.pop()
            assert t.kill() is None
            assert not t.alive and not t.scheduled
        print("ok")
        """, options=("-X", "dev"))
    assert r.returncode == 0 and r.stdout.strip() == "ok", (
        r.returncode, r.stdout, r.stderr[-3000:])


@pytest.mark.parametrize("block", [True, False])
def test_tasklet_with_c_state_on_dead_thread(block):
    """_test_kill_without_thread_state, test_unbind_fail_cstate_no_thread,
    test_rebind_from_dead_fail_cstate"""
    r = Refuser(block)
    t = r.t
    r.loop = False
    assert t.thread_id == -1 and not t.alive
    assert t.blocked == block and r.ch.balance == (-1 if block else 0)
    with raises_exact(RuntimeError, NO_THREAD):
        t.throw(TaskletExit, pending=True)
    with raises_exact(RuntimeError, NO_THREAD):
        t.throw(ValueError)
    with raises_exact(RuntimeError, C_STATE):
        t.bind_thread()
    if not block:
        with raises_exact(RuntimeError, C_STATE):
            t.bind(None)
    assert t.thread_id == -1
    t.kill(pending=True)          # drops its frames: no error
    assert not t.blocked and not t.scheduled and not t.alive
    assert t.next is None and t.prev is None
    assert r.ch.balance == 0
    t.remove()
    t.kill()
    t.bind(None)                  # its C state is gone now


def test_main_of_an_ended_thread_is_neither_alive_nor_current():
    """is_current needs a running thread, as alive does (Stackless: no
    thread state, no current tasklet)"""
    box = []
    run_thread(lambda: box.append(stackless.getmain()))
    m = box[0]
    assert (m.alive, m.is_current, m.paused, m.thread_id) == (
        False, False, False, -1)
    assert m.is_main


def test_tasklet_blocked_on_an_ended_thread_is_never_served():
    """It stays in its channel (Stackless) until a channel operation finds
    it there: then it leaves unserved, where it swallowed the message"""
    r = Refuser(True)
    r.loop = False
    assert r.t.blocked and r.ch.balance == -1
    sender = stackless.tasklet(r.ch.send)("kept")
    stackless.run()
    assert sender.blocked and r.ch.balance == 1
    assert not r.t.blocked and not r.t.scheduled and not r.t.alive
    assert r.ch.receive() == "kept"
    stackless.run()
    assert not sender.alive
    r.t.kill()                    # its frames go


def test_tasklet_of_dead_thread_is_not_killed_twice_by_kill():
    r = Refuser(True)
    r.loop = False
    r.t.kill()
    r.t.kill()
    assert not r.t.alive


def test_remote_run_order_is_fifo():
    """TestRemoteSchedule.testRunOrder: tasklets inserted into a thread that
    waits, then one run() there: the run() one goes first, the rest in
    insertion order."""
    events = []
    c, done = stackless.channel(), stackless.channel()

    def thread():
        made = []
        for i in range(3):
            def helper(i=i):
                events.append(i)
                done.send(None)
            t = stackless.tasklet(helper)()
            t.remove()
            made.append(t)
        c.send(made)
        for _ in range(3):
            done.receive()

    th = threading.Thread(target=thread)
    th.start()
    try:
        t1, t2, t3 = c.receive()
        time.sleep(0.05)          # the thread waits in done.receive()
        # (Stackless's atomic also keeps the GIL.  The C extension: a long
        # switch interval keeps the woken thread from running meanwhile;
        # the cffi backend drops the GIL in every core call and holds the
        # wakes of an atomic tasklet back instead, cffi_build/glue.c)
        interval = sys.getswitchinterval()
        sys.setswitchinterval(30)
        try:
            with stackless.atomic():
                t2.insert()
                t3.insert()
                t1.run()
        finally:
            sys.setswitchinterval(interval)
    finally:
        th.join(30)
    assert events == [0, 1, 2]
# }======================================================================

# {======================================================================
# throw() arguments, tracing attributes of dead tasklets
# ======================================================================


@pytest.mark.parametrize("args", [
    (1,), ("x",), (ValueError(), 1), (ValueError, None, 5), (int,),
    (object(),),
], ids=["int", "str", "instance+value", "bad-traceback", "class", "object"])
def test_throw_with_bad_arguments_raises_typeerror_and_leaves_the_target(
        args):
    ch = stackless.channel()
    got = []

    def body():
        got.append(ch.receive())

    t = stackless.tasklet(body)()
    t.run()
    try:
        with pytest.raises(TypeError):
            t.throw(*args)
        assert t.alive and t.blocked and ch.balance == -1
        ch.send("still here")
        assert got == ["still here"] and not t.alive
    finally:
        if t.alive:
            t.kill()


@pytest.mark.parametrize("attr", ["trace_function", "profile_function"])
def test_tracing_of_a_dead_tasklet(attr):
    ended = stackless.tasklet(lambda: None)()
    ended.run()
    for t in (stackless.tasklet(), stackless.tasklet(len), ended):
        with raises_exact(RuntimeError, "tasklet is not alive"):
            setattr(t, attr, lambda *a: None)
        setattr(t, attr, None)    # clearing is nothing to do
        assert getattr(t, attr) is None
    paused = stackless.tasklet(lambda: None)
    paused.bind(lambda: None, ())
    try:
        tf = sys.gettrace()
        setattr(paused, attr, len)
        assert getattr(paused, attr) is len
        setattr(paused, attr, None)
        assert sys.gettrace() is tf
    finally:
        paused.kill()
# }======================================================================
