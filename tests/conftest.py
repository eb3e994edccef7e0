"""Shared fixtures and helpers for the tasklets test suite.

The suite runs unchanged on every backend (``import tasklets as stackless``).
The autouse fixture below checks after every test that the scheduler of the
main thread is back in its initial state, and repairs what it can so that a
failing test does not make the following ones fail too.

Test modules import the small helpers from here (``from conftest import
...``); pytest puts this folder on ``sys.path`` for that.
"""
import contextlib
import os
import re
import signal
import sys

import pytest

import tasklets as stackless

# A run started in the background by a non-interactive shell (`cmd &`,
# nohup) inherits SIGINT ignored; the interpreter then installs no
# KeyboardInterrupt handler, here nor in the interpreters the tests start
# (an ignored signal stays ignored across exec).  The signal tests need
# the default that an interactive run has.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_report_header(config):
    return [
        "tasklets backend: %s" % stackless.backend,
        "backend_features: %s" % ", ".join(sorted(stackless.backend_features)),
    ]


# {======================================================================
# Helpers for the test modules
# ======================================================================


# a cycle through a suspended tasklet's frames: greenlets (the tasklets of
# the cffi backend on CPython) take no part in garbage collection
needs_frame_cycles = pytest.mark.skipif(
    "collects_frame_cycles" not in stackless.backend_features,
    reason="greenlets take no part in garbage collection: a cycle through "
           "a suspended tasklet's frames is never found")


def pause_and_drop(fn):
    """Start a tasklet of fn, which pauses itself (schedule_remove), and
    drop it: no reference to it is left here."""
    t = stackless.tasklet(fn)()
    t.run()
    assert t.paused


def collect_until(done, tries=5):
    """gc.collect() until done() holds, at most `tries` collections.

    CPython finalizes and frees an unreachable cycle in one collection.
    PyPy runs the finalizers (here: the kill of a suspended tasklet) after
    a major collection and frees what they leave unreachable at a later
    one, so the same outcome can take a few collections there.
    """
    import gc
    for _ in range(tries):
        gc.collect()
        if done():
            return True
    return False


def pytest_collection_modifyitems(session, config, items):
    # tests/test_greenlet.py last: importing greenlet changes the backend
    # for the rest of the process (CPython: tasklets leave their stack
    # region, cpython_ext/greenlets.c), so the others run without it
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith(
        "test_greenlet.py"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "collects_suspended: the test expects the collector to "
        "kill and free unreachable suspended tasklets (see "
        "pytest_pyfunc_call)")
    config.addinivalue_line(
        "markers", "own_process: the test measures what many tasklets "
        "cost (see pytest_pyfunc_call)")


def pytest_pyfunc_call(pyfuncitem):
    """On a backend with "jit_retains_frames" (PyPy's JIT, see
    pypy/backend.py and pypy/README.md) two kinds of tests run in a child
    interpreter, the same test by node id:

    * collects_suspended, with the JIT off: a cached blackhole interpreter
      of the JIT may keep a stale reference to a frame of a suspended
      tasklet until it is reused, and these tests check the backend's
      collection, not the JIT's caches.  (Turning the JIT off and on again
      in this process is no way out: later tasklets then run on far deeper
      stacks.)
    * own_process, JIT on: how much C stack each suspended continulet
      keeps depends on the JIT's state, i.e. on what ran before in the
      process; after some sequences of tests 10^5 blocked tasklets took
      12 GB instead of 0.8 GB (an open issue, pypy/README.md)."""
    jit = pyfuncitem.get_closest_marker("collects_suspended") is None
    if ((jit and pyfuncitem.get_closest_marker("own_process") is None) or
            "jit_retains_frames" not in stackless.backend_features or
            os.environ.get("TASKLETS_TEST_CHILD")):
        return None
    import subprocess
    env = dict(os.environ, TASKLETS_TEST_CHILD="1")
    # the same test by absolute path, from this process's directory (so
    # that the installed package is imported, not the source tree)
    node = str(pyfuncitem.path) + pyfuncitem.nodeid[
        pyfuncitem.nodeid.index("::"):]
    r = subprocess.run(
        [sys.executable] + ([] if jit else ["--jit", "off"]) +
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--assert=plain",
         node], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=600)
    assert r.returncode == 0 and " passed" in r.stdout, (
        "in a child interpreter%s:\n%s" % (
            "" if jit else " without the JIT", r.stdout[-3000:]))
    return True


def raises_exact(exc_type, message):
    """pytest.raises that also requires str(exception) == message."""
    return pytest.raises(exc_type, match="^%s$" % re.escape(message))


def refuses_bad_exception_args(method, qualname):
    """method (send_exception, raise_exception) refuses no argument and a
    first argument that is no exception class, with Stackless's texts."""
    with raises_exact(TypeError, "%s() takes at least 1 argument"
                      % qualname.split(".")[-1]):
        method()
    for bad in (42, int):
        with raises_exact(TypeError, "%s needs Exception or string subclass "
                          "as first parameter" % qualname):
            method(bad)


def runqueue():
    """The run queue as a list, starting with the current tasklet.

    Also checks that the prev links mirror the next links.
    """
    cur = stackless.getcurrent()
    chain = [cur]
    while chain[-1].next is not cur:
        chain.append(chain[-1].next)
        assert len(chain) < 1000, "run queue does not close"
    backwards = [cur]
    while backwards[-1].prev is not cur:
        backwards.append(backwards[-1].prev)
        assert len(backwards) <= len(chain), "prev links disagree with next"
    assert chain[1:] == backwards[:0:-1], "prev links disagree with next"
    return chain


def channel_queue(ch):
    """The tasklets blocked on a channel, head first, checking the links."""
    chain = []
    t = ch.queue
    assert t is None or t.prev is None
    while t is not None:
        chain.append(t)
        assert t._channel is ch and t.blocked and t.scheduled
        if t.next is not None:
            assert t.next.prev is t
        t = t.next
        assert len(chain) < 1000, "channel queue does not end"
    assert len(chain) == abs(ch.balance)
    return chain


class Tasklet(stackless.tasklet):
    """A tasklet the helpers can hang results on (a plain tasklet has no
    __dict__, as in Stackless; a subclass gets one)."""


def waiting_catcher(wait, exc_type):
    """A started tasklet that waits in wait(); the (exception, traceback)
    of an exc_type that reaches it there is appended to its .caught."""
    caught = []

    def body():
        try:
            wait()
        except exc_type as e:
            caught.append((e, sys.exc_info()[2]))

    t = Tasklet(body)()
    t.run()
    t.caught = caught
    return t


def kill_all(*tasklets):
    """Kill what is still alive (for 'finally:' blocks)."""
    for t in tasklets:
        if t is not None and t.alive and not t.is_current:
            t.kill()


@contextlib.contextmanager
def switch_trapped():
    stackless.switch_trap(1)
    try:
        yield
    finally:
        stackless.switch_trap(-1)


def run_until_quiet(events):
    """syncless's Run(): schedule until a round appends no event."""
    while True:
        events.append("schedule")
        n = len(events)
        stackless.schedule()
        if n == len(events):
            break
    events.append("done")


def run_python(code, cwd=None, timeout=120, options=()):
    """Run code in a fresh interpreter (in cwd) with this one's sys.path
    after the script's own folder; return the CompletedProcess.  Skips
    where no second interpreter can start (qemu-user without binfmt)."""
    import subprocess
    import textwrap
    if os.environ.get("TASKLETS_UNDER_QEMU") == "1":
        pytest.skip("no second interpreter under qemu-user")
    env = dict(os.environ)
    env.pop("PYTHONDEVMODE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run([sys.executable, "-X", "faulthandler",
                           *options, "-c", textwrap.dedent(code)],
                          cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


# }======================================================================

# {======================================================================
# Per-test check and clean-up
# ======================================================================

_HOOKS = (
    ("schedule callback", stackless.set_schedule_callback),
    ("channel callback", stackless.set_channel_callback),
    ("error handler", stackless.set_error_handler),
)


def _kill_leftovers(main):
    """Kill the tasklets still in main's run queue."""
    for _ in range(100):
        if main.next is main:
            break
        victim = main.prev
        try:
            victim.kill()
        except BaseException:
            pass
        if victim.scheduled and not victim.blocked:
            victim.remove()      # it refused to die


@pytest.fixture(autouse=True)
def scheduler_is_clean():
    yield
    problems = []
    main = stackless.getmain()
    if stackless.getcurrent() is not main:
        problems.append("current is not main after the test")
    # first what would get in the way of the clean-up
    for name, setter in _HOOKS:
        if setter(None) is not None:
            problems.append("%s left set" % name)
    level = stackless.switch_trap(0)
    if level:
        stackless.switch_trap(-level)
        problems.append("switch_trap level left at %d" % level)
    if main.atomic:
        main.set_atomic(False)
        problems.append("main left atomic")
    main.block_trap = False
    runcount = stackless.getruncount()
    if runcount != 1:
        problems.append("runcount is %d, not 1" % runcount)
        _kill_leftovers(main)
    main.tempval = None
    assert not problems, "; ".join(problems)

# }======================================================================
