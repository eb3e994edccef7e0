"""Threads stress: schedulers in many threads exchanging messages.

    python tests/stress/threads_stress.py [--threads 8] [--tasklets 100]
        [--messages 100000] [--rounds 10] [--bound 120]

Each thread has its own scheduler, an inbox channel and --tasklets
tasklets: half of them send messages to the inboxes of the other threads
(round robin over the destinations, a schedule() now and then, some as
send_exception), the other half receive from the thread's own inbox
exactly as many messages as the other threads will send it.  The thread's
main tasklet waits on a local channel until its last tasklet is done, so
the thread blocks in the scheduler whenever only other threads can feed
it.

Checks: every message arrives exactly once, at the thread it was sent to;
no thread deadlocks; each round ends within --bound seconds (checked by
the script itself: on expiry it prints what every thread was doing and
exits with status 2).  --rounds repeats the whole exchange with new
threads.  Prints one JSON line per round; exit status 0 when all is well.
"""
import argparse
import faulthandler
import json
import sys
import threading
import time

import tasklets as stackless


class Message(Exception):
    """Sent with send_exception: the receiver gets it raised."""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--tasklets", type=int, default=100)
    ap.add_argument("--messages", type=int, default=10 ** 5)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--bound", type=float, default=120.0)
    args = ap.parse_args()
    for r in range(args.rounds):
        status = one_round(args, r)
        if status:
            return status
    return 0


def one_round(args, round_no):
    nth, ntask = args.threads, args.tasklets
    nsend = ntask // 2
    nrecv = ntask - nsend
    per_thread = args.messages // nth
    total = per_thread * nth
    # hard stop if even the diagnostics below hang
    faulthandler.dump_traceback_later(args.bound + 60, exit=True)
    try:
        return exchange(args, round_no, nth, ntask, nsend, nrecv, per_thread,
                        total)
    finally:
        faulthandler.cancel_dump_traceback_later()


def exchange(args, round_no, nth, ntask, nsend, nrecv, per_thread, total):

    def dest(a, j):
        return (a + 1 + j % (nth - 1)) % nth

    expected = [0] * nth
    for a in range(nth):
        for j in range(per_thread):
            expected[dest(a, j)] += 1
    inbox = [stackless.channel() for _ in range(nth)]
    for a in range(nth):
        inbox[a].preference = (-1, 0, 1)[a % 3]
    remaining = list(expected)
    got = [[] for _ in range(nth)]
    finished = [0] * nth
    errors = []
    start = threading.Barrier(nth + 1)
    status = ["new"] * nth

    def sender(a, s, done):
        try:
            for j in range(s, per_thread, nsend):
                d = dest(a, j)
                if j % 13 == 0:
                    inbox[d].send_exception(Message, (a, j))
                else:
                    inbox[d].send((a, j))
                if j % 10 == 0:
                    stackless.schedule()
        except BaseException as e:  # noqa: B902 - reported
            errors.append("sender %d/%d: %r" % (a, s, e))
        finish(a, done)

    def receiver(a, done):
        try:
            while remaining[a] > 0:
                remaining[a] -= 1
                try:
                    m = inbox[a].receive()
                except Message as e:
                    m = e.args[0]
                got[a].append(m)
        except BaseException as e:  # noqa: B902 - reported
            errors.append("receiver %d: %r" % (a, e))
        finish(a, done)

    def finish(a, done):
        finished[a] += 1
        if finished[a] == ntask:
            done.send(None)

    def thread_main(a):
        done = stackless.channel()
        try:
            for s in range(nsend):
                stackless.tasklet(sender)(a, s, done)
            for _ in range(nrecv):
                stackless.tasklet(receiver)(a, done)
            status[a] = "ready"
            start.wait()
            status[a] = "running"
            done.receive()
            status[a] = "done"
        except BaseException as e:  # noqa: B902 - reported
            status[a] = "failed"
            errors.append("thread %d main: %r" % (a, e))

    threads = [threading.Thread(target=thread_main, args=(a,), daemon=True)
               for a in range(nth)]
    for th in threads:
        th.start()
    start.wait()
    t0 = time.monotonic()
    deadline = t0 + args.bound
    for th in threads:
        th.join(max(0.0, deadline - time.monotonic()))
    seconds = time.monotonic() - t0
    hung = [a for a, th in enumerate(threads) if th.is_alive()]
    report = {
        "round": round_no, "threads": nth, "tasklets_per_thread": ntask,
        "messages": total,
        "seconds": round(seconds, 2), "bound": args.bound,
    }
    if hung:
        report["hung"] = []
        for a in hung:
            main_t, cur, runcount = stackless.get_thread_info(threads[a].ident)
            report["hung"].append({
                "thread": a, "status": status[a], "received": len(got[a]),
                "expected": expected[a], "finished": finished[a],
                "inbox_balance": inbox[a].balance, "runcount": runcount,
                "main_blocked": bool(main_t is not None and main_t.blocked),
            })
        report["ok"] = False
        report["errors"] = errors[:10]
        print(json.dumps(report))
        sys.stdout.flush()
        return 2
    # every message exactly once, where it was sent
    seen = set()
    dup = wrong = 0
    for a in range(nth):
        for m in got[a]:
            if m in seen:
                dup += 1
            seen.add(m)
            if dest(*m) != a:
                wrong += 1
    missing = total - len(seen)
    report.update({
        "received": sum(len(g) for g in got), "duplicates": dup,
        "missing": missing, "misdelivered": wrong, "errors": errors[:10],
        "per_second": int(total / seconds) if seconds else None,
    })
    report["ok"] = not (dup or missing or wrong or errors) and \
        all(s == "done" for s in status)
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
