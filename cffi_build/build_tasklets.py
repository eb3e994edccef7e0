"""cffi builder for tasklets._tasklets_cffi (out-of-line API mode).

The module holds the C core's plan files (core/*.c but stack.c and run.c)
and cffi_build/glue.c.  It never switches C stacks (a C library must not
move PyPy's frames), so neither they nor arch/ are compiled in: the Python
layer (pypy/) moves its frames with continulets (PyPy) or greenlets
(CPython, for testing) and tells the core with tsk_commit().

Used by setup.py (cffi_modules=["cffi_build/build_tasklets.py:ffibuilder"]);
run directly (python cffi_build/build_tasklets.py) it builds in place.
"""
import os

import cffi

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _rel(*parts):
    # setuptools wants source paths relative to setup.py
    return os.path.relpath(os.path.join(*parts), os.getcwd())


# The core's "plan" files: everything but the stack transfer (stack.c,
# run.c and arch/), which tests/c links without them too (test_rules).
TRANSFER = {"stack.c", "run.c"}
CORE = sorted(_rel(ROOT, "core", f)
              for f in os.listdir(os.path.join(ROOT, "core"))
              if f.endswith(".c") and f not in TRANSFER)

ffibuilder = cffi.FFI()
with open(os.path.join(HERE, "tsk.cdef")) as f:
    ffibuilder.cdef(f.read())
ffibuilder.set_source(
    "tasklets._tasklets_cffi",
    '#include "tsk.h"\n#include "tsk_int.h"\n#include "glue.h"\n',
    sources=CORE + [_rel(HERE, "glue.c")],
    include_dirs=[_rel(ROOT, "core"), _rel(HERE)],
    depends=[_rel(ROOT, "core", "tsk.h"), _rel(HERE, "glue.h"),
             _rel(HERE, "tsk.cdef")],
    extra_compile_args=["-std=gnu11", "-Wall",
                        "-Wno-unused-parameter", "-Wno-unused-function"],
    libraries=["pthread"],
)

if __name__ == "__main__":
    os.chdir(ROOT)
    ffibuilder.compile(verbose=True)
