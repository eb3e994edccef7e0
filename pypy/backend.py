"""The Stackless API on the C core, for PyPy (installed as tasklets._pypy).

The core (core/*.c, built into tasklets._tasklets_cffi by cffi_build/)
decides who runs next; this package moves the Python frames.  Every
operation that may change the running tasklet goes the same way:

  1. a plan  (lib.tg_plan_*: run queue, channel queues, balance, blocking,
     deadlock detection, watchdogs) says which tasklet runs next;
  2. _switch moves the frames: each tasklet runs on its own continulet
     (PyPy) or greenlet (CPython, to test this backend there), and the
     per-tasklet interpreter state that the switch does not carry
     (contextvars context, trace and profile functions) is saved and
     restored here;
  3. the commit (tsk_commit's two stores) tells the core the switch
     happened.

A C library must never switch C stacks that hold PyPy frames, so the core's
own stack transfer (tsk_switch, arch/) is not used and not even built.

Ownership (what keeps tasklets alive):
  - a tasklet in a run queue is held by its scheduler (_Sched.ring), a
    tasklet blocked on a channel by that channel (channel._waiters): _sync()
    mirrors the core's 'where' after every operation on the tasklets it may
    have moved;
  - main tasklets and watchdogs (inside run()) are held by their scheduler;
  - a paused tasklet is held only by user code: when the GC finds it
    unreachable, __del__ kills it (TaskletExit), so its 'finally' blocks
    run.  PyPy has no reference counting: this happens at the next
    collection, not at 'del'.

Threads: one scheduler per thread, created lazily.  cffi releases the GIL
around C calls, so glue.c serialises core calls with a mutex; a thread with
nothing to run while another thread may feed it waits on a semaphore in C.

The modules (this one gathers the public names and sets up the importing
thread):
  errors     constants, results as exceptions, bombs, the hooks
  switching  how frames move (continulets or greenlets), handles
  threads    per-thread schedulers, thread end, fork, the holders
  sched      carrying out a plan: switch, wait, tasklet entry and end
  preempt    run(timeout): ticks and the watchdog
  frames     where a tasklet's frames end, suspended frames
  functions  the module functions (schedule, run, callbacks, threads)
  tasklet    the tasklet class
  channel    the channel class and its fast path (_chan_op)
The modules call each other (the switch calls the scheduler, which calls
the switch): each one defines everything first and imports the other
modules' names last, so that whichever is imported first, a module is
complete whenever another one takes names from it.  Names that change at
run time (threads._slow, threads._gl_watch) are read through the module.
"""
import os as _os
import sys as _sys

from .errors import (  # noqa: F401 (public, or for tests and the facade)
    TaskletExit, _RECORD_FRAMES, bomb, core_version,
)
from .switching import SWITCHER, _install_unraisable_hook
from .threads import (  # noqa: F401
    _fork_before, _fork_child, _fork_parent, _greenlet_imported,
    _install_thread_end_hook, _kill_at_exit, _ts,
)
from .functions import (  # noqa: F401
    get_channel_callback, get_schedule_callback, get_thread_info, getcurrent,
    getcurrentid, getmain, getruncount, getthreads, getuncollectables, run,
    schedule, schedule_remove, set_channel_callback, set_error_handler,
    set_schedule_callback, switch_trap,
)
from .tasklet import tasklet
from .channel import channel

__all__ = [
    "tasklet", "channel", "bomb", "TaskletExit", "getcurrent", "getmain",
    "getruncount", "getcurrentid", "run", "schedule", "schedule_remove",
    "switch_trap", "set_schedule_callback", "get_schedule_callback",
    "set_channel_callback", "get_channel_callback", "set_error_handler",
    "getthreads", "get_thread_info", "getuncollectables", "core_version",
    "FEATURES", "SWITCHER", "_kill_at_exit",
]


def _has_tracing_jit():
    info = getattr(_sys, "pypy_translation_info", None)
    return bool(info and info.get("translation.jit"))


# "jit_retains_frames": PyPy's JIT may keep a stale reference to a frame of
# a suspended tasklet.  Its blackhole interpreters (which finish a JITted
# frame after a guard fails) are reused from a free list that the prebuilt
# BlackholeInterpBuilder holds, and one released there can still hold, in
# its ref registers, a frame it ran (seen: the _switch frame of a tasklet
# that is now paused).  That frame reaches the tasklet's other frames
# (f_back, its continulet's saved stack), so the tasklet and whatever its
# frames reference stay reachable, and are not finalized, until that
# interpreter is reused.  Nothing of this package is on that path; with
# --jit off, or pypyjit.set_param("off") while the tasklets live, a paused
# tasklet in an unreachable cycle is killed at the next gc.collect().
# The greenlet switcher (CPython testing mode) lacks: greenlet_guard
# (its tasklets are greenlets themselves, so a user's greenlet started
# inside one is not told apart from it: no RuntimeError, and main cannot
# run its tasklets inside another greenlet), collects_frame_cycles
# (greenlets take no part in garbage collection: a cycle through a
# suspended tasklet's frames is never found) and, before CPython 3.12,
# limit_checked_on_resume (a greenlet resumed deeper than a lowered
# recursion limit goes on unchecked until CPython aborts: "Cannot recover
# from stack overflow"; 3.12+ raise RecursionError at its next call).
FEATURES = frozenset({
    "threads",
    "preemption",
    "tracing",
    "contextvars",
    "frame_of_current",
    "caller_stacks",
    "frame_of_suspended",
} | ({"recursion_depth"} if _RECORD_FRAMES else set())
  | ({"greenlet_guard", "collects_frame_cycles"}
     if SWITCHER == "continulet" else set())
  | ({"limit_checked_on_resume"}
     if SWITCHER == "continulet" or _sys.version_info >= (3, 12) else set())
  | ({"jit_retains_frames"} if SWITCHER == "continulet" and
     _has_tracing_jit() else set()))

# the importing thread gets its scheduler now, like the C extension
_ts()
_install_thread_end_hook()
_install_unraisable_hook()
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(before=_fork_before, after_in_parent=_fork_parent,
                         after_in_child=_fork_child)
if "greenlet" in _sys.modules:
    _greenlet_imported()
