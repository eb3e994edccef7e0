"""The cffi backend's fast paths against the core (differential, hypothesis).

On the cffi backend, channel send/receive (pypy/channel.py, _chan_op) and
schedule() (pypy/functions.py) do the core's channel and run-queue work in
Python for the common cases, over the core's structs, because a call into
the core costs more than the whole operation on PyPy.  That is a second
copy of tsk_plan_channel / tsk_plan_schedule (core/channel.c,
core/sched.c).  This test runs the same random programs with the fast
paths on and with them off (every operation asks the core: the backend's
_set_fast switch, pypy/threads.py) and requires the same full trace: the
order of events, every value received, every exception with its text, and
after every operation the run queue's order, runcount, and each channel's
balance and queue.

Programs: main and 1-4 worker tasklets, 1-3 channels (preference -1, 0, 1,
some schedule_all); each runs a list of operations: send, receive,
send_exception, schedule, schedule_remove, run, switch, insert, remove,
kill, throw (now and pending), close, open, block_trap, atomic, and send or
schedule under switch_trap.  Then main runs the scheduler until it is
alone, and kills what is left.

It runs in a fresh interpreter: once a test of the same process has
started a second thread or imported greenlet, the backend keeps its fast
paths off for good.  Profiles as in test_state_machine.py
(TASKLETS_HYPOTHESIS, TASKLETS_HYPOTHESIS_EXAMPLES).
"""
import collections
import os
import subprocess
import sys

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import tasklets as stackless  # noqa: E402

pytestmark = pytest.mark.skipif(
    stackless.backend != "cffi",
    reason="only the cffi backend has fast paths written in Python (the C "
    "extension calls the core for every operation)")

PROFILE = os.environ.get("TASKLETS_HYPOTHESIS", "quick")
EXAMPLES = int(os.environ.get("TASKLETS_HYPOTHESIS_EXAMPLES",
                              10000 if PROFILE == "long" else 150))
CHILD = "TASKLETS_FAST_PATHS_CHILD"
TaskletExit = stackless.TaskletExit


def test_fast_paths_match_core():
    if os.environ.get(CHILD):
        _differential()
        return
    env = dict(os.environ)
    env[CHILD] = "1"
    node = os.path.abspath(__file__) + "::test_fast_paths_match_core"
    plain = ["--assert=plain"] if sys.implementation.name == "pypy" else []
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"]
        + plain + [node], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=900)
    assert r.returncode == 0 and " passed" in r.stdout, r.stdout[-6000:]


# {======================================================================
# Programs
# ======================================================================
def _ops(n_workers, n_chans):
    c = st.integers(0, n_chans - 1)
    k = st.integers(0, n_workers)                 # 0 is main
    w = st.integers(1, n_workers) if n_workers else st.just(0)
    flag = st.booleans()
    one = st.just

    def op(name, *args):
        return st.tuples(one(name), *args)
    chan_ops = [op("send", c), op("receive", c)]
    return st.one_of(
        chan_ops * 4 + [op("schedule")] * 2 + [
            op("send_exception", c), op("schedule_remove"),
            op("run", k), op("switch", k), op("insert", k), op("remove", k),
            op("kill", w), op("throw", w), op("throw_pending", w),
            op("close", c), op("open", c), op("block_trap", flag),
            op("atomic", flag), op("trapped_send", c),
            op("trapped_schedule"),
        ])


@st.composite
def programs(draw):
    n_workers = draw(st.integers(1, 4))
    n_chans = draw(st.integers(1, 3))
    chans = draw(st.lists(st.tuples(st.sampled_from((-1, 0, 1)),
                                     st.integers(0, 4).map(lambda x: x == 0)),
                          min_size=n_chans, max_size=n_chans))
    ops = _ops(n_workers, n_chans)
    bodies = draw(st.lists(st.lists(ops, min_size=1, max_size=10),
                           min_size=n_workers + 1, max_size=n_workers + 1))
    bodies[0] = bodies[0][:4]                     # main's own
    return chans, bodies
# }======================================================================


# {======================================================================
# Running a program, recording what happens
# ======================================================================
class _Run(object):
    def __init__(self, chans, bodies):
        self.trace = []
        self.chans = []
        for pref, sched_all in chans:
            ch = stackless.channel()
            ch.preference = pref
            ch.schedule_all = sched_all
            self.chans.append(ch)
        self.bodies = bodies
        self.ts = [stackless.getcurrent()]
        for i in range(1, len(bodies)):
            self.ts.append(stackless.tasklet(self.body)(i))

    def idx(self, t):
        for i, x in enumerate(self.ts):
            if x is t:
                return i
        return None if t is None else "?"

    def snapshot(self):
        cur = stackless.getcurrent()
        ring = [self.idx(cur)]
        t = cur.next
        while t is not None and t is not cur and len(ring) < 20:
            ring.append(self.idx(t))
            t = t.next
        queues = []
        for ch in self.chans:
            q = []
            t = ch.queue
            while t is not None and len(q) < 20:
                q.append(self.idx(t))
                t = t.next
            queues.append((ch.balance, ch.closing, tuple(q)))
        self.trace.append(("state", stackless.getruncount(), tuple(ring),
                           tuple(queues)))

    def do(self, i, j, op):
        name = op[0]
        ch = self.chans[op[1]] if name in (
            "send", "receive", "send_exception", "close", "open",
            "trapped_send") else None
        t = self.ts[op[1]] if name in (
            "run", "switch", "insert", "remove", "kill", "throw",
            "throw_pending") else None
        if name == "send":
            return ch.send((i, j))
        if name == "receive":
            return ch.receive()
        if name == "send_exception":
            return ch.send_exception(ValueError, i, j)
        if name == "schedule":
            return stackless.schedule((i, j))
        if name == "schedule_remove":
            return stackless.schedule_remove((i, j))
        if name in ("run", "switch", "insert", "remove", "kill"):
            return getattr(t, name)()
        if name in ("throw", "throw_pending"):
            return t.throw(ValueError((i, j)),
                           pending=name == "throw_pending")
        if name in ("close", "open"):
            return getattr(ch, name)()
        if name == "block_trap":
            stackless.getcurrent().block_trap = op[1]
            return None
        if name == "atomic":
            return stackless.getcurrent().set_atomic(op[1])
        stackless.switch_trap(1)
        try:
            if name == "trapped_send":
                return ch.send((i, j))
            return stackless.schedule()
        finally:
            stackless.switch_trap(-1)

    def steps(self, i):
        ev = self.trace.append
        for j, op in enumerate(self.bodies[i]):
            ev(("op", i, j, op))
            try:
                r = self.do(i, j, op)
            except TaskletExit:
                ev(("exit", i, j))
                raise
            except BaseException as e:      # recorded, compared
                ev(("exc", i, j, type(e).__name__, str(e)))
            else:
                ev(("ret", i, j, self.idx(r) if isinstance(
                    r, stackless.tasklet) else r))
            self.snapshot()

    def body(self, i):
        try:
            self.steps(i)
        finally:
            self.trace.append(("end", i))

    def run(self):
        ev = self.trace.append
        self.steps(0)
        for _ in range(10):
            if stackless.getruncount() == 1:
                break
            try:
                stackless.run()
                ev(("run",))
            except BaseException as e:      # a tasklet's uncaught error
                ev(("run-exc", type(e).__name__, str(e)))
            self.snapshot()
        self.cleanup()
        return self.trace

    def cleanup(self):
        ev = self.trace.append
        main = stackless.getcurrent()
        level = stackless.switch_trap(0)
        stackless.switch_trap(-level)
        main.block_trap = False
        main.set_atomic(False)
        ev(("final", [(t.alive, t.blocked, t.scheduled) for t in self.ts]))
        for t in self.ts[1:]:
            if t.alive:
                try:
                    t.kill()
                    ev(("killed", self.idx(t)))
                except BaseException as e:
                    ev(("kill-exc", type(e).__name__, str(e)))
        for _ in range(10):
            if stackless.getruncount() == 1:
                break
            stackless.run()
        main.tempval = None
# }======================================================================


def _differential():
    from tasklets._pypy import channel as chan_mod
    from tasklets._pypy import functions as fn_mod
    from tasklets._pypy import threads as th_mod
    counts = collections.Counter()
    mode = ["fast"]
    action = chan_mod.channel._action
    schedule = fn_mod._schedule

    def counted_action(self, value, d):
        counts["action-" + mode[0]] += 1
        return action(self, value, d)

    def counted_schedule(retval, remove):
        counts["schedule-" + mode[0]] += 1
        return schedule(retval, remove)

    def run(prog, fast):
        mode[0] = "fast" if fast else "core"
        assert th_mod._set_fast(fast) == fast, \
            "the fast paths are off for another reason"
        try:
            return _Run(*prog).run()
        finally:
            th_mod._set_fast(True)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              derandomize=PROFILE == "quick",
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(programs())
    def check(prog):
        a = run(prog, True)
        b = run(prog, False)
        if a != b:
            n = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y) \
                if any(x != y for x, y in zip(a, b)) else min(len(a), len(b))
            raise AssertionError(
                "fast path and core differ at event %d:\n  fast: %r\n  core:"
                " %r\nbefore: %r" % (n, a[n:n + 3], b[n:n + 3],
                                     a[max(0, n - 6):n]))
        counts["events"] += len(a)

    chan_mod.channel._action = counted_action
    fn_mod._schedule = counted_schedule
    try:
        check()
    finally:
        chan_mod.channel._action = action
        fn_mod._schedule = schedule
    print("\nfast paths vs core: %s" % dict(counts))
    # the fast paths did the work of some operations (else this compared
    # the core with itself)
    assert counts["action-fast"] < counts["action-core"]
    assert counts["schedule-fast"] < counts["schedule-core"]
