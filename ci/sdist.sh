#!/usr/bin/env bash
# ci/sdist.sh -- python -m build makes an sdist and a wheel; the sdist
# installs in a clean venv and passes the suite there.
#   ci/sdist.sh [VERSION]        (default 3.11)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
v=${1:-3.11}
py=$(ls -d "${PYENV_ROOT:-/root/.pyenv}"/versions/"$v".*/bin/python 2>/dev/null | head -1)
[ -n "$py" ] || py=$(command -v "python$v")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" -m venv "$work/build-env"
"$work/build-env/bin/python" -m pip install -q --disable-pip-version-check build
"$work/build-env/bin/python" -m build --outdir "$work/dist" "$ROOT" >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; exit 1; }
ls "$work/dist"
ls "$work"/dist/*.whl >/dev/null
sdist=$(ls "$work"/dist/*.tar.gz)
"$py" -m venv "$work/clean"
"$work/clean/bin/python" -m pip install -q --disable-pip-version-check "$sdist" pytest hypothesis
cd "$work"
"$work/clean/bin/python" -c "import tasklets, stackless; assert stackless is tasklets"
exec "$work/clean/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests"
