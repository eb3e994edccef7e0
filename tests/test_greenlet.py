"""Tasklets next to greenlet (issue 12, item 5).

greenlet keeps one current greenlet per thread.  A tasklet other than main
may switch only under the greenlet main last switched away in (the
thread's main greenlet, or one greenlet hosting the tasklet program);
inside a greenlet started within a tasklet the operation raises
RuntimeError, and nothing changes.  Greenlets created and switched
within one tasklet, and tasklet programs inside any one greenlet, work.
"""
import os
import subprocess
import sys
import textwrap

import pytest

import tasklets as stackless

greenlet = pytest.importorskip(
    "greenlet", reason="greenlet is not installed (ci/ scripts install it)")

REFUSED = "cannot switch tasklets while a greenlet"


def in_greenlet(fn, *args):
    """fn(*args) in a new greenlet; its result, or ('raised', exception)."""
    def run():
        try:
            return fn(*args)
        except RuntimeError as e:
            return ("raised", e)
    return greenlet.greenlet(run).switch()


def refused(result):
    return (isinstance(result, tuple) and result[0] == "raised" and
            REFUSED in str(result[1]))


def test_switch_inside_a_tasklets_greenlet_is_refused():
    # the reproducer: aborted the process in g_switchstack
    out = []

    def work(i):
        out.append(in_greenlet(lambda: (stackless.schedule(), i)[1]))
    stackless.tasklet(work)(0)
    stackless.tasklet(work)(1)
    stackless.run()
    assert len(out) == 2 and all(refused(r) for r in out), out


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
