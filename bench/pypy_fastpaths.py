"""The cffi backend with its Python fast paths on and off, on PyPy.

    pypy3 bench/pypy_fastpaths.py [--quick]

The workloads of pypy_bench.py, each alternating in this one process
between the fast paths on (_chan_op and schedule() do the core's work in
Python over its structs) and off (every operation calls the core's
tsk_plan_* through cffi: pypy/threads.py, _set_fast); best of several
rounds.  'ratio' is on / off: what the hand-written copy of the core's
decisions buys (tests/test_fast_paths.py checks that both agree).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tasklets  # noqa: E402
from pypy_bench import oneway, pingpong, schedule_rr  # noqa: E402
from tasklets._pypy import threads  # noqa: E402


def main():
    quick = "--quick" in sys.argv
    n = 20000 if quick else 200000
    rounds = 3 if quick else 7
    workloads = [
        ("pingpong", "msgs/s", lambda: pingpong(tasklets, n)),
        ("pingpong_main", "msgs/s", lambda: pingpong(tasklets, n, True)),
        ("oneway", "msgs/s", lambda: oneway(tasklets, n)),
        ("schedule2", "switches/s", lambda: schedule_rr(tasklets, n, 2)),
        ("schedule10", "switches/s",
         lambda: schedule_rr(tasklets, n // 5, 10)),
    ]
    print("%s %s; tasklets backend %s (%s); n=%d, best of %d"
          % (sys.implementation.name, sys.version.split()[0],
             tasklets.backend, threads.SWITCHER, n, rounds))
    print("%-14s %14s %14s %7s" % ("workload", "fast on", "fast off",
                                   "ratio"))
    for name, unit, fn in workloads:
        best = {}
        for _ in range(rounds):
            for on in (True, False):
                if not threads._set_fast(on) and on:
                    raise SystemExit("the fast paths are off (threads, "
                                     "callbacks or greenlet)")
                best[on] = max(best.get(on, 0.0), fn())
        threads._set_fast(True)
        print("%-14s %12.2f M %12.2f M %7.2f   (%s)"
              % (name, best[True] / 1e6, best[False] / 1e6,
                 best[True] / best[False], unit))


if __name__ == "__main__":
    main()
