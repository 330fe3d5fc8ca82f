"""Property tests: whatever the server sends loads without raising and dumps back unchanged.

Well-formed payloads are generated from the models' own schema (every optional key
sometimes absent, sometimes null, unknown keys added, keys in any order), then also
mutated at a random place; arbitrary JSON is thrown at every loader too.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segments_orm.types as sot
from segments_orm.enums import TaskType
from segments_orm.exceptions import ValidationError
from segments_orm.types import _base
from segments_orm.types._base import Model

# The default alphabet of st.text(), every character but the surrogates, spelled without
# its UTF-8 codec: for that codec hypothesis encodes all 1.1 million code points once per
# process on a fresh checkout (about 3 s of CPU in each test worker).
CHARS = st.characters(exclude_categories=("Cs",))

TASK_TYPES = [t.value for t in TaskType if t.value]
SETTINGS = settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(CHARS, max_size=8)
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(CHARS, max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
NUMBERS = st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False)
EXTRA_KEYS = st.dictionaries(
    st.sampled_from(["zz_note", "index", "x-extra", "Meta"]), JSON, max_size=2
)


def same(a: Any, b: Any) -> bool:
    """Equal with the same key order and JSON types (so 1 and 1.0 and True differ)."""
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False) and _types(a) == _types(
        b
    )


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return [(k, _types(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


# The strategies are built once and cached: a strategy is a pure description, so one object
# per (kind, depth) draws exactly what a fresh one would, and building them (hypothesis
# compiles a signature for every composite it decorates, and reads a filter lambda's
# source) cost more CPU than drawing from them when every example and every nested draw
# built its own.
@functools.cache
def kind_strategy(kind: _base.Kind, depth: int) -> st.SearchStrategy[Any]:
    """Well-formed wire values for a kind of the schema."""
    if isinstance(kind, _base._NullableKind):
        return st.none() | kind_strategy(kind.inner, depth)
    if kind is _base.INT:
        return st.integers(-(2**31), 2**31)
    if kind is _base.NUMBER:
        return NUMBERS
    if kind is _base.STR:
        return st.text(CHARS, max_size=8)
    if kind is _base.BOOL:
        return st.booleans()
    if isinstance(kind, _base._AnyKind):
        return JSON
    if isinstance(kind, _base._LiteralKind):
        return st.sampled_from(list(kind.values))
    if isinstance(kind, _base._EnumKind):
        # Unknown values are kept as text on read, so they are well-formed for a load.
        return st.sampled_from(list(kind.members)) | st.text(CHARS, max_size=5)
    if isinstance(kind, _base._ListKind):
        # Nested lists stay short: a multi-sensor label is six levels of lists deep.
        return st.lists(kind_strategy(kind.item, depth + 1), max_size=2 if depth < 3 else 1)
    if isinstance(kind, _base._DictKind):
        return st.dictionaries(
            st.text(CHARS, max_size=5), kind_strategy(kind.value, depth + 1), max_size=2
        )
    if isinstance(kind, _base._ModelKind):
        return model_strategy(kind.cls, depth)
    if isinstance(kind, _base._UnionKind):
        options = [
            kind_strategy(m, depth) for m in kind.members if not isinstance(m, _base._ModelKind)
        ]
        options += [model_strategy(cls, depth, tagged=True) for cls in kind.models]
        return st.one_of(options)
    raise AssertionError(f"no strategy for {kind!r}")


@functools.cache
def _extra_keys(cls: type[Model]) -> st.SearchStrategy[dict[str, Any]]:
    """Unknown keys for ``cls``: never one of its own wire keys."""
    wire_keys = set(_base.plan_for(cls).by_wire)
    return EXTRA_KEYS.filter(lambda extra: not set(extra) & wire_keys)


@st.composite
def _model(draw: st.DrawFn, cls: type[Model], depth: int, tagged: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for spec in _base.plan_for(cls).fields:
        if not spec.required and draw(st.booleans()):
            continue
        data[spec.wire] = draw(kind_strategy(spec.kind, depth + 1))
    if tagged and cls._discriminator is not None:
        key, values = cls._discriminator
        data[key] = draw(st.sampled_from(values))
    data.update(draw(_extra_keys(cls)))
    order = draw(st.permutations(list(data)))
    return {key: data[key] for key in order}


@functools.cache
def model_strategy(cls: type[Model], depth: int, tagged: bool = False) -> st.SearchStrategy[Any]:
    """Well-formed wire objects for a model (a tagged one carries its discriminator)."""
    return _model(cls, depth, tagged)


def mutate(data: st.DataObject, value: Any) -> Any:
    """Replace or delete one randomly chosen value anywhere in ``value``."""
    slots: list[tuple[Any, Any]] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                slots.append((node, key))
                collect(child)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                slots.append((node, index))
                collect(child)

    collect(value)
    if not slots:
        return data.draw(JSON)
    container, key = data.draw(st.sampled_from(slots))
    if isinstance(container, dict) and data.draw(st.booleans()):
        del container[key]
    else:
        container[key] = data.draw(JSON)
    return value


@pytest.mark.parametrize("task_type", TASK_TYPES)
@SETTINGS
@given(data=st.data())
def test_labels_load_and_dump_unchanged(task_type: str, data: st.DataObject) -> None:
    cls = sot.task_models(task_type).label
    payload = data.draw(model_strategy(cls, 0))
    snapshot = json.loads(json.dumps(payload))
    loaded = sot.load_label_attributes(task_type, payload)
    assert isinstance(loaded, cls)
    assert same(sot.dump(loaded), snapshot)
    assert same(payload, snapshot)  # loading does not change what it was given
    # A write of the same model either passes unchanged or names its problems.
    try:
        written = sot.prepare_label_attributes(task_type, loaded)
    except ValidationError as error:
        problems = error.errors
    else:
        problems = []
        assert same(written, snapshot)
    assert all(": " in problem for problem in problems)
    # The same payload broken at one random place still loads and dumps unchanged.
    broken = mutate(data, json.loads(json.dumps(payload)))
    snapshot = json.loads(json.dumps(broken))
    assert same(sot.dump(sot.load_label_attributes(task_type, broken)), snapshot)


@settings(SETTINGS, max_examples=30)
@given(payload=JSON)
def test_arbitrary_json_loads_and_dumps_unchanged_for_every_task_type(payload: Any) -> None:
    snapshot = json.loads(json.dumps(payload))
    for task_type in TASK_TYPES:
        assert same(sot.dump(sot.load_label_attributes(task_type, payload)), snapshot)
        assert same(sot.dump(sot.load_sample_attributes(task_type, payload)), snapshot)
    assert same(sot.dump(sot.load_task_attributes(payload)), snapshot)
    assert same(sot.dump(sot.load_issue_anchor(payload)), snapshot)


# One task type per sample shape (WIRE.md section 5).
SAMPLE_TASK_TYPES = [
    "bboxes",
    "image-vector-sequence",
    "pointcloud-cuboid",
    "pointcloud-cuboid-sequence",
    "multisensor-sequence",
]


@pytest.mark.parametrize("task_type", SAMPLE_TASK_TYPES)
@SETTINGS
@given(data=st.data())
def test_samples_load_and_dump_unchanged(task_type: str, data: st.DataObject) -> None:
    cls = sot.task_models(task_type).sample
    payload = data.draw(model_strategy(cls, 0))
    snapshot = json.loads(json.dumps(payload))
    loaded = sot.load_sample_attributes(task_type, payload)
    assert isinstance(loaded, cls)
    assert same(sot.dump(loaded), snapshot)
    broken = mutate(data, payload)
    snapshot = json.loads(json.dumps(broken))
    assert same(sot.dump(sot.load_sample_attributes(task_type, broken)), snapshot)


@SETTINGS
@given(data=st.data())
def test_task_attributes_and_anchors_load_and_dump_unchanged(data: st.DataObject) -> None:
    payload = data.draw(model_strategy(sot.TaskAttributes, 0))
    snapshot = json.loads(json.dumps(payload))
    loaded = sot.load_task_attributes(payload)
    assert isinstance(loaded, sot.TaskAttributes)
    assert same(sot.dump(loaded), snapshot)
    broken = mutate(data, payload)
    snapshot = json.loads(json.dumps(broken))
    assert same(sot.dump(sot.load_task_attributes(broken)), snapshot)
    anchor = data.draw(kind_strategy(_base.kind_of(sot.IssueAnchor), 0))
    snapshot = json.loads(json.dumps(anchor))
    assert isinstance(sot.load_issue_anchor(anchor), Model)
    assert same(sot.dump(sot.load_issue_anchor(anchor)), snapshot)


def _prepare_outcome(task_type: str, payload: Any) -> Any:
    try:
        return sot.prepare_label_attributes(task_type, payload, categories=[1])
    except ValidationError as error:
        return error


@settings(SETTINGS, max_examples=30)
@given(payload=JSON)
def test_prepare_raises_only_validation_errors(payload: Any) -> None:
    for task_type in TASK_TYPES:
        outcome = _prepare_outcome(task_type, payload)
        if isinstance(outcome, ValidationError):
            assert outcome.errors
        else:
            assert outcome == payload
