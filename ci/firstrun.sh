#!/usr/bin/env bash
# ci/firstrun.sh -- the README's install command, as written, in a fresh copy
# of the checkout: with Debian's /usr/bin/python3 (PEP 668: pip refuses to
# install outside a venv) and with pyenv's CPython as python3.
#   ci/firstrun.sh [PYTHON...]   default: /usr/bin/python3 and pyenv's 3.11
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# the first indented python3 line after "## The two commands"
cmd=$(sed -n '/^## The two commands/,/^## /s/^    \(python3 .*\)$/\1/p' \
    "$ROOT/README.md" | head -n1)
if [ -z "$cmd" ]; then
    echo "ci/firstrun.sh: no install command found in README.md" >&2
    exit 1
fi
# what the README tells a Debian user to install first
bash "$ROOT/ci/matrix.sh" --need python3 python3-venv python3-dev gcc libc6-dev
pys=${*:-/usr/bin/python3 $(ls -d "${PYENV_ROOT:-/root/.pyenv}"/versions/3.11.*/bin/python3 2>/dev/null | head -n1)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for py in $pys; do
    rm -rf "$work/src" "$work/bin" && mkdir -p "$work/src" "$work/bin"
    # the tracked and new files, as a fresh clone (plus local edits) has them
    if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
            xargs -0 tar -cf - --ignore-failed-read 2>/dev/null) |
            tar -xf - -C "$work/src"
    else
        (cd "$ROOT" && tar -cf - --exclude=./build --exclude=./.venv .) |
            tar -xf - -C "$work/src"
    fi
    ln -s "$py" "$work/bin/python3"
    echo "=== python3 is $py: $cmd"
    if (cd "$work/src" && PATH="$work/bin:$PATH" bash -c "$cmd") >"$work/out" 2>&1 &&
        grep -q '^backend cext, sum of squares 285$' "$work/out"; then
        tail -n1 "$work/out"
    else
        tail -n 20 "$work/out"
        echo "=== FAILED with $py"
        fail=1
    fi
done
exit $fail
