"""Interpreter exit with suspended tasklets: clean exit, finally blocks run."""
import functools
import subprocess
import sys
import textwrap

import pytest

import tasklets as stackless


@functools.lru_cache(maxsize=None)
def can_spawn_interpreter():
    try:
        r = subprocess.run([sys.executable, "-c", "pass"], timeout=60,
                           capture_output=True)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def run_script(code):
    if not can_spawn_interpreter():
        pytest.skip("this platform cannot start a second interpreter "
                    "(e.g. qemu-user without binfmt)")
    import os
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120, env=env)


def test_exit_with_blocked_tasklets_in_main_and_threads():
    r = run_script(r"""
        import os
        import threading
        import tasklets as stackless

        def blocked(name, ch):
            try:
                ch.receive()
            finally:
                os.write(1, ("finally %s\n" % name).encode())

        def thread_body(name):
            ch = stackless.channel()
            stackless.tasklet(blocked)(name, ch)
            stackless.run()

        threads = [threading.Thread(target=thread_body, args=("t%d" % i,))
                   for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        main_ch = stackless.channel()
        stackless.tasklet(blocked)("main", main_ch)
        stackless.run()
        os.write(1, b"end of script\n")
    """)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert sorted(l for l in lines if l.startswith("finally")) == [
        "finally main", "finally t0", "finally t1", "finally t2"]
    # threads' tasklets die with their threads, main's at exit
    assert lines.index("end of script") < lines.index("finally main")
    assert "Traceback" not in r.stderr


def test_uncaught_error_in_tasklet_at_top_level_exits_nonzero():
    r = run_script("""
        import tasklets as stackless
        def bad():
            raise ValueError("boom")
        stackless.tasklet(bad)()
        stackless.run()
    """)
    assert r.returncode == 1
    assert "ValueError: boom" in r.stderr


def test_system_exit_in_tasklet_ends_process():
    r = run_script("""
        import tasklets as stackless
        def leave():
            raise SystemExit(3)
        stackless.tasklet(leave)()
        stackless.run()
        print("not reached")
    """)
    assert r.returncode == 3
    assert "not reached" not in r.stdout


def test_stackless_alias_module():
    if stackless.backend != "cext":
        pytest.skip("the 'stackless' alias module is CPython's (PyPy ships "
                    "its own stackless module)")
    r = run_script("""
        import stackless, tasklets
        assert stackless is tasklets
        ch = stackless.channel()
        stackless.tasklet(ch.send)(5)
        print(ch.receive())
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "5"
