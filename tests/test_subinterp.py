"""Subinterpreters (issue 12, item 4): tasklets refuses them cleanly with
ImportError (its schedulers are per process and OS thread, not per
interpreter), and the main interpreter keeps working around them.

Each test runs in a child process; the child tries every way its CPython
has to run code in a new subinterpreter: _testcapi.run_in_subinterp
(3.8+), _xxsubinterpreters (3.8-3.12, isolated and legacy on 3.12) and
_interpreters (3.13+, isolated and legacy configs)."""
import platform
import re
import textwrap

import pytest

from conftest import run_python

pytestmark = pytest.mark.skipif(
    platform.python_implementation() != "CPython",
    reason="only CPython has subinterpreters")

PRELUDE = r'''
import os, sys, threading

# every line goes out in one write(): threads of the child print too, and
# print() writes its parts one by one (a line could be split by another)
SUB = """
import os
for name in ("tasklets", "stackless"):
    try:
        __import__(name)
    except ImportError as e:
        os.write(1, ("sub: ImportError: %s\\n" % e).encode())
    else:
        os.write(1, ("sub: imported %s\\n" % name).encode())
"""

def runners():
    """(name, run(code)) for each way to run code in a new subinterpreter"""
    found = []
    try:
        import _testcapi
        found.append(("run_in_subinterp",
                      lambda code: _testcapi.run_in_subinterp(code)))
    except (ImportError, AttributeError):
        pass
    try:
        import _interpreters as xi
        configs = {"isolated": xi.new_config("isolated"),
                   "legacy": xi.new_config("legacy")}
        create = xi.create
    except ImportError:
        try:
            import _xxsubinterpreters as xi
        except ImportError:
            xi = None
        if sys.version_info >= (3, 12):
            configs = {"isolated": True, "legacy": False}
            create = lambda isolated: xi.create(isolated=isolated)
        else:
            configs = {"default": None}
            create = lambda _: xi.create()
    if xi is not None:
        for label, config in configs.items():
            def run(code, config=config):
                i = create(config)
                try:
                    xi.run_string(i, code)
                finally:
                    xi.destroy(i)
            found.append((xi.__name__ + "-" + label, run))
    if not found:
        print("NO-RUNNERS", flush=True)
    print("runners:", " ".join(name for name, _ in found), flush=True)
    return found

def use(tag):
    """tasklets at work in this thread: tasklets, a channel, run()"""
    import tasklets as stackless
    ch = stackless.channel()
    def square(i):
        ch.send(i * i)
    for i in range(3):
        stackless.tasklet(square)(i)
    got = [ch.receive() for _ in range(3)]
    stackless.run()
    assert got == [0, 1, 4], got
    sys.stdout.flush()
    os.write(1, ("main ok: %s\n" % tag).encode())
'''


def run_child(code):
    r = run_python(PRELUDE + textwrap.dedent(code))
    if "NO-RUNNERS" in r.stdout:
        pytest.skip("this CPython build has neither _testcapi nor "
                    "_xxsubinterpreters/_interpreters")
    assert r.returncode == 0, (r.stdout, r.stderr)
    subs = [l for l in r.stdout.splitlines() if l.startswith("sub:")]
    assert subs, r.stdout
    for line in subs:
        # ours, or CPython's own refusal of a single-phase module in an
        # isolated subinterpreter (3.12+)
        assert line.startswith("sub: ImportError:"), line
        assert "support subinterpreters yet" in line or \
            "does not support loading in subinterpreters" in line, line
    return r.stdout


def runner_names(out):
    return re.search(r"^runners: (.*)$", out, re.M).group(1).split()


def test_main_works_before_and_after_subinterpreter_imports():
    out = run_child('''
        use("before")
        for name, run in runners():
            run(SUB)
            use("after " + name)
        print("done", flush=True)
    ''')
    assert "main ok: before" in out and out.rstrip().endswith("done")
    for name in runner_names(out):
        assert "main ok: after %s\n" % name in out


def test_subinterpreter_first_then_main_imports():
    out = run_child('''
        for name, run in runners():
            run(SUB)
        assert "tasklets" not in sys.modules
        use("first import in main")
        use("again")
    ''')
    assert "main ok: again" in out


def test_subinterpreter_started_inside_a_tasklet():
    # the thread's interpreter state changes under suspended tasklets
    out = run_child('''
        import tasklets as stackless
        ch = stackless.channel()
        def sub_caller(run):
            run(SUB)
            ch.send("back")
        def other():
            ch.send("other")
        for name, run in runners():
            stackless.tasklet(sub_caller)(run)
            stackless.tasklet(other)()
            got = sorted([ch.receive(), ch.receive()])
            assert got == ["back", "other"], got
            stackless.run()
            use("after " + name)
    ''')
    for name in runner_names(out):
        assert "main ok: after %s\n" % name in out


def test_thread_uses_tasklets_while_a_subinterpreter_runs():
    # one thread runs subinterpreters while two others, the main one among
    # them, use tasklets and a cross-thread channel
    out = run_child('''
        import tasklets as stackless
        use("before")
        cross = stackless.channel()
        stop, started = threading.Event(), threading.Event()
        def subs():
            while not stop.is_set():
                for name, run in runners():
                    started.set()
                    run(SUB + "\\nimport time; time.sleep(0.01)")
        def worker():
            started.wait()
            use("in a thread")
            for i in range(200):
                cross.send(i)
        t_sub = threading.Thread(target=subs)
        t_sub.start()
        t = threading.Thread(target=worker)
        t.start()
        got = [cross.receive() for _ in range(200)]
        t.join()
        stop.set()
        t_sub.join()
        assert got == list(range(200))
        use("after")
    ''')
    assert "main ok: in a thread" in out and "main ok: after" in out
