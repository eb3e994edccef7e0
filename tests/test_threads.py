"""Threads: one scheduler per thread, cross-thread channels."""
import threading

import pytest

import tasklets as stackless

pytestmark = pytest.mark.skipif("threads" not in stackless.backend_features,
                                reason="backend has no per-thread schedulers")


def in_thread(fn):
    out = []

    def body():
        try:
            out.append(("ok", fn()))
        except BaseException as e:  # noqa: B902 - report anything
            out.append(("error", e))

    th = threading.Thread(target=body)
    th.start()
    th.join(30)
    assert not th.is_alive()
    kind, value = out[0]
    if kind == "error":
        raise value
    return value


def test_each_thread_has_its_own_main():
    main = stackless.getmain()
    other = in_thread(lambda: (stackless.getmain(), stackless.getcurrent().is_main,
                               stackless.getruncount()))
    assert other[0] is not main
    assert other[1] is True and other[2] == 1


def test_tasklet_belongs_to_creating_thread():
    def make():
        t = stackless.tasklet(lambda: None)
        return t, t.thread_id, threading.get_ident()

    t, tid, ident = in_thread(make)
    assert tid == ident
    assert t.thread_id == -1           # its thread is gone now
    assert stackless.tasklet(lambda: None).thread_id == threading.get_ident()


def test_switch_to_other_threads_tasklet_raises():
    ready = threading.Event()
    done = threading.Event()
    box = []

    def body():
        t = stackless.tasklet(lambda: None)()
        box.append(t)
        ready.set()
        done.wait(10)
        t.kill()

    th = threading.Thread(target=body)
    th.start()
    ready.wait(10)
    try:
        with pytest.raises(RuntimeError, match="different thread"):
            box[0].switch()
    finally:
        done.set()
        th.join(10)


def test_channel_across_threads():
    ch = stackless.channel()
    n = 1000

    def producer():
        for i in range(n):
            ch.send(i)
        return "sent"

    th = threading.Thread(target=producer)
    th.start()
    got = [ch.receive() for _ in range(n)]
    th.join(30)
    assert got == list(range(n))


def test_main_waits_for_other_thread_instead_of_deadlock():
    ch = stackless.channel()

    def later():
        import time
        time.sleep(0.2)
        ch.send("hello")

    th = threading.Thread(target=later)
    th.start()
    assert ch.receive() == "hello"
    th.join(10)


def test_threads_ping_pong_many_messages():
    ping, pong = stackless.channel(), stackless.channel()
    n = 2000

    def other():
        for _ in range(n):
            pong.send(ping.receive() + 1)

    th = threading.Thread(target=other)
    th.start()
    v = 0
    for _ in range(n):
        ping.send(v)
        v = pong.receive()
    th.join(30)
    assert v == n


def test_tasklets_killed_at_thread_end_run_as_that_thread():
    # Their finally blocks ran after threading had dropped the Thread from
    # threading._active: current_thread() (logging's threadName) made a
    # _DummyThread, which stayed in threading.enumerate() for ever.
    seen = []

    def blocked(ch):
        try:
            ch.receive()
        finally:
            seen.append(threading.current_thread())

    def body():
        stackless.tasklet(blocked)(stackless.channel())
        stackless.run()

    before = set(threading.enumerate())
    th = threading.Thread(target=body, name="ending-worker")
    th.start()
    th.join(30)
    assert seen == [th]
    assert set(threading.enumerate()) == before


def test_thread_end_kills_its_suspended_tasklets():
    log = []
    keep = []

    def blocked(ch):
        try:
            ch.receive()
        finally:
            log.append("blocked")

    def paused():
        try:
            stackless.schedule_remove(None)
        finally:
            log.append("paused")

    def body():
        ch = stackless.channel()
        keep.append(ch)
        stackless.tasklet(blocked)(ch)
        keep.append(stackless.tasklet(paused)())
        stackless.run()

    in_thread(body)
    assert sorted(log) == ["blocked", "paused"]
    t = keep[1]
    assert not t.alive and t.thread_id == -1
    assert keep[0].balance == 0
