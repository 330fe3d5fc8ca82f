"""Every Python example in README.rst and docs/ runs, in order, against a fresh emulator.

The conventions (docs/contributing.rst describes them for writers):

- A Python example is a ``.. code-block:: python`` directive. The blocks of one file run
  in order in one namespace, so a page can build on its earlier examples.
- Each file gets its own emulator. ``SEGMENTS_API_URL`` and ``SEGMENTS_API_KEY`` point at it
  for the user ``jane``, so ``so.Client()`` in an example connects to it exactly as it
  would to the real service. The current directory is an empty temporary one.
- A hidden comment ``.. examples: flowers`` anywhere in a file first creates
  ``jane/flowers`` (a bboxes dataset: categories ``flower`` and ``leaf``, the samples
  ``daisy.png``, ``fern.png``, ``rose.png``, ``tulip.png``, of which ``rose.png`` and
  ``tulip.png`` are LABELED) and the user ``john``. Without it, examples create what they use.
- A hidden comment ``.. example: skip`` right before a block leaves it out (only for
  code that cannot run here; say why in the text).
- ``print(...)  # text`` at the top level of a block states the output: the printed text
  must match ``text``, where ``...`` stands for anything (a uuid, a port).
- A block that defines ``test_*`` functions is a pytest example: each is called with the
  fixtures it names (``segments_emulator``, ``segments_client``) bound to the emulator.
- Python in a bare ``::`` literal block, ``.. code::`` or ``.. doctest::`` would not run,
  so it is refused.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import re
import textwrap
import tokenize
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import segments_orm as so
from segments_orm.emulator import EmulatorServer
from segments_orm.tour import sample_dataset

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.rst", *sorted((ROOT / "docs").rglob("*.rst"))]
DOC_FILES = [p for p in DOC_FILES if "_build" not in p.parts]

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. code-block::\s*python3?\s*$")
_SETUP = re.compile(r"^\s*\.\. examples:\s*(?P<names>.*)$")
_SKIP = re.compile(r"^\s*\.\. example:\s*skip\s*$")
_UNRUN = re.compile(r"^\s*\.\. (code|sourcecode|doctest|testcode)::")


class Example(NamedTuple):
    line: int  # 1-based line of the first line of code
    code: str
    skip: bool


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def parse(path: Path) -> tuple[set[str], list[Example]]:
    """Return the setup names and the Python examples of one reStructuredText file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    setup: set[str] = set()
    found: list[Example] = []
    skip_next = False
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if match := _SETUP.match(line):
            setup.update(match["names"].split())
            continue
        if _SKIP.match(line):
            skip_next = True
            continue
        match = _DIRECTIVE.match(line)
        if not match:
            continue
        base = len(match["indent"])
        # Options (":caption: ...") and blank lines come before the code.
        while index < len(lines) and (
            not lines[index].strip()
            or (_indent(lines[index]) > base and lines[index].strip().startswith(":"))
        ):
            index += 1
        start = index
        while index < len(lines) and (not lines[index].strip() or _indent(lines[index]) > base):
            index += 1
        body = textwrap.dedent("\n".join(lines[start:index])).strip("\n")
        found.append(Example(start + 1, body, skip_next))
        skip_next = False
    return setup, found


def literal_blocks(path: Path) -> list[tuple[int, str]]:
    """Return the bare ``::`` literal blocks of a file, as (line, text)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    for index, line in enumerate(lines):
        stripped = line.rstrip()
        if not stripped.endswith("::") or stripped.lstrip().startswith(".."):
            continue
        base = _indent(line)
        body = []
        for following in lines[index + 1 :]:
            if following.strip() and _indent(following) <= base:
                break
            body.append(following)
        blocks.append((index + 2, "\n".join(body)))
    return blocks


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", DOC_FILES, ids=_relative)
def test_python_examples_are_code_blocks_that_run(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert not _UNRUN.match(line), (
            f"{_relative(path)}:{number}: use `.. code-block:: python` so the example runs"
        )
    for number, text in literal_blocks(path):
        assert not re.search(r"^\s*(import |from \S+ import |>>> )", text, re.M), (
            f"{_relative(path)}:{number}: Python in a `::` literal block never runs; "
            "make it a `.. code-block:: python`"
        )


def _comments(code: str) -> dict[int, str]:
    """Return the comment of each line of ``code`` that has one, by line number."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            found[token.start[0]] = token.string[1:].strip()
    return found


def _matches(expected: str, printed: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, printed, re.S) is not None


def run_example(code: str, filename: str, namespace: dict[str, Any]) -> None:
    """Run ``code`` statement by statement, checking the output that prints announce."""
    tree = ast.parse(code, filename)
    comments = _comments(code)
    for statement in tree.body:
        compiled = compile(ast.Module(body=[statement], type_ignores=[]), filename, "exec")
        expected = comments.get(statement.end_lineno or statement.lineno)
        is_print = (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name)
            and statement.value.func.id == "print"
        )
        if not (is_print and expected):
            exec(compiled, namespace)
            continue
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compiled, namespace)
        printed = output.getvalue().rstrip("\n")
        assert _matches(expected, printed), (
            f"{filename}:{statement.lineno}: printed {printed!r}, the comment says {expected!r}"
        )


def _call_tests(namespace: dict[str, Any], before: set[str], fixtures: dict[str, Any]) -> None:
    for name in sorted(set(namespace) - before):
        function = namespace[name]
        if name.startswith("test_") and callable(function):
            wanted = inspect.signature(function).parameters
            function(**{p: fixtures[p] for p in wanted})


@pytest.mark.parametrize("path", DOC_FILES, ids=_relative)
def test_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup, examples = parse(path)
    runnable = [e for e in examples if not e.skip]
    if not runnable:
        pytest.skip("no Python examples")
    monkeypatch.chdir(tmp_path)
    with EmulatorServer() as server:
        jane_key = server.emulator.add_user("jane", "jane@example.com")
        monkeypatch.setenv("SEGMENTS_API_URL", server.url)
        monkeypatch.setenv("SEGMENTS_API_KEY", jane_key)
        if "flowers" in setup:
            with so.Client() as jane:
                sample_dataset(jane, "flowers")
            server.emulator.add_user("john", "john@example.com")
        unknown = setup - {"flowers"}
        assert not unknown, f"{_relative(path)}: unknown example setup {sorted(unknown)}"
        namespace: dict[str, Any] = {"__name__": "__docs_example__"}
        with so.Client(api_key=server.api_key, api_url=server.url) as demo_client:
            fixtures = {"segments_emulator": server, "segments_client": demo_client}
            for example in runnable:
                where = f"{_relative(path)}:{example.line}"
                # Pad so tracebacks give the line numbers of the .rst file.
                code = "\n" * (example.line - 1) + example.code
                before = set(namespace)
                try:
                    run_example(code, str(path), namespace)
                    _call_tests(namespace, before, fixtures)
                except Exception as error:
                    pytest.fail(
                        f"{where}: the example raised {type(error).__name__}: {error}\n\n"
                        + textwrap.indent(example.code, "    "),
                        pytrace=True,
                    )
        for value in namespace.values():
            if isinstance(value, so.Client):
                value.close()


def test_the_readme_has_examples_in_both_styles() -> None:
    _, examples = parse(ROOT / "README.rst")
    code = "\n".join(e.code for e in examples)
    assert "so.Client(" in code
    assert "so.SegmentsClient(" in code


def test_printed_output_is_checked_against_the_comment() -> None:
    namespace: dict[str, Any] = {}
    run_example("x = 2\nprint(x + 1)  # 3\nprint('a-1234-b')  # a-...-b\n", "t.py", namespace)
    with pytest.raises(AssertionError, match="printed '4', the comment says '3'"):
        run_example("print(4)  # 3\n", "t.py", namespace)


def test_the_parser_finds_blocks_options_and_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\n.. examples: flowers\n\n.. code-block:: python\n"
        "   :caption: one\n\n   x = 1\n\n   y = x\n\nText.\n\n.. example: skip\n\n"
        ".. code-block:: python\n\n    raise SystemExit\n\n- item\n\n"
        "  .. code-block:: python\n\n     z = 3\n",
        encoding="utf-8",
    )
    setup, found = parse(page)
    assert setup == {"flowers"}
    assert [(e.line, e.code, e.skip) for e in found] == [
        (9, "x = 1\n\ny = x", False),
        (19, "raise SystemExit", True),
        (25, "z = 3", False),
    ]
