"""The package's shape: sorted public names, imports only downward, a light ``import``.

The layer table is DESIGN.md section 2. A new module must be placed in it, or this fails.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

import segments_orm

PACKAGE_DIR = Path(segments_orm.__file__).resolve().parent

# Top-level module or subpackage under segments_orm -> layer (DESIGN.md section 2).
# A subpackage's modules all sit in the subpackage's layer.
LAYERS: dict[str, int] = {
    "_version": 0,
    "exceptions": 0,
    "enums": 0,
    "_urls": 1,
    "_backend": 1,
    "_transport": 2,
    "_requests_backend": 2,
    "_concurrency": 2,
    "_values": 1,
    "_pipeline": 2,
    "_converter": 3,
    "_fields": 3,
    "types": 4,
    "query": 5,
    "_tables": 5,
    "_html": 5,
    "base": 6,
    "_capabilities": 6,
    "_state": 1,
    "resources": 7,
    "export": 7,
    "client": 8,
    "facade": 8,
    "resource_api": 8,
    "typing": 8,
    "emulator": 9,
    "testing": 9,
    "cli": 9,
    "tour": 9,
    "__main__": 9,
}
# The package's own __init__ re-exports the public surface (up to the client and the
# facade), and must not pull in layer 9 (the emulator, the plugin, the command line).
ROOT_LAYER = 8

# Imported by ``import segments_orm`` these would make a REPL start slowly (DESIGN.md 2).
HEAVY = (
    "werkzeug",
    "sqlite3",
    "_sqlite3",
    "tqdm",
    "numpy",
    "PIL",
    "pandas",
    "pytest",
    "segments_orm.emulator",
    "segments_orm.testing",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> list[Path]:
    return sorted(p for p in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)


MODULES = all_modules()


def layer_of(name: str) -> Optional[int]:
    """Return the layer of ``segments_orm[.x[.y]]``, or None when it is not in the table."""
    parts = name.split(".")
    assert parts[0] == "segments_orm"
    if len(parts) == 1:
        return ROOT_LAYER
    return LAYERS.get(parts[1])


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.Module, current: str, is_package: bool) -> list[tuple[int, str]]:
    """List (line, module) of every segments_orm import outside ``if TYPE_CHECKING:``."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((node.lineno, alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = current if is_package else current.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}" if node.module else package
            else:
                base = node.module or ""
            for alias in node.names:
                # ``from segments_orm import exceptions`` imports the module exceptions.
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if _is_module(candidate) else base))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [(line, name) for line, name in found if name.split(".")[0] == "segments_orm"]


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:]) if "." in name else Path()
    base = PACKAGE_DIR / relative
    return name.startswith("segments_orm.") and (
        base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_module_is_placed_in_a_layer(path: Path) -> None:
    name = module_name(path)
    assert layer_of(name) is not None, (
        f"{name} is not in the layer table of tests/meta/test_package.py: add it to LAYERS "
        "(DESIGN.md section 2) so the import rules apply to it"
    )


def layer_violations(tree: ast.Module, name: str, is_package: bool, where: str) -> list[str]:
    """Describe every runtime import of ``name`` that reaches a higher or unknown layer."""
    own = layer_of(name)
    assert own is not None
    problems = []
    for line, imported in runtime_imports(tree, name, is_package):
        theirs = layer_of(imported)
        if theirs is None:
            problems.append(f"{where}:{line}: imports {imported}, which has no layer")
        elif theirs > own:
            problems.append(
                f"{where}:{line}: {name} (layer {own}) imports {imported} (layer {theirs}); "
                "import only from lower layers, or under `if TYPE_CHECKING:` for annotations"
            )
    return problems


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_only_go_downward(path: Path) -> None:
    name = module_name(path)
    if layer_of(name) is None:
        pytest.skip("not placed (see test_module_is_placed_in_a_layer)")
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = str(path.relative_to(PACKAGE_DIR.parent))
    problems = layer_violations(tree, name, path.name == "__init__.py", where)
    assert not problems, "\n".join(problems)


def test_layer_rule_catches_an_upward_import() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from segments_orm.client import Client\n"
        "from . import client\n"
        "if TYPE_CHECKING:\n"
        "    from segments_orm.resources import dataset\n"
        "def later():\n"
        "    import segments_orm.emulator\n"
    )
    found = runtime_imports(tree, "segments_orm.query", is_package=False)
    assert found == [
        (2, "segments_orm.client"),
        (3, "segments_orm.client"),
        (7, "segments_orm.emulator"),
    ]
    problems = layer_violations(tree, "segments_orm.query", False, "query.py")
    assert len(problems) == 3
    assert (
        "query.py:2: segments_orm.query (layer 5) imports segments_orm.client (layer 8)"
        in (problems[0])
    )
    assert (
        layer_violations(
            ast.parse("from segments_orm import exceptions"),
            "segments_orm.enums",
            False,
            "enums.py",
        )
        == []
    )
    assert (
        layer_violations(ast.parse("import segments_orm"), "segments_orm.enums", False, "enums.py")
        != []
    )


def public_modules() -> list[str]:
    names = []
    for path in MODULES:
        name = module_name(path)
        if any(part.startswith("_") for part in name.split(".")):
            continue
        names.append(name)
    return names


@pytest.mark.parametrize("name", ["segments_orm", *public_modules()])
def test_public_all_is_sorted_and_real(name: str) -> None:
    if name.split(".")[1:2] == ["emulator"]:
        pytest.importorskip("werkzeug")
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        if name.split(".")[-1] in ("cli",):
            pytest.skip("a command line has no import surface")
        pytest.fail(f"{name} has no __all__: list its public names")
    assert list(exported) == sorted(exported), f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"


def test_import_is_light() -> None:
    code = "import json, sys; import segments_orm; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(result.stdout))
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert not heavy, f"import segments_orm imported {heavy}; import them lazily where used"
    assert result.stderr == ""
