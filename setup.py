"""Build the C parts of tasklets; metadata lives in pyproject.toml, the
version in core/tsk.h (TSK_VERSION, the one place it is written).

CPython: the extension tasklets._tasklets (cpython_ext/ + core/ + arch/).
PyPy: the cffi module (cffi_build/), since a C extension must never switch
stacks that hold PyPy frames.
"""
import os
import platform
import re
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
IS_PYPY = platform.python_implementation() == "PyPy"


def rel(*parts):
    return os.path.join(*parts)


CORE = sorted(rel("core", f) for f in os.listdir(os.path.join(ROOT, "core"))
              if f.endswith(".c"))
ARCH = [rel("arch", "switch.S")]
CFLAGS = ["-std=gnu11", "-fvisibility=hidden", "-Wall", "-Wextra",
          "-Wno-missing-field-initializers", "-Wno-unused-parameter"]
if os.environ.get("TASKLETS_WERROR"):
    CFLAGS.append("-Werror")
if os.environ.get("TASKLETS_SANITIZE"):
    # the checked core (TSK_CHECKED, core/tsk_conf.h) too
    CFLAGS += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
               "-DTSK_CHECKED=1"]
if os.environ.get("TASKLETS_DEBUG"):
    CFLAGS += ["-O0", "-g"]


class BuildExt(build_ext):
    """setuptools' Unix compiler does not know .S files; teach it."""

    def build_extensions(self):
        if ".S" not in self.compiler.src_extensions:
            self.compiler.src_extensions.append(".S")
        super().build_extensions()


ext_modules = []
if not IS_PYPY:
    ext_modules.append(Extension(
        "tasklets._tasklets",
        sources=sorted(rel("cpython_ext", f)
                       for f in os.listdir(os.path.join(ROOT, "cpython_ext"))
                       if f.endswith(".c")) + CORE + ARCH,
        include_dirs=["core", "arch", "cpython_ext"],
        depends=sorted(rel(d, f) for d in ("core", "cpython_ext", "arch")
                       for f in os.listdir(os.path.join(ROOT, d))
                       if f.endswith((".h", ".S"))),
        extra_compile_args=CFLAGS,
        extra_link_args=(["-fsanitize=address,undefined"]
                         if os.environ.get("TASKLETS_SANITIZE") else []),
    ))



def version():
    with open(os.path.join(ROOT, "core", "tsk.h")) as f:
        return re.search(r'#define TSK_VERSION "([^"]+)"', f.read()).group(1)


kwargs = dict(version=version(), ext_modules=ext_modules,
              cmdclass={"build_ext": BuildExt})
# Objects built with other flags must never be linked into this build
# (setuptools only compares timestamps): one build directory per variant.
VARIANT = "-".join(name for name, var in (("san", "TASKLETS_SANITIZE"),
                                          ("dbg", "TASKLETS_DEBUG"))
                   if os.environ.get(var))
if VARIANT:
    kwargs["options"] = {"build": {"build_base": rel("build", VARIANT)}}
# The cffi module (cffi_build/): always on PyPy; on CPython only with
# TASKLETS_BUILD_CFFI=1 (then TASKLETS_BACKEND=cffi tests it there; it needs
# cffi at build time, e.g. pip install --no-build-isolation, and greenlet to
# run).
BUILD_CFFI = IS_PYPY or os.environ.get("TASKLETS_BUILD_CFFI") == "1"
if BUILD_CFFI:
    try:
        import cffi  # noqa: F401  (provides the cffi_modules keyword)
    except ImportError:
        sys.exit("TASKLETS_BUILD_CFFI=1 needs cffi installed in the build "
                 "environment (pip install cffi; pip install "
                 "--no-build-isolation .)")
    kwargs["cffi_modules"] = ["cffi_build/build_tasklets.py:ffibuilder"]
if not IS_PYPY:
    # drop-in alias for code written for Stackless (PyPy ships its own
    # lib_pypy/stackless.py, so the alias is CPython-only)
    kwargs["py_modules"] = ["stackless"]
setup(**kwargs)
