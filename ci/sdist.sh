#!/usr/bin/env bash
# ci/sdist.sh -- python -m build makes an sdist and a wheel; the sdist holds
# every source and test file of the checkout, installs in a clean venv, and
# its OWN tests (unpacked from the tarball, not the checkout's) pass there.
#   ci/sdist.sh [VERSION]        (default 3.11)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
v=${1:-3.11}
py=$(ls -d "${PYENV_ROOT:-/root/.pyenv}"/versions/"$v".*/bin/python 2>/dev/null | head -1)
[ -n "$py" ] || py=$(command -v "python$v")
pkgs="gcc libc6-dev"
case $py in /usr/bin/*) pkgs="$pkgs python$v-dev python$v-venv" ;; esac
bash "$ROOT/ci/matrix.sh" --need $pkgs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" -m venv "$work/build-env"
"$work/build-env/bin/python" -m pip install -q --disable-pip-version-check build
"$work/build-env/bin/python" -m build --outdir "$work/dist" "$ROOT" >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; exit 1; }
ls "$work/dist"
ls "$work"/dist/*.whl >/dev/null
sdist=$(ls "$work"/dist/*.tar.gz)
mkdir "$work/src"
tar -xzf "$sdist" -C "$work/src"
src=$(echo "$work"/src/*/)
# every tracked file of the package's sources, tests and examples is in it
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    missing=$(cd "$ROOT" && git ls-files -- setup.py pyproject.toml MANIFEST.in \
        README.md LICENSE stackless.py core arch cpython_ext cffi_build pypy \
        tasklets tests examples docs io | while read -r f; do
            [ -e "$src/$f" ] || echo "$f"; done)
    if [ -n "$missing" ]; then
        echo "ci/sdist.sh: the sdist lacks (see MANIFEST.in):"
        echo "$missing"
        exit 1
    fi
fi
"$py" -m venv "$work/clean"
"$work/clean/bin/python" -m pip install -q --disable-pip-version-check "$sdist" pytest hypothesis greenlet
# from outside the unpacked tree, so that its tasklets/ is not imported
cd "$work"
"$work/clean/bin/python" -c "import tasklets, stackless; assert stackless is tasklets"
exec "$work/clean/bin/python" -m pytest -q -p no:cacheprovider "$src/tests"
