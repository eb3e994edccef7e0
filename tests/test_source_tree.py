"""Python started in the source checkout's root imports the unbuilt source
package first: the import must fail with a message that says what to do
(issue 12, item 14), not with a circular-import puzzle."""
import os
import shutil

import pytest

from conftest import run_python

import tasklets as stackless

INSTALLED = os.path.dirname(os.path.abspath(stackless.__file__))
SOURCE = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tasklets")


@pytest.fixture
def checkout(tmp_path):
    """A copy of the checkout's Python sources, without any built part."""
    src = SOURCE if os.path.isdir(SOURCE) else INSTALLED
    shutil.copytree(src, str(tmp_path / "tasklets"), ignore=shutil.ignore_patterns(
        "_tasklets*.so", "_tasklets*.pyd", "_tasklets_cffi*", "_pypy",
        "__pycache__"))
    (tmp_path / "setup.py").write_text("")
    (tmp_path / "stackless.py").write_text(
        "import sys, tasklets\nsys.modules[__name__] = tasklets\n")
    return tmp_path


@pytest.mark.parametrize("module", ["tasklets", "stackless"])
def test_import_in_checkout_root_says_what_to_do(checkout, module):
    r = run_python("import %s" % module, cwd=str(checkout))
    assert r.returncode == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: tasklets was imported from the "
                           "source checkout %s" % checkout), last
    assert "is not built" in last and "pip install ." in last
    assert "circular" not in last


def test_other_import_errors_pass_unchanged(checkout):
    # outside a checkout (no setup.py beside the package) the original
    # error stands
    os.remove(str(checkout / "setup.py"))
    r = run_python("import tasklets", cwd=str(checkout))
    assert r.returncode == 1
    assert "source checkout" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith(
        ("ImportError", "ModuleNotFoundError"))


def test_installed_package_imports_from_elsewhere(tmp_path):
    r = run_python("import tasklets; print(tasklets.backend)",
                   cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == stackless.backend
