"""Run the Python examples of a docs page exactly as a reader would, in the page's environment.

Used by ``tests/docs/test_examples.py`` (in process) and by the newcomer-path test (as a
program, from a fresh virtualenv: ``python tests/docs/docs_examples.py PAGE...``). It needs
only segments-orm and its ``emulator`` extra; pytest only for pages with pytest examples.

The conventions (docs/contributing.rst describes them for writers):

- A Python example is a ``.. code-block:: python`` directive. The blocks of one page run
  in order in one namespace, as a reader types them into one session.
- A page with examples names, in its visible text, the environment they run in, with one
  of these sentences; the examples run in exactly that environment and nothing else is
  set up for them (no hidden data):

  - "The examples on this page run in ``segments-orm shell``": the names the shell binds
    (``so``, ``client``, ``server``, the sample ``dataset`` ``demo/flowers``), from the
    shell's own code (`segments_orm.cli`), with ``SEGMENTS_API_URL``/``SEGMENTS_API_KEY``
    set as the shell sets them.
  - "The examples on this page run against ``segments-orm emulator``" (or "The examples
    below ..."): a fresh emulator as that command starts it (the user ``demo``, nothing
    else), with the two variables it prints exported.
  - "The examples on this page start their own emulator": nothing; no ``SEGMENTS_*``
    variable is set.

- A block that defines ``test_*`` functions is a pytest example: it runs on its own, as
  the file a reader would paste it into, with ``python -m pytest`` (the fixtures are those
  of the installed plugin, `segments_orm.testing`). tests/docs gives pytest the same
  arguments with ``pytest.main`` in its own process; the newcomer path runs the program.
- A hidden comment ``.. example: skip`` right before a block leaves it out (only for
  code that cannot run here; say why in the text).
- ``print(...)  # text`` at the top level of a block states the output: the printed text
  must match ``text``, where ``...`` stands for anything (a uuid, a port).
- Python in a bare ``::`` literal block, ``.. code::`` or ``.. doctest::`` would not run,
  so it is refused.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import tokenize
import traceback
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any, NamedTuple, Optional

ROOT = Path(__file__).resolve().parents[2]

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. code-block::\s*python3?\s*$")
_SKIP = re.compile(r"^\s*\.\. example:\s*skip\s*$")
_UNRUN = re.compile(r"^\s*\.\. (code|sourcecode|doctest|testcode)::")
_ENVIRONMENT = re.compile(
    r"[Tt]he examples? (?:on this page|below)\s+(?:"
    r"runs?\s+(?:in|against)\s+``segments-orm\s+(?P<command>shell|emulator)``"
    r"|(?P<own>starts?\s+(?:their|its)\s+own\s+emulator))"
)
#: The environments a page can name, by the word the tests use for them.
ENVIRONMENTS = ("shell", "emulator", "own")
_VARIABLES = ("SEGMENTS_API_URL", "SEGMENTS_API_KEY")


class Example(NamedTuple):
    line: int  # 1-based line of the first line of code
    code: str
    skip: bool


class ExampleError(AssertionError):
    """An example of a page failed; the message says where and why."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def parse(path: Path) -> list[Example]:
    """Return the Python examples of one reStructuredText file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    skip_next = False
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
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
    return found


def environment_of(path: Path) -> Optional[str]:
    """Return the environment a page names for its examples (see `ENVIRONMENTS`), or None.

    Raises:
        ExampleError: The page names more than one.
    """
    text = " ".join(path.read_text(encoding="utf-8").split())  # sentences may wrap
    named = {m["command"] or "own" for m in _ENVIRONMENT.finditer(text)}
    if len(named) > 1:
        raise ExampleError(f"{_relative(path)} names several environments: {sorted(named)}")
    return named.pop() if named else None


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


def unrunnable_python(path: Path) -> list[str]:
    """Return a message for each piece of Python in ``path`` that would never run."""
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if _UNRUN.match(line):
            problems.append(f"{_relative(path)}:{number}: use `.. code-block:: python`")
    for number, text in literal_blocks(path):
        if re.search(r"^\s*(import |from \S+ import |>>> )", text, re.M):
            problems.append(
                f"{_relative(path)}:{number}: Python in a `::` literal block never runs; "
                "make it a `.. code-block:: python`"
            )
    return problems


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


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
        if not _matches(expected, printed):
            raise ExampleError(
                f"{filename}:{statement.lineno}: printed {printed!r}, the comment says {expected!r}"
            )


def is_pytest_example(code: str) -> bool:
    """Tell whether a block defines top-level ``test_*`` functions."""
    return any(
        isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        for node in ast.parse(code).body
    )


def run_pytest_example(code: str, where: str, directory: Path, *, in_process: bool = False) -> None:
    """Run a pytest example as the test file a reader would paste it into.

    Args:
        code: The example.
        where: Its page and line, for the message.
        directory: Where to make the example's folder.
        in_process: Run ``pytest.main`` in this process instead of ``python -m pytest``
            in a new one (what tests/docs does; the newcomer path runs the program).

    Raises:
        ExampleError: pytest did not pass it (its output is in the message).
    """
    folder = Path(tempfile.mkdtemp(prefix="pytest-example-", dir=directory))
    (folder / "test_example.py").write_text(code + "\n", encoding="utf-8")
    arguments = ["-q", "-p", "no:cacheprovider", "--rootdir", str(folder)]
    if in_process:
        status, output = _pytest_in_process(arguments, folder)
    else:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *arguments],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        )
        status, output = result.returncode, result.stdout + result.stderr
    if status != 0:
        raise ExampleError(f"{where}: pytest failed:\n{output}")


class _OnlyTestFilesRewritten:
    """A pytest plugin: rewrite the asserts of test files only, as tests/conftest.py does.

    pytest marks every installed plugin's distribution for assertion rewriting (hypothesis,
    segments-orm...); in a process that has already imported them without, the run would
    import and rewrite them again, seconds of CPU for messages of asserts no example reaches.
    """

    @staticmethod
    def pytest_configure(config: Any) -> None:
        marked = getattr(config.pluginmanager.rewrite_hook, "_must_rewrite", None)
        if isinstance(marked, set):  # pytest's own set; absent, nothing to do
            marked.clear()


def _pytest_in_process(arguments: list[str], folder: Path) -> tuple[int, str]:
    """Run ``pytest ARGUMENTS`` in ``folder`` in this process; return its status and output.

    As the program would: from ``folder``, without the ``PYTEST_*`` variables of a pytest
    this may run under; the example's module is forgotten after, so the next example's
    ``test_example`` is imported from its own folder.
    """
    import pytest

    saved_environ = dict(os.environ)
    saved_path = list(sys.path)
    output = io.StringIO()
    previous = Path.cwd()
    try:
        for name in [name for name in os.environ if name.startswith("PYTEST_")]:
            del os.environ[name]
        os.chdir(folder)
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            status = int(pytest.main(arguments, plugins=[_OnlyTestFilesRewritten()]))
    finally:
        os.chdir(previous)
        os.environ.clear()
        os.environ.update(saved_environ)
        sys.path[:] = saved_path
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None)
            if origin and Path(origin).parent == folder:
                del sys.modules[name]
    return status, output.getvalue()


@contextlib.contextmanager
def environment(
    kind: str, environ: MutableMapping[str, str], *, use_exported: bool = False
) -> Iterator[dict[str, Any]]:
    """Set up the environment ``kind`` names; yield the namespace the examples start with.

    Args:
        kind: One of `ENVIRONMENTS`.
        environ: The process environment to set ``SEGMENTS_API_URL``/``_KEY`` in.
        use_exported: For ``emulator``: use the emulator the variables already point at
            (one started with ``segments-orm emulator``) instead of starting one here.
    """
    with contextlib.ExitStack() as stack:
        namespace: dict[str, Any] = {"__name__": "__docs_example__"}
        if kind == "shell":
            from segments_orm.cli import _embedded_session

            names, _banner = _embedded_session(stack, environ)
            namespace.update(names)
        elif kind == "emulator":
            if use_exported:
                missing = [name for name in _VARIABLES if not environ.get(name)]
                if missing:
                    raise ExampleError(f"export {' and '.join(missing)} first")
            else:
                from segments_orm.emulator import EmulatorServer
                from segments_orm.emulator._cli import build_parser

                # As `segments-orm emulator` starts it, on a free port.
                defaults = build_parser().parse_args(["--port", "0"])
                server = stack.enter_context(
                    EmulatorServer(port=0, release_delay=defaults.release_delay)
                )
                environ["SEGMENTS_API_URL"] = server.url
                environ["SEGMENTS_API_KEY"] = server.api_key
        elif kind == "own":
            for name in _VARIABLES:
                environ.pop(name, None)
        else:
            raise ValueError(f"unknown environment {kind!r}; expected one of {ENVIRONMENTS}")
        try:
            yield namespace
        finally:
            import segments_orm as so

            for value in namespace.values():
                if isinstance(value, so.Client):
                    value.close()


def run_page(
    path: Path,
    *,
    environ: Optional[MutableMapping[str, str]] = None,
    use_exported: bool = False,
    directory: Optional[Path] = None,
    pytest_in_process: bool = False,
) -> int:
    """Run every example of ``path`` in its environment; return how many blocks ran.

    The current directory should be an empty one (examples may write files); pytest
    examples get folders under ``directory`` (default: the current directory) and run
    in this process with ``pytest_in_process`` (see `run_pytest_example`).

    Raises:
        ExampleError: The page names no environment, or an example failed.
    """
    runnable = [e for e in parse(path) if not e.skip]
    if not runnable:
        return 0
    kind = environment_of(path)
    if kind is None:
        raise ExampleError(
            f"{_relative(path)} has examples but does not say where they run: add the "
            "sentence 'The examples on this page run in ``segments-orm shell``' (or "
            "'... run against ``segments-orm emulator``', or '... start their own emulator')"
        )
    environ = os.environ if environ is None else environ
    folder = Path.cwd() if directory is None else directory
    with environment(kind, environ, use_exported=use_exported) as namespace:
        for example in runnable:
            where = f"{_relative(path)}:{example.line}"
            if is_pytest_example(example.code):
                run_pytest_example(example.code, where, folder, in_process=pytest_in_process)
                continue
            # Pad so tracebacks give the line numbers of the .rst file.
            code = "\n" * (example.line - 1) + example.code
            try:
                run_example(code, str(path), namespace)
            except ExampleError:
                raise
            except Exception as error:
                raise ExampleError(
                    f"{where} (in {kind}): the example raised {type(error).__name__}: {error}\n\n"
                    + textwrap.indent(example.code, "    ")
                ) from error
    return len(runnable)


def main(argv: Optional[list[str]] = None) -> int:
    """Run the examples of the pages given; print one line per page; 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument(
        "--use-exported",
        action="store_true",
        help="run 'segments-orm emulator' pages against the exported SEGMENTS_API_URL/_KEY",
    )
    args = parser.parse_args(argv)
    status = 0
    for page in args.pages:
        with tempfile.TemporaryDirectory() as workdir:
            previous = Path.cwd()
            os.chdir(workdir)
            try:
                count = run_page(page.resolve(), use_exported=args.use_exported)
            except ExampleError:
                traceback.print_exc()
                print(f"FAILED {page}", flush=True)
                status = 1
                continue
            finally:
                os.chdir(previous)
        print(f"ok {page}: {count} examples", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
