#!/bin/sh
# ci/cortex-m/run-tests.sh MACHINE FIRMWARE
# The RUNNER of tests/c/Makefile for firmware: what fork() is on a hosted
# target, a fresh emulation is here.  Asks the firmware for its cases
# (--list, tests/c/check.h), runs each in its own qemu-system-arm (run.sh),
# so static state starts clean and a crash fails one case, and prints the
# TAP lines and summary a hosted test binary prints.  Exit status 1 if a
# case failed.
here=$(cd "$(dirname "$0")" && pwd)
machine=$1 elf=$2
suite=$(basename "$elf")
names=$("$here/run.sh" "$machine" "$elf" --list 2>&1) || {
    echo "$names"
    echo "not ok 1 - $suite --list"
    exit 1
}
echo "# $suite"
passed=0 failed=0 k=0
for name in $names; do
    k=$((k + 1))
    out=$("$here/run.sh" "$machine" "$elf" "$name" 2>&1)
    rc=$?
    # the case's own TAP line, or one for it when it died without one
    line=$(printf '%s\n' "$out" | grep -E "^(not )?ok [0-9]+ - $name\$")
    printf '%s\n' "$out" | grep -vE "^(# |(not )?ok [0-9]+ - |[a-z_]+: [0-9]+ passed)" 
    if [ $rc -eq 0 ] && [ -n "$line" ] && [ "${line#ok }" != "$line" ]; then
        passed=$((passed + 1))
        echo "$line"
    else
        failed=$((failed + 1))
        echo "not ok $k - $name (exit $rc)"
    fi
done
echo "$suite: $passed passed, $failed failed"
[ $failed -eq 0 ]
