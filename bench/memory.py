"""Memory per tasklet blocked on a channel receive, in a fresh process.

    python bench/memory.py IMPL N [--cap BYTES]

prints one JSON object.  The process imports the implementation, makes one
channel and one blocked tasklet (so that first-use allocations are not
counted), collects garbage and reads the baseline from /proc/self/status
(VmRSS; VmHWM is reset through /proc/self/clear_refs where the kernel allows
it).  It then makes N more tasklets, in batches of 10^4, each running::

    def waiter():
        ch.receive()

and runs the scheduler after every batch so that they all block.  Nothing
but the channel holds them (no list).  For greenlet-chan they are greenlets
blocked on the emulation's channel; for gevent, greenlets blocked in
``Event.wait()``.  The result gives VmRSS and VmHWM after the N tasklets,
and bytes per tasklet = (VmRSS after - VmRSS baseline) / N.

``--cap`` stops the run (with "aborted" set) once VmRSS passes that many
bytes, so that an implementation that needs more memory than the machine
has does not bring the machine down.
"""
import argparse
import gc
import json
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import impls  # noqa: E402

BATCH = 10000


def vm_status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "VmSize:", "VmPeak:")):
                key, val = line.split(":", 1)
                out[key] = int(val.split()[0]) * 1024
    return out


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def count_maps():
    try:
        with open("/proc/self/maps") as f:
            return sum(1 for _ in f)
    except OSError:
        return None


class StacklessLike(object):
    """tasklets, greenlet-chan, pypy-stackless: one code path."""

    def __init__(self, s):
        self.s = s
        self.ch = s.channel()
        ch = self.ch

        def waiter():
            ch.receive()

        self.waiter = waiter

    def spawn(self, k):
        T = self.s.tasklet
        w = self.waiter
        for _ in range(k):
            T(w)()
        self.s.run()

    def blocked(self):
        return -self.ch.balance


class Gevent(object):
    def __init__(self, gevent):
        self.gevent = gevent
        self.ev = gevent.event.Event()
        ev = self.ev

        def waiter():
            ev.wait()

        self.waiter = waiter

    def spawn(self, k):
        spawn = self.gevent.spawn
        w = self.waiter
        for _ in range(k):
            spawn(w)
        self.gevent.sleep(0)  # the hub starts them all, in order

    def blocked(self):
        try:
            return self.ev.linkcount()
        except AttributeError:
            return None


def measure(impl, n, cap):
    mod = impls.load(impl)
    h = Gevent(mod) if impl == "gevent" else StacklessLike(mod)
    h.spawn(1)
    gc.collect()
    hwm_reset = reset_hwm()
    base = vm_status()
    maps_base = count_maps()
    t0 = time.perf_counter()
    done = 0
    aborted = None
    while done < n:
        k = min(BATCH, n - done)
        h.spawn(k)
        done += k
        rss = vm_status()["VmRSS"]
        if cap and rss > cap:
            aborted = "VmRSS %d > cap %d after %d tasklets" % (rss, cap, done)
            break
    elapsed = time.perf_counter() - t0
    gc.collect()
    after = vm_status()
    blocked = h.blocked()
    expect = done + 1
    return {
        "impl": impl,
        "n": n,
        "made": done,
        "blocked": blocked,
        "blocked_ok": blocked is None or blocked == expect,
        "aborted": aborted,
        "seconds_to_create": elapsed,
        "baseline_rss": base["VmRSS"],
        "rss": after["VmRSS"],
        "hwm": after["VmHWM"],
        "hwm_reset": hwm_reset,
        "vm_size": after["VmSize"],
        "maps_baseline": maps_base,
        "maps": count_maps(),
        "bytes_per_tasklet": (after["VmRSS"] - base["VmRSS"]) / float(done),
        "peak_bytes_per_tasklet": (after["VmHWM"] - base["VmRSS"])
        / float(done),
        "tasklets_build": impls.tasklets_build_id(),
    }


def main(argv=None):
    import faulthandler
    faulthandler.enable()
    p = argparse.ArgumentParser()
    p.add_argument("impl", choices=impls.ORDER)
    p.add_argument("n", type=int)
    p.add_argument("--cap", type=int, default=0)
    args = p.parse_args(argv)
    print(json.dumps(measure(args.impl, args.n, args.cap)))
    sys.stdout.flush()
    # Leave without tearing 10^6 blocked tasklets down one by one: the
    # teardown is not what is measured, and it can take longer than the
    # measurement.
    os._exit(0)


if __name__ == "__main__":
    main()
