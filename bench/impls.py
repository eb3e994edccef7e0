"""The implementations the benchmarks compare, and how to load each.

Nothing is installed here: an implementation that does not import is
reported as unavailable, with the reason, and the benchmarks skip it.

* ``tasklets``: this repository's package (the C extension on CPython, the
  cffi backend on PyPy), imported from the repository root so that the
  in-place build is what gets measured;
* ``greenlet``: raw ``greenlet.switch()`` (the greenlet package on CPython,
  PyPy's built-in continulet-based ``greenlet`` module on PyPy);
* ``greenlet-chan``: bench/gstackless.py, a small Stackless emulation on
  greenlet (run queue and channels as deques of greenlets);
* ``gevent``: gevent's ``Channel``/``Event`` and ``sleep(0)``, where they fit;
* ``pypy-stackless``: PyPy's own ``lib_pypy/stackless.py`` (continulets),
  only under PyPy.
"""
import importlib
import importlib.util
import os
import platform
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
# The folder whose tasklets package is measured: this repository (its
# in-place build) unless BENCH_TASKLETS_PATH names another checkout, e.g. a
# clean clone of a given commit (run.py --tasklets-path).
TASKLETS_PATH = os.path.abspath(os.environ.get("BENCH_TASKLETS_PATH")
                                or REPO)
IS_PYPY = platform.python_implementation() == "PyPy"

ORDER = ["tasklets", "greenlet", "greenlet-chan", "gevent", "pypy-stackless"]


def load_tasklets():
    if TASKLETS_PATH not in sys.path:
        sys.path.insert(0, TASKLETS_PATH)
    import tasklets
    return tasklets


def tasklets_build_id():
    """[path, mtime] of the compiled module of the loaded tasklets backend
    (the C extension, or the cffi module on PyPy), or None."""
    for name in ("tasklets._tasklets", "tasklets._tasklets_cffi"):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path and os.path.exists(path):
            return [path, os.path.getmtime(path)]
    return None


def load_greenlet():
    import greenlet
    return greenlet


def load_greenlet_chan():
    load_greenlet()
    if BENCH not in sys.path:
        sys.path.insert(0, BENCH)
    import gstackless
    return gstackless


def load_gevent():
    import gevent
    import gevent.event
    import gevent.queue
    return gevent


def load_pypy_stackless():
    """PyPy's own stackless.py, found on sys.path past the repository root
    (whose stackless.py is an alias of tasklets) and loaded under another
    name so that the two never meet in sys.modules."""
    if not IS_PYPY:
        raise ImportError("PyPy's stackless module exists only under PyPy")
    name = "_pypy_own_stackless"
    if name in sys.modules:
        return sys.modules[name]
    skip = {os.path.realpath(p)
            for p in (REPO, TASKLETS_PATH, BENCH, "", ".")}
    for entry in sys.path:
        if os.path.realpath(entry or ".") in skip:
            continue
        path = os.path.join(entry, "stackless.py")
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location(name, path)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            spec.loader.exec_module(mod)
            return mod
    raise ImportError("no stackless.py of PyPy's on sys.path")


LOADERS = {
    "tasklets": load_tasklets,
    "greenlet": load_greenlet,
    "greenlet-chan": load_greenlet_chan,
    "gevent": load_gevent,
    "pypy-stackless": load_pypy_stackless,
}


def load(name):
    return LOADERS[name]()


def _dist_version(dist):
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover (3.7)
        return None
    try:
        return metadata.version(dist)
    except Exception:
        return None


def describe(name):
    """{'available': bool, 'version': str|None, 'note': str} for name."""
    try:
        mod = load(name)
    except Exception as e:  # ImportError, or a broken build
        return {"available": False, "version": None,
                "note": "%s: %s" % (type(e).__name__, e)}
    version = None
    note = ""
    if name == "tasklets":
        version = "%s (backend %s)" % (mod.__version__, mod.backend)
        note = os.path.dirname(mod.__file__)
    elif name in ("greenlet", "greenlet-chan"):
        import greenlet
        version = getattr(greenlet, "__version__", None) or \
            _dist_version("greenlet")
        if IS_PYPY:
            note = "PyPy built-in greenlet (continulets)"
        if name == "greenlet-chan":
            note = ("bench/gstackless.py on greenlet %s" % version).strip()
    elif name == "gevent":
        version = mod.__version__
    elif name == "pypy-stackless":
        version = "PyPy %s" % ".".join(map(str, sys.pypy_version_info[:3]))
        note = mod.__file__
    return {"available": True, "version": version, "note": note}


def available(names=None):
    """(list of available names, {name: description}) in ORDER."""
    descs = {}
    ok = []
    for name in names or ORDER:
        d = describe(name)
        descs[name] = d
        if d["available"]:
            ok.append(name)
    return ok, descs
