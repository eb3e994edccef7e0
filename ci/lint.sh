#!/usr/bin/env bash
# ci/lint.sh -- the checks a newcomer expects: ruff (Python: pycodestyle,
# pyflakes, bugbear; configuration in pyproject.toml) over the whole tree,
# and clang-format (.clang-format) over the C sources.  Installs what it
# needs: clang-format from Debian (apt), ruff from PyPI into build/venv-lint.
#
#   bash ci/lint.sh          check
#   bash ci/lint.sh --fix    rewrite: ruff's safe fixes, clang-format -i
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
fix=${1:-}
rc=0

bash ci/matrix.sh --need clang-format python3-venv || exit 2
venv=$ROOT/build/venv-lint
if ! "$venv/bin/ruff" --version >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv" &&
        "$venv/bin/python" -m pip install -q --disable-pip-version-check ruff ||
        exit 2
fi

echo "ruff $("$venv/bin/ruff" --version | cut -d' ' -f2): ruff check ."
if [ "$fix" = --fix ]; then
    "$venv/bin/ruff" check --fix . || rc=1
else
    "$venv/bin/ruff" check . || rc=1
fi

# the C sources clang-format keeps in shape (arch/*.S are assembly)
c_files=$(git ls-files 'core/*.[ch]' 'cpython_ext/*.[ch]' 'cffi_build/*.[ch]' \
    'tests/c/*.[ch]' 'tests/fuzz/*.[ch]' 'bench/c/*.[ch]' 'examples/c/*.[ch]' \
    'arch/*.h' 'ci/cortex-m/*.[ch]' 'io/*.[ch]' 'io/tests/*.[ch]')
echo "$(clang-format --version): $(echo "$c_files" | wc -l) C files"
if [ "$fix" = --fix ]; then
    clang-format -i $c_files || rc=1
else
    clang-format --dry-run --Werror $c_files || rc=1
fi
exit $rc
