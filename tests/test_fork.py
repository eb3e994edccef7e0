"""os.fork() with tasklets: the child works on its own copy of the
scheduler.  The forking thread's tasklets are there as they were in the
parent; the other threads do not exist in the child, so their tasklets
become thread-less as at a thread's end.  Each case runs in its own
interpreter (a fork in the test process would copy pytest's threads)."""
import os
import textwrap

import pytest

from test_shutdown import run_script as _run_script

# os.waitstatus_to_exitcode is 3.9+; the scripts get this one on 3.8 too
_EXIT_CODE = """
def exit_code(status):
    import os
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return -os.WTERMSIG(status)
"""


def run_script(src):
    return _run_script(_EXIT_CODE + textwrap.dedent(src))

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"),
                                reason="the platform has no os.fork()")


def test_child_uses_and_resumes_the_parents_tasklets():
    r = run_script(r"""
        import os
        import tasklets as stackless

        ch = stackless.channel()
        def blocked():
            os.write(1, ("got %s\n" % ch.receive()).encode())
        t = stackless.tasklet(blocked)()
        stackless.schedule()
        pid = os.fork()
        if pid == 0:
            c2 = stackless.channel()
            stackless.tasklet(c2.send)(42)
            assert c2.receive() == 42
            assert t.blocked
            ch.send("child")
            os._exit(0 if not t.alive else 5)
        assert exit_code(os.waitpid(pid, 0)[1]) == 0
        ch.send("parent")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["got child", "got parent"]


def test_fork_while_other_threads_run_channel_traffic():
    # PyPy: a thread inside the cffi glue's mutex (or the holders' lock) at
    # the moment of the fork left it locked for ever in the child, which
    # hung at its first channel operation (about one fork in ten).
    r = run_script(r"""
        import os
        import signal
        import threading
        import tasklets as stackless

        stop = []
        def hammer():
            ch = stackless.channel()
            def peer():
                while not stop:
                    ch.send(1)
                ch.send(None)
            stackless.tasklet(peer)()
            while ch.receive() is not None:
                pass
        threads = [threading.Thread(target=hammer, daemon=True)
                   for _ in range(3)]
        for t in threads:
            t.start()
        for i in range(60):
            pid = os.fork()
            if pid == 0:
                signal.alarm(10)
                c = stackless.channel()
                stackless.tasklet(c.send)(i)
                os._exit(0 if c.receive() == i else 3)
            st = exit_code(os.waitpid(pid, 0)[1])
            if st != 0:
                print("fork %d: child status %d" % (i, st))
                break
        stop.append(1)
        for t in threads:
            t.join()
        print("done")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["done"]


def test_fork_from_a_thread_leaves_the_other_threads_tasklets_threadless():
    r = run_script(r"""
        import os
        import threading
        import tasklets as stackless

        mch = stackless.channel()
        blocked = stackless.tasklet(mch.receive)()
        stackless.schedule()
        main = stackless.getcurrent()
        status = []
        def thread_body():
            mine = stackless.tasklet(lambda: None)()
            pid = os.fork()
            if pid == 0:
                out = [main.thread_id, blocked.thread_id, blocked.alive,
                       mine.thread_id == threading.get_ident(), mine.alive]
                try:
                    stackless.channel().receive()
                except RuntimeError:
                    out.append("deadlock")
                stackless.run()
                out.append(mine.alive)
                os.write(1, ("%r\n" % (out,)).encode())
                os._exit(0)
            status.append(exit_code(os.waitpid(pid, 0)[1]))
            mine.kill()
        th = threading.Thread(target=thread_body)
        th.start()
        th.join()
        mch.send(None)
        print(status, blocked.alive)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "[-1, -1, False, True, True, 'deadlock', False]", "[0] False"]


def test_tasklets_of_the_vanished_threads_are_never_served_in_the_child():
    """A tasklet of another thread blocked on a channel: in the child it is
    thread-less, and a send there would hand it the message, lost."""
    r = run_script(r"""
        import os
        import threading
        import tasklets as stackless

        ch = stackless.channel()
        ready, stop = threading.Event(), threading.Event()
        box = []
        def thread_body():
            box.append(stackless.tasklet(ch.receive)())
            stackless.schedule()
            ready.set()
            stop.wait()
        th = threading.Thread(target=thread_body)
        th.start()
        ready.wait()
        pid = os.fork()
        if pid == 0:
            ghost = box[0]
            sender = stackless.tasklet(ch.send)("kept")
            stackless.run()
            out = [ch.balance, sender.blocked, ghost.blocked, ghost.alive,
                   ghost.thread_id, ch.receive()]
            os.write(1, ("%r\n" % (out,)).encode())
            os._exit(0)
        st = exit_code(os.waitpid(pid, 0)[1])
        stop.set()
        th.join()                 # its end kills the tasklet here
        print(st, box[0].alive, ch.balance)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "[1, True, False, False, -1, 'kept']", "0 False 0"]
