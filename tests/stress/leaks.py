"""Leak check: memory must stay flat over millions of operations.

    python tests/stress/leaks.py [--cycles N] [--messages N] [--threads N]

Three phases, each with a warm-up (the first 10%) after which the
resident set size (/proc/self/statm) and sys.getallocatedblocks() are
taken (after gc.collect()), and again at the end:

  cycles    N tasklet lifetimes (default 10^6), six kinds in turn: killed
            while blocked in a channel; killed (pending) while runnable;
            dropped while suspended in a reference cycle (the collector
            kills it; gc.collect() every 1000 cycles); killed before it
            ever ran; a throw it catches; an uncaught error the error
            handler swallows.
  messages  N channel messages (default 10^6) between producer and
            consumer tasklets over channels of preference -1, 0 and 1 and
            schedule_all, some as send_exception; every one is counted.
  threads   N threads (default 10^4), each with its own scheduler and a
            few tasklets that switch, block and are left blocked when the
            thread ends (they are killed then).

A phase fails if its RSS grows by more than 5% or its allocated blocks by
more than 0.1% (at least 500) after the warm-up.  Prints one JSON line
per phase; exit status 1 if any phase failed.
"""
import argparse
import gc
import json
import os
import sys
import threading
import time

import tasklets as stackless

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def measure():
    gc.collect()
    gc.collect()
    return rss(), sys.getallocatedblocks()


def phase(name, n, step, warm=0.1):
    """Run step(i) for i in range(n); measure after the warm-up and at the
    end; return the report (a dict)."""
    t0 = time.monotonic()
    n_warm = int(n * warm)
    for i in range(n_warm):
        step(i)
    rss0, blocks0 = measure()
    samples = []
    chunk = max(1, (n - n_warm) // 10)
    for i in range(n_warm, n):
        step(i)
        if (i - n_warm + 1) % chunk == 0:
            samples.append(rss() // 1024)
    rss1, blocks1 = measure()
    growth = (rss1 - rss0) / float(rss0)
    dblocks = blocks1 - blocks0
    ok = growth <= 0.05 and dblocks <= max(500, blocks0 // 1000)
    return {
        "phase": name, "n": n, "ok": ok, "seconds": round(time.monotonic() - t0, 1),
        "rss_kb_before": rss0 // 1024, "rss_kb_after": rss1 // 1024,
        "rss_growth_pct": round(100 * growth, 2),
        "blocks_before": blocks0, "blocks_after": blocks1,
        "rss_kb_samples": samples,
    }


# {======================================================================
# cycles
# ======================================================================

class Box(object):
    pass


def blocked(ch):
    ch.receive()


def yielder():
    while True:
        stackless.schedule()


def self_cycle(box):
    box.me = stackless.getcurrent()       # tasklet -> frame -> box -> tasklet
    stackless.schedule_remove()


def catcher():
    try:
        stackless.schedule_remove()
    except ValueError:
        pass


def failing():
    raise KeyError("swallowed by the error handler")


def make_cycle_step():
    ch = stackless.channel()
    killed = [0]

    def step(i):
        kind = i % 6
        if kind == 0:
            t = stackless.tasklet(blocked)(ch)
            t.run()
            t.kill()
        elif kind == 1:
            t = stackless.tasklet(yielder)()
            t.run()
            t.kill(pending=True)
            stackless.run()
        elif kind == 2:
            stackless.tasklet(self_cycle)(Box()).run()
        elif kind == 3:
            t = stackless.tasklet(yielder)()
            t.kill()
        elif kind == 4:
            t = stackless.tasklet(catcher)()
            t.run()
            t.throw(ValueError)
        else:
            stackless.tasklet(failing)()
            stackless.run()
        if i % 1000 == 999:
            gc.collect()
        killed[0] += 1

    return step


# }======================================================================

# {======================================================================
# messages
# ======================================================================

def make_message_step(total):
    """step(i) passes 1000 messages; consumers check the values."""
    batch = 1000
    chans = []
    for pref, sched_all in ((-1, 0), (0, 0), (1, 0), (-1, 1)):
        ch = stackless.channel()
        ch.preference = pref
        ch.schedule_all = sched_all
        chans.append(ch)
    expect = [0] * len(chans)
    errors = []

    def consumer(k):
        ch = chans[k]
        while True:
            try:
                v = ch.receive()
            except IndexError as e:
                v = e.args[0]
            if v != expect[k]:
                errors.append((k, v, expect[k]))
            expect[k] = v + 1

    consumers = [stackless.tasklet(consumer)(k) for k in range(len(chans))]
    sent = [0] * len(chans)

    def producer(k, n):
        ch = chans[k]
        for _ in range(n):
            v = sent[k]
            sent[k] += 1
            if v % 17 == 0:
                ch.send_exception(IndexError, v)
            else:
                ch.send(v)

    def step(i):
        per = batch // len(chans)
        for k in range(len(chans)):
            stackless.tasklet(producer)(k, per)
        stackless.run()
        if errors:
            raise AssertionError("messages out of order: %r" % errors[:5])

    def finish():
        for t in consumers:
            t.kill()
        return sum(expect), sum(sent)

    return step, batch, finish


# }======================================================================

# {======================================================================
# threads
# ======================================================================

def thread_body():
    ch = stackless.channel()
    ts = [stackless.tasklet(yielder)() for _ in range(3)]
    ts.append(stackless.tasklet(blocked)(ch))
    for _ in range(5):
        stackless.schedule()
    for t in ts[:3]:
        t.kill()
    # ts[3] stays blocked: killed when the thread ends


def thread_step(i):
    th = threading.Thread(target=thread_body)
    th.start()
    th.join()


# }======================================================================

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=10 ** 6)
    ap.add_argument("--messages", type=int, default=10 ** 6)
    ap.add_argument("--threads", type=int, default=10000)
    args = ap.parse_args()
    stackless.set_error_handler(lambda *exc: None)
    reports = []
    if args.cycles:
        reports.append(phase("cycles", args.cycles, make_cycle_step()))
    if args.messages:
        step, batch, finish = make_message_step(args.messages)
        reports.append(phase("messages", args.messages // batch, step))
        received, sent = finish()
        reports[-1]["messages"] = sent
        if received != sent:
            reports[-1]["ok"] = False
            reports[-1]["error"] = "sent %d, received %d" % (sent, received)
    if args.threads and "threads" in stackless.backend_features:
        reports.append(phase("threads", args.threads, thread_step))
    stackless.set_error_handler(None)
    for r in reports:
        print(json.dumps(r))
    if stackless.getruncount() != 1:
        print("runcount %d at the end" % stackless.getruncount())
        return 1
    return 0 if all(r["ok"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
