"""Hand-kept copies agree with what they copy (issue 14, drift checks).

cffi_build/tsk.cdef repeats part of core/tsk.h (and cffi_build/glue.h): in
API mode cffi checks the types of what the cdef declares, but not that a
result code's value matches, nor that a code exists at all.  The version is
defined once, in core/tsk.h.  The texts of result codes live in
core/result.c only: a binding that spells one again can drift from it.
These tests read the source tree next to tests/ (the sdist ships it too)."""
import os
import re

import pytest

import tasklets as stackless

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def source(*path):
    with open(os.path.join(ROOT, *path)) as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)   # C comments
    return re.sub(r"//[^\n]*", " ", text)


def squash(text):
    """One space between tokens, none next to punctuation."""
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" ?([(),;*{}\[\]]) ?", r"\1", text)


def result_codes(text):
    body = re.search(r"typedef enum tsk_result\s*\{(.*?)\}\s*tsk_result;",
                     text, re.S).group(1)
    return {name: int(value) for name, value in
            re.findall(r"(TSK_\w+)\s*=\s*(-?\d+)", body)}


def prototypes(text):
    """name -> squashed declaration, for every function declared at file
    level (TSK_API/TSK_INTERNAL and extern "Python+C" dropped)."""
    text = re.sub(r"^\s*#[^\n]*", " ", text, flags=re.M)
    text = re.sub(r'\bTSK_API\b|\bTSK_INTERNAL\b|extern\s+"Python\+C"', " ",
                  text)
    out = {}
    for decl in re.split(r"[;{}]", text):
        m = re.match(r"\s*[A-Za-z_][\w\s*]*?\b(\w+)\s*\([^()]*\)\s*$", decl)
        if m and decl.split()[0] not in ("typedef", "return"):
            out[m.group(1)] = squash(decl)
    return out


def structs(text):
    """struct name -> {member: squashed type}."""
    out = {}
    for name, body in re.findall(r"struct (tsk_\w+)\s*\{([^{}]*)\}", text):
        members = {}
        for decl in body.split(";"):
            decl = squash(decl)
            if not decl or decl == "..." or "(" in decl:
                continue
            m = re.match(r"((?:const )?(?:unsigned )?[\w]+(?: \w+)*?)"
                         r"(?= ?\*| )(.*)$", decl)
            assert m, decl
            base, names = m.group(1), m.group(2)
            for part in names.split(","):
                stars, member = re.match(r" ?(\**) ?(\w+)$", part).groups()
                members[member] = base + stars
        out[name] = members
    return out


def macros(text):
    return set(re.findall(r"^\s*#\s*define\s+(\w+)", text, re.M))


CDEF = source("cffi_build", "tsk.cdef")
HEADERS = source("core", "tsk.h") + source("core", "tsk_int.h") + \
    source("cffi_build", "glue.h")


def test_cdef_has_every_result_code_with_its_value():
    assert result_codes(CDEF) == result_codes(source("core", "tsk.h"))


def test_cdef_prototypes_match_the_headers():
    declared = prototypes(CDEF)
    assert "tsk_strerror" in declared and "tg_plan_run" in declared
    headers = prototypes(HEADERS)
    for name, decl in sorted(declared.items()):
        assert headers.get(name) == decl, name


def test_cdef_macros_are_defined_in_the_headers():
    wanted = macros(CDEF)
    assert "TSK_F_ALIVE" in wanted
    assert wanted - macros(HEADERS) == set()


def test_cdef_struct_members_match_tsk_h():
    declared, real = structs(CDEF), structs(source("core", "tsk.h"))
    for struct, members in sorted(declared.items()):
        for member, ctype in sorted(members.items()):
            assert real[struct].get(member) == ctype, (struct, member)


def test_the_parsers_see_a_changed_copy():
    # the checks above compare what these helpers extract: make sure they
    # would notice drift of each kind
    bad = CDEF.replace("TSK_E_DEAD = -5", "TSK_E_DEAD = -55")
    assert result_codes(bad) != result_codes(source("core", "tsk.h"))
    bad = CDEF.replace("tg_plan_run(tsk_sched *s, tsk_tasklet *t,",
                       "tg_plan_run(tsk_sched *s, tsk_channel *t,")
    assert prototypes(bad)["tg_plan_run"] != prototypes(HEADERS)["tg_plan_run"]
    bad = CDEF.replace("int16_t wake;", "int wake;")
    assert structs(bad)["tsk_tasklet"]["wake"] == "int"
    assert structs(CDEF)["tsk_tasklet"]["next"] == "tsk_tasklet*"


def core_texts():
    """result code name -> text, from core/result.c"""
    with open(os.path.join(ROOT, "core", "result.c")) as f:
        text = f.read()
    return dict(re.findall(r'case (TSK_\w+):\s*return\s*"((?:[^"\\]|\\.)*)"',
                           text))


def binding_files():
    for folder in ("cpython_ext", "pypy", "cffi_build", "tasklets"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in sorted(files):
                if name.endswith((".c", ".h", ".py")):
                    yield os.path.join(dirpath, name)


# Copies that this session's rules work is removing (issue 14): the list
# may only shrink.  Delete an entry once its file raises the core's result.
KNOWN_COPIES = {
    ("cpython_ext/module.c", "TSK_E_NO_THREAD"),
    ("cpython_ext/tasklet_bind.c", "TSK_E_ALIVE"),
    ("cpython_ext/tasklet_ops.c", "TSK_E_BLOCKED"),
    ("cpython_ext/tasklet_ops.c", "TSK_E_NO_THREAD"),
    ("pypy/tasklet.py", "TSK_E_BLOCKED"),
    ("pypy/tasklet.py", "TSK_E_ALIVE"),
    ("pypy/tasklet.py", "TSK_E_NO_THREAD"),
}


def test_core_texts_are_spelled_only_in_core_result_c():
    texts = core_texts()
    assert texts["TSK_E_DEADLOCK"].startswith("Deadlock")
    assert len(texts) == len(result_codes(source("core", "tsk.h")))
    # short words ("ok", "switch_trap") may well stand elsewhere
    texts = {n: t for n, t in texts.items() if len(t) > 15}
    found = []
    for path in binding_files():
        with open(path) as f:
            code = f.read()
        for name, text in texts.items():
            for quote in ('"', "'"):
                if quote + text + quote in code:
                    found.append((os.path.relpath(path, ROOT), name))
    assert set(found) - KNOWN_COPIES == set(), (
        "raise these with the core's result (tsk_strerror), not a copy")


def test_version_is_defined_once():
    m = re.search(r'#define TSK_VERSION "([^"]+)"', source("core", "tsk.h"))
    assert m is not None
    assert stackless.__version__ == m.group(1)
    assert stackless._impl.core_version() == m.group(1)


def test_installed_metadata_has_the_version():
    from importlib import metadata
    try:
        version = metadata.version("tasklets")
    except metadata.PackageNotFoundError:
        pytest.skip("the package was copied in place, not installed "
                    "(ci/matrix.sh py-<arch>): it has no metadata")
    assert version == stackless.__version__
