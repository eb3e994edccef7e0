"""Alias of :mod:`tasklets` for code written for Stackless Python.

``import stackless`` gives the very same module object as ``import tasklets``.
"""
import sys

import tasklets as _tasklets

sys.modules[__name__] = _tasklets
