"""Bad arguments get the same exception type on every backend (HUNT H8).

Every public function, method and writable attribute is called with the
same set of bad arguments (too many, wrong types, out of range, unknown
keywords, deletion); the outcome of each call is one letter (o: no error,
T: TypeError, O: OverflowError, V: ValueError, R: RuntimeError, A:
AttributeError).  EXPECTED is what the C extension does (its checks are
Stackless's).  No message may name one of the backend's private helpers.

    python tests/test_bad_arguments.py     prints the table of this backend
"""
import re
import sys

import tasklets as stackless

ARGS = [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), (1, 2, 3, 4, 5, 6),
        ("x",), (None,), ("x", "y"), (object(),), (-1,), (2 ** 70,),
        (1.5,), (-2 ** 70,)]
KWARGS = [{"bogus": 1}, {"x": 1}]
VALUES = ["x", None, 2 ** 70, 1.5, -5, object()]
LETTER = {"TypeError": "T", "OverflowError": "O", "ValueError": "V",
          "RuntimeError": "R", "AttributeError": "A"}

FUNCS = ["tasklet", "channel", "bomb", "getcurrent", "getmain",
         "getruncount", "getcurrentid", "run", "schedule", "schedule_remove",
         "switch_trap", "set_schedule_callback", "get_schedule_callback",
         "set_channel_callback", "get_channel_callback", "set_error_handler",
         "getthreads", "get_thread_info", "enable_softswitch", "getdebug",
         "getuncollectables", "pickle_flags", "pickle_flags_default"]
TASKLET_METHODS = ["bind", "setup", "insert", "remove", "run", "switch",
                   "kill", "throw", "raise_exception", "set_atomic",
                   "set_ignore_nesting", "bind_thread", "__call__",
                   "__reduce__", "__init__"]
CHANNEL_METHODS = ["send", "receive", "send_exception", "send_throw",
                   "send_sequence", "close", "open", "__reduce__", "__init__",
                   "__iter__", "__next__"]
TASKLET_ATTRS = ["tempval", "trace_function", "profile_function", "atomic",
                 "ignore_nesting", "block_trap", "context", "frame", "next",
                 "prev", "blocked", "alive", "thread_id"]
CHANNEL_ATTRS = ["preference", "schedule_all", "balance", "queue",
                 "closing", "closed"]

# the C extension's outcomes: ARGS, then KWARGS (calls); VALUES, then del
# (attributes)
EXPECTED = {
    "bomb": "ooooTTooooooooTT",
    "channel": "oTTTTTTTTTTTTTTT",
    "channel.__init__": "oTTTTTTTTTTTTTTT",
    "channel.__iter__": "oTTTTTTTTTTTTTTT",
    "channel.__next__": "RTTTTTTTTTTTTTTT",
    "channel.__reduce__": "TTTTTTTTTTTTTTTT",
    "channel.balance=": "AAAAAAA",
    "channel.close": "oTTTTTTTTTTTTTTT",
    "channel.closed=": "AAAAAAA",
    "channel.closing=": "AAAAAAA",
    "channel.open": "oTTTTTTTTTTTTTTT",
    "channel.preference=": "TToToTT",
    "channel.queue=": "AAAAAAA",
    "channel.receive": "RTTTTTTTTTTTTTTT",
    "channel.schedule_all=": "TToToTT",
    "channel.send": "TRTTTTRRTRRRRRTT",
    "channel.send_exception": "TTTTTTRTRTTTTTTT",
    "channel.send_sequence": "TTTTTTRTTTTTTTTT",
    "channel.send_throw": "TTTTTTTTTTTTTTTT",
    "enable_softswitch": "ToTTTTooToooooTT",
    "get_channel_callback": "oTTTTTTTTTTTTTTT",
    "get_schedule_callback": "oTTTTTTTTTTTTTTT",
    "get_thread_info": "oRRTTTTTTToOTOTT",
    "getcurrent": "oTTTTTTTTTTTTTTT",
    "getcurrentid": "oTTTTTTTTTTTTTTT",
    "getdebug": "oTTTTTTTTTTTTTTT",
    "getmain": "oTTTTTTTTTTTTTTT",
    "getruncount": "oTTTTTTTTTTTTTTT",
    "getthreads": "oTTTTTTTTTTTTTTT",
    "getuncollectables": "oTTTTTTTTTTTTTTT",
    "pickle_flags": "oooTTTTTTToVTVTT",
    "pickle_flags_default": "oooTTTTTTToVTVTT",
    "run": "oooooTTTTToOTOTT",
    "schedule": "ooTTTTooToooooTT",
    "schedule_remove": "ooTTTTooToooooTT",
    "set_channel_callback": "TTTTTTToTTTTTTTT",
    "set_error_handler": "oTTTTTToTTTTTTTT",
    "set_schedule_callback": "TTTTTTToTTTTTTTT",
    "switch_trap": "ooTTTTTTTToOTOTT",
    "tasklet": "oTTTTTToTTTTTTTT",
    "tasklet.alive=": "AAAAAAA",
    "tasklet.atomic=": "AAAAAAA",
    "tasklet.block_trap=": "TToToTT",
    "tasklet.blocked=": "AAAAAAA",
    "tasklet.context=": "AAAAAAA",
    "tasklet.frame=": "AAAAAAA",
    "tasklet.ignore_nesting=": "AAAAAAA",
    "tasklet.next=": "AAAAAAA",
    "tasklet.prev=": "AAAAAAA",
    "tasklet.profile_function=": "RoRRRRo",
    "tasklet.tempval=": "ooooooo",
    "tasklet.thread_id=": "AAAAAAA",
    "tasklet.trace_function=": "RoRRRRo",
    "tasklet_bound.__call__": "oooooooooooooooo",
    "tasklet_bound.__init__": "oTTTTTToTTTTTTTT",
    "tasklet_bound.__reduce__": "TTTTTTTTTTTTTTTT",
    "tasklet_bound.bind": "oTTTTTToTTTTTTTT",
    "tasklet_bound.bind_thread": "oVTTTTTTTToOTOTT",
    "tasklet_bound.insert": "RTTTTTTTTTTTTTTT",
    "tasklet_bound.kill": "ooTTTTooToooooTT",
    "tasklet_bound.raise_exception": "TTTTTTRTRTTTTTTT",
    "tasklet_bound.remove": "oTTTTTTTTTTTTTTT",
    "tasklet_bound.run": "RTTTTTTTTTTTTTTT",
    "tasklet_bound.set_atomic": "ToTTTTTTTTooToTT",
    "tasklet_bound.set_ignore_nesting": "ToTTTTTTTTooToTT",
    "tasklet_bound.setup": "oooooooooooooooo",
    "tasklet_bound.switch": "RTTTTTTTTTTTTTTT",
    "tasklet_bound.throw": "oTTTTTToTTTTTTTT",
    "tasklet_fresh.__call__": "RRRRRRRRRRRRRRRR",
    "tasklet_fresh.__init__": "oTTTTTToTTTTTTTT",
    "tasklet_fresh.__reduce__": "TTTTTTTTTTTTTTTT",
    "tasklet_fresh.bind": "oTTTTTToTTTTTTTT",
    "tasklet_fresh.bind_thread": "oVTTTTTTTToOTOTT",
    "tasklet_fresh.insert": "RTTTTTTTTTTTTTTT",
    "tasklet_fresh.kill": "ooTTTTooToooooTT",
    "tasklet_fresh.raise_exception": "TTTTTTRTRTTTTTTT",
    "tasklet_fresh.remove": "oTTTTTTTTTTTTTTT",
    "tasklet_fresh.run": "RTTTTTTTTTTTTTTT",
    "tasklet_fresh.set_atomic": "ToTTTTTTTTooToTT",
    "tasklet_fresh.set_ignore_nesting": "ToTTTTTTTTooToTT",
    "tasklet_fresh.setup": "RRRRRRRRRRRRRRRR",
    "tasklet_fresh.switch": "RTTTTTTTTTTTTTTT",
    "tasklet_fresh.throw": "oTTTTTToTTTTTTTT",
}


def _reset():
    stackless.set_schedule_callback(None)
    stackless.set_channel_callback(None)
    stackless.set_error_handler(None)
    stackless.switch_trap(-stackless.switch_trap(0))
    stackless.pickle_flags(0)
    stackless.pickle_flags_default(0)
    cur = stackless.getcurrent()
    while cur.next is not None and cur.next is not cur:
        cur.next.kill()


PRIVATE = re.compile(r"(?<![\w.])_[a-z]\w*\(")


def _outcome(f, args, kwargs, errors):
    try:
        f(*args, **kwargs)
    except Exception as e:
        msg = str(e)
        if PRIVATE.search(msg):
            errors.append("%r names a private helper" % msg)
        return LETTER.get(type(e).__name__, "?" + type(e).__name__)
    finally:
        _reset()
    return "o"


def _calls(make, name, errors):
    out = []
    for a in ARGS:
        out.append(_outcome(getattr(make(), name), a, {}, errors))
    for k in KWARGS:
        out.append(_outcome(getattr(make(), name), (), k, errors))
    return "".join(out)


def _attrs(make, name, errors):
    out = []
    for v in VALUES:
        o = make()
        out.append(_outcome(setattr, (o, name, v), {}, errors))
    o = make()
    out.append(_outcome(delattr, (o, name), {}, errors))
    return "".join(out)


_TABLE = []


def table():
    """{probe name: outcome letters}, [messages naming private helpers]"""
    if not _TABLE:
        _TABLE.append(_table())
    return _TABLE[0]


def _table():
    errors = []
    res = {}
    for name in FUNCS:
        res[name] = _calls(lambda: stackless, name, errors)
    makers = [("tasklet_fresh.", stackless.tasklet, TASKLET_METHODS),
              ("tasklet_bound.", lambda: stackless.tasklet(lambda *a: None),
               TASKLET_METHODS),
              ("channel.", stackless.channel, CHANNEL_METHODS)]
    for prefix, make, names in makers:
        for name in names:
            res[prefix + name] = _calls(make, name, errors)
    for prefix, make, names in (
            ("tasklet.", lambda: stackless.tasklet(lambda *a: None),
             TASKLET_ATTRS),
            ("channel.", stackless.channel, CHANNEL_ATTRS)):
        for name in names:
            res[prefix + name + "="] = _attrs(make, name, errors)
    return res, errors


def test_bad_arguments_raise_as_in_the_c_extension():
    res, _ = table()
    diff = dict((k, "%s, expected %s" % (res.get(k), v))
                for k, v in EXPECTED.items() if res.get(k) != v)
    assert not diff, diff
    assert sorted(res) == sorted(EXPECTED)


def test_messages_name_no_private_helper():
    _, errors = table()
    assert not sorted(set(errors)), sorted(set(errors))


if __name__ == "__main__":
    res, errors = table()
    for k in sorted(res):
        print('    "%s": "%s",' % (k, res[k]))
    for e in sorted(set(errors)):
        print("#", e)
    sys.exit(0)
