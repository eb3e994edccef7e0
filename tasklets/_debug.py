"""A dump of every tasklet of every thread: its state and its stack.

Like faulthandler's dump of threads, for tasklets: format_tasklets()
returns the text, enable_dump(signum) writes it whenever that signal
arrives.  Reading a suspended tasklet's frames never resumes it, so the
dump may be taken at any point, from any tasklet.
"""
import os
import signal
import sys
import threading
import traceback


def _impl():
    import tasklets
    return tasklets


def _state(t):
    """The words describing t's state (t is a tasklet of that thread)."""
    words = []
    if t.is_main:
        words.append("main")
    if t.is_current:
        words.append("running")
    elif t.blocked:
        ch = t._channel
        how = "receiving" if ch is not None and ch.balance < 0 else "sending"
        words.append("blocked %s on %r" % (how, ch))
    elif t.scheduled:
        words.append("scheduled")
    elif t.alive:
        words.append("paused")
    else:
        words.append("dead")
    if t.atomic:
        words.append("atomic")
    return ", ".join(words)


def _tasklets_of(tid, st):
    """Every tasklet of thread tid worth showing, main and current first."""
    main, cur, n = st.get_thread_info(tid)
    seen, out = set(), []

    def add(t):
        if t is not None and id(t) not in seen:
            seen.add(id(t))
            out.append(t)

    add(main)
    add(cur)
    t = cur
    for _ in range(n):                    # the run queue, in order
        t = t.next if t is not None else None
        add(t)
    return out


def format_tasklets(limit=None):
    """Every tasklet of every thread, with its state and stack (innermost
    call last, as in a traceback), as one string.  'limit' caps the frames
    shown per tasklet."""
    st = _impl()
    me = threading.get_ident()
    names = dict((th.ident, th.name) for th in threading.enumerate())
    running = sys._current_frames()
    per_thread = {}
    threads = list(st.getthreads())
    for tid in threads:
        try:
            per_thread[tid] = _tasklets_of(tid, st)
        except RuntimeError:
            per_thread[tid] = []
    for t in st.getuncollectables():     # blocked and paused ones
        tid = t.thread_id
        lst = per_thread.setdefault(tid, [])
        if all(t is not u for u in lst):
            lst.append(t)
    lines = []
    for tid in threads + [k for k in per_thread if k not in threads]:
        ts = per_thread.get(tid)
        if not ts:
            continue
        lines.append("Thread %s (%s)%s:" % (
            tid, names.get(tid, "?"), " (this thread)" if tid == me else ""))
        for t in ts:
            lines.append("  Tasklet %#x, %s:" % (id(t), _state(t)))
            if t.is_current:
                f = sys._getframe(1) if tid == me else running.get(tid)
            else:
                f = t.frame
            if f is None:
                lines.append("    (no Python frames)")
                continue
            for entry in traceback.format_list(
                    traceback.extract_stack(f, limit)):
                for ln in entry.rstrip("\n").split("\n"):
                    lines.append("  " + ln)
        lines.append("")
    return "\n".join(lines)


_dump = {}                # signum -> (previous handler, file)


def _signum(signum):
    return int(signal.SIGUSR1 if signum is None else signum)


def enable_dump(signum=None, file=None):
    """On signal signum (default SIGUSR1), write format_tasklets() to file
    (a file object or a file descriptor; default sys.stderr).  Call from
    the main thread, as signal.signal requires."""
    signum = _signum(signum)

    def handler(sig, frame):
        text = format_tasklets()
        out = _dump[signum][1]
        if out is None:
            out = sys.stderr
        if isinstance(out, int):
            os.write(out, text.encode("utf-8", "replace"))
        else:
            out.write(text)
            out.flush()

    if file is not None and not isinstance(file, int) and \
            not hasattr(file, "write"):
        raise TypeError("file must be a file object or a file descriptor")
    previous = signal.signal(signum, handler)
    if signum in _dump:
        previous = _dump[signum][0]
    _dump[signum] = (previous, file)


def disable_dump(signum=None):
    """Undo enable_dump(signum): the signal's previous handler is back.
    Returns whether a dump was enabled for it."""
    signum = _signum(signum)
    entry = _dump.pop(signum, None)
    if entry is None:
        return False
    signal.signal(signum, entry[0] if entry[0] is not None
                  else signal.SIG_DFL)
    return True
