"""Tasklets next to greenlet (issue 12, item 5).

greenlet keeps one current greenlet per thread.  A tasklet other than main
may switch only under the greenlet main last switched away in (the
thread's main greenlet, or one greenlet hosting the tasklet program);
inside a greenlet started within a tasklet the operation raises
RuntimeError, and nothing changes.  Greenlets created and switched
within one tasklet, greenlets switched to from other tasklets, and
tasklet programs inside any one greenlet, work.
"""
import gc
import importlib.util
import os
import subprocess
import sys
import textwrap
import threading

import pytest

import tasklets as stackless

if importlib.util.find_spec("greenlet") is None:
    pytest.skip("greenlet is not installed (ci/ scripts install it)",
                allow_module_level=True)
greenlet = None


@pytest.fixture(autouse=True)
def _greenlet():
    # imported by the first test, not at collection (conftest.py runs this
    # file last): importing greenlet changes the backend for good (on
    # CPython, new tasklets then start on the thread's own stack, see
    # cpython_ext/greenlets.c), which the other files must not inherit
    global greenlet
    import greenlet as module
    greenlet = module

REFUSED = "cannot switch tasklets while a greenlet"


def in_greenlet(fn, *args):
    """fn(*args) in a new greenlet; its result, or ('raised', exception)."""
    def run():
        try:
            return fn(*args)
        except RuntimeError as e:
            return ("raised", e)
    return greenlet.greenlet(run).switch()


# the cffi backend on CPython: its tasklets are greenlets themselves
needs_guard = pytest.mark.skipif(
    "greenlet_guard" not in stackless.backend_features,
    reason="the tasklets are greenlets here: one started inside a tasklet "
           "is not told apart from it, and main's tasklets cannot run "
           "inside another greenlet")


def refused(result):
    return (isinstance(result, tuple) and result[0] == "raised" and
            REFUSED in str(result[1]))


@needs_guard
def test_switch_inside_a_tasklets_greenlet_is_refused():
    # the reproducer: aborted the process in g_switchstack
    out = []

    def work(i):
        out.append(in_greenlet(lambda: (stackless.schedule(), i)[1]))
    stackless.tasklet(work)(0)
    stackless.tasklet(work)(1)
    stackless.run()
    assert len(out) == 2 and all(refused(r) for r in out), out


@needs_guard
@pytest.mark.parametrize("op", ["schedule", "schedule_remove", "receive",
                                "send", "run", "switch", "kill", "throw",
                                "nested run"])
def test_every_switching_operation_is_refused_and_changes_nothing(op):
    ch = stackless.channel()
    other = stackless.tasklet(lambda: ch.receive())()
    idle = stackless.tasklet(lambda: None)
    idle.setup().remove()
    results = []
    do = {
        "schedule": stackless.schedule,
        "schedule_remove": stackless.schedule_remove,
        "receive": ch.receive,
        "send": lambda: ch.send(1),
        "run": idle.run,
        "switch": idle.switch,
        "kill": other.kill,
        "throw": lambda: other.throw(KeyError),
        "nested run": stackless.run,
    }[op]

    def body():
        stackless.schedule()            # other blocks on ch meanwhile
        before = (ch.balance, stackless.getruncount(), other.alive)
        results.append(in_greenlet(do))
        results.append(before == (ch.balance, stackless.getruncount(),
                                  other.alive))
        ch.send("done")                 # back in the tasklets' greenlet
    stackless.tasklet(body)()
    stackless.run()
    assert refused(results[0]) and results[1], results
    assert not other.alive and ch.balance == 0
    idle.kill()


def test_greenlets_inside_one_tasklet_work():
    # each tasklet drives its own generator-like greenlets and switches
    # tasklets only from the greenlet it runs in
    out = {}

    def numbers(n):
        parent = greenlet.getcurrent().parent
        for i in range(n):
            parent.switch(i)
        return "end"

    def work(name):
        g = greenlet.greenlet(numbers)
        got = [g.switch(4)]
        while not g.dead:
            stackless.schedule()        # between greenlet switches
            got.append(g.switch())
        out[name] = got
    for name in "abc":
        stackless.tasklet(work)(name)
    stackless.run()
    assert out == {k: [0, 1, 2, 3, "end"] for k in "abc"}


@needs_guard
def test_tasklet_program_inside_one_greenlet():
    # a greenlet hosting a whole tasklet program (as under gevent), then
    # the main greenlet running another one
    def program(tag):
        ch = stackless.channel()
        got = []
        for i in range(3):
            stackless.tasklet(ch.send)((tag, i))
        stackless.tasklet(lambda: got.extend(ch.receive()
                                             for _ in range(3)))()
        stackless.run()
        return got
    host = greenlet.greenlet(program)
    assert host.switch("in greenlet") == [("in greenlet", i) for i in range(3)]
    assert program("main") == [("main", i) for i in range(3)]


def test_tasklets_in_the_main_greenlet():
    assert greenlet.getcurrent().parent is None
    ch = stackless.channel()
    stackless.tasklet(lambda: [ch.send(i) for i in range(3)])()
    assert [ch.receive() for _ in range(3)] == [0, 1, 2]
    stackless.run()


@needs_guard
def test_greenlet_imported_after_tasklets():
    # the switch is refused even when greenlet comes after tasklets (and
    # is first imported inside a tasklet); the process never aborts
    if os.environ.get("TASKLETS_UNDER_QEMU") == "1":
        pytest.skip("no second interpreter under qemu-user")
    code = "REFUSED = %r\n" % REFUSED + textwrap.dedent("""
        import tasklets as stackless
        out = []
        def work(i):
            import greenlet
            def inner():
                try:
                    stackless.schedule()
                except RuntimeError as e:
                    return "refused %d" % i if REFUSED in str(e) else e
                return i
            out.append(greenlet.greenlet(inner).switch())
        stackless.tasklet(work)(0); stackless.tasklet(work)(1)
        stackless.run()
        print(out)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True,
                       text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['refused 0', 'refused 1']", r.stdout


# {======================================================================
# A greenlet switched to from a tasklet other than the one that started it
# (issue 12, item 5's sibling).  On CPython tasklets ran on a stack region
# of their own, so greenlet's slicing copied the gap between that region
# and the thread's stack (Fatal Python error: g_switchstack, or a
# segfault); once greenlet is imported, tasklets start on the thread's own
# stack, as greenlets do, and this works as on PyPy.
# ======================================================================
def _under_asan():
    try:
        with open("/proc/self/maps") as f:
            return "asan" in f.read()
    except OSError:
        return False


# greenlet has no AddressSanitizer support (python-greenlet/greenlet issue
# 367): copying a stack slice across frames of other tasklets reads their
# redzones, which ASan's memcpy interceptor reports, and greenlet.throw's
# C++ exception meets ASan's __cxa_throw interceptor unresolved (the
# runtime is preloaded into an uninstrumented interpreter, ci/matrix.sh)
across_tasklets = pytest.mark.skipif(
    _under_asan() or "greenlet_guard" not in stackless.backend_features,
    reason="greenlet does not support AddressSanitizer; or the tasklets are "
           "greenlets here (the cffi backend on CPython): a user's greenlet "
           "is not told apart from them")


def yielder(log):
    """A greenlet body that yields 1, 2, 3... to whoever switches to it,
    noting the tasklet it runs in each time."""
    def body():
        i = 0
        while True:
            i += 1
            log.append(stackless.getcurrent())
            greenlet.getcurrent().parent.switch(i)
    return greenlet.greenlet(body)


@across_tasklets
def test_greenlet_started_in_a_tasklet_resumed_by_others():
    log = []
    g = yielder(log)
    got = []

    def a():
        got.append(g.switch())
    ta = stackless.tasklet(a)()
    tb = stackless.tasklet(lambda: got.extend([g.switch(), g.switch()]))()
    stackless.run()
    got.append(g.switch())                  # and main
    assert got == [1, 2, 3, 4]
    assert log == [ta, tb, tb, stackless.getmain()]


@across_tasklets
def test_tasklet_switches_into_a_greenlet_main_started():
    # aborted in g_switchstack (the copy between the two stacks failed)
    log = []
    g = yielder(log)
    got = [g.switch()]

    def a():
        got.append(g.switch())
        stackless.schedule()
        got.append(g.switch())
    t = stackless.tasklet(a)()
    stackless.run()
    got.append(g.switch())
    assert got == [1, 2, 3, 4]
    assert log == [stackless.getmain(), t, t, stackless.getmain()]


@across_tasklets
def test_greenlets_shared_by_tasklets_in_other_threads():
    # each thread's tasklets share that thread's greenlet (its own stack)
    results = []

    def thread_main():
        log = []
        g = yielder(log)
        got = [g.switch()]

        def a():
            got.append(g.switch())
            stackless.schedule()
            got.append(g.switch())
        stackless.tasklet(a)()
        stackless.tasklet(a)()
        stackless.run()
        got.append(g.switch())
        results.append(got)
    threads = [threading.Thread(target=thread_main) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [[1, 2, 3, 4, 5, 6]] * 3


@across_tasklets
def test_main_switches_tasklets_inside_a_greenlet_a_tasklet_started():
    # main ran on the tasklets' region there; the next tasklet overwrote
    # the greenlet's frames (segfault when main resumed)
    box = {}
    out = []

    def body():
        greenlet.getcurrent().parent.switch()
        out.append("main in g")
        stackless.schedule()              # main switches tasklets here
        out.append("main back in g")
        return "g done"

    def deep(n):
        # C recursion (list repr): reuses the C stack below it
        nested = []
        for _ in range(n):
            nested = [nested]
        return "a" if repr(nested).count("[") == n + 1 else "?"

    def a():
        box["g"] = greenlet.greenlet(body)
        box["g"].switch()
        stackless.schedule()
        out.append(deep(200))
    stackless.tasklet(a)()
    stackless.schedule()                  # a starts g, then waits
    assert box["g"].switch() == "g done"
    assert out == ["main in g", "a", "main back in g"]


@across_tasklets
def test_throw_into_a_greenlet_of_another_tasklet():
    def body():
        try:
            greenlet.getcurrent().parent.switch("ready")
        except KeyError as e:
            return ("caught", e.args, stackless.getcurrent())
    g = greenlet.greenlet(body)
    assert g.switch() == "ready"
    got = []
    t = stackless.tasklet(lambda: got.append(g.throw(KeyError, "k")))()
    stackless.run()
    assert got == [("caught", ("k",), t)] and g.dead


@across_tasklets
def test_greenlet_whose_parent_another_tasklet_started():
    # g2 (made in b) ends into its parent g1 (started by main, then by a):
    # g1 resumes in b
    log = []
    g1 = yielder(log)
    got = [g1.switch()]

    def a():
        got.append(g1.switch())

    def b():
        g2 = greenlet.greenlet(lambda: "g2 ends", parent=g1)
        got.append(g2.switch())         # g1 yields 3 to its own parent
    ta = stackless.tasklet(a)()
    tb = stackless.tasklet(b)()
    stackless.run()
    assert got == [1, 2, 3]
    assert log == [stackless.getmain(), ta, tb]


def _kills_collected_greenlets():
    out = []

    def body():
        try:
            greenlet.getcurrent().parent.switch()
        finally:
            out.append(1)
    g = greenlet.greenlet(body)
    g.switch()
    del g
    gc.collect()
    return out == [1]


@across_tasklets
def test_greenlet_collected_in_another_tasklet():
    # the last reference goes while a tasklet runs: greenlet throws
    # GreenletExit into it from there (aborted before, as a switch)
    if not _kills_collected_greenlets():
        pytest.skip("this greenlet does not end suspended greenlets when "
                    "they are collected (PyPy's)")
    out = []

    def body():
        try:
            greenlet.getcurrent().parent.switch()
        finally:
            out.append(("finally", stackless.getcurrent()))
    box = [greenlet.greenlet(body)]
    box[0].switch()
    t = stackless.tasklet(lambda: box.clear())()
    stackless.run()
    assert out == [("finally", t)]


@across_tasklets
def test_killed_tasklet_ends_its_suspended_greenlet():
    out = []
    ch = stackless.channel()

    def body():
        try:
            greenlet.getcurrent().parent.switch()
        finally:
            out.append("greenlet finally")

    def a():
        g = greenlet.greenlet(body)
        g.switch()
        try:
            ch.receive()
        finally:
            out.append("tasklet finally")
            g.throw()                   # GreenletExit: its finally runs
    t = stackless.tasklet(a)()
    stackless.run()
    t.kill()
    assert out == ["tasklet finally", "greenlet finally"] and not t.alive


@across_tasklets
def test_collected_tasklet_ends_its_suspended_greenlet():
    out = []

    def body():
        try:
            greenlet.getcurrent().parent.switch()
        finally:
            out.append("greenlet finally")

    def a(ch):
        g = greenlet.greenlet(body)
        g.switch()
        try:
            ch.receive()                # blocks forever: nobody sends
        finally:
            out.append("tasklet finally")
            g.throw()                   # GreenletExit: its finally runs
    stackless.tasklet(a)(stackless.channel())
    stackless.run()
    for _ in range(3):
        gc.collect()
    assert out == ["tasklet finally", "greenlet finally"]
# }======================================================================
