"""Instructions per operation, counted under valgrind (CPython only).

Timing on a shared virtual machine moves by tens of percent from run to run;
instruction counts do not.  For a (workload, implementation) pair this runs

    valgrind --tool=cachegrind --cache-sim=no python bench/workloads.py once W I N

twice, with N = n1 and N = n2, and divides the difference of the "I refs"
totals by the difference of the operation counts, so that interpreter
start-up, imports and set-up cancel out.  Counts are user-space instructions
only: the time a system call spends in the kernel (the mmap/munmap of a
CPython 3.11 data-stack chunk, for one) does not show.
"""
import os
import re
import shutil
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
WORKLOADS_PY = os.path.join(BENCH, "workloads.py")

_IREFS = re.compile(r"I\s+refs:\s+([\d,]+)")

# workload -> (n1, n2), per mode
SIZES = {
    "full": {
        "switch": (20000, 120000),
        "channel_pingpong": (20000, 120000),
        "schedule_rr_2": (40000, 240000),
        "schedule_rr_100": (40000, 240000),
        "schedule_rr_10000": (100000, 300000),
        "create_run_finish": (4000, 24000),
        "pipeline": (2000, 12000),
        "switch_cdepth_50": (10000, 60000),
    },
    "quick": {
        "switch": (10000, 60000),
        "channel_pingpong": (10000, 60000),
        "schedule_rr_2": (20000, 120000),
        "create_run_finish": (2000, 12000),
    },
}
IMPLS = ("tasklets", "greenlet", "greenlet-chan")


def valgrind():
    return shutil.which("valgrind")


def irefs(workload, impl, n, timeout=900):
    """(I refs, ops) of one run under cachegrind."""
    cmd = [valgrind(), "--tool=cachegrind", "--cache-sim=no",
           "--cachegrind-out-file=/dev/null",
           sys.executable, WORKLOADS_PY, "once", workload, impl, str(n)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr[-2000:]))
    m = _IREFS.search(p.stderr)
    if not m:
        raise RuntimeError("no 'I refs' in valgrind output: %s"
                           % p.stderr[-2000:])
    import json
    ops = json.loads(p.stdout.strip().splitlines()[-1])["ops"]
    return int(m.group(1).replace(",", "")), ops


def per_op(workload, impl, n1, n2):
    i1, o1 = irefs(workload, impl, n1)
    i2, o2 = irefs(workload, impl, n2)
    return {"ir_per_op": (i2 - i1) / float(o2 - o1),
            "n1": n1, "n2": n2, "ir1": i1, "ir2": i2, "ops1": o1, "ops2": o2}
