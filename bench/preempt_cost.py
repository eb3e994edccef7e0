"""What run(timeout)'s ticks cost: instructions per unit of CPU-bound work in
a tasklet under run() and under run(timeout), counted under valgrind
(cachegrind) as bench/icount.py does (two run lengths, difference divided
by the difference of the work, so that start-up cancels).

    python bench/preempt_cost.py            # table for this interpreter
    python bench/preempt_cost.py once MODE WORK N   (what valgrind runs)

MODE: plain = run(); idle = run(10**9) (ticks counted, never fires);
slice = run(1000) in a loop that re-inserts the victim.  WORK: loop = one
iteration of 'while i < n: i += 1' (two lines), fib = one call of a
recursive fib (two lines, a call, a return).
"""
import re
import shutil
import subprocess
import sys


def loop(n):
    i = 0
    while i < n:
        i += 1


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def fib_calls(n):
    a, b = 1, 1                      # calls of fib(n): 2*F(n+1) - 1
    for _ in range(n):
        a, b = b, a + b
    return 2 * a - 1


WORK = {"loop": (loop, lambda n: n, (100000, 600000)),
        "fib": (fib, fib_calls, (15, 20))}
TIMEOUT = {"plain": 0, "idle": 10 ** 9, "slice": 1000}


def once(mode, work, n):
    import tasklets as stackless
    fn = WORK[work][0]
    stackless.tasklet(fn)(n)
    timeout = TIMEOUT[mode]
    if not timeout:
        stackless.run()
        return
    while True:
        v = stackless.run(timeout)
        if v is None:
            return
        v.insert()


def count(mode, work, n):
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no",
         "--cachegrind-out-file=/dev/null", sys.executable, __file__,
         "once", mode, work, str(n)],
        stderr=subprocess.PIPE, universal_newlines=True, check=True).stderr
    return int(re.search(r"I\s+refs:\s+([\d,]+)", out).group(1)
               .replace(",", ""))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "once":
        once(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("needs valgrind")
    print("CPython %s: instructions per unit of work" % sys.version.split()[0])
    for work, (_, units, (n1, n2)) in WORK.items():
        row = {}
        for mode in TIMEOUT:
            d = count(mode, work, n2) - count(mode, work, n1)
            row[mode] = d / (units(n2) - units(n1))
        p = row["plain"]
        print("  %-4s  plain %6.0f   idle %6.0f (%.2fx)   slice %6.0f (%.2fx)"
              % (work, p, row["idle"], row["idle"] / p, row["slice"],
                 row["slice"] / p))


if __name__ == "__main__":
    main()
