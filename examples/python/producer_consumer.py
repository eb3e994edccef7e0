"""A producer feeds two consumers over a channel; a watchdog collects results.

Run: python examples/python/producer_consumer.py
"""
import tasklets as stackless


def producer(jobs, n, consumers):
    for i in range(n):
        jobs.send(i)                  # blocks until a consumer takes it
    for _ in range(consumers):
        jobs.send(None)               # one end mark per consumer


def consumer(name, jobs, results):
    done = 0
    while True:
        job = jobs.receive()
        if job is None:
            break
        done += 1
        results.send((name, job * job))
        stackless.schedule()          # be fair to the other consumer
    results.send((name, "done after %d jobs" % done))


def main():
    jobs, results = stackless.channel(), stackless.channel()
    results.preference = 1            # senders keep going: results queue up
    stackless.tasklet(producer)(jobs, 10, 2)
    for name in ("A", "B"):
        stackless.tasklet(consumer)(name, jobs, results)
    stackless.run()
    total, lines = 0, []
    while results.balance > 0:
        name, value = results.receive()
        lines.append("%s: %s" % (name, value))
        if isinstance(value, int):
            total += value
    print("\n".join(lines))
    print("backend %s, sum of squares %d" % (stackless.backend, total))
    assert total == sum(i * i for i in range(10))


if __name__ == "__main__":
    main()
