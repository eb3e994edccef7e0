"""Names and module-level behaviour a Stackless user relies on."""
import builtins

import pytest

import tasklets as stackless

ALL = ["atomic", "channel", "enable_softswitch", "get_channel_callback",
       "get_schedule_callback", "get_thread_info", "getcurrent",
       "getcurrentid", "getdebug", "getmain", "getruncount", "getthreads",
       "getuncollectables", "run", "schedule", "schedule_remove",
       "set_channel_callback", "set_error_handler", "set_schedule_callback",
       "switch_trap", "tasklet", "stackless"]


@pytest.mark.parametrize("name", ALL)
def test_stackless_all_names(name):
    assert name in stackless.__all__
    assert hasattr(stackless, name)


def test_taskletexit_is_builtin_systemexit():
    assert builtins.TaskletExit is stackless.TaskletExit
    assert issubclass(TaskletExit, SystemExit)
    assert TaskletExit().code is None


def test_module_properties():
    assert stackless.current is stackless.getcurrent()
    assert stackless.main is stackless.getmain()
    assert stackless.runcount == 1
    assert stackless.debug is False
    assert isinstance(stackless.threads, list)
    assert stackless.stackless is stackless
    with pytest.raises(AttributeError):
        stackless.no_such_name


def test_softswitch_is_off():
    assert stackless.enable_softswitch(None) is False
    assert stackless.enable_softswitch(True) is False


def test_backend_reported():
    assert stackless.backend in ("cext", "cffi")
    assert isinstance(stackless.backend_features, frozenset)


def test_backend_policy():
    choose = stackless._choose_backend
    with pytest.raises(ImportError, match="TASKLETS_BACKEND"):
        choose("nope", False)
    assert choose("default", True) == "cffi"
    assert choose("default", False) == "cext"
    assert choose("cffi", False) == "cffi"


def test_getcurrentid():
    import threading
    assert stackless.getcurrentid() == threading.get_ident()
    ids = []
    stackless.tasklet(lambda: ids.append(stackless.getcurrentid()))()
    stackless.run()
    assert ids[0] != threading.get_ident()


def test_get_thread_info_current():
    main, current, runcount = stackless.get_thread_info(-1)
    assert main is stackless.getmain()
    assert current is stackless.getcurrent()
    assert runcount == 1


def test_getthreads_starts_with_main_thread():
    import threading
    assert stackless.getthreads()[0] == threading.main_thread().ident


def test_version():
    assert stackless.__version__


def test_getuncollectables_lists_tasklets_holding_a_c_stack():
    import threading
    ch = stackless.channel()
    started = stackless.tasklet(ch.receive)()
    fresh = stackless.tasklet(ch.receive)          # not started: no stack
    stackless.run()                                # 'started' blocks
    other_ready, other_go = threading.Event(), threading.Event()
    other_ch = stackless.channel()
    holder = []

    def thread_main():
        holder.append(stackless.tasklet(other_ch.receive)())
        stackless.schedule()                       # it starts, blocks
        other_ready.set()
        other_go.wait(10)

    th = threading.Thread(target=thread_main)
    th.start()
    assert other_ready.wait(10)
    try:
        found = stackless.getuncollectables()
        assert found == stackless.uncollectables
        assert started in found and holder[0] in found
        assert fresh not in found and stackless.getmain() not in found
        assert all(isinstance(t, stackless.tasklet) for t in found)
    finally:
        other_go.set()
        th.join(10)
    started.kill()
    assert started not in stackless.getuncollectables()
