"""The cffi backend: the default on PyPy, TASKLETS_BACKEND=cffi elsewhere.

The implementation lives in pypy/ (backend.py gathers it), installed as
tasklets._pypy (pyproject.toml maps the folder into the package; see
pypy/README.md).
"""
from ._pypy.backend import *  # noqa: F401,F403
from ._pypy.backend import FEATURES, SWITCHER, _greenlet_imported  # noqa: F401
