"""The value rule: one conversion (or refusal, with the path) for every user value."""

from __future__ import annotations

import datetime as dt
import decimal
import subprocess
import sys
import uuid
from pathlib import Path, PurePosixPath

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segments_orm import _values
from segments_orm.exceptions import ValidationError

# The default alphabet of st.text(), every character but the surrogates, spelled without
# its UTF-8 codec: for that codec hypothesis encodes all 1.1 million code points once per
# process on a fresh checkout (about 3 s of CPU in each test worker).
CHARS = st.characters(exclude_categories=("Cs",))


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (np.int64(7), 7),
        (np.int8(-3), -3),
        (np.uint64(2**63 - 1), 2**63 - 1),
        (np.float32(0.5), 0.5),
        (np.float64(1.25), 1.25),
        (np.bool_(True), True),
        (np.str_("rose"), "rose"),
        (np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]]),
        (np.array(3.5), 3.5),
        ((1, (2, 3)), [1, [2, 3]]),
        (dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc), "2024-05-01T12:30:00+00:00"),
        (dt.datetime(2024, 5, 1, 12, 30), "2024-05-01T12:30:00"),
        (dt.date(2024, 5, 1), "2024-05-01"),
        (dt.time(8, 15), "08:15:00"),
        (PurePosixPath("a/b.jpg"), "a/b.jpg"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        ({"a": {"b": [np.int32(1), None]}}, {"a": {"b": [1, None]}}),
        (2**63 - 1, 2**63 - 1),
        (-(2**63), -(2**63)),
    ],
)
def test_values_are_converted_by_the_documented_rule(given: object, sent: object) -> None:
    converted = _values.to_json({"v": given}, "metadata")
    assert converted == {"v": sent}
    assert type(converted["v"]) is type(sent)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (float("nan"), "metadata.v: NaN is not valid JSON"),
        (float("inf"), "metadata.v: an infinity is not valid JSON"),
        (np.float64("nan"), "metadata.v: NaN is not valid JSON"),
        (np.array([1.0, np.inf]), "metadata.v[1]: an infinity is not valid JSON"),
        (10**400, "metadata.v: the integer an integer of about 400 digits does not fit"),
        (2**63, "does not fit in 64 bits"),
        ({1: "a"}, "metadata.v: keys must be strings, got 1 (int)"),
        (b"raw", "metadata.v: bytes are not JSON"),
        ({1, 2}, "metadata.v: a set has no order"),
        (decimal.Decimal("0.1"), "metadata.v: a Decimal is not converted"),
        (1j, "metadata.v: a complex number is not JSON"),
        (object(), "metadata.v: a object is not a JSON value"),
        (np.array([object()]), "metadata.v: a numpy object value is not converted"),
    ],
)
def test_values_without_a_rule_are_refused_with_their_path(given: object, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _values.to_json({"v": given}, "metadata")
    assert any(words in problem for problem in caught.value.errors), caught.value.errors


def test_every_problem_is_listed() -> None:
    with pytest.raises(ValidationError) as caught:
        _values.to_json({"a": float("nan"), "b": [b"x"], "c k": {2: 1}}, "metadata")
    assert caught.value.errors == [
        "metadata.a: NaN is not valid JSON",
        "metadata.b[0]: bytes are not JSON; decode them to text, or upload them as an asset",
        "metadata['c k']: keys must be strings, got 2 (int); JSON object keys are text",
    ]


def test_a_structure_that_contains_itself_is_refused() -> None:
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(ValidationError, match="nested more than"):
        _values.to_json(looped, "metadata")


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (10**400, "priority: an integer of about 400 digits is too large"),
        (float("nan"), "priority: NaN is not valid JSON"),
        (True, "priority: expected a number, got True"),
        ("1", "priority: expected a number"),
    ],
)
def test_numbers_are_checked_without_raw_errors(given: object, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        _values.check_priority(given)
    assert _values.check_priority(np.float32(2.5)) == 2.5
    assert type(_values.check_priority(np.int64(3))) is int


def test_import_segments_orm_does_not_import_numpy() -> None:
    code = "import sys, segments_orm; print('numpy' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60
    )
    assert out.stdout.strip() == "False", out.stderr


# -- the quick walk for plain JSON agrees with the full walk --------------------------------

_PLAIN_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(CHARS, max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(CHARS, max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


def _full_walk(value: object) -> object:
    """The converter alone (what to_json did before its quick walk), or its problems."""
    try:
        return _values._Converter("value", None, track=False).convert(value, "metadata")
    except _values._FoundProblemError:
        walk = _values._Converter("value", None, track=True)
        walk.convert(value, "metadata")
        return ("refused", walk.problems)


@settings(max_examples=300, deadline=None)
@given(_PLAIN_JSON)
def test_the_quick_walk_gives_what_the_full_walk_gives(value: object) -> None:
    expected = _full_walk(value)
    try:
        got: object = _values.to_json(value, "metadata")
    except ValidationError as error:
        got = ("refused", error.errors)
    assert got == expected
    if not isinstance(got, tuple):
        assert got is not value or not isinstance(value, (dict, list))  # a fresh copy


def test_a_problem_deep_in_plain_data_keeps_its_exact_path() -> None:
    items = [{"metadata": {"a": [1, 2, {"b": float("nan")}], "c": 2**64}}]
    with pytest.raises(ValidationError) as caught:
        _values.to_json(items[0]["metadata"], "metadata")
    assert caught.value.errors[0].startswith("metadata.a[2].b: NaN")
    assert caught.value.errors[1].startswith("metadata.c: the integer")
