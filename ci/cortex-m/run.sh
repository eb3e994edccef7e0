#!/bin/sh
# ci/cortex-m/run.sh MACHINE FIRMWARE [ARG...]
# Runs a firmware ELF on qemu-system-arm's MACHINE (mps2-an385, mps2-an386,
# microbit, ...) with semihosting: its output is this script's output, its
# exit status (main's return value) this script's status.  The optional
# ARGs reach main's argv (test names, for the C tests).  Set QEMU_ICOUNT
# to an -icount shift (0: one instruction = 1 ns of virtual time) for runs
# that read SysTick; QEMU_TIMEOUT (seconds, default 120) ends a hung run.
machine=$1 elf=$2
shift 2
exec timeout -k 5 "${QEMU_TIMEOUT:-120}" qemu-system-arm -M "$machine" \
    -nographic -monitor none -serial null \
    ${QEMU_ICOUNT:+-icount shift=$QEMU_ICOUNT} \
    -semihosting-config enable=on,target=native \
    -kernel "$elf" ${1:+-append "$*"}
