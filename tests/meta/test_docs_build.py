"""The docs build as documented: ``pip install -e '.[docs]' && sphinx-build -W ...``.

CI (.ci/run) builds them in a virtualenv with only the docs extra; this checks, without
building, that the extra provides what autodoc imports, and that CI builds them that way.
"""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _requirement_names(text: str, extras: dict[str, str]) -> set[str]:
    names = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("%("):
            names |= _requirement_names(extras[line[2 : line.index(")")]], extras)
            continue
        names.add(re.split(r"[<>=!\[; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def _docs_requirements() -> set[str]:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    extras = dict(config["options.extras_require"])
    return _requirement_names(config["options"]["install_requires"], extras) | (
        _requirement_names(extras["docs"], extras)
    )


def _import_time_modules(path: Path) -> set[str]:
    """Return the top-level names of the modules ``path`` imports when it is imported."""
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def test_the_docs_extra_provides_every_module_autodoc_imports() -> None:
    documented = set()
    for page in (ROOT / "docs").glob("*.rst"):
        documented.update(re.findall(r"^\.\. automodule:: (\S+)", page.read_text("utf-8"), re.M))
    assert "segments_orm.testing" in documented
    distributions = importlib.metadata.packages_distributions()
    wanted = _docs_requirements()
    missing = {}
    for module in sorted(documented):
        spec = importlib.util.find_spec(module)
        assert spec is not None, module
        assert spec.origin, module
        for name in _import_time_modules(Path(spec.origin)):
            if name in sys.stdlib_module_names or name in ("segments_orm", "__future__"):
                continue
            provided_by = {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
            if not provided_by & wanted:
                missing[f"{module} imports {name}"] = sorted(provided_by)
    assert missing == {}, "add these to the docs extra in setup.cfg"


def test_ci_builds_the_docs_in_a_venv_with_only_the_docs_extra() -> None:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    builds = [line for line in lines if "sphinx-build" in line and not line.startswith("#")]
    assert len(builds) == 1, ".ci/run should build the docs once"
    venv = re.match(r'"(\$tmp/[\w-]+)/bin/sphinx-build" -W ', builds[0])
    assert venv is not None, f"not a docs-only venv's sphinx-build: {builds[0]}"
    installs = [line for line in lines if line.startswith(f'"{venv.group(1)}/bin/python" -m pip')]
    assert f'"$python" -m venv "{venv.group(1)}"' in lines
    assert [line for line in installs if "-e " in line] == [
        f"\"{venv.group(1)}/bin/python\" -m pip install --quiet -e '.[docs]' </dev/null"
    ]
