"""The timed workloads, one function per (workload, implementation).

Every function takes the implementation's module and a size ``n`` and
returns ``((seconds, cpu_seconds), ops)``: the time of the measured part,
taken with ``time.perf_counter`` (and the process's CPU time, with
``time.process_time``), and how many operations (the workload's unit) ran
in it.  Set-up and tear-down stay outside the measured part unless the workload
is about them (create-run-finish, the pipeline).

The Stackless-API implementations (tasklets, greenlet-chan, pypy-stackless)
share one function per workload: the same source code runs on all three,
and on gevent through ``GeventAPI``.  Raw greenlet has its own functions
where it has no channel or scheduler to offer.

Run as a script, this module is the child process that run.py starts for
each workload (so that a crash or a hang costs one workload, not the run)::

    python bench/workloads.py time WORKLOAD --n N --repeats R --impls a,b
    python bench/workloads.py once WORKLOAD IMPL N     # for valgrind
    python bench/workloads.py list
"""
import argparse
import functools
import gc
import json
import os
import sys
import time
import traceback

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import impls  # noqa: E402

_perf_counter = time.perf_counter
_process_time = time.process_time


def clock():
    """(wall clock, CPU time of this process).  The wall clock
    (perf_counter) is what the tables show; the CPU time leaves out the
    time this process waited for a CPU, which on a loaded machine is most
    of the noise."""
    return (_perf_counter(), _process_time())


def since(t0, t1=None):
    """(wall seconds, CPU seconds) from t0 to t1 (default: now)."""
    t1 = t1 or clock()
    return (t1[0] - t0[0], t1[1] - t0[1])


STACKLESS_LIKE = ("tasklets", "greenlet-chan", "pypy-stackless")


def recurse(depth, fn):
    """Call fn() under depth extra Python frames.  Python-to-Python calls:
    on CPython 3.11+ they add no C stack frame."""
    if depth <= 0:
        return fn()
    return recurse(depth - 1, fn)


def recurse_c(depth, fn):
    """Call fn() under depth extra Python frames, each entered through a C
    call (functools.partial): every level adds a C frame of the
    interpreter, as on CPython 3.8-3.10 or under C callbacks."""
    if depth <= 0:
        return fn()
    return functools.partial(recurse_c, depth - 1, fn)()


# {======================================================================
# raw switch ping-pong (also: at recursion depth d)
# ======================================================================

def _switch_pingpong(start, main, n, depth, rec):
    """main and a partner made by start(fn) switch to each other with
    .switch(); ((seconds, cpu seconds), partner), the partner paused in
    its last switch."""
    def partner():
        def loop():
            sw = main.switch
            for _ in range(n + 1):
                sw()
        rec(depth, loop)

    t = start(partner)
    sw = t.switch
    sw()  # start the partner from depth 0: not timed

    def mainloop():
        t0 = clock()
        for _ in range(n):
            sw()
        return since(t0)

    return rec(depth, mainloop), t


def switch_stackless(s, n, depth=0, rec=recurse):
    """main and one tasklet hand control to each other with
    tasklet.switch(): no channel, the scheduler only pauses the caller."""
    el, t = _switch_pingpong(lambda f: s.tasklet(f)(), s.getcurrent(), n,
                             depth, rec)
    t.kill()
    return el, n


def switch_greenlet(gl, n, depth=0, rec=recurse):
    """main and one greenlet switch to each other: one op = a pair.

    The partner is started from depth 0, as for tasklets: a greenlet
    inherits the Python recursion depth of the greenlet that starts it."""
    el, g = _switch_pingpong(gl.greenlet, gl.getcurrent(), n, depth, rec)
    g.switch()  # let it return
    assert g.dead
    return el, n


# {======================================================================
# channel ping-pong: one op = a round trip (send, then receive the echo)
# ======================================================================

def pingpong_stackless(s, n):
    a = s.channel()
    b = s.channel()

    def echo():
        recv = a.receive
        send = b.send
        while True:
            x = recv()
            send(x)
            if x is None:
                break

    s.tasklet(echo)()
    send = a.send
    recv = b.receive
    send(0)  # start the echo tasklet: not timed
    recv()
    t0 = clock()
    for i in range(n):
        send(i)
        recv()
    el = since(t0)
    send(None)
    recv()
    s.run()  # let the echo tasklet end
    return el, n


# {======================================================================
# schedule() round robin of ntask tasklets; one op = one schedule() call.
# Timed from the end of the first lap (all started) over k full laps, by
# the first tasklet, so that starting and ending the tasklets is not timed.
# ======================================================================

def rr_stackless(s, n, ntask):
    k = max(1, n // ntask)
    box = [None, None]

    def first():
        sched = s.schedule
        sched()
        box[0] = clock()
        for _ in range(k):
            sched()
        box[1] = clock()

    def other():
        sched = s.schedule
        for _ in range(k + 1):
            sched()

    s.tasklet(first)()
    for _ in range(ntask - 1):
        s.tasklet(other)()
    s.run()
    return since(box[0], box[1]), ntask * k


def rr_greenlet(gl, n, ntask):
    """A ring of ntask greenlets, each switching to the next.  One op =
    one switch."""
    k = max(1, n // ntask)
    box = [None, None]
    gs = []

    def body(i):
        main.switch()  # primed from main, see below
        nxt = gs[(i + 1) % ntask].switch
        if i == 0:
            nxt()
            box[0] = clock()
            for _ in range(k):
                nxt()
            box[1] = clock()
        else:
            for _ in range(k + 1):
                nxt()

    main = gl.getcurrent()
    for i in range(ntask):
        gs.append(gl.greenlet(functools.partial(body, i)))
    # Enter every greenlet once from main, so that each starts at main's
    # stack position and recursion depth: started by its predecessor in the
    # ring, greenlet number i would inherit i times the depth of one switch
    # (RecursionError for 10^4 greenlets).
    for g in gs:
        g.switch()
    gs[0].switch()
    for g in gs[1:]:  # each is in its last switch: let it return
        g.switch()
    assert all(g.dead for g in gs)
    return since(box[0], box[1]), ntask * k


# {======================================================================
# create-run-finish of n trivial tasklets (all timed)
# ======================================================================

def _trivial():
    pass


def crf_stackless(s, n):
    """Create n tasklets, then run() them all."""
    T = s.tasklet
    f = _trivial
    t0 = clock()
    for _ in range(n):
        T(f)()
    s.run()
    return since(t0), n


def crf_one_stackless(s, n):
    """Create and run each tasklet at once: tasklet(f)().run()."""
    T = s.tasklet
    f = _trivial
    t0 = clock()
    for _ in range(n):
        T(f)().run()
    return since(t0), n


def crf_greenlet(gl, n):
    """greenlet's create-switch-finish: greenlet(f).switch()."""
    G = gl.greenlet
    f = _trivial
    t0 = clock()
    for _ in range(n):
        G(f).switch()
    return since(t0), n


# {======================================================================
# pipeline: a producer tasklet, STAGES relay tasklets, main as consumer;
# every message crosses STAGES + 1 channels.  One op = one message.
# ======================================================================

STAGES = 10


def pipeline_stackless(s, n):
    chans = [s.channel() for _ in range(STAGES + 1)]

    def producer(out):
        send = out.send
        for i in range(n):
            send(i)
        send(None)

    def stage(inp, out):
        recv = inp.receive
        send = out.send
        while True:
            x = recv()
            send(x)
            if x is None:
                break

    t0 = clock()
    s.tasklet(producer)(chans[0])
    for i in range(STAGES):
        s.tasklet(stage)(chans[i], chans[i + 1])
    recv = chans[-1].receive
    count = 0
    while recv() is not None:
        count += 1
    el = since(t0)
    s.run()
    assert count == n, (count, n)
    return el, n


# {======================================================================
# gevent under the Stackless names
# ======================================================================

class GeventAPI(object):
    """The names the shared workload code uses, on gevent: channel() is a
    gevent.queue.Channel (a rendezvous channel) whose send/receive are its
    put/get, schedule() is gevent.sleep(0) (a trip through the hub),
    tasklet(f)(*args) is gevent.spawn(f, *args), and run() joins what was
    spawned since the last run()."""

    def __init__(self, gevent):
        from gevent.queue import Channel

        class channel(Channel):
            __slots__ = ()
            send = Channel.put
            receive = Channel.get

        self.channel = channel
        self.schedule = functools.partial(gevent.sleep, 0)
        self._spawn = gevent.spawn
        self._joinall = gevent.joinall
        self._spawned = []

    def tasklet(self, func):
        def start(*args):
            g = self._spawn(func, *args)
            self._spawned.append(g)
            return g
        return start

    def run(self):
        gs, self._spawned = self._spawned, []
        self._joinall(gs)


def on_gevent(fn, **kw):
    """fn, written for a Stackless-like module, run on gevent."""
    def run(gevent, n):
        return fn(GeventAPI(gevent), n, **kw)
    return run


# {======================================================================
# The registry
# ======================================================================

class Workload(object):
    def __init__(self, name, title, unit, sizes, fns, what, ratio_to,
                 repeats=None):
        self.name = name
        self.title = title
        self.unit = unit
        self.sizes = sizes          # {"full": n, "quick": n}
        self.fns = fns              # {impl: fn(mod, n) -> (seconds, ops)}
        self.what = what            # {impl: what that impl runs}, for docs
        self.ratio_to = ratio_to    # impls that tasklets is compared with
        self.repeats = repeats      # {"full": r, "quick": r} or None


def _stackless_fns(fn, names=STACKLESS_LIKE, **kw):
    f = functools.partial(fn, **kw) if kw else fn
    return {name: f for name in names}


def _switch_workload(name, title, depth, sizes, rec=recurse):
    kw = {"depth": depth, "rec": rec}
    fns = _stackless_fns(switch_stackless, ("tasklets", "pypy-stackless"),
                         **kw)
    fns["greenlet"] = functools.partial(switch_greenlet, **kw)
    what = {
        "tasklets": "t.switch() / main.switch() between main and one tasklet",
        "pypy-stackless": "t.switch() / main.switch() (coroutine.switch)",
        "greenlet": "g.switch() / main.switch() between main and a greenlet",
    }
    if depth:
        how = ("each level a C call" if rec is recurse_c
               else "Python-to-Python calls")
        what = {k: v + ", both sides %d Python frames deep (%s)"
                % (depth, how) for k, v in what.items()}
    return Workload(name, title, "switch pairs/s", sizes, fns, what,
                    ["greenlet", "pypy-stackless"])


def _rr_workload(ntask, sizes):
    fns = _stackless_fns(rr_stackless, ntask=ntask)
    fns["greenlet"] = functools.partial(rr_greenlet, ntask=ntask)
    fns["gevent"] = on_gevent(rr_stackless, ntask=ntask)
    what = {
        "tasklets": "%d tasklets looping on schedule(), under run()" % ntask,
        "greenlet-chan": "the same code on the greenlet emulation",
        "pypy-stackless": "the same code on PyPy's stackless",
        "greenlet": "a ring of %d greenlets, each switching to the next"
                    % ntask,
        "gevent": "%d greenlets looping on gevent.sleep(0)" % ntask,
    }
    return Workload("schedule_rr_%d" % ntask,
                    "schedule() round robin, %d tasklets" % ntask,
                    "switches/s", sizes, fns, what,
                    ["greenlet", "greenlet-chan", "gevent", "pypy-stackless"])


def build_workloads():
    ws = []
    ws.append(_switch_workload("switch", "raw switch ping-pong", 0,
                               {"full": 1000000, "quick": 200000}))
    fns = _stackless_fns(pingpong_stackless)
    fns["greenlet"] = switch_greenlet
    fns["gevent"] = on_gevent(pingpong_stackless)
    ws.append(Workload(
        "channel_pingpong", "channel ping-pong", "round trips/s",
        {"full": 1000000, "quick": 100000}, fns,
        {"tasklets": "main sends on channel a, an echo tasklet sends it "
                     "back on channel b",
         "greenlet-chan": "the same code on the greenlet emulation",
         "pypy-stackless": "the same code on PyPy's stackless",
         "greenlet": "raw switch pairs (greenlet has no channel): the "
                     "reference of the target",
         "gevent": "the same with two gevent.queue.Channel"},
        ["greenlet", "greenlet-chan", "gevent", "pypy-stackless"],
        repeats={"full": 5, "quick": 3}))
    for ntask, full, quick in ((2, 1000000, 200000), (100, 1000000, 200000),
                               (10000, 1000000, 100000)):
        ws.append(_rr_workload(ntask, {"full": full, "quick": quick}))
    fns = _stackless_fns(crf_stackless)
    fns["greenlet"] = crf_greenlet
    fns["gevent"] = on_gevent(crf_stackless)
    ws.append(Workload(
        "create_run_finish", "create-run-finish of trivial tasklets",
        "tasklets/s", {"full": 100000, "quick": 100000}, fns,
        {"tasklets": "n x tasklet(f)(), then run()",
         "greenlet-chan": "the same code on the greenlet emulation",
         "pypy-stackless": "the same code on PyPy's stackless",
         "greenlet": "n x greenlet(f).switch() (create-switch-finish)",
         "gevent": "n x gevent.spawn(f), then joinall()"},
        ["greenlet", "greenlet-chan", "gevent", "pypy-stackless"]))
    # Not on PyPy's stackless (7.3.11): after tasklet(f)().run() there,
    # getruncount() has grown by one, every call, and the run slows down.
    fns = _stackless_fns(crf_one_stackless, ("tasklets",))
    fns["greenlet"] = crf_greenlet
    ws.append(Workload(
        "create_run_finish_one", "create-run-finish, one at a time",
        "tasklets/s", {"full": 100000, "quick": 50000}, fns,
        {"tasklets": "n x tasklet(f)().run()",
         "greenlet": "n x greenlet(f).switch()"},
        ["greenlet"]))
    fns = _stackless_fns(pipeline_stackless)
    fns["gevent"] = on_gevent(pipeline_stackless)
    ws.append(Workload(
        "pipeline", "%d-stage pipeline" % STAGES, "messages/s",
        {"full": 1000000, "quick": 20000}, fns,
        {"tasklets": "producer tasklet -> %d relay tasklets -> main, over "
                     "%d channels" % (STAGES, STAGES + 1),
         "greenlet-chan": "the same code on the greenlet emulation",
         "pypy-stackless": "the same code on PyPy's stackless",
         "gevent": "the same with gevent.queue.Channel"},
        ["greenlet-chan", "gevent", "pypy-stackless"],
        repeats={"full": 3, "quick": 3}))
    for depth in (0, 50, 500):
        ws.append(_switch_workload(
            "switch_depth_%d" % depth,
            "raw switch at recursion depth %d" % depth, depth,
            {"full": 300000, "quick": 50000}))
    ws.append(_switch_workload(
        "switch_cdepth_50",
        "raw switch at depth 50, each level a C call", 50,
        {"full": 300000, "quick": 50000}, rec=recurse_c))
    return ws


WORKLOADS = build_workloads()
BY_NAME = {w.name: w for w in WORKLOADS}


# {======================================================================
# Child process
# ======================================================================

def _leftover(name, mod):
    """A note if a Stackless-like scheduler is not back to main alone."""
    if name in STACKLESS_LIKE:
        try:
            rc = mod.getruncount()
        except Exception:
            return None
        if rc != 1:
            return "getruncount() is %d after the run, not 1" % rc
    return None


def run_once(name, mod, fn, n):
    gc.collect()
    gc.disable()
    try:
        return fn(mod, n)
    finally:
        gc.enable()


def cmd_time(args):
    w = BY_NAME[args.workload]
    names = [i for i in args.impls.split(",") if i in w.fns]
    mods = {}
    out = {"workload": w.name, "n": args.n, "results": {},
           "python": sys.version.split()[0]}
    res = out["results"]
    for name in names:
        try:
            mods[name] = impls.load(name)
            res[name] = {"times_s": [], "cpu_s": [], "ops": None,
                         "error": None, "notes": []}
        except Exception as e:
            res[name] = {"error": "import: %s: %s" % (type(e).__name__, e)}
    live = [nm for nm in names if nm in mods]
    # warm-up (JIT on PyPy, caches, first-use allocations): small n, untimed
    warm_n = max(1, min(args.n // 20, 20000))
    for name in live:
        try:
            run_once(name, mods[name], w.fns[name], warm_n)
        except Exception:
            res[name]["error"] = "warm-up: " + traceback.format_exc()
    live = [nm for nm in live if not res[nm]["error"]]
    for rep in range(args.repeats):
        # rotate the order every repeat: noise hits all implementations alike
        k = rep % len(live) if live else 0
        for name in live[k:] + live[:k]:
            r = res[name]
            if r["error"]:
                continue
            try:
                el, ops = run_once(name, mods[name], w.fns[name], args.n)
            except Exception:
                r["error"] = traceback.format_exc()
                continue
            r["times_s"].append(el[0])
            r["cpu_s"].append(el[1])
            r["ops"] = ops
            note = _leftover(name, mods[name])
            if note and note not in r["notes"]:
                r["notes"].append(note)
            sys.stderr.write(".")
            sys.stderr.flush()
    sys.stderr.write("\n")
    out["tasklets_build"] = impls.tasklets_build_id()
    print(json.dumps(out))


def cmd_once(args):
    w = BY_NAME[args.workload]
    mod = impls.load(args.impl)
    el, ops = run_once(args.impl, mod, w.fns[args.impl], args.n)
    print(json.dumps({"seconds": el[0], "cpu_seconds": el[1], "ops": ops}))


def main(argv=None):
    import faulthandler
    faulthandler.enable()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd")
    t = sub.add_parser("time")
    t.add_argument("workload", choices=sorted(BY_NAME))
    t.add_argument("--n", type=int, required=True)
    t.add_argument("--repeats", type=int, default=5)
    t.add_argument("--impls", default=",".join(impls.ORDER))
    o = sub.add_parser("once")
    o.add_argument("workload", choices=sorted(BY_NAME))
    o.add_argument("impl", choices=impls.ORDER)
    o.add_argument("n", type=int)
    sub.add_parser("list")
    args = p.parse_args(argv)
    if args.cmd == "time":
        cmd_time(args)
    elif args.cmd == "once":
        cmd_once(args)
    elif args.cmd == "list":
        for w in WORKLOADS:
            print("%-24s %-40s %s" % (w.name, w.title, ",".join(w.fns)))
    else:
        p.print_help()
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
