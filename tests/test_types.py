"""The types as Stackless defines them (issue 12, item 6): tasklet and
channel have no instance __dict__ but take weak references, and are
subclassable; a subclass gets a __dict__ as usual, or names it in its
__slots__ (stacklesslib's Thread replacement does); bomb is final.
(Stackless's bomb takes no weak references, as the C one; PyPy lets every
object have them, so that is not tested.)
"""
import weakref

import pytest

import tasklets as stackless
from conftest import collect_until


@pytest.mark.parametrize("make", [stackless.tasklet, stackless.channel,
                                  lambda: stackless.bomb(ValueError)])
def test_no_instance_dict(make):
    o = make()
    assert not hasattr(o, "__dict__")
    with pytest.raises(AttributeError):
        o.anything = 1


@pytest.mark.parametrize("base", [stackless.tasklet, stackless.channel])
def test_subclass_with_dict_in_slots(base):
    class T(base):
        __slots__ = ["__dict__"]

    o = T()
    o.x = 1
    assert o.__dict__ == {"x": 1}
    assert weakref.ref(o)() is o


@pytest.mark.parametrize("base", [stackless.tasklet, stackless.channel])
def test_subclass_without_slots_gets_a_dict(base):
    class T(base):
        pass

    o = T()
    o.x = 2
    assert vars(o) == {"x": 2}


@pytest.mark.parametrize("base", [stackless.tasklet, stackless.channel])
def test_weakref_slot_already_there(base):
    with pytest.raises(TypeError):
        class T(base):
            __slots__ = ["__weakref__"]


@pytest.mark.parametrize("base", [stackless.tasklet, stackless.channel])
def test_subclass_with_empty_slots_has_no_dict(base):
    class T(base):
        __slots__ = ()

    o = T()
    with pytest.raises(AttributeError):
        o.x = 1
    assert weakref.ref(o)() is o


def test_bomb_is_final():
    with pytest.raises(TypeError, match="not an acceptable base type"):
        class B(stackless.bomb):
            pass


def test_stacklesslib_style_tasklet_subclass_runs():
    """A Thread-like subclass that keeps its state in the __dict__ slot,
    runs, and is collected with its dict."""
    log = []

    class Thread(stackless.tasklet):
        __slots__ = ["__dict__"]

        def __init__(self, name):
            super(Thread, self).__init__(self.body)
            self.name = name

        def body(self):
            stackless.schedule()
            log.append(self.name)

    t = Thread("a")
    t()
    Thread("b")()
    stackless.run()
    assert log == ["a", "b"]
    r = weakref.ref(t)
    del t
    assert collect_until(lambda: r() is None)


def test_suspended_subclass_instance_with_dict_is_killed_on_release():
    log = []

    class T(stackless.tasklet):
        __slots__ = ["__dict__"]

    def body():
        try:
            stackless.schedule_remove()
        finally:
            log.append("finally")

    t = T(body)()
    t.note = "kept"
    t.run()
    assert t.paused and t.note == "kept"
    del t
    assert collect_until(lambda: log == ["finally"])
