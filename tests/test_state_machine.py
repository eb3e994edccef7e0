"""A stateful property test of the scheduler and channels (hypothesis).

The main tasklet (the machine) drives random sequences of API operations
over up to 8 worker tasklets and 2-4 channels: create, bind, setup,
insert, remove, run, switch, schedule, schedule_remove, kill, throw,
raise_exception, send, send_exception, send_throw, receive, close, open,
preference, schedule_all, block_trap, switch_trap, nested run(), schedule
and channel callbacks that raise, error handlers, and dropping the last
reference to suspended tasklets.

Worker bodies are small scripted programs: each worker pops actions that
the machine pushed onto its script (send, receive, schedule, nested run,
kill/throw/insert/remove/run/switch of another tasklet or of main, raise,
return, swallow the next TaskletExit...) and parks with schedule_remove()
when its script is empty.

After every step the machine checks:
* main is current, sys.exc_info() is clear (nothing half-raised);
* the run queue: following ``next`` from current closes after exactly
  ``getruncount()`` tasklets, ``prev`` mirrors ``next``, every member is
  alive, scheduled, not blocked, not paused;
* every channel: its queue chain is consistent (``prev``/``next``,
  ``_channel``), each waiter is blocked in the channel's direction,
  ``balance`` is the signed number of waiters, ``closed`` agrees;
* every tasklet is in at most one place, and alive/blocked/scheduled/paused
  agree with where it is and with what its script is doing;
* no message is lost or duplicated: every send that returned is received
  exactly once, or sits in a served receiver's tempval, or was overwritten
  by a kill/throw/uncaught error delivered to that receiver (which the
  thrower records); a blocked sender holds its own message;
* every uncaught tasklet error reaches exactly one watchdog/main (or the
  error handler), every thrown exception is raised in its target (or
  reported as that new tasklet's uncaught error), every exception of a
  schedule callback is reported as unraisable, nothing else is;
* errors the API must raise (insert/run of a blocked or dead tasklet,
  Deadlock, block_trap, closed channel, switch_trap, bind rules...) are
  raised with Stackless's message and leave queues and flags unchanged.

Profiles (environment TASKLETS_HYPOTHESIS): ``quick`` (default, part of
the normal suite: a fixed, derandomized set of examples) and ``long``
(>= 10^4 random examples; ``ci/matrix.sh hypothesis-long``).
TASKLETS_HYPOTHESIS_EXAMPLES overrides the number of examples.

Only the public API is used, so the test runs unchanged on every backend.
"""
import collections
import faulthandler
import gc
import os
import sys
import threading
import weakref

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import (RuleBasedStateMachine, initialize,  # noqa: E402
                                 invariant, precondition, rule,
                                 run_state_machine_as_test)

import tasklets as stackless  # noqa: E402

TaskletExit = stackless.TaskletExit

PROFILE = os.environ.get("TASKLETS_HYPOTHESIS", "quick")
if PROFILE not in ("quick", "long"):
    raise ValueError("TASKLETS_HYPOTHESIS must be 'quick' or 'long'")
EXAMPLES = int(os.environ.get("TASKLETS_HYPOTHESIS_EXAMPLES",
                              10000 if PROFILE == "long" else 300))
STEPS = 60 if PROFILE == "long" else 40
TRACE = os.environ.get("TASKLETS_HYPOTHESIS_TRACE")   # print each state
HANG_SECONDS = 120          # one example taking longer than this is a hang

# every how many examples to look for tasklets left alive (a full
# collection and heap walk: cheap with gc.freeze, slow on PyPy)
SCAN_EVERY = 1 if hasattr(gc, "freeze") else 20

MAX_WORKERS = 8
MAX_CHANNELS = 4

DEADLOCK = "Deadlock: the last runnable tasklet cannot be blocked."
NO_SENDER = "the main tasklet is receiving without a sender available."
NO_RECEIVER = "the main tasklet is sending without a receiver available."
CLOSED = "Send/receive operation on a closed channel"
BLOCK_TRAP = "this tasklet does not like to be blocked."
RUN_BLOCKED = "You cannot run a blocked tasklet"
SWITCH_BLOCKED = "You cannot switch to a blocked tasklet"
RUN_DEAD = "You cannot run an unbound(dead) tasklet"
REMOVE_BLOCKED = "You cannot remove a blocked tasklet."
REMOVE_CURRENT = "The current tasklet cannot be removed."
THROW_DEAD = "You cannot throw to a dead tasklet"
SCHEDULED = "tasklet is scheduled"
C_STATE = "tasklet has C state on its stack"
IS_ALIVE = "tasklet is alive"
NOT_BOUND = "the tasklet was not bound to a function"
SWITCH_TRAP = "switch_trap"

# RuntimeErrors an operation may legitimately raise somewhere in a random
# program (the rules below predict the exact one where they can)
KNOWN_RUNTIME = {DEADLOCK, NO_SENDER, NO_RECEIVER, BLOCK_TRAP, RUN_BLOCKED,
                 SWITCH_BLOCKED, RUN_DEAD, REMOVE_BLOCKED, REMOVE_CURRENT,
                 THROW_DEAD}


# {======================================================================
# Values and exceptions that carry ids, so that every one is accounted for
# ======================================================================

class Msg(object):
    """A message sent through a channel."""
    __slots__ = ("id",)

    def __init__(self, mid):
        self.id = mid

    def __repr__(self):
        return "Msg(%d)" % self.id


class MsgError(Exception):
    """A message sent with send_exception / send_throw."""


class Thrown(Exception):
    """Thrown into a tasklet with throw / raise_exception."""


class WorkerFailure(Exception):
    """A worker's body ends with this uncaught exception."""


class HandlerError(Exception):
    """The error handler raised this instead of the failure it got."""


class CallbackError(Exception):
    """A channel callback raised this."""


class SchedCallbackError(Exception):
    """A schedule callback raised this."""


class Marker(Exception):
    """Raised and caught inside a worker around a switch."""


def _bomb_payload(v, cls):
    """The id carried by a bomb of exception class cls, or None."""
    if not isinstance(v, stackless.bomb):
        return None
    val = v.value
    if isinstance(val, cls):
        return val.args[0]
    if isinstance(v.type, type) and issubclass(v.type, cls):
        if isinstance(val, tuple):
            return val[0]
        return val
    return None


def msg_in(v):
    """The message id held in a tempval (a Msg or a MsgError bomb)."""
    if isinstance(v, Msg):
        return v.id
    return _bomb_payload(v, MsgError)


def thrown_in(v):
    """The Thrown id of a bomb waiting in a tempval."""
    return _bomb_payload(v, Thrown)

# }======================================================================


# {======================================================================
# The world: tasklets, channels and the ledger of everything in flight
# ======================================================================

NEW, IDLE, BUSY, ENDED = ("new",), ("idle",), ("busy",), ("ended",)


class Worker(object):
    """The scripted program of one tasklet (holds it only weakly)."""

    def __init__(self, world, name):
        self.world = world
        self.name = name
        self.script = collections.deque()
        self.op = NEW            # what its body is doing right now
        self.started = False     # the body of this incarnation has run
        self.ended = False       # ... and has ended
        self.refuse = 0          # TaskletExits it will swallow
        self.tref = None

    def tasklet(self):
        return self.tref() if self.tref is not None else None


def worker_body(w):
    """The body of every worker tasklet: run the script, park when empty."""
    world = w.world
    me = stackless.getcurrent()
    w.started, w.ended, w.op = True, False, BUSY
    spins = 0
    try:
        while True:
            world.ticks += 1
            if not w.script:
                w.op = IDLE
                spins += 1
                if spins > 10000:
                    world.error("%s: idles forever" % w.name)
                    break
                try:
                    stackless.schedule_remove()
                except TaskletExit:
                    if w.refuse > 0:
                        w.refuse -= 1
                        world.refused += 1
                        world.reregister(w, me)
                        continue
                    raise
                except RuntimeError as e:
                    # parking as the last runnable tasklet while main is
                    # blocked: Deadlock; end so that main is told
                    if str(e) != DEADLOCK:
                        world.caught(w.name, e, "idle")
                    break
                except BaseException as e:  # noqa: B902 - classified
                    world.caught(w.name, e, "idle")
                world.check_resumed(w, me, "idle")
                continue
            act = w.script.popleft()
            if act[0] == "return":
                break
            if act[0] == "fail":
                fid = world.new_id()
                world.failures[fid] = (w.name, world.candidates_snapshot())
                w.op = ENDED
                w.ended = True
                raise WorkerFailure(fid)
            if act[0] == "refuse":
                w.refuse += 1
                continue
            w.op = act
            try:
                world.perform(w.name, me, act)
            except TaskletExit:
                if w.refuse > 0:
                    w.refuse -= 1
                    world.refused += 1
                    world.reregister(w, me)
                else:
                    raise
            except BaseException as e:  # noqa: B902 - classified
                world.caught(w.name, e, act)
            w.op = BUSY
            world.check_resumed(w, me, act)
    except TaskletExit:
        world.exits += 1
        raise
    finally:
        w.op = ENDED
        w.ended = True


class World(object):
    """Everything the machine and the workers share."""

    def __init__(self):
        self.main = stackless.getmain()
        self.workers = {}        # name -> Worker (tracked and forgotten)
        self.strong = {}         # name -> tasklet: the machine's references
        self.channels = []
        self.errors = []
        self.ticks = 0
        self.counter = 0
        self.main_op = None
        # messages
        self.issued = {}         # id -> sender
        self.send_ok = set()     # send() returned
        self.send_raised = set()
        self.received = {}       # id -> receiver
        self.dropped = set()     # overwritten in a tempval by a bomb
        # uncaught errors and thrown exceptions
        self.failures = {}       # id -> (raiser, {candidate: msg id})
        self.fail_caught = {}    # id -> who
        self.handled = set()     # ids the error handler swallowed
        self.thrown = {}         # id -> [target, snapshot or None]
        self.thrown_caught = {}  # id -> who
        self.thrown_dropped = set()
        self.thrown_refused = set()
        self.main_kills = 0
        self.main_exits = 0
        self.exits = 0
        self.refused = 0
        # callbacks
        self.schedule_cb_mode = None
        self.channel_cb_mode = None
        self.handler_mode = None
        self.cb_calls = 0
        self.sched_cb_raised = 0
        self.chan_cb_raised = 0
        self.chan_cb_caught = 0
        self.unraisable_sched = 0
        self.switches = 0

    # -- bookkeeping -------------------------------------------------------
    def error(self, text):
        self.errors.append(text)

    def new_id(self):
        self.counter += 1
        return self.counter

    def tasklet_of(self, name):
        if name == "main":
            return self.main
        w = self.workers.get(name)
        return w.tasklet() if w is not None else None

    def live_tasklets(self):
        """(name, tasklet) of main and of every worker tasklet still there."""
        out = [("main", self.main)]
        for name, w in self.workers.items():
            t = w.tasklet()
            if t is not None:
                out.append((name, t))
        return out

    def name_of(self, t):
        if t is self.main:
            return "main"
        for name, w in self.workers.items():
            if w.tasklet() is t:
                return name
        return None

    def candidates_snapshot(self):
        """The tempvals an uncaught error may overwrite: main's and those
        of the watchdogs (workers inside run())."""
        snap = {"main": self.main.tempval}
        for name, w in self.workers.items():
            t = w.tasklet()
            if t is not None and w.op[0] == "run":
                snap[name] = t.tempval
        return {k: (msg_in(v), thrown_in(v)) for k, v in snap.items()}

    def overwrite(self, t):
        """t is about to get a bomb in its tempval: account for what the
        bomb replaces."""
        if t is None or not t.alive or t.is_current:
            return
        v = t.tempval
        mid = msg_in(v)
        if mid is not None:
            self.dropped.add(mid)
        tid = thrown_in(v)
        if tid is not None:
            self.thrown_dropped.add(tid)

    def got(self, mid, who):
        if mid in self.received:
            self.error("message %d received twice (%s, then %s)"
                       % (mid, self.received[mid], who))
        elif mid not in self.issued:
            self.error("%s received message %d that nobody sent" % (who, mid))
        elif mid in self.dropped:
            self.error("%s received message %d after a bomb replaced it"
                       % (who, mid))
        self.received[mid] = who

    def caught(self, who, e, ctx):
        """Classify an exception that reached 'who' during 'ctx'."""
        if isinstance(e, MsgError):
            self.error("%s: MsgError outside receive in %r" % (who, ctx))
        elif isinstance(e, Thrown):
            tid = e.args[0]
            rec = self.thrown.get(tid)
            if rec is None:
                self.error("%s got unknown Thrown(%r)" % (who, tid))
            elif tid in self.thrown_caught:
                self.error("Thrown(%d) caught twice (%s, then %s)"
                           % (tid, self.thrown_caught[tid], who))
            elif tid in self.thrown_dropped:
                self.error("Thrown(%d) raised after it was overwritten" % tid)
            elif rec[0] != who:
                # only a never-started target turns it into its uncaught
                # error, which goes to main or a watchdog
                if rec[1] is None:
                    self.error("Thrown(%d) for %s raised in %s (%r)"
                               % (tid, rec[0], who, ctx))
                else:
                    self._delivered(rec[1], who, "Thrown(%d)" % tid)
            self.thrown_caught[tid] = who
        elif isinstance(e, (WorkerFailure, HandlerError)):
            fid = e.args[0]
            rec = self.failures.get(fid)
            if rec is None:
                self.error("%s got unknown %r" % (who, e))
            elif fid in self.fail_caught:
                self.error("%r caught twice (%s, then %s)"
                           % (e, self.fail_caught[fid], who))
            else:
                self._delivered(rec[1], who, repr(e))
            self.fail_caught[fid] = who
        elif isinstance(e, CallbackError):
            self.chan_cb_caught += 1
        elif isinstance(e, TaskletExit):
            if who != "main":
                self.error("%s: TaskletExit classified" % who)
            self.main_exits += 1
            if self.main_exits > self.main_kills:
                self.error("main got TaskletExit nobody sent (%r)" % (ctx,))
        elif type(e) is RuntimeError and str(e) in KNOWN_RUNTIME:
            pass
        elif type(e) is ValueError and str(e) == CLOSED:
            pass
        else:
            self.error("%s: unexpected %s: %s (during %r)"
                       % (who, type(e).__name__, e, ctx))

    def _delivered(self, snap, who, what):
        if who not in snap:
            self.error("%s delivered to %s, which was no watchdog nor main"
                       % (what, who))
            return
        mid, tid = snap[who]
        if mid is not None:
            self.dropped.add(mid)
        if tid is not None:
            self.thrown_dropped.add(tid)

    def reregister(self, w, me):
        if w.tref is None or w.tref() is not me:
            # the collector cleared the weak reference, then the finalizer's
            # kill was refused: the tasklet lives on
            w.tref = weakref.ref(me)

    def check_resumed(self, w, me, ctx):
        """Checks a worker makes each time it gets control back."""
        self.reregister(w, me)
        if stackless.getcurrent() is not me:
            self.error("%s: current is not itself after %r" % (w.name, ctx))
        if sys.exc_info()[0] is not None:
            self.error("%s: exception state %r left after %r"
                       % (w.name, sys.exc_info()[0], ctx))

    # -- operations, for main and workers -----------------------------------
    def set_op(self, who, op):
        if who == "main":
            self.main_op = op
        else:
            self.workers[who].op = op

    def perform(self, who, me, act):
        kind = act[0]
        if kind in ("send", "send_exc", "send_throw"):
            self.op_send(who, act[1], kind)
        elif kind == "recv":
            self.op_recv(who, act[1])
        elif kind == "sched":
            r = stackless.schedule()
            if r is not me:
                self.error("%s: schedule() returned %r" % (who, r))
        elif kind == "sched_remove":
            r = stackless.schedule_remove()
            if r is not me:
                self.error("%s: schedule_remove() returned %r" % (who, r))
        elif kind == "run":
            stackless.run()
        elif kind in ("kill", "throw"):
            self.op_throw(who, act[1], kind, act[2])
        elif kind in ("insert", "remove", "trun", "tswitch"):
            t = self.tasklet_of(act[1])
            if t is not None:
                getattr(t, {"trun": "run", "tswitch": "switch"}.get(kind, kind))()
        elif kind == "close":
            self.channels[act[1]].close()
        elif kind == "open":
            self.channels[act[1]].open()
        elif kind == "block_trap":
            me.block_trap = act[1]
        elif kind == "exc_switch":
            try:
                raise Marker(self.new_id())
            except Marker as e:
                stackless.schedule()
                if sys.exc_info()[1] is not e:
                    self.error("%s: exception state lost across a switch: %r"
                               % (who, sys.exc_info()))
        else:
            raise AssertionError("unknown action %r" % (act,))

    def op_send(self, who, ci, kind):
        ch = self.channels[ci]
        mid = self.new_id()
        self.issued[mid] = who
        self.set_op(who, ("send", ci, mid))
        try:
            if kind == "send":
                r = ch.send(Msg(mid))
            elif kind == "send_exc":
                r = ch.send_exception(MsgError, mid)
            else:
                r = ch.send_throw(MsgError(mid))
        except BaseException:
            self.send_raised.add(mid)
            raise
        self.send_ok.add(mid)
        if r is not None:
            self.error("%s: %s returned %r" % (who, kind, r))

    def op_recv(self, who, ci):
        ch = self.channels[ci]
        self.set_op(who, ("recv", ci))
        try:
            v = ch.receive()
        except MsgError as e:
            self.got(e.args[0], who)
            return
        if isinstance(v, Msg):
            self.got(v.id, who)
        else:
            self.error("%s received %r, not a message" % (who, v))

    def op_throw(self, who, target, kind, pending, form=0):
        t = self.tasklet_of(target)
        if t is None:
            return
        if kind == "kill":
            if t.alive:
                self.overwrite(t)
                if target == "main":
                    self.main_kills += 1
            return t.kill(pending=pending)
        tid = self.new_id()
        rec = [target, None]
        self.thrown[tid] = rec
        w = self.workers.get(target)
        if w is not None and t.alive and not w.started:
            # a new tasklet raises it before its body runs: its uncaught
            # error, delivered at once to main or a watchdog
            pending = False
            rec[1] = self.candidates_snapshot()
        self.overwrite(t)
        try:
            if form == 1 and not pending:
                return t.raise_exception(Thrown, tid)
            if form == 2:
                return t.throw(Thrown, (tid,), None, pending)
            return t.throw(Thrown(tid), pending=pending)
        except RuntimeError as e:
            if str(e) == THROW_DEAD:
                self.thrown_refused.add(tid)
            raise

    # -- callbacks ------------------------------------------------------------
    def schedule_cb(self, prev, nxt):
        self.switches += 1
        if prev is nxt:
            self.error("schedule callback with prev is next")
        if stackless.getcurrent() is not prev:
            self.error("schedule callback: current is not prev")
        mode = self.schedule_cb_mode
        if mode is not None and mode[0] == "every":
            self.cb_calls += 1
            if self.cb_calls % mode[1] == 0:
                self.sched_cb_raised += 1
                raise SchedCallbackError(self.cb_calls)

    def channel_cb(self, ch, t, sending, willblock):
        if t is not stackless.getcurrent():
            self.error("channel callback: tasklet is not current")
        if sending not in (0, 1) or willblock not in (0, 1):
            self.error("channel callback: sending=%r willblock=%r"
                       % (sending, willblock))
        bal = ch.balance
        if bool(willblock) != (bal >= 0 if sending else bal <= 0):
            self.error("channel callback: willblock=%r, balance %d"
                       % (willblock, bal))
        if sending and msg_in(t.tempval) is None:
            self.error("channel callback: sender's tempval %r" % (t.tempval,))
        mode = self.channel_cb_mode
        if mode is not None and mode[0] == "every":
            self.cb_calls += 1
            if self.cb_calls % mode[1] == 0:
                self.chan_cb_raised += 1
                raise CallbackError(self.cb_calls)

    def error_handler(self, typ, val, tb):
        cur = stackless.getcurrent()
        if cur is self.main:
            self.error("error handler called in main")
        if isinstance(val, WorkerFailure):
            fid = val.args[0]
        elif isinstance(val, Thrown):
            fid = val.args[0]
        else:
            self.error("error handler got %r" % (val,))
            return
        if self.handler_mode == "raise" and isinstance(val, WorkerFailure):
            raise HandlerError(fid)
        if isinstance(val, Thrown):
            self.thrown_caught[fid] = "handler"
        self.handled.add(fid)

    def unraisable(self, u):
        e = u.exc_value
        if isinstance(e, SchedCallbackError):
            self.unraisable_sched += 1
        elif isinstance(e, (WorkerFailure, HandlerError, Thrown)):
            # an uncaught error delivered to main while main was inside a
            # finalizer (gc killing a tasklet): reported there
            self.caught("main", e, "unraisable")
        else:
            self.error("unraisable: %r (%r)" % (e, u.err_msg))

# }======================================================================


# {======================================================================
# Strategies
# ======================================================================

ci_st = st.integers(0, MAX_CHANNELS - 1)
ti_st = st.integers(-1, 31)       # -1 main, else a worker (modulo)

CHANNEL_ACTIONS = st.tuples(
    st.sampled_from(["send", "send", "send", "send_exc", "send_throw",
                     "recv", "recv", "recv", "recv", "recv"]),
    st.integers(0, 1) | ci_st)
ACTIONS = st.one_of(
    # channel operations, mostly on the first two channels, weigh most
    CHANNEL_ACTIONS, CHANNEL_ACTIONS, CHANNEL_ACTIONS, CHANNEL_ACTIONS,
    st.sampled_from([("sched",), ("sched",), ("sched_remove",), ("run",),
                     ("fail",), ("return",), ("refuse",), ("exc_switch",)]),
    st.tuples(st.sampled_from(["kill", "throw"]), ti_st, st.booleans()),
    st.tuples(st.sampled_from(["insert", "remove", "trun", "tswitch"]), ti_st),
    st.sampled_from([("close", 0), ("open", 0), ("close", 1), ("open", 1),
                     ("block_trap", True), ("block_trap", False)]),
)

THEN = st.sampled_from([None, "schedule", "run", "run"])

# }======================================================================


class SchedulerMachine(RuleBasedStateMachine):

    def __init__(self):
        super().__init__()
        others = [t for t in threading.enumerate()
                  if t is not threading.current_thread()]
        assert not others, (
            "other threads change the deadlock rules (a blocked main would "
            "wait for them): %r" % others)
        faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
        self.gc_was_enabled = gc.isenabled()
        gc.disable()             # finalizers run where the rules say
        if hasattr(gc, "freeze"):
            gc.freeze()          # collections look at this example only
        self.world = World()
        self.old_hook = sys.unraisablehook
        sys.unraisablehook = self.world.unraisable
        for _ in range(2):
            self.world.channels.append(stackless.channel())
        self.names = []          # tracked workers, in creation order
        self.tearing_down = False
        self.serial = 0

    # -- helpers -------------------------------------------------------------
    def worker(self, i):
        return self.world.workers[self.names[i % len(self.names)]]

    def target_name(self, i):
        if i < 0 or not self.names:
            return "main"
        return self.names[i % len(self.names)]

    def watchdogs(self):
        """Workers inside stackless.run()."""
        return [w for w in self.world.workers.values()
                if w.op[0] == "run" and w.tasklet() is not None]

    def chan(self, i):
        return i % len(self.world.channels)

    def ring(self):
        out, t = [stackless.getcurrent()], stackless.getcurrent().next
        while t is not None and t is not out[0] and len(out) < 100:
            out.append(t)
            t = t.next
        return out

    def snapshot(self):
        """Queues, balances and flags: what an error must leave alone."""
        W = self.world
        ring, t = [], stackless.getcurrent()
        while True:
            ring.append(id(t))
            t = t.next
            if t is None or t is stackless.getcurrent() or len(ring) > 100:
                break
        chans = []
        for ch in W.channels:
            q, t = [], ch.queue
            while t is not None and len(q) < 100:
                q.append(id(t))
                t = t.next
            chans.append((ch.balance, tuple(q)))
        flags = tuple((n, t.alive, t.blocked, t.scheduled, t.paused)
                      for n, t in W.live_tasklets())
        closing = tuple(ch.closing for ch in W.channels)
        return (tuple(ring), tuple(chans), flags, W.ticks, closing)

    def call(self, ctx, fn, expect=None, unchanged=False):
        """Run fn as main; classify what it raises.  expect: (type,
        message) it must raise; unchanged: the state must stay as it was
        (for predicted errors, and for operations that must not switch)."""
        W = self.world
        before = self.snapshot() if (expect or unchanged) else None
        W.main_op = ctx
        try:
            r = fn()
        except BaseException as e:  # noqa: B902 - classified
            W.main_op = None
            if expect is not None:
                assert type(e) is expect[0] and str(e) == expect[1], (
                    "%r: expected %s(%r), got %s(%r)"
                    % (ctx, expect[0].__name__, expect[1], type(e).__name__, e))
            else:
                W.caught("main", e, ctx)
            if expect is not None or unchanged:
                assert self.snapshot() == before, "%r changed the state" % (ctx,)
            return e
        W.main_op = None
        assert expect is None, "%r: expected %r, returned %r" % (ctx, expect, r)
        if unchanged:
            # queues and the worker that ran
            assert self.snapshot()[:2] == before[:2], (
                "%r changed the queues" % (ctx,))
            assert self.snapshot()[3] == before[3], "%r switched" % (ctx,)
        return r

    def channel_expect(self, ch, direction):
        """The error main's send (+1) or receive (-1) must raise, or None."""
        W = self.world
        mode = W.channel_cb_mode
        if mode is not None and mode[0] == "every" and \
                (W.cb_calls + 1) % mode[1] == 0:
            return (CallbackError, str(W.cb_calls + 1))
        would_block = ch.balance >= 0 if direction > 0 else ch.balance <= 0
        if not would_block:
            return None
        if W.main.block_trap:
            return (RuntimeError, BLOCK_TRAP)
        if ch.closing:
            return (ValueError, CLOSED)
        if stackless.getruncount() == 1 and not self.watchdogs():
            return (RuntimeError, DEADLOCK)
        return None

    # -- the rules: a few dispatchers, so that hypothesis picks pushing
    # actions and running them about as often as everything else together
    @initialize(scripts=st.lists(st.lists(ACTIONS, max_size=6), min_size=1,
                                 max_size=4))
    def start(self, scripts):
        for script in scripts:
            self.spawn("call", script)

    @rule(kind=st.sampled_from(["call", "call", "call", "bind_args",
                                "bound_only", "unbound"]),
          script=st.lists(ACTIONS, max_size=6))
    def new_tasklet(self, kind, script):
        if len(self.names) >= MAX_WORKERS:
            # make room: stop tracking the oldest dead worker
            for name in self.names:
                t = self.world.strong[name]
                if not t.alive and not t.scheduled:
                    self.names.remove(name)
                    del self.world.strong[name]
                    break
            else:
                return
        self.spawn(kind, script)

    @precondition(lambda self: self.names)
    @rule(i=st.integers(0, 31), acts=st.lists(ACTIONS, min_size=1, max_size=6),
          wake=st.booleans(), then=THEN)
    def push(self, i, acts, wake, then):
        """Append actions to a worker's script; wake: insert it if paused;
        then: let the run queue run."""
        w = self.worker(i)
        for act in acts:
            self.push_one(w, act)
        t = w.tasklet()
        if wake and t.alive and t.paused:
            self.insert(i)
        self.then(then)

    def then(self, what):
        if what == "schedule":
            self.schedule(False)
        elif what == "run":
            self.run()

    @precondition(lambda self: len(self.names) >= 2)
    @rule(i=st.integers(0, 31), j=st.integers(0, 31), ci=st.integers(0, 1),
          n=st.integers(1, 4), kind=st.sampled_from(["send", "send_exc"]),
          wake=st.booleans(), then=THEN)
    def converse(self, i, j, ci, n, kind, wake, then):
        """n sends for one worker, n receives for another, same channel."""
        a, b = self.worker(i), self.worker(j)
        for _ in range(n):       # first in their scripts
            a.script.appendleft((kind, self.chan(ci)))
            b.script.appendleft(("recv", self.chan(ci)))
        for w in (a, b):
            t = w.tasklet()
            if wake and t.alive and t.paused:
                self.insert(self.names.index(w.name))
        self.then(then)

    @precondition(lambda self: self.names)
    @rule(op=st.sampled_from(["insert", "remove", "run", "run", "switch",
                              "kill", "kill", "throw", "bind", "setup",
                              "block_trap", "forget"]),
          i=st.integers(0, 31), data=st.data())
    def tasklet_op(self, op, i, data):
        if op == "insert":
            self.insert(i)
        elif op == "remove":
            self.remove(i)
        elif op in ("run", "switch"):
            self.run_tasklet(i, op == "switch")
        elif op == "kill":
            self.kill(i, data.draw(st.booleans(), label="pending"))
        elif op == "throw":
            self.throw(i, data.draw(st.booleans(), label="pending"),
                       data.draw(st.integers(0, 2), label="form"))
        elif op == "bind":
            self.bind(i, data.draw(st.sampled_from(["func", "args", "none"]),
                                   label="mode"))
        elif op == "setup":
            self.setup(i)
        elif op == "block_trap":
            self.set_block_trap(i, data.draw(st.booleans(), label="flag"))
        else:
            self.forget(i)

    @rule(op=st.sampled_from(["schedule", "schedule", "schedule_remove",
                              "run", "run", "send", "send", "receive",
                              "receive", "trapped"]),
          i=st.integers(0, 31), data=st.data())
    def main_op(self, op, i, data):
        if op in ("send", "receive") and data.draw(st.booleans(),
                                                   label="partner"):
            # to a channel where a partner waits, if there is one
            want = -1 if op == "send" else 1
            for ci, ch in enumerate(self.world.channels):
                if ch.balance * want > 0:
                    i = ci
                    break
        if op in ("schedule", "schedule_remove"):
            self.schedule(op == "schedule_remove")
        elif op == "run":
            self.run()
        elif op == "send":
            self.send(i, data.draw(st.sampled_from(
                ["send", "send", "send_exc", "send_throw"]), label="kind"),
                data.draw(st.booleans(), label="block_trap"))
        elif op == "receive":
            self.receive(i, data.draw(st.booleans(), label="block_trap"))
        else:
            self.switch_trapped(data.draw(st.sampled_from(
                ["schedule", "run", "send", "recv"]), label="what"), i)

    @rule(op=st.sampled_from(["close", "open", "preference", "schedule_all",
                              "new_channel", "collect", "schedule_callback",
                              "channel_callback", "error_handler"]),
          i=st.integers(0, 31), data=st.data())
    def setting_op(self, op, i, data):
        cb_mode = st.one_of(st.none(), st.just(("record",)),
                            st.tuples(st.just("every"), st.integers(1, 5)))
        if op in ("close", "open"):
            self.close_open(i, op == "close")
        elif op == "preference":
            self.preference(i, data.draw(st.sampled_from([-1, 0, 1, 2, -5, 42]),
                                         label="pref"))
        elif op == "schedule_all":
            self.schedule_all(i, data.draw(st.booleans(), label="flag"))
        elif op == "new_channel":
            if len(self.world.channels) < MAX_CHANNELS:
                self.world.channels.append(stackless.channel())
        elif op == "collect":
            self.collect()
        elif op in ("schedule_callback", "channel_callback"):
            self.callback(op.split("_")[0], data.draw(cb_mode, label="mode"))
        else:
            self.error_handler(data.draw(
                st.sampled_from([None, "swallow", "raise"]), label="mode"))

    # -- tasklets --------------------------------------------------------------
    def spawn(self, kind, script):
        W = self.world
        self.serial += 1
        name = "w%d" % self.serial
        w = Worker(W, name)
        W.workers[name] = w
        self.names.append(name)
        for act in script:
            self.push_one(w, act)
        if kind == "call":
            t = stackless.tasklet(worker_body)(w)
            assert t.alive and t.scheduled and not t.paused
        elif kind == "bind_args":
            t = stackless.tasklet().bind(worker_body, (w,))
            assert t.alive and t.paused and not t.scheduled
        elif kind == "bound_only":
            t = stackless.tasklet(worker_body)
            assert not t.alive and t.tempval is worker_body
        else:
            t = stackless.tasklet()
            assert not t.alive and t.tempval is None
        w.tref = weakref.ref(t)
        W.strong[name] = t

    def push_one(self, w, act):
        if act[0] in ("kill", "throw", "insert", "remove", "trun", "tswitch"):
            act = (act[0], self.target_name(act[1])) + act[2:]
        elif act[0] in ("send", "send_exc", "send_throw", "recv", "close",
                        "open"):
            act = (act[0], self.chan(act[1]))
        w.script.append(act)

    def insert(self, i):
        t = self.worker(i).tasklet()
        if t.blocked:
            self.call("insert", t.insert, (RuntimeError, RUN_BLOCKED))
        elif not t.alive:
            self.call("insert", t.insert, (RuntimeError, RUN_DEAD))
        else:
            was = t.scheduled
            n = stackless.getruncount()
            assert self.call("insert", t.insert) is t
            assert t.scheduled and not t.paused
            assert stackless.getruncount() == n + (not was)
            if not was:
                assert stackless.getcurrent().prev is t

    def remove(self, i):
        t = self.worker(i).tasklet()
        if t.blocked:
            self.call("remove", t.remove, (RuntimeError, REMOVE_BLOCKED))
        else:
            was = t.scheduled
            n = stackless.getruncount()
            assert self.call("remove", t.remove) is t
            assert not t.scheduled
            assert stackless.getruncount() == n - was

    def run_tasklet(self, i, switch):
        t = self.worker(i).tasklet()
        fn = t.switch if switch else t.run
        if t.blocked:
            self.call("run", fn, (RuntimeError,
                                  SWITCH_BLOCKED if switch else RUN_BLOCKED))
        elif not t.alive:
            self.call("run", fn, (RuntimeError, RUN_DEAD))
        else:
            r = self.call("run", fn)
            assert r is None or isinstance(r, BaseException), r

    def kill(self, i, pending):
        w = self.worker(i)
        t = w.tasklet()
        if not t.alive and not t.scheduled:
            self.call("kill", lambda: t.kill(pending=pending), unchanged=True)
            return
        refused = self.world.refused
        r = self.call("kill", lambda: self.world.op_throw(
            "main", w.name, "kill", pending))
        assert r is None or isinstance(r, BaseException), r
        if not pending and self.world.refused == refused:
            assert not t.alive, "killed tasklet still alive"

    def throw(self, i, pending, form):
        w = self.worker(i)
        t = w.tasklet()
        fn = lambda: self.world.op_throw("main", w.name, "throw", pending, form)  # noqa: E731
        if not t.alive:
            self.call("throw", fn, (RuntimeError, THROW_DEAD))
        else:
            self.call("throw", fn)

    def bind(self, i, mode):
        w = self.worker(i)
        t = w.tasklet()
        if mode == "func":
            fn = lambda: t.bind(worker_body)  # noqa: E731
        elif mode == "args":
            fn = lambda: t.bind(worker_body, (w,))  # noqa: E731
        else:
            fn = lambda: t.bind(None)  # noqa: E731
        if t.scheduled:
            self.call("bind", fn, (RuntimeError, SCHEDULED))
        elif t.alive and w.started and not w.ended:
            self.call("bind", fn, (RuntimeError, C_STATE))
        elif mode == "args" and not t.alive and t.tempval is None:
            pass   # bind(None, args) with no function: skip
        else:
            if mode == "args" and t.alive:
                return        # rebinding a new tasklet: fine, but skip
            assert self.call("bind", fn, unchanged=True) is t
            w.started = w.ended = False
            w.op = NEW
            if mode == "args":
                assert t.alive and t.paused
            else:
                assert not t.alive and not t.scheduled
                assert t.tempval is (worker_body if mode == "func" else None)

    def setup(self, i):
        w = self.worker(i)
        t = w.tasklet()
        if t.alive:
            self.call("setup", lambda: t(w), (RuntimeError, IS_ALIVE))
        elif t.tempval is None:
            self.call("setup", lambda: t(w), (RuntimeError, NOT_BOUND))
        elif t.tempval is worker_body:
            n = stackless.getruncount()
            assert self.call("setup", lambda: t(w)) is t
            w.started = w.ended = False
            w.op = NEW
            assert t.alive and t.scheduled and stackless.getruncount() == n + 1

    def set_block_trap(self, i, flag):
        t = self.worker(i).tasklet()
        t.block_trap = flag
        assert t.block_trap == flag

    def forget(self, i):
        """Drop the machine's reference; collect; a suspended tasklet
        nobody can reach is killed (its body sees TaskletExit)."""
        W = self.world
        name = self.names.pop(i % len(self.names))
        w = W.workers[name]
        # no refusing the collector's kill: a tasklet that does and then
        # becomes unreachable again is kept alive for good (never cleared,
        # test_faults.py::test_refused_collector_kill_then_unreachable_again),
        # which the end-of-example check would report as left alive
        w.refuse = 0
        w.script = collections.deque(a for a in w.script if a[0] != "refuse")
        t = W.strong.pop(name)
        paused = t.alive and t.paused
        tv = t.tempval if paused else None
        del t
        self.call("collect", gc.collect)
        t = w.tasklet()
        if t is None and paused:
            mid, tid = msg_in(tv), thrown_in(tv)
            if mid is not None:
                W.dropped.add(mid)
            if tid is not None:
                W.thrown_dropped.add(tid)
        if t is None and w.started and not w.ended:
            W.error("%s collected without ending its body" % name)

    def collect(self):
        """Collecting must not touch tasklets the machine holds."""
        ghosts = [w for n, w in self.world.workers.items()
                  if n not in self.world.strong and w.tasklet() is not None]
        if ghosts:
            # a forgotten tasklet that is paused now gets killed
            self.call("collect", gc.collect)
            return
        before = self.snapshot()
        gc.collect()
        assert self.snapshot() == before

    # -- main's own scheduling ------------------------------------------------
    def schedule(self, remove):
        main = self.world.main
        fn = stackless.schedule_remove if remove else stackless.schedule
        # alone: returns at once (schedule_remove revives a worker that
        # waits in run(), the innermost watchdog, if there is one)
        alone = stackless.getruncount() == 1 and not (
            remove and self.watchdogs())
        r = self.call("schedule", fn, unchanged=alone)
        if not isinstance(r, BaseException):
            assert r is main, "schedule() returned %r" % (r,)
        assert main.scheduled

    def run(self):
        alone = stackless.getruncount() == 1
        r = self.call("run", stackless.run, unchanged=alone)
        assert r is None or isinstance(r, BaseException), r

    def switch_trapped(self, what, i):
        """Under switch_trap an operation either does not switch or raises
        'switch_trap' and changes nothing."""
        W = self.world
        ch = W.channels[self.chan(i)]
        if what == "schedule":
            fn = stackless.schedule
        elif what == "run":
            if not self.names:
                return
            t = self.worker(i).tasklet()
            if not t.alive or t.blocked:
                return
            fn = t.run
        else:
            if W.channel_cb_mode is not None or W.main.block_trap or ch.closing:
                return
            d = 1 if what == "send" else -1
            if self.channel_expect(ch, d) is not None:
                return
            if what == "send":
                fn = lambda: W.op_send("main", self.chan(i), "send")  # noqa: E731
            else:
                fn = lambda: W.op_recv("main", self.chan(i))  # noqa: E731
        before = self.snapshot()
        stackless.switch_trap(1)
        try:
            r = fn()
        except RuntimeError as e:
            assert str(e) == SWITCH_TRAP, e
            assert self.snapshot() == before, "switch_trap error changed state"
            r = None
        finally:
            assert stackless.switch_trap(-1) == 1
        assert self.world.ticks == before[3], "a worker ran under switch_trap"
        del r

    # -- channels ---------------------------------------------------------------
    def send(self, i, kind, trap):
        W = self.world
        ci = self.chan(i)
        W.main.block_trap = trap
        try:
            exp = self.channel_expect(W.channels[ci], 1)
            self.call(("send", ci), lambda: W.op_send("main", ci, kind), exp)
        finally:
            W.main.block_trap = False
        if exp is not None and exp[0] is CallbackError:
            W.chan_cb_caught += 1

    def receive(self, i, trap):
        W = self.world
        ci = self.chan(i)
        W.main.block_trap = trap
        try:
            exp = self.channel_expect(W.channels[ci], -1)
            self.call(("recv", ci), lambda: W.op_recv("main", ci), exp)
        finally:
            W.main.block_trap = False
        if exp is not None and exp[0] is CallbackError:
            W.chan_cb_caught += 1

    def close_open(self, i, close):
        ch = self.world.channels[self.chan(i)]
        self.call("close", ch.close if close else ch.open, unchanged=True)
        assert ch.closing == close
        assert ch.closed == (close and ch.balance == 0)

    def preference(self, i, pref):
        ch = self.world.channels[self.chan(i)]
        ch.preference = pref
        assert ch.preference == (pref > 0) - (pref < 0)

    def schedule_all(self, i, flag):
        ch = self.world.channels[self.chan(i)]
        ch.schedule_all = flag
        assert ch.schedule_all == flag

    # -- callbacks and the error handler --------------------------------------
    def callback(self, which, mode):
        """Install (or clear) the schedule or channel callback."""
        W = self.world
        setattr(W, which + "_cb_mode", mode)
        getattr(stackless, "set_%s_callback" % which)(
            None if mode is None else getattr(W, which + "_cb"))
        got = getattr(stackless, "get_%s_callback" % which)()
        assert (got is None) == (mode is None)

    def error_handler(self, mode):
        W = self.world
        W.handler_mode = mode
        stackless.set_error_handler(None if mode is None else W.error_handler)

    # -- invariants ---------------------------------------------------------
    @invariant()
    def check(self):
        W = self.world
        STATS["steps"] += 1
        if TRACE:
            print("  ring %s | chans %s | %s | msgs %d/%d" % (
                [W.name_of(t) for t in self.ring()],
                [ch.balance for ch in W.channels],
                " ".join("%s:%s%s" % (n, w.op[0], len(w.script))
                         for n, w in W.workers.items()
                         if w.tasklet() is not None and w.tasklet().alive),
                len(W.received), len(W.issued)))
        assert not W.errors, "\n".join(W.errors)
        main = W.main
        cur = stackless.getcurrent()
        assert cur is main and main.is_current and main.is_main
        assert main.alive and main.scheduled and not main.blocked
        assert not main.paused
        if not self.tearing_down:    # hypothesis may be handling an error
            assert sys.exc_info() == (None, None, None), sys.exc_info()
        # the run queue
        ring = [cur]
        t = cur.next
        while t is not cur:
            assert t is not None, "run queue does not close"
            assert t not in ring, "run queue loops before current"
            ring.append(t)
            assert len(ring) <= 2 * MAX_WORKERS + 8, "run queue too long"
            t = t.next
        for a, b in zip(ring, ring[1:] + ring[:1]):
            assert b.prev is a, "prev does not mirror next"
        assert stackless.getruncount() == len(ring), (
            "runcount %d, ring %d" % (stackless.getruncount(), len(ring)))
        where = {}
        for t in ring:
            assert t.alive and t.scheduled and not t.blocked and not t.paused
            assert W.name_of(t) is not None, "unknown tasklet in the ring"
            where[id(t)] = ("ring",)
        # channels
        for ci, ch in enumerate(W.channels):
            t, prev, dirs = ch.queue, None, []
            while t is not None:
                assert id(t) not in where, "tasklet in two queues"
                where[id(t)] = ("chan", ci)
                assert t.prev is prev, "channel queue prev link"
                assert t.blocked and t.scheduled and t.alive and not t.paused
                assert t._channel is ch, "_channel differs"
                name = W.name_of(t)
                assert name not in (None, "main"), "unknown waiter"
                op = W.workers[name].op
                assert op[0] in ("send", "recv") and op[1] == ci, (
                    "%s waits in channel %d doing %r" % (name, ci, op))
                dirs.append(1 if op[0] == "send" else -1)
                if op[0] == "send":
                    assert msg_in(t.tempval) == op[2], (
                        "blocked sender %s holds %r" % (name, t.tempval))
                prev = t
                t = t.next
                assert len(dirs) <= 2 * MAX_WORKERS, "channel queue loops"
            assert len(set(dirs)) <= 1, "senders and receivers in one queue"
            assert ch.balance == sum(dirs), (
                "channel %d: balance %d, waiters %r" % (ci, ch.balance, dirs))
            assert ch.closed == (ch.closing and ch.balance == 0)
        # every worker tasklet
        for name, w in W.workers.items():
            t = w.tasklet()
            if t is None:
                continue
            loc = where.get(id(t))
            if loc is None:
                assert not t.scheduled and not t.blocked, name
                assert t.paused == t.alive, name
            if not t.alive:
                assert loc is None and w.op in (NEW, ENDED), (name, w.op)
            elif w.op == IDLE:
                assert loc != ("chan",), name
            if loc is not None and loc[0] == "chan":
                assert w.op[0] in ("send", "recv"), (name, w.op)
        self.check_ledger(final=False)

    def check_ledger(self, final):
        W = self.world
        inflight = {}
        pending_thrown = set()
        for name, t in W.live_tasklets():
            mid = msg_in(t.tempval)
            if mid is not None:
                assert mid not in inflight, "message %d in two tempvals" % mid
                inflight[mid] = name
                assert mid not in W.received, "message %d also received" % mid
                assert mid not in W.dropped, "dropped message %d held" % mid
            tid = thrown_in(t.tempval)
            if tid is not None:
                pending_thrown.add(tid)
        lost = [m for m in W.send_ok
                if m not in W.received and m not in W.dropped
                and m not in inflight]
        assert not lost, "messages lost: %r" % lost
        for fid in W.failures:
            assert fid in W.fail_caught or fid in W.handled, (
                "uncaught error %d reached nobody" % fid)
        for tid in W.thrown:
            assert (tid in W.thrown_caught or tid in W.thrown_dropped or
                    tid in W.thrown_refused or tid in pending_thrown or
                    tid in W.handled), "Thrown(%d) vanished" % tid
        assert W.unraisable_sched == W.sched_cb_raised, (
            "schedule callback raised %d times, %d reported"
            % (W.sched_cb_raised, W.unraisable_sched))
        assert W.chan_cb_caught == W.chan_cb_raised, (
            "channel callback raised %d times, %d seen by callers"
            % (W.chan_cb_raised, W.chan_cb_caught))
        if final:
            assert not inflight, "messages left in tempvals: %r" % inflight
            assert not pending_thrown

    def teardown(self):
        W = self.world
        problem = None
        self.tearing_down = True
        try:
            try:
                if not W.errors:
                    self.check()
            except AssertionError as e:
                problem = e
            self.kill_everything()
            if problem is not None:
                raise problem
            assert not W.errors, "\n".join(W.errors)
            for n, t in W.live_tasklets():
                assert not t.alive or t.is_main, "%s survives kill" % n
            assert stackless.getruncount() == 1
            for ch in W.channels:
                assert ch.balance == 0 and ch.queue is None
            self.check_ledger(final=True)
            for mid in W.send_ok:
                assert mid in W.received or mid in W.dropped, mid
        finally:
            W.main.tempval = None
            sys.unraisablehook = self.old_hook
            faulthandler.cancel_dump_traceback_later()
            STATS["examples"] += 1
            STATS["messages"] += len(W.received)
            STATS["issued"] += len(W.issued)
            STATS["send_ok"] += len(W.send_ok)
            STATS["worker_steps"] += W.ticks
            STATS["tasklets"] += len(W.workers)
            STATS["failures"] += len(W.failures)
            STATS["thrown"] += len(W.thrown)
            STATS["refused"] += W.refused
            W.workers.clear()
            W.strong.clear()
            left = []
            if STATS["examples"] % SCAN_EVERY == 0:
                gc.collect()
                left = [o for o in gc.get_objects()
                        if isinstance(o, stackless.tasklet) and o.alive and
                        not o.is_main]
            if hasattr(gc, "unfreeze"):
                gc.unfreeze()
            if self.gc_was_enabled:
                gc.enable()
        assert not left, "tasklets alive after the example: %r" % left

    def kill_everything(self):
        """Leave the scheduler as the example found it, even after a
        failure: no hooks, no traps, every worker killed."""
        W = self.world
        stackless.set_schedule_callback(None)
        stackless.set_channel_callback(None)
        stackless.set_error_handler(None)
        W.schedule_cb_mode = W.channel_cb_mode = W.handler_mode = None
        level = stackless.switch_trap(0)
        if level:
            stackless.switch_trap(-level)
        W.main.block_trap = False
        for w in W.workers.values():
            w.script.clear()
            w.refuse = 0
        for _ in range(5):
            alive = [t for n, t in W.live_tasklets()
                     if t.alive and not t.is_main]
            # and what a failed example may have left in the queues
            alive += [t for t in self.ring()[1:] if t not in alive]
            for ch in W.channels:
                t = ch.queue
                while t is not None:
                    if t not in alive:
                        alive.append(t)
                    t = t.next
            if not alive:
                break
            for t in alive:
                W.overwrite(t)
                try:
                    t.kill()
                except BaseException as e:  # noqa: B902 - classified
                    W.caught("main", e, "teardown kill")

STATS = collections.Counter()

SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    derandomize=PROFILE == "quick",     # the quick profile: same every run
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


def test_scheduler_state_machine():
    run_state_machine_as_test(SchedulerMachine, settings=SETTINGS)
    print("\nstate machine (%s): %s" % (PROFILE, ", ".join(
        "%s %d" % kv for kv in sorted(STATS.items()))))
