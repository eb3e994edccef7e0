"""PyPy layer of tasklets, installed as the subpackage tasklets._pypy.

See README.md in this folder; the facade imports it through
tasklets/_pypy_backend.py.
"""
