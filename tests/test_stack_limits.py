"""Deep recursion inside a tasklet raises RecursionError, never crashes.

Tasklets may run on a stack of their own (the CPython binding gives each
thread a separate region).  CPython 3.14+ checks C recursion against the
stack pointer with limits that must describe the stack in use: wrong ones
let deep C recursion run into the guard page (a segfault).  Each case runs
in a child interpreter so that a crash is a failure, not the end of the
run."""
import textwrap

import pytest

from conftest import run_python

PRELUDE = textwrap.dedent("""
    import json, sys
    import tasklets as stackless

    def nested_list(depth):
        x = []
        for _ in range(depth):
            x = [x]
        return x

    def deep_repr():
        repr(nested_list(200000))

    def deep_json():
        json.loads("[" * 200000 + "]" * 200000)

    def deep_dumps():
        json.dumps(nested_list(200000))

    def deep_python():
        def f(n):
            return f(n + 1)
        f(0)

    def outcome(fn):
        try:
            fn()
        except RecursionError:
            return "RecursionError"
        return "no error"
""")


def run_child(body):
    r = run_python(PRELUDE + textwrap.dedent(body), timeout=300)
    assert r.returncode == 0, "child died (%d):\n%s" % (
        r.returncode, (r.stdout + r.stderr)[-3000:])
    return r.stdout.split()


CASES = ["deep_repr", "deep_json", "deep_dumps", "deep_python"]


@pytest.mark.parametrize("case", CASES)
def test_deep_recursion_in_tasklet(case):
    out = run_child("""
        res = []
        stackless.tasklet(lambda: res.append(outcome(%s)))()
        stackless.run()
        print(*res)
    """ % case)
    assert out == ["RecursionError"]


@pytest.mark.parametrize("case", CASES)
def test_deep_recursion_across_switches(case):
    # two tasklets take turns, each blocked mid-way, and main recurses
    # between their turns: every switch must leave the limits of the stack
    # that runs next
    out = run_child("""
        res = []
        ch = stackless.channel()
        def worker(name):
            ch.receive()
            res.append(name + ":" + outcome(%s))
            ch.receive()
            res.append(name + ":" + outcome(%s))
        stackless.tasklet(worker)("a")
        stackless.tasklet(worker)("b")
        stackless.schedule()
        for _ in range(4):
            ch.send(None)
            res.append("main:" + outcome(%s))
        print(*res)
    """ % (case, case, case))
    assert out == ["a:RecursionError", "main:RecursionError",
                   "b:RecursionError", "main:RecursionError"] * 2


def test_deep_recursion_in_main_after_tasklets():
    out = run_child("""
        stackless.tasklet(lambda: None)()
        stackless.run()
        print(outcome(deep_repr), outcome(deep_json))
    """)
    assert out == ["RecursionError", "RecursionError"]


def test_recursion_near_the_limit_still_works():
    # the limits are not too tight either: a moderately deep C recursion
    # (well within the thread's own budget) succeeds in a tasklet
    out = run_child("""
        res = []
        def body():
            res.append(len(repr(nested_list(300))))
            res.append(len(json.dumps(nested_list(300))))
        stackless.tasklet(body)()
        stackless.run()
        print(*res)
    """)
    assert out == ["602", "602"]


def test_deep_recursion_in_another_threads_tasklets():
    # every thread has its own stack for its tasklets, and its own limits
    out = run_child("""
        import threading
        res = []
        def thread_main():
            stackless.tasklet(lambda: res.append(outcome(deep_repr)))()
            stackless.run()
            res.append(outcome(deep_json))
        t = threading.Thread(target=thread_main)
        t.start()
        t.join()
        print(*res)
    """)
    assert out == ["RecursionError", "RecursionError"]
