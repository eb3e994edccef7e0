"""Finalizers that switch, run by the garbage collector in the middle of
scheduling operations (HUNT H7).

PyPy runs finalizers (__del__, weakref callbacks) between any two bytecodes
of any thread, including the PyPy backend's own code between a plan of the
core and its switch.  One that switched there found the scheduler half
changed: "You cannot run a blocked tasklet", "continulet already finished",
"tasklets: fatal: a tasklet ended with nothing left to run", segfaults.
Now they wait until the operation is over (and then may switch).  The C
extension runs none inside its operations.  Each case is a child
interpreter with a time bound of a few seconds."""
import textwrap

from conftest import run_python

SCRIPT = textwrap.dedent("""
    import gc, random, sys, threading, time, weakref
    import tasklets as stackless

    SECONDS = %(seconds)s
    stop = time.time() + SECONDS
    shared = [stackless.channel() for _ in range(3)]
    errors = []
    ran = [0, 0]                     # finalizers, weakref callbacks
    made = [0]

    class Cyc(object):
        # garbage only a collection finds, whose finalizer switches
        def __init__(self):
            self.me = self
            made[0] += 1
        def __del__(self):
            ran[0] += 1
            stackless.schedule()

    class Obj(object):
        pass

    def on_dead(ref):
        ran[1] += 1
        stackless.schedule()

    keep = set()

    def worker(rnd):
        while time.time() < stop:
            op = rnd.random()
            ch = rnd.choice(shared)
            try:
                if op < 0.3:
                    if rnd.random() < 0.5:
                        ch.send(1)
                    else:
                        ch.receive()
                elif op < 0.45:
                    stackless.schedule()
                elif op < 0.6:
                    Cyc()
                    if rnd.random() < 0.05:
                        gc.collect()
                elif op < 0.7:
                    o = Obj()
                    o.me = o
                    keep.add(weakref.ref(o, on_dead))
                    del o
                elif op < 0.75:
                    c = stackless.channel()
                    stackless.tasklet(c.receive)()   # garbage, blocked
                    del c
                elif op < 0.8:
                    return
            except RuntimeError as e:
                if "eadlock" not in str(e):
                    errors.append(repr(e))

    def thread_body(k):
        rnd = random.Random(k)
        try:
            while time.time() < stop:
                for i in range(5):
                    stackless.tasklet(worker)(random.Random(rnd.random()))
                try:
                    stackless.run()
                except RuntimeError as e:
                    if "eadlock" not in str(e):
                        errors.append(repr(e))
        except BaseException as e:
            errors.append("thread %%d: %%r" %% (k, e))

    threads = [threading.Thread(target=thread_body, args=(k,))
               for k in range(%(threads)d)]
    for t in threads:
        t.start()
    thread_body(99)
    for t in threads:
        t.join(30)
    for _ in range(3):
        gc.collect()
    print("alive=%%d" %% sum(t.is_alive() for t in threads))
    print("errors=%%r" %% (errors[:5],))
    print("ran=%%d,%%d made=%%d" %% (ran[0], ran[1], made[0]))
""")


def run_mix(threads, seconds):
    r = run_python(SCRIPT % {"threads": threads, "seconds": seconds},
                   timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, "child died (%d):\n%s" % (
        r.returncode, out[-3000:])
    lines = r.stdout.splitlines()
    assert "alive=0" in lines, out[-3000:]
    assert "errors=[]" in lines, out[-3000:]
    # a finalizer that was killed while switching (its tasklet was ended
    # at its thread's end) is reported; nothing else may be
    bad = [ln for ln in r.stderr.splitlines()
           if ln.startswith(("RuntimeError", "SystemError", "TypeError",
                             "AttributeError", "error", "tasklets:",
                             "Fatal", "_continuation"))]
    assert not bad, out[-3000:]
    ran = [ln for ln in lines if ln.startswith("ran=")][0]
    fin, cb = ran[4:].split()[0].split(",")
    assert int(fin) > 0 and int(cb) > 0, ran


def test_switching_finalizers_during_traffic_one_thread():
    run_mix(0, 2)


def test_switching_finalizers_during_traffic_threads():
    run_mix(2, 3)


ORDER = textwrap.dedent("""
    import faulthandler, gc, signal, sys, time
    import tasklets as stackless
    faulthandler.dump_traceback_later(30, exit=True)
    ran = [0, 0]

    class Cyc(object):
        def __init__(self):
            self.me = self
        def __del__(self):
            ran[1] += 1
            stackless.schedule()

    def on_alarm(sig, frame):
        ran[0] += 1
        stackless.schedule()

    signal.signal(signal.SIGALRM, on_alarm)
    ch = stackless.channel()
    N = 20000
    def producer():
        for i in range(N):
            ch.send(i)
            if i % 7 == 0:
                Cyc()
    def bystander():
        while True:
            stackless.schedule()
    stackless.tasklet(producer)()
    other = stackless.tasklet(bystander)()
    signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
    got = []
    for i in range(N):
        got.append(ch.receive())
        if i % 5 == 0:
            Cyc()
    signal.setitimer(signal.ITIMER_REAL, 0)
    other.kill()
    gc.collect()
    print("lost", sum(1 for i, v in enumerate(got) if v != i),
          "handlers", ran[0] > 0, "finalizers", ran[1] > 0)
""")


def test_switching_handlers_and_finalizers_keep_the_values():
    # each operation's value (the send's, the receive's result) survives a
    # signal handler or finalizer that switches just before or after it;
    # they ran in the gap between setting the value and the start of the
    # protected stretch (the stream stopped: a hang)
    r = run_python(ORDER, timeout=120)
    assert r.returncode == 0, "child died (%d):\n%s" % (
        r.returncode, (r.stdout + r.stderr)[-3000:])
    assert r.stdout.split() == ["lost", "0", "handlers", "True",
                                "finalizers", "True"], r.stdout + r.stderr


WAITING = textwrap.dedent("""
    import faulthandler, gc, signal, threading, time
    import tasklets as stackless
    faulthandler.dump_traceback_later(30, exit=True)
    out = []

    def attempt(who):
        try:
            stackless.schedule()
            out.append(who + ":ran")
        except RuntimeError:
            out.append(who + ":refused")

    class Cyc(object):
        def __init__(self, who):
            self.me = self
            self.who = who
        def __del__(self):
            attempt(self.who)

    def on_alarm(sig, frame):
        attempt("handler")
        Cyc("finalizer")
        gc.collect()

    ch = stackless.channel()
    def feeder():
        time.sleep(0.4)
        ch.send(42)
    signal.signal(signal.SIGALRM, on_alarm)
    threading.Thread(target=feeder).start()
    signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
    got = ch.receive()          # main waits for the other thread
    signal.setitimer(signal.ITIMER_REAL, 0)
    print("got", got, "during", sorted(set(out)))
    # afterwards handlers, finalizers and switches work as before
    del out[:]
    stackless.tasklet(attempt)("tasklet")
    signal.setitimer(signal.ITIMER_REAL, 0.01)
    time.sleep(0.2)
    Cyc("finalizer")
    gc.collect()
    stackless.run()
    print("after", sorted(set(out)))
""")


def test_switch_from_handler_or_finalizer_while_waiting_for_a_thread():
    # they run in the gaps of a wait for another thread, where the waiting
    # operation is under way: a switch from there is refused or does
    # nothing (the PyPy backend refuses: the end of the inner operation
    # ended the outer one's protection, finalizers stayed off for good),
    # and everything works after
    r = run_python(WAITING, timeout=120)
    assert r.returncode == 0, "child died (%d):\n%s" % (
        r.returncode, (r.stdout + r.stderr)[-3000:])
    lines = r.stdout.splitlines()
    assert lines[0].startswith("got 42 during"), r.stdout + r.stderr
    assert lines[1] == ("after ['finalizer:ran', 'handler:ran', "
                        "'tasklet:ran']"), r.stdout + r.stderr
