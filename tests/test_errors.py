"""Bad input raises Stackless's exceptions, never crashes."""
import pytest

import tasklets as stackless


def test_tasklet_bad_function():
    with pytest.raises(TypeError, match="tasklet function must be a callable"):
        stackless.tasklet(42)


def test_bind_bad_args():
    t = stackless.tasklet()
    with pytest.raises(TypeError, match="args must be a tuple"):
        t.bind(len, [1])
    with pytest.raises(TypeError, match="kwargs must be a dictionary"):
        t.bind(len, (), [1])


def test_setup_without_function():
    with pytest.raises(RuntimeError, match="not bound to a function"):
        stackless.tasklet()()


def test_setup_twice():
    t = stackless.tasklet(lambda: None)()
    try:
        with pytest.raises(RuntimeError, match="tasklet is alive"):
            t()
    finally:
        t.kill()


def test_insert_dead_tasklet():
    t = stackless.tasklet(lambda: None)
    with pytest.raises(RuntimeError, match="unbound\\(dead\\)"):
        t.insert()


def test_run_dead_tasklet():
    t = stackless.tasklet(lambda: None)()
    stackless.run()
    with pytest.raises(RuntimeError):
        t.run()


def test_throw_bad_arguments():
    t = stackless.tasklet(lambda: None)()
    try:
        with pytest.raises(TypeError, match="exceptions must be classes"):
            t.throw(42)
        with pytest.raises(TypeError, match="instance exception may not"):
            t.throw(ValueError("x"), 1)
        with pytest.raises(TypeError, match="third argument must be a traceback"):
            t.throw(ValueError, None, 1)
    finally:
        t.kill()


def test_raise_exception_bad():
    t = stackless.tasklet(lambda: None)()
    try:
        with pytest.raises(TypeError, match="at least 1 argument"):
            t.raise_exception()
        with pytest.raises(TypeError, match="needs Exception or string"):
            t.raise_exception(42)
    finally:
        t.kill()


def test_kill_signature():
    t = stackless.tasklet(lambda: None)
    with pytest.raises(TypeError):
        t.kill(False, None)


def test_set_atomic_type():
    with pytest.raises(TypeError, match="set_atomic needs exactly one bool or integer"):
        stackless.getcurrent().set_atomic("yes")


def test_channel_bad_preference():
    ch = stackless.channel()
    with pytest.raises(TypeError, match="preference must be set to an integer"):
        ch.preference = "x"
    ch.preference = 42
    assert ch.preference == 1
    ch.preference = -7
    assert ch.preference == -1
    ch.preference = 0
    assert ch.preference == 0


def test_channel_bad_schedule_all():
    ch = stackless.channel()
    with pytest.raises(TypeError):
        ch.schedule_all = "x"
    ch.schedule_all = 5
    assert ch.schedule_all == 1


def test_send_exception_bad():
    ch = stackless.channel()
    with pytest.raises(TypeError, match="at least 1 argument"):
        ch.send_exception()
    with pytest.raises(TypeError, match="needs Exception or string"):
        ch.send_exception(1)


def test_callbacks_must_be_callable():
    with pytest.raises(TypeError, match="schedule callback must be callable"):
        stackless.set_schedule_callback(1)
    with pytest.raises(TypeError, match="channel callback must be callable"):
        stackless.set_channel_callback(1)


def test_block_trap_type():
    with pytest.raises(TypeError, match="block_trap must be set to a bool or integer"):
        stackless.getcurrent().block_trap = "x"


def test_bind_thread_bad_ids():
    t = stackless.tasklet(lambda: None)
    with pytest.raises(TypeError):
        t.bind_thread("x")
    with pytest.raises(OverflowError):
        t.bind_thread(-2)
    with pytest.raises(ValueError, match="bad thread"):
        t.bind_thread(123456789)


def test_get_thread_info_unknown():
    with pytest.raises(RuntimeError, match="Thread id not found"):
        stackless.get_thread_info(123456789)


def test_remove_current():
    with pytest.raises(RuntimeError, match="current tasklet cannot be removed"):
        stackless.getcurrent().remove()


def test_unbind_main():
    with pytest.raises(RuntimeError):
        stackless.getmain().bind(None)


def test_rebind_current():
    with pytest.raises(RuntimeError, match="can't \\(re\\)bind the current tasklet"):
        stackless.getcurrent().bind(len, ())


def test_pickle_flags():
    with pytest.raises(ValueError, match="undefined pickle-flag"):
        stackless.pickle_flags(1 << 10)
    old = stackless.pickle_flags(1)
    assert stackless.pickle_flags(old) == 1


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_tasklets_and_channels_refuse_copy_and_pickle(how):
    # PyPy copied a tasklet through its instance dict: the copy shared the
    # original's core struct, and killing the copy woke the original with
    # None instead of TaskletExit
    import copy
    import pickle
    op = {"copy": copy.copy, "deepcopy": copy.deepcopy,
          "pickle": pickle.dumps}[how]

    class Sub(stackless.tasklet):
        pass
    ch = stackless.channel()
    blocked = stackless.tasklet(ch.receive)()
    stackless.schedule()
    try:
        for obj in (stackless.tasklet(len), blocked, stackless.getmain(),
                    Sub(len), ch):
            with pytest.raises(TypeError, match="cannot pickle"):
                op(obj)
        assert blocked.blocked and ch.balance == -1
    finally:
        blocked.kill()
