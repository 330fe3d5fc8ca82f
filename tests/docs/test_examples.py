"""Every Python example in README.rst and docs/ runs as written, in the page's environment.

The runner and its conventions are in ``docs_examples.py`` next to this file (and, for
writers, in docs/contributing.rst): each page names where its examples run
(``segments-orm shell``, ``segments-orm emulator``, or an emulator of their own) and gets
exactly that, with no hidden data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from docs_examples import (
    ROOT,
    ExampleError,
    environment_of,
    parse,
    run_example,
    run_page,
    unrunnable_python,
)

DOC_FILES = [ROOT / "README.rst", *sorted((ROOT / "docs").rglob("*.rst"))]
DOC_FILES = [p for p in DOC_FILES if "_build" not in p.parts]
#: The pages with examples to run; the others are only checked for Python that would not run.
EXAMPLE_FILES = [p for p in DOC_FILES if any(not e.skip for e in parse(p))]


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", DOC_FILES, ids=_relative)
def test_python_examples_are_code_blocks_that_run(path: Path) -> None:
    assert unrunnable_python(path) == []


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_relative)
def test_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Recorded, so whatever the page's environment sets is undone after the test.
    for name in ("SEGMENTS_API_URL", "SEGMENTS_API_KEY"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    try:
        ran = run_page(path, environ=os.environ, directory=tmp_path, pytest_in_process=True)
    except ExampleError as error:
        pytest.fail(str(error))
    assert ran > 0


def test_every_page_with_examples_says_where_they_run() -> None:
    unnamed = [_relative(p) for p in EXAMPLE_FILES if environment_of(p) is None]
    assert unnamed == []
    assert len(EXAMPLE_FILES) >= 10


def test_no_page_seeds_hidden_data() -> None:
    hidden = [_relative(p) for p in DOC_FILES if ".. examples:" in p.read_text(encoding="utf-8")]
    assert hidden == []


def test_the_readme_has_examples_in_both_styles() -> None:
    code = "\n".join(e.code for e in parse(ROOT / "README.rst"))
    assert "so.Client(" in code
    assert "so.SegmentsClient(" in code


def test_printed_output_is_checked_against_the_comment() -> None:
    namespace: dict[str, Any] = {}
    run_example("x = 2\nprint(x + 1)  # 3\nprint('a-1234-b')  # a-...-b\n", "t.py", namespace)
    with pytest.raises(ExampleError, match="printed '4', the comment says '3'"):
        run_example("print(4)  # 3\n", "t.py", namespace)


def test_the_parser_finds_blocks_options_and_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\nThe examples on this page run in ``segments-orm\nshell``.\n\n"
        ".. code-block:: python\n"
        "   :caption: one\n\n   x = 1\n\n   y = x\n\nText.\n\n.. example: skip\n\n"
        ".. code-block:: python\n\n    raise SystemExit\n\n- item\n\n"
        "  .. code-block:: python\n\n     z = 3\n",
        encoding="utf-8",
    )
    assert environment_of(page) == "shell"
    assert [(e.line, e.code, e.skip) for e in parse(page)] == [
        (10, "x = 1\n\ny = x", False),
        (20, "raise SystemExit", True),
        (26, "z = 3", False),
    ]


def test_a_page_without_its_environment_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text("Title\n=====\n\n.. code-block:: python\n\n    x = 1\n", encoding="utf-8")
    with pytest.raises(ExampleError, match="does not say where they run"):
        run_page(page, environ={}, directory=tmp_path)
    page.write_text(
        "The examples below run in ``segments-orm shell``. The examples on this page start"
        " their own emulator.\n\n.. code-block:: python\n\n    x = 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ExampleError, match="several environments"):
        environment_of(page)


def test_an_emulator_page_sees_only_the_user_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        "The examples on this page run against ``segments-orm emulator``.\n\n"
        ".. code-block:: python\n\n    import segments_orm as so\n\n"
        "    client = so.Client()\n    print(client.users.me().username)  # demo\n"
        "    print(list(client.datasets.all()))  # []\n    client.close()\n",
        encoding="utf-8",
    )
    for name in ("SEGMENTS_API_URL", "SEGMENTS_API_KEY"):
        monkeypatch.setenv(name, "")
    assert run_page(page, environ=os.environ, directory=tmp_path) == 1
