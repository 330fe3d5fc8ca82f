"""The suite's own start-up: what tests/conftest.py does before xdist starts its workers."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest
from _pytest.assertion import rewrite

ROOT = Path(__file__).resolve().parents[2]


def _root_conftest(config: pytest.Config) -> ModuleType:
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or ".").resolve() == ROOT / "tests" / "conftest.py":
            assert isinstance(plugin, ModuleType)
            return plugin
    raise AssertionError("tests/conftest.py is not loaded")


def test_the_warm_up_writes_the_rewritten_code_the_workers_would_write(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    conftest = _root_conftest(request.config)
    test_file = tmp_path / "test_sample.py"
    test_file.write_text("def test_one():\n    x = [1, 2]\n    assert x == [1, 3], 'differ'\n")
    (tmp_path / "conftest.py").write_text("import pytest\n")

    conftest._warm([tmp_path / "conftest.py", test_file])

    pyc = rewrite.get_cache_dir(test_file) / ("test_sample" + rewrite.PYC_TAIL)
    cached = rewrite._read_pyc(test_file, pyc)
    assert cached is not None, "no valid rewritten pyc was written"
    # The code pytest's own import hook makes of the file in this run (code objects
    # compare by bytecode, constants and names; marshal's bytes vary with refcounts).
    _, expected = rewrite._rewrite_test(test_file, request.config)
    assert cached == expected


def test_the_warm_up_takes_the_files_pytest_rewrites(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    conftest = _root_conftest(request.config)
    for name in ("tests/test_a.py", "tests/sub/conftest.py", "tests/sub/helper.py", "x_test.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("\n")

    class Config:  # the three things the file walk reads
        args = ["tests", "x_test.py::test_it"]
        invocation_params = type("Params", (), {"dir": tmp_path})

        @staticmethod
        def getini(name: str) -> list[str]:
            assert name == "python_files"
            return ["test_*.py", "*_test.py"]

    found = conftest._files_to_warm(Config())
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "tests/sub/conftest.py",
        "tests/test_a.py",
        "x_test.py",
    ]


def _text_strategies_on_the_codec(source: str) -> list[int]:
    """Return the lines of calls of hypothesis' ``text()`` with its default alphabet."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
        named = bool(node.args) or any(k.arg == "alphabet" for k in node.keywords)
        if name == "text" and owner in ("st", "strategies", "") and not named:
            lines.append(node.lineno)
    return lines


def test_text_strategies_name_their_alphabet() -> None:
    # st.text()'s default alphabet is "every character UTF-8 can encode": on a checkout
    # without .hypothesis/ (every CI run) hypothesis works that set out by encoding all
    # 1.1 million code points, about 3 s of CPU in each worker that draws from it. The
    # same characters spelled as categories (st.characters(exclude_categories=("Cs",)))
    # cost nothing; a test file that forgets made one worker's run 3 s longer.
    sources = {p: p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py")}
    found = {
        str(path.relative_to(ROOT)): lines
        for path, source in sorted(sources.items())
        # Parsing every test file costs 0.6 s; only those that use hypothesis can matter.
        if "hypothesis" in source and (lines := _text_strategies_on_the_codec(source))
    }
    assert not found, f"st.text() without an alphabet at {found}"
    assert _text_strategies_on_the_codec("st.text(max_size=3)\nst.text(CHARS)") == [1]


def test_the_longest_first_files_exist(request: pytest.FixtureRequest) -> None:
    # A renamed file would silently fall back to xdist's order and end the run alone.
    names = _root_conftest(request.config)._LONGEST_FIRST
    assert len(set(names)) == len(names)
    assert [name for name in names if not (ROOT / name).is_file()] == []
