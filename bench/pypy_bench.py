"""tasklets (cffi backend) against PyPy's own stackless module, on PyPy.

    pypy3 bench/pypy_bench.py [--quick]

Both run in this one process, each workload alternating between the two
implementations, best of several rounds (the JIT warms up in the first
ones).  Workloads:

  pingpong      two tasklets bounce a counter over two channels
                (request/reply); rate in messages per second
  pingpong_main the same with main as one side
  oneway        one tasklet sends, another receives (default preference -1:
                the receiver runs at once); messages per second
  schedule2     two tasklets call schedule() in a loop; switches per second
  schedule10    ten tasklets call schedule() in a loop

'ratio' is tasklets / stackless (above 1: tasklets is faster).  PyPy's
stackless is lib_pypy/stackless.py: pure Python over continulets, one global
run queue, no threads, no deadlock detection; tasklets runs the C core's
scheduling decisions through cffi and moves frames with continulets.
"""
import importlib.util
import os
import sys
import time

import tasklets


def load_pypy_stackless():
    """PyPy's lib_pypy/stackless.py (not this repo's stackless.py alias)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for d in sys.path:
        d = os.path.abspath(d or os.getcwd())
        if d == here:
            continue
        path = os.path.join(d, "stackless.py")
        if os.path.exists(path):
            spec = importlib.util.spec_from_file_location("pypy_stackless",
                                                          path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod
    raise SystemExit("PyPy's stackless module not found (run under pypy3)")


def pingpong(sl, n, with_main=False):
    a, b = sl.channel(), sl.channel()
    out = []

    def pong():
        for _ in range(n):
            b.send(a.receive() + 1)

    def ping():
        v = 0
        for _ in range(n):
            a.send(v)
            v = b.receive()
        out.append(v)

    sl.tasklet(pong)()
    t0 = time.perf_counter()
    if with_main:
        ping()
    else:
        sl.tasklet(ping)()
        sl.run()
    dt = time.perf_counter() - t0
    assert out == [n]
    return 2 * n / dt


def oneway(sl, n):
    ch = sl.channel()
    out = []

    def sender():
        for i in range(n):
            ch.send(i)

    def receiver():
        s = 0
        for _ in range(n):
            s += ch.receive()
        out.append(s)

    sl.tasklet(receiver)()
    sl.tasklet(sender)()
    t0 = time.perf_counter()
    sl.run()
    dt = time.perf_counter() - t0
    assert out == [n * (n - 1) // 2]
    return n / dt


def schedule_rr(sl, n, k):
    done = []

    def worker():
        for _ in range(n):
            sl.schedule()
        done.append(1)

    for _ in range(k):
        sl.tasklet(worker)()
    t0 = time.perf_counter()
    sl.run()
    dt = time.perf_counter() - t0
    assert len(done) == k
    return n * k / dt


def main():
    quick = "--quick" in sys.argv
    n = 20000 if quick else 200000
    rounds = 3 if quick else 7
    pypy_sl = load_pypy_stackless()
    impls = [("tasklets", tasklets), ("stackless", pypy_sl)]
    workloads = [
        ("pingpong", "msgs/s", lambda sl: pingpong(sl, n)),
        ("pingpong_main", "msgs/s", lambda sl: pingpong(sl, n, True)),
        ("oneway", "msgs/s", lambda sl: oneway(sl, n)),
        ("schedule2", "switches/s", lambda sl: schedule_rr(sl, n, 2)),
        ("schedule10", "switches/s", lambda sl: schedule_rr(sl, n // 5, 10)),
    ]
    print("%s %s; tasklets backend %s (%s); n=%d, best of %d"
          % (sys.implementation.name, sys.version.split()[0],
             tasklets.backend, getattr(tasklets._impl, "SWITCHER", "?"),
             n, rounds))
    print("%-14s %14s %14s %7s" % ("workload", "tasklets", "stackless",
                                   "ratio"))
    for name, unit, fn in workloads:
        best = {}
        for _ in range(rounds):
            for iname, sl in impls:
                best[iname] = max(best.get(iname, 0.0), fn(sl))
        t, s = best["tasklets"], best["stackless"]
        print("%-14s %12.2f M %12.2f M %7.2f   (%s)"
              % (name, t / 1e6, s / 1e6, t / s, unit))


if __name__ == "__main__":
    main()
