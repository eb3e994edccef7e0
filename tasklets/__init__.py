"""tasklets: Stackless Python's tasklets and channels on stock interpreters.

``import tasklets as stackless`` gives the Stackless API.  The backend is
picked by interpreter: the C extension on CPython, cffi + continulets on
PyPy.  ``TASKLETS_BACKEND=cext|cffi`` forces one; an unknown value raises.
"""
import os as _os
import platform as _platform
import sys as _sys

_IS_PYPY = _platform.python_implementation() == "PyPy"


def _choose_backend(policy, is_pypy):
    """The backend for a TASKLETS_BACKEND value; unknown values raise."""
    if policy not in ("default", "cext", "cffi"):
        raise ImportError("TASKLETS_BACKEND must be 'cext', 'cffi' or "
                          "'default', not %r" % (policy,))
    if policy == "default":
        return "cffi" if is_pypy else "cext"
    return policy


def _explain_unbuilt(module):
    """Raise a clear ImportError if tasklets.<module> is missing because
    this is the unbuilt source tree (the checkout's root is the current
    directory or on sys.path); return if it is some other import error."""
    import importlib.util
    here = _os.path.dirname(_os.path.abspath(__file__))
    if (importlib.util.find_spec(__name__ + "." + module) is not None or
            not _os.path.exists(_os.path.join(here, _os.pardir, "setup.py"))):
        return
    raise ImportError(
        "tasklets was imported from the source checkout %s, where its "
        "compiled part (tasklets.%s) is not built. Install it (python3 -m "
        "venv .venv && .venv/bin/pip install .) and run Python from another "
        "directory than the checkout's root, or build it in place "
        "(.venv/bin/pip install -e .)." % (_os.path.dirname(here), module),
        name=__name__ + "." + module)


def _refuse_subinterpreter():
    """The cffi backend on CPython refuses subinterpreters as the C
    extension does (cpython_ext/module.c): the glue's state and the
    schedulers are per process and OS thread, not per interpreter."""
    import ctypes
    api = ctypes.pythonapi
    get = getattr(api, "PyInterpreterState_Get", None)
    if get is None:                       # 3.8
        get = api._PyInterpreterState_Get
    get.restype = api.PyInterpreterState_Main.restype = ctypes.c_void_p
    if get() != api.PyInterpreterState_Main():
        raise ImportError("tasklets does not support subinterpreters yet: "
                          "import it in the main interpreter only")


_policy = _choose_backend(_os.environ.get("TASKLETS_BACKEND", "default"),
                          _IS_PYPY)

if _policy == "cext":
    if _IS_PYPY:
        raise ImportError("the 'cext' backend cannot switch PyPy's frames; "
                          "use 'cffi'")
    try:
        from . import _tasklets as _impl
    except ImportError:
        _explain_unbuilt("_tasklets")
        raise
    backend = "cext"
    backend_features = frozenset({
        "threads",
        "tracing",
        "recursion_depth",
        "contextvars",
        "frame_of_current",
        "preemption",
        "finalizers_in_collector",
        "frame_of_suspended",
        "greenlet_guard",
        "collects_frame_cycles",
        "limit_checked_on_resume",
    }   # what a suspended caller keeps on its evaluation stack is seen by the
        # collector: before 3.11 CPython keeps that depth only in a C local
        | ({"caller_stacks"} if _sys.version_info >= (3, 11) else set()))
else:
    if not _IS_PYPY:
        _refuse_subinterpreter()
    try:
        from . import _pypy_backend as _impl
    except ImportError:
        _explain_unbuilt("_pypy")
        raise
    backend = "cffi"
    backend_features = _impl.FEATURES

# the version is the core's (TSK_VERSION in core/tsk.h, read by setup.py)
__version__ = _impl.core_version()
tasklet = _impl.tasklet
channel = _impl.channel
bomb = _impl.bomb
TaskletExit = _impl.TaskletExit
getcurrent = _impl.getcurrent
getmain = _impl.getmain
getruncount = _impl.getruncount
getcurrentid = _impl.getcurrentid
run = _impl.run
schedule = _impl.schedule
schedule_remove = _impl.schedule_remove
switch_trap = _impl.switch_trap
set_schedule_callback = _impl.set_schedule_callback
get_schedule_callback = _impl.get_schedule_callback
set_channel_callback = _impl.set_channel_callback
get_channel_callback = _impl.get_channel_callback
set_error_handler = _impl.set_error_handler
getthreads = _impl.getthreads
get_thread_info = _impl.get_thread_info


class atomic(object):
    """Context manager: no preemption of the current tasklet inside."""

    __slots__ = ("_old",)

    def __enter__(self):
        self._old = getcurrent().set_atomic(True)
        return self

    def __exit__(self, *exc):
        getcurrent().set_atomic(self._old)
        return False


from ._debug import disable_dump, enable_dump, format_tasklets  # noqa: E402


def enable_softswitch(flag):
    """Soft switching needs a patched interpreter: always off here."""
    return False


def getdebug():
    return False


def getuncollectables():
    """Tasklets holding a C stack: every alive, started, non-main one."""
    return _impl.getuncollectables()


PICKLEFLAGS_PRESERVE_TRACING_STATE = 1
PICKLEFLAGS_PRESERVE_AG_FINALIZER = 2
PICKLEFLAGS_RESET_AG_FINALIZER = 4
PICKLEFLAGS_PICKLE_CONTEXT = 8
_PICKLE_MASK = 15
_pickle_flags = [0, 0]


def _set_flags(slot, new, mask):
    old = _pickle_flags[slot]
    if new != -1:
        if new & ~_PICKLE_MASK:
            raise ValueError("you must not set an undefined pickle-flag")
        mask = _PICKLE_MASK if mask == -1 else mask
        _pickle_flags[slot] = (old & ~mask) | (new & mask)
    return old


def pickle_flags(new_flags=-1, mask=-1):
    """Pickling flags (kept for compatibility; tasklets do not pickle)."""
    return _set_flags(0, new_flags, mask)


def pickle_flags_default(new_default=-1, mask=-1):
    return _set_flags(1, new_default, mask)


_PROPERTIES = {
    "current": getcurrent,
    "main": getmain,
    "runcount": getruncount,
    "threads": getthreads,
    "debug": getdebug,
    "uncollectables": getuncollectables,
}


def __getattr__(name):
    # Stackless's module properties (PEP 562)
    try:
        return _PROPERTIES[name]()
    except KeyError:
        raise AttributeError("module 'tasklets' has no attribute %r" % name)


stackless = _sys.modules[__name__]

if hasattr(_impl, "_kill_at_exit"):
    import atexit as _atexit
    _atexit.register(_impl._kill_at_exit)
if hasattr(_impl, "_gc_callback"):
    import gc as _gc
    _gc.callbacks.append(_impl._gc_callback)
if hasattr(_impl, "_greenlet_imported"):
    class _GreenletWatch(object):
        """Tells the extension that greenlet's C module is being imported
        (cpython_ext/greenlets.c: tasklet switches inside greenlets).
        Finds nothing itself: only looks at names."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            # greenlet's C module on CPython, PyPy's own greenlet.py
            if name in ("greenlet._greenlet", "greenlet"):
                _impl._greenlet_imported()
            return None

    _sys.meta_path.insert(0, _GreenletWatch)

__all__ = [
    "atomic", "channel", "enable_softswitch", "get_channel_callback",
    "get_schedule_callback", "get_thread_info", "getcurrent", "getcurrentid",
    "getdebug", "getmain", "getruncount", "getthreads", "getuncollectables",
    "run", "schedule", "schedule_remove", "set_channel_callback",
    "set_error_handler", "set_schedule_callback", "switch_trap", "tasklet",
    "stackless", "bomb", "TaskletExit",
    "format_tasklets", "enable_dump", "disable_dump",
]
