#!/bin/sh
# ci/cortex-m/size.sh -- the core's footprint on Cortex-M, as Markdown.
# Compiles core/*.c and arch/switch.S for Cortex-M0, M3 and M4F (hard
# float), each at -Os and -O2, freestanding (TSK_HOSTED 0, the default on
# bare metal; TSK_CANARY 1), and prints arm-none-eabi-size's text bytes
# per object with the totals, then the RAM the core's objects take.
# Extra compiler flags may follow on the command line.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CC:-arm-none-eabi-gcc}
size=${SIZE:-arm-none-eabi-size}
nm=${NM:-arm-none-eabi-nm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cpus="m0 m3 m4f"
opts="-Os -O2"
flags() {
    case $1 in
    m0)  echo "-mcpu=cortex-m0 -mthumb -mfloat-abi=soft" ;;
    m3)  echo "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft" ;;
    m4f) echo "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" ;;
    esac
}
objs="$(cd "$root/core" && ls *.c | sed 's/\.c$//') switch"

for c in $cpus; do
    for o in $opts; do
        d=$tmp/$c$o
        mkdir -p "$d"
        for f in "$root"/core/*.c "$root/arch/switch.S"; do
            b=$(basename "$f" | sed 's/\.[cS]$//')
            # shellcheck disable=SC2046
            $cc $(flags $c) $o -ffreestanding -std=c11 -I"$root/core" \
                -I"$root/arch" "$@" -c "$f" -o "$d/$b.o"
        done
    done
done

# text bytes of object $2 in build $1; data+bss of the whole build
text() { $size "$tmp/$1/$2.o" | awk 'NR==2 {print $1}'; }
ram() { $size "$tmp/$1"/*.o | awk 'NR>1 {s += $2 + $3} END {print s}'; }

printf '| object |'
for c in $cpus; do for o in $opts; do printf ' %s %s |' "$(echo $c | tr a-z A-Z)" "$o"; done; done
printf '\n| --- |'
for c in $cpus; do for o in $opts; do printf ' ---: |'; done; done
printf '\n'
for b in $objs; do
    printf '| %s.o |' "$b"
    for c in $cpus; do for o in $opts; do printf ' %s |' "$(text $c$o $b)"; done; done
    printf '\n'
done
printf '| **total text** |'
for c in $cpus; do for o in $opts; do
    t=0
    for b in $objs; do t=$((t + $(text $c$o $b))); done
    printf ' **%s** |' $t
done; done
printf '\n| data + bss |'
for c in $cpus; do for o in $opts; do printf ' %s |' "$(ram $c$o)"; done; done
printf '\n\n'

# RAM per object: sizeof of the public structs (the same on every
# 32-bit AAPCS target), read back as the sizes of arrays of that many bytes
cat >"$tmp/sizes.c" <<'EOC'
#include "tsk.h"
char sizeof_tsk_sched[sizeof(tsk_sched)];
char sizeof_tsk_tasklet[sizeof(tsk_tasklet)];
char sizeof_tsk_channel[sizeof(tsk_channel)];
char sizeof_tsk_stack[sizeof(tsk_stack)];
EOC
$cc $(flags m3) -fno-common -I"$root/core" -c "$tmp/sizes.c" -o "$tmp/sizes.o"
echo '| object | bytes (32-bit) |'
echo '| --- | ---: |'
$nm -S "$tmp/sizes.o" | while read -r addr bytes kind name; do
    printf '| %s | %d |\n' "${name#sizeof_}" $((0x$bytes))
done
