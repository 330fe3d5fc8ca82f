"""Capabilities are composed from mixins, in order, and no verb exists only to refuse.

A resource or a manager gets each verb from a mixin of ``segments_orm._capabilities``
(DESIGN.md 2, layer 6): these tests fail when a class offers a verb the API does not have
(a method whose body only raises), when a mixin comes after its base (it would be
shadowed by nothing today, and by the base's method the day one is added), or when a
collection the API cannot list becomes iterable, or one it can list stops being.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import segments_orm.resources  # noqa: F401 - registers every resource and manager
from segments_orm import _capabilities as caps
from segments_orm.base import _REGISTRY, Manager, Resource

PACKAGE = Path(caps.__file__).resolve().parent
# The registered classes, without the mixins themselves (Manager registers its subclasses).
CLASSES = [c for c in _REGISTRY.values() if isinstance(c, type) and c.__module__ != caps.__name__]
RESOURCES = sorted((c for c in CLASSES if issubclass(c, Resource)), key=lambda c: c.__name__)
MANAGERS = sorted((c for c in CLASSES if issubclass(c, Manager)), key=lambda c: c.__name__)
OBJECT_MIXINS = (caps.Saveable, caps.Updatable, caps.Deletable, caps.Refreshable)
MANAGER_MIXINS = (caps.Listable, caps.Buildable)

# What the API lets each object do (WIRE.md 2): the verbs each resource must have.
EXPECTED_VERBS = {
    "Asset": set(),
    "Collaborator": {"save", "update", "delete", "refresh"},
    "Dataset": {"save", "update", "delete", "refresh"},
    "Issue": {"save", "update", "delete", "refresh"},
    "Label": {"save", "update", "delete", "refresh"},
    "Labelset": {"delete", "refresh"},
    "Release": {"delete", "refresh"},
    "Sample": {"save", "update", "delete", "refresh"},
    "User": {"refresh"},
    "Workunit": set(),
}
# The collections the API lists (WIRE.md 2, 12); collaborators, users and labels it cannot.
LISTABLE = {
    "DatasetIssueManager",
    "DatasetManager",
    "LabelsetManager",
    "ReleaseManager",
    "SampleIssueManager",
    "SampleManager",
    "WorkunitManager",
    "_OwnerDatasetManager",
}
NOT_LISTABLE = {"CollaboratorManager", "DatasetLabelManager", "LabelManager", "UserManager"}


def test_every_resource_and_manager_is_in_the_tables() -> None:
    assert {c.__name__ for c in RESOURCES} == set(EXPECTED_VERBS)
    assert {c.__name__ for c in MANAGERS} - {"NamedChildManager"} == LISTABLE | NOT_LISTABLE


@pytest.mark.parametrize("cls", RESOURCES, ids=lambda c: c.__name__)
def test_a_resource_has_exactly_the_verbs_of_its_mixins(cls: type) -> None:
    present = {verb for verb in caps.OBJECT_VERBS if hasattr(cls, verb)}
    assert present == EXPECTED_VERBS[cls.__name__]
    for verb, mixin in caps.OBJECT_VERBS.items():
        assert hasattr(cls, verb) == issubclass(cls, mixin), (cls, verb)


def test_the_bases_offer_no_verb() -> None:
    assert not any(hasattr(Resource, verb) for verb in caps.OBJECT_VERBS)
    listing = ("__iter__", "all", "filter", "first", "count", "list", "new", "_repr_html_")
    assert not any(hasattr(Manager, name) for name in listing)


@pytest.mark.parametrize("cls", MANAGERS, ids=lambda c: c.__name__)
def test_a_manager_is_iterable_exactly_when_the_api_lists_it(cls: type) -> None:
    listable = cls.__name__ in LISTABLE or cls.__name__ == "NamedChildManager"
    assert issubclass(cls, caps.Listable) == listable
    assert hasattr(cls, "__iter__") == listable
    assert hasattr(cls, "all") == listable


@pytest.mark.parametrize("cls", RESOURCES + MANAGERS, ids=lambda c: c.__name__)
def test_mixins_come_before_their_base(cls: type) -> None:
    base = Resource if issubclass(cls, Resource) else Manager
    mro = cls.__mro__
    for mixin in (*OBJECT_MIXINS, *MANAGER_MIXINS):
        if mixin in mro:
            assert mro.index(mixin) < mro.index(base), (cls, mixin)
    # In the class statement too: every capability mixin is listed before the base.
    bases = list(cls.__bases__)
    if base in bases:
        after = bases[bases.index(base) + 1 :]
        assert not [b for b in after if issubclass(b, (*OBJECT_MIXINS, *MANAGER_MIXINS))]


def test_object_mixins_add_no_instance_dict() -> None:
    # Resources are attrs slots classes: a mixin without __slots__ would give each object a
    # __dict__ (memory per object, and misspelt attributes silently accepted).
    for mixin in OBJECT_MIXINS:
        assert mixin.__dict__.get("__slots__") == (), mixin
    for cls in RESOURCES:
        assert "__dict__" not in dir(cls), cls


def _refusing_methods(path: Path) -> list[str]:
    """List the public methods of classes in ``path`` whose body only raises."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for node in cls.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node.name.startswith("_") and node.name != "__iter__":
                continue  # hooks such as Saveable._create are not verbs
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring
            doc = ast.get_docstring(node) or ""
            if (len(body) == 1 and isinstance(body[0], ast.Raise)) or doc.startswith("Refuse"):
                found.append(f"{path.name}:{node.lineno}: {cls.name}.{node.name}")
    return found


def test_no_resource_or_manager_defines_a_verb_only_to_refuse_it() -> None:
    paths = [PACKAGE / "base.py", PACKAGE / "_capabilities.py"]
    paths += sorted((PACKAGE / "resources").glob("*.py"))
    assert [m for p in paths for m in _refusing_methods(p)] == []


def test_the_refusal_check_finds_a_refusing_verb(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "class Thing:\n"
        "    def save(self):\n"
        '        """Refuse: read-only."""\n'
        "        raise ValueError('read-only')\n"
        "    def _hook(self):\n"
        "        raise ValueError('a hook may')\n",
        encoding="utf-8",
    )
    assert _refusing_methods(sample) == ["sample.py:2: Thing.save"]


def test_a_resource_verb_is_documented_with_its_network_cost() -> None:
    for mixin in OBJECT_MIXINS + MANAGER_MIXINS:
        for name, member in vars(mixin).items():
            if inspect.isfunction(member) and not name.startswith("_"):
                assert member.__doc__, (mixin, name)
