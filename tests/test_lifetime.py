"""Object lifetime: kill on dealloc, weak references, many tasklets."""
import gc
import weakref

import pytest

import tasklets as stackless
from conftest import collect_until, needs_frame_cycles, pause_and_drop


def test_weakrefs_die_with_objects():
    t = stackless.tasklet(lambda: None)
    c = stackless.channel()
    rt, rc = weakref.ref(t), weakref.ref(c)
    del t, c
    gc.collect()
    assert rt() is None and rc() is None


def test_paused_tasklet_killed_on_last_reference():
    log = []

    def worker():
        try:
            stackless.schedule_remove(None)
        except TaskletExit:
            log.append("exit")
            raise
        finally:
            log.append("finally")

    pause_and_drop(worker)
    gc.collect()     # a no-op where reference counting already freed it
    assert log == ["exit", "finally"]
    assert stackless.getruncount() == 1


@pytest.mark.collects_suspended
@needs_frame_cycles
def test_paused_tasklet_in_a_cycle_is_collected_and_killed():
    log = []

    class Holder:
        pass

    def worker(h):
        try:
            stackless.schedule_remove()   # tempval: the tasklet itself
        finally:
            log.append("finally")

    h = Holder()
    t = stackless.tasklet(worker)(h)
    h.t = t
    t.run()
    r = weakref.ref(h)
    del t, h
    assert collect_until(lambda: log == ["finally"] and r() is None), log


@pytest.mark.collects_suspended
@needs_frame_cycles
def test_blocked_tasklets_collected_with_their_channel():
    log = []

    def worker(ch):
        try:
            ch.receive()
        finally:
            log.append("finally")

    ch = stackless.channel()
    stackless.tasklet(worker)(ch)
    stackless.run()
    assert ch.balance == -1
    r = weakref.ref(ch)
    del ch
    assert collect_until(lambda: log == ["finally"] and r() is None), log


def test_finished_tasklets_free_their_arguments():
    class Arg:
        pass

    a = Arg()
    r = weakref.ref(a)
    t = stackless.tasklet(lambda x: None)(a)
    del a
    stackless.run()
    assert not t.alive
    gc.collect()
    assert r() is None


@pytest.mark.own_process
def test_hundred_thousand_tasklets():
    n = 100000
    ch = stackless.channel()
    ch.preference = 1            # senders keep going: fill the queue

    def worker(i):
        ch.send(i)

    for i in range(n):
        stackless.tasklet(worker)(i)
    stackless.run()
    assert ch.balance == n
    total = sum(ch.receive() for _ in range(n))
    assert total == n * (n - 1) // 2
    stackless.run()
    assert stackless.getruncount() == 1


@pytest.mark.skipif("finalizers_in_collector" not in stackless.backend_features,
                    reason="backend runs finalizers outside the collector, "
                           "where switching is safe")
def test_del_run_by_the_collector_cannot_block_but_can_hand_off():
    # Switching while the collector runs could slice its C-stack state
    # away: a __del__ that would block fails; a hand-off without switch works.
    ch = stackless.channel()
    log = []

    class D:
        def __del__(self):
            try:
                ch.send("from del")
            except RuntimeError as e:
                log.append(str(e))

    class Cycle:
        pass

    def receiver():
        log.append(ch.receive())

    other = stackless.tasklet(lambda: None)()   # something else runnable
    c = Cycle()
    c.self, c.d = c, D()
    del c
    gc.collect()
    assert log == ["cannot block a tasklet while the garbage collector runs"]
    assert ch.balance == 0 and other.scheduled
    stackless.run()

    stackless.tasklet(receiver)()
    stackless.run()                              # receiver now waits
    c = Cycle()
    c.self, c.d = c, D()
    del c
    gc.collect()
    stackless.run()
    assert log[-1] == "from del" and ch.balance == 0


def test_last_reference_dropped_in_another_thread_kills_in_owner():
    # A thread's suspended tasklet whose last reference goes away in main:
    # the kill is queued to its own thread (a C stack is only run by its
    # owner), which runs its 'finally' -- nothing is leaked.
    import threading
    log = []
    handed = []
    release = stackless.channel()           # cross-thread: parks the thread
    ready = threading.Event()

    def body():
        try:
            stackless.schedule_remove(None)  # paused: in no queue
        except TaskletExit:
            log.append(("exit", threading.get_ident()))
            raise
        finally:
            log.append("finally")

    def owner():
        t = stackless.tasklet(body)()
        stackless.schedule()                # t starts and pauses
        handed.append(weakref.ref(t))
        handed.append(t)
        del t
        ready.set()
        release.receive()                   # waits in the scheduler

    th = threading.Thread(target=owner)
    th.start()
    assert ready.wait(10)
    ref = handed[0]
    owner_id = th.ident
    del handed[:]                           # the last reference, here
    resurrected = ref() is not None         # by the kill's queue
    release.send(None)
    th.join(10)
    assert resurrected
    assert not th.is_alive()
    gc.collect()
    assert log == [("exit", owner_id), "finally"]
    assert ref() is None


def _stack_cycle_worker(log, refs, via_caller):
    """A tasklet blocked in receive() while a Holder that references the
    tasklet lives only on an evaluation stack: its own frame's, or (via a
    Python call) its caller's."""
    class Holder:
        pass

    def make():
        h = Holder()
        h.t = stackless.getcurrent()
        refs.append(weakref.ref(h))
        return h

    def use(a, b):
        return b

    def inner(ch):
        return ch.receive()

    def worker(ch):
        try:
            if via_caller:
                use(make(), inner(ch))
            else:
                use(make(), ch.receive())
        finally:
            log.append("finally")
    return worker


@pytest.mark.collects_suspended
@needs_frame_cycles
@pytest.mark.parametrize("via_caller", [False, pytest.param(
    True, marks=pytest.mark.skipif(
        "caller_stacks" not in stackless.backend_features,
        reason="the backend cannot see a suspended caller's evaluation "
               "stack (CPython < 3.11 keeps its depth in a C local)"))])
def test_cycle_through_an_evaluation_stack_is_collected(via_caller):
    log, refs = [], []
    ch = stackless.channel()
    stackless.tasklet(_stack_cycle_worker(log, refs, via_caller))(ch)
    stackless.run()
    assert ch.balance == -1 and len(refs) == 1
    del ch
    assert collect_until(lambda: log == ["finally"] and refs[0]() is None), log

