#!/usr/bin/env bash
# ci/cpython.sh -- install tasklets into a fresh venv of one CPython and run
# the pytest suite against the installed package.
#
#   ci/cpython.sh 3.11                 plain run
#   ci/cpython.sh 3.11 -X dev          under the development checks
#   TASKLETS_SANITIZE=1 ci/cpython.sh 3.11   extension built with ASan+UBSan
#   VENV=/opt/venv-pypy3 ci/cpython.sh pypy3  (ci/sid.sh runs it this way)
#   TASKLETS_BACKEND=cffi ci/cpython.sh 3.11  the cffi backend (PyPy's layer)
#                                      built and tested on CPython
#
# The interpreter is found as pyenv's /root/.pyenv/versions/<v>.*, or
# python<v> or <v> on PATH.  Extra arguments go to the interpreter, before
# -m pytest.  VENV: where the venv goes (default build/venv-cp<v>).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
v=$1
shift
py=""
for cand in "${PYENV_ROOT:-/root/.pyenv}"/versions/"$v".*/bin/python "$(command -v "python$v" || true)" \
        "$(command -v "$v" || true)"; do
    if [ -x "$cand" ]; then py=$cand; break; fi
done
if [ -z "$py" ]; then
    echo "ci/cpython.sh: no CPython $v found (pyenv or python$v on PATH)" >&2
    exit 2
fi
# the compiler pip builds with; a Debian python also needs its headers and
# its venv module (pyenv's CPythons carry both; Debian's pypy3: pypy3-dev,
# pypy3-venv)
pkgs="gcc libc6-dev"
case $py in
/usr/bin/python*) pkgs="$pkgs python$v-dev python$v-venv" ;;
/usr/bin/pypy*) pkgs="$pkgs $v-dev $v-venv" ;;
esac
bash "$ROOT/ci/matrix.sh" --need $pkgs
cffi=""
[ "${TASKLETS_BACKEND:-}" = cffi ] && cffi=-cffi
venv=${VENV:-$ROOT/build/venv-cp$v${TASKLETS_SANITIZE:+-san}$cffi}
# made anew when missing or when its making was interrupted (no pytest)
if ! "$venv/bin/python" -c "import pytest, hypothesis" >/dev/null 2>&1; then
    rm -rf "$venv"
    "$py" -m venv "$venv"
    # PyPy: hypothesis' newest sdist needs a Rust toolchain download; take wheels
    bin=$("$py" -c 'import sys; print(sys.implementation.name == "pypy" and "--only-binary=:all:" or "")')
    "$venv/bin/python" -m pip install -q --disable-pip-version-check $bin pytest hypothesis
fi
# greenlet for tests/test_greenlet.py: the newest release for this CPython
# (PyPy ships its own greenlet module)
if ! "$venv/bin/python" -c "import greenlet" >/dev/null 2>&1; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check greenlet
fi
if [ -n "$cffi" ]; then
    # the cffi module is built beside the extension (setup.py's
    # TASKLETS_BUILD_CFFI=1), with the venv's cffi: no build isolation
    # (setuptools as pyproject.toml's build-system asks: older ones ignore
    # its [project] table and install a package named UNKNOWN)
    "$venv/bin/python" -m pip install -q --disable-pip-version-check cffi \
        "setuptools>=61" wheel
    export TASKLETS_BUILD_CFFI=1
    cffi=--no-build-isolation
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps $cffi "$ROOT"
# run from elsewhere so that the source tree's tasklets/ is not imported
cd /tmp
exec "$venv/bin/python" "$@" -m pytest -q -p no:cacheprovider "$ROOT/tests"
