"""How frames move: continulets on PyPy, greenlets on CPython (the
cffi backend's switch layer), and how a core struct finds its tasklet or
channel (handles).
"""
import sys as _sys
import weakref as _weakref
from _thread import get_ident as _get_ident
from tasklets._tasklets_cffi import ffi as _ffi
from tasklets._tasklets_cffi import lib as _lib
from .errors import _from_handle


# {======================================================================
# The switch layer: how frames move, and the interpreter state that a
# switch does not carry by itself.
#   _new_main()        the running code of this thread, as a switch target
#   _new_factory(s)    what starts new tasklets of scheduler s (or None)
#   _switch(s)         suspend s.cur (the running tasklet), resume or start
#                      s.target (cleared); returns when s.cur runs again
#   _finish(s, a, b)   tasklet a has ended: commit b; returning from a's
#                      entry function continues b
#   _ctx_get/_ctx_set  the thread's contextvars context
# A suspended tasklet's frames reference neither the tasklet itself nor the
# one it switched to (only that one's continulet), so that a paused
# tasklet nobody else references can be collected (and killed): the
# operations below drop their 'cur' before switching and take s.cur again
# when resumed, and a tasklet's entry gets the scheduler, not the tasklet.
# ======================================================================
try:
    from _continuation import continulet as _continulet
    from _continuation import permute as _permute
except ImportError:
    _continulet = None

if _continulet is not None:
    import __pypy__
    from __pypy__.thread import _signals_enter, _signals_exit
    from gc import disable_finalizers as _fin_off
    from gc import enable_finalizers as _fin_on

    SWITCHER = "continulet"
    _ctx_get = __pypy__.get_contextvar_context
    _ctx_set = __pypy__.set_contextvar_context
    _cnew = _continulet.__new__
    _cswitch = _continulet.switch

    def _new_main():
        # never initialised: it only ever holds the suspended main code
        return _cnew(_continulet)

    # A continulet's C stack starts where it is created, and PyPy's
    # recursion check measures the distance from the thread's stack base.
    # Created lazily inside whichever tasklet first switches to them, new
    # continulets would start ever deeper (a chain of 1000 tasklets each
    # started by the previous one overflows).  So every new continulet is
    # made by one 'factory' continulet per thread, which goes straight on
    # to the new one.  It is made with the thread's scheduler, and anew
    # when main starts a tasklet from higher up its stack (_switch): a
    # tasklet can then recurse as deep as main could where it called run()
    # (less this layer's frames), not less what lay below the scheduler's
    # creation (inside 'import tasklets': 39 calls).
    def _new_factory(s):
        s.factory_sp = _lib.tg_stack_addr()
        return _continulet(_factory, s)

    def _drop_factory(s):
        pass

    def _factory(fc, s):
        while True:
            # s.fresh is the tasklet to start; its entry picks it up
            c = s.fresh._cont = _continulet(_tasklet_main, s)
            # same as fc.switch(to=c), without keeping c on this stack
            _permute(fc, c)
            c = None
            _cswitch(fc)

    def _switch(s):
        cur = s.cur
        nxt = s.target
        s.target = None
        c = nxt._cont
        if c is None and cur is s.main:
            # main starts a tasklet from higher up its stack than where
            # the factory was made: make it anew here (see _new_factory)
            sp = _lib.tg_stack_addr()
            if sp > s.factory_sp:
                s.factory = _continulet(_factory, s)
                s.factory_sp = sp
        _leave(s, cur, nxt)
        if c is None:
            s.fresh = nxt
            c = s.factory
        cc = cur._cont
        p = s.p                          # commit (see _leave)
        p.prev = p.current
        p.current = nxt._t
        s.cur = nxt
        cur = nxt = p = None
        # park the running code in our continulet, resume c's
        _cswitch(cc, to=c)
        # resumed: whoever switched here committed us already
        cc = c = None
        _restore_state(s.cur)

    def _finish(s, cur, nxt):
        c = nxt._cont
        if c is None:
            s.fresh = nxt
            c = s.factory
        p = s.p                          # commit (see _leave)
        p.prev = p.current
        p.current = nxt._t
        s.cur = nxt
        # a finished continulet returns to what it holds: make that nxt
        _permute(cur._cont, c)
        return None

    def _write_unraisable(exc, msg, obj):
        # msg is the whole err_msg, as CPython's hook gets it; PyPy puts
        # "Exception ignored " in front of what it is given
        prefix = "Exception ignored "
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
        __pypy__.write_unraisable(msg, exc, obj)

    # A signal handler's exception that PyPy raised inside a finalizer is
    # lost there (reported as unraisable): PyPy runs the pending
    # finalizers right after the action dispatch in which it handed the
    # GIL to another thread, and a signal that thread sent (os.kill from a
    # threading.Timer) is raised at the first bytecode of the first one;
    # a signal held while busy lands there too when the clearing runs the
    # deferred finalizers.  While tasklets run in the initial thread, the
    # next operation of that thread raises it, at a switch boundary.
    def _unraisable_hook(args):
        e = args.exc_value
        s = _th._initial_sched
        if (e is not None and s is not None and s.started and not s.dead
                and _get_ident() == s.ident and _from_handler(e)):
            _pass_on(s, e)
        else:
            _prev_hooks[-1](args)

    _prev_hooks = []

    def _install_unraisable_hook():
        _prev_hooks.append(_sys.unraisablehook)
        _sys.unraisablehook = _unraisable_hook

    def _from_handler(e):
        """Was e raised by a signal handler (the default SIGINT one raises
        KeyboardInterrupt; a Python handler's frame is in the traceback)?"""
        if isinstance(e, KeyboardInterrupt):
            return True
        import signal
        codes = set()
        for n in signal.valid_signals():
            try:
                h = signal.getsignal(n)
            except (ValueError, OSError):
                continue
            c = getattr(getattr(h, "__func__", h), "__code__", None)
            if c is not None:
                codes.add(c)
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code in codes:
                return True
            tb = tb.tb_next
        return False

    def _suspended_top(c):
        # a suspended continulet's hidden bottom frame links to the top
        # of its stack (which is why its f_back chain never ends)
        f = c._get_frame()
        return None if f is None else f.f_back
else:
    try:
        import greenlet as _greenlet_mod
    except ImportError:
        raise ImportError("the cffi backend needs continulets (PyPy) or the "
                          "greenlet package (CPython)")
    SWITCHER = "greenlet"
    _signals_enter = _signals_exit = None

    def _fin_off():
        pass
    _fin_on = _fin_off
    _greenlet = _greenlet_mod.greenlet
    _gcurrent = _greenlet_mod.getcurrent

    def _ctx_get():
        return _gcurrent().gr_context

    def _ctx_set(ctx):
        _gcurrent().gr_context = ctx

    def _new_main():
        return _gcurrent()

    # A greenlet starts with the Python recursion depth of the code that
    # first switches to it: started from deep inside a tasklet, a new
    # tasklet would have that much less of the limit to recurse into.  So
    # a tasklet that starts another switches to one 'factory' greenlet per
    # thread, which waits at a fixed, shallow depth and starts the new one
    # from there (as the continulets' factory above does for the C stack).
    # Main makes the factory when it starts a tasklet from less deep than
    # the factory waits (or first); main itself starts them directly.
    # Not in daemon threads: interpreter exit may end one with
    # pthread_exit() while it switches, and with a factory there the child
    # crashed in 7 of 9 runs of test_exit_while_daemon_threads_switch (1 of
    # 9 without; test_faults.py).
    def _new_factory(s):
        s.factory_depth = -1 if s.thread.daemon else 1 << 30
        return None

    def _drop_factory(s):
        # at exit (atexit): killed now, not while the interpreter finalizes
        s.factory = None
        s.factory_depth = -1

    def _depth():
        f = _sys._getframe(2)
        n = 0
        while f is not None:
            n += 1
            f = f.f_back
        return n

    def _gfactory(s):
        s = _gcurrent().parent.switch()     # made: back to main, and wait
        while True:
            g = s.fresh._cont = _greenlet(_gentry, s.main._cont)
            s = g.switch(s)

    def _suspended_top(g):
        return g.gr_frame

    def _gentry(s):
        return _tasklet_main(None, s)

    def _start(s, cur, nxt):
        # the greenlet to switch to, with s, to start tasklet nxt
        s.fresh = nxt
        if cur is s.main:
            d = _depth()
            if d < s.factory_depth:
                s.factory = _greenlet(_gfactory, cur._cont)
                s.factory.switch(s)
                s.factory_depth = d
        elif s.factory is not None:
            return s.factory
        g = nxt._cont = _greenlet(_gentry, s.main._cont)
        return g

    def _switch(s):
        cur = s.cur
        nxt = s.target
        s.target = None
        _leave(s, cur, nxt)
        g = nxt._cont
        if g is None:
            g = _start(s, cur, nxt)
        p = s.p                          # commit (see _leave)
        p.prev = p.current
        p.current = nxt._t
        s.cur = nxt
        cur = nxt = p = None
        g.switch(s)              # an unstarted g gets s as its argument
        g = None
        _restore_state(s.cur)

    def _finish(s, cur, nxt):
        g = nxt._cont
        if g is None:
            g = _start(s, cur, nxt)
        # a finished greenlet switches to its parent, passing the return
        # value (which an unstarted parent gets as its argument)
        cur._cont.parent = g
        p = s.p                          # commit (see _leave)
        p.prev = p.current
        p.current = nxt._t
        s.cur = nxt
        return s

    class _UnraisableArgs(object):
        __slots__ = ("exc_type", "exc_value", "exc_traceback", "err_msg",
                     "object")

        def __init__(self, exc, msg, obj):
            self.exc_type = type(exc)
            self.exc_value = exc
            self.exc_traceback = exc.__traceback__
            self.err_msg = msg
            self.object = obj

    def _install_unraisable_hook():
        pass                     # (CPython runs no finalizer there)

    def _write_unraisable(exc, msg, obj):
        hook = _sys.unraisablehook
        if hook is not _sys.__unraisablehook__:
            try:
                hook(_UnraisableArgs(exc, msg, obj))
                return
            except BaseException:
                pass
        import traceback
        _sys.stderr.write("%s: %r\n" % (msg, obj))
        traceback.print_exception(type(exc), exc, exc.__traceback__)
# }======================================================================


if SWITCHER == "greenlet":
    # CPython frees what loses its last reference at once (and kills a
    # suspended tasklet then): a handle must not reference its tasklet or
    # channel back, so it holds a weak reference.
    # The collector clears the weak references to what it finalizes (a
    # paused tasklet in a cycle, even one with itself through its tempval)
    # before the finalizer runs: while __del__ kills such a tasklet,
    # _dying[its handle] holds it for _obj.
    def _new_handle(x):
        return _ffi.new_handle(_weakref.ref(x))

    _dying = {}

    def _obj(p):
        """The tasklet or channel of a core struct (its 'data')."""
        o = _from_handle(p.data)()
        if o is None and _dying:
            o = _dying.get(p.data)
        return o

    def _kill_dying(x):
        """x._kill_now() from x's finalizer."""
        _dying[x._h] = x
        try:
            x._kill_now()
        finally:
            del _dying[x._h]
else:
    _new_handle = _ffi.new_handle

    def _obj(p):
        """The tasklet or channel of a core struct (its 'data')."""
        return _from_handle(p.data)

    def _kill_dying(x):
        """x._kill_now() from x's finalizer (a handle holds x strongly)."""
        x._kill_now()


# the other modules' names, imported last: see backend.py
from .sched import _leave, _pass_on, _restore_state, _tasklet_main  # noqa: E402
from . import threads as _th  # noqa: E402
