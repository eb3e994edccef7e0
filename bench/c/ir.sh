#!/bin/sh
# ir.sh BIN CASE [N1 N2] -- callgrind instructions per switch of one case
# of bench_switch: two runs of N1 and N2 rounds (two switches each), so
# start-up and set-up cancel out in the difference.
bin=$1 case=$2 n1=${3:-20000} n2=${4:-100000}
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$bin" --count "$case" "$1" 2>&1 | sed -n 's/.*Collected : *//p'
}
a=$(ir "$n1") b=$(ir "$n2")
[ -n "$a" ] && [ -n "$b" ] || exit 1
awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" \
    'BEGIN { printf "%.1f\n", (b - a) / (2 * (n2 - n1)) }'
