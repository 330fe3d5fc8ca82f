"""Bulk sample writes: validated before sending, per-item outcomes, honest counts."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import math
from pathlib import PurePosixPath
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segments_orm as so
from segments_orm.emulator import Faults

from pipeline_support import image

# The default alphabet of st.text(), every character but the surrogates, spelled without
# its UTF-8 codec: for that codec hypothesis encodes all 1.1 million code points once per
# process on a fresh checkout (about 3 s of CPU in each test worker).
CHARS = st.characters(exclude_categories=("Cs",))

# -- the value rule through every path, against the emulator ------------------------------

_NAMES = itertools.count()


def _expected(value: Any) -> Any:
    """The documented rule, written out independently of segments_orm._values.

    Returns what the server must store, or raises ValueError where the SDK must refuse.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.generic, np.ndarray)):
        return _expected(value.tolist())
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise ValueError("int range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not finite")
        return value
    if isinstance(value, (list, tuple)):
        return [_expected(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("key")
        return {k: _expected(v) for k, v in value.items()}
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, PurePosixPath):
        return str(value)
    raise ValueError(type(value).__name__)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.text(CHARS, max_size=8),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**31), 2**31 - 1).map(np.int64),
    st.floats(width=32, allow_nan=True).map(np.float32),
    st.booleans().map(np.bool_),
    st.lists(st.integers(-100, 100), max_size=4).map(np.array),
    st.datetimes(timezones=st.just(dt.timezone.utc)),
    st.dates(),
    st.text("abc/", min_size=1, max_size=6).map(PurePosixPath),
    st.decimals(allow_nan=False, places=2, max_value=100, min_value=-100),
    st.binary(max_size=4),
    st.frozensets(st.integers(0, 3), max_size=2).map(set),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text("xyz", min_size=1, max_size=3), inner, max_size=3),
        st.dictionaries(st.integers(0, 3), inner, min_size=1, max_size=2),
    ),
    max_leaves=6,
)
_PATHS = ("create", "save", "bulk")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=_values, path=st.sampled_from(_PATHS), position=st.integers(0, 4))
def test_every_value_round_trips_or_is_refused_before_sending(
    dataset: so.Dataset, sent: Any, value: Any, path: str, position: int
) -> None:
    try:
        expected: Any = _expected(value)
        refused = False
    except ValueError:
        refused = True
    name = f"s{next(_NAMES)}.jpg"
    dataset.ensure_loaded()
    existing = dataset.samples.create(name + "-saved", image(name)) if path == "save" else None
    counter = sent()
    try:
        if path == "create":
            made = dataset.samples.create(name, image(name), metadata={"v": value})
        elif path == "save":
            assert existing is not None
            existing.metadata = {"v": value}
            made = existing.save()
        else:
            items = [{"name": f"{name}-{i}", "attributes": image(name)} for i in range(5)]
            items[position]["metadata"] = {"v": value}
            made = dataset.samples.bulk_create(items, batch_size=2)[position]
    except so.ValidationError as error:
        assert refused, (value, error)
        assert counter.count == 0
        prefix = f"[{position}].metadata" if path == "bulk" else "metadata"
        assert all(e.startswith(prefix) for e in error.errors), error.errors
        return
    assert not refused, value
    fetched = dataset.samples.get(made.uuid)
    assert fetched.metadata == {"v": expected}


# -- validate everything before sending anything -----------------------------------------


def test_one_bad_item_among_many_sends_nothing_and_names_its_input_index(
    dataset: so.Dataset, sent: Any
) -> None:
    dataset.ensure_loaded()
    items = [
        {"name": f"{i}.jpg", "attributes": image(f"{i}.jpg"), "metadata": {"v": np.int64(i)}}
        for i in range(120)
    ]
    items[95]["metadata"] = {"v": float("nan")}
    items[97]["priority"] = 10**400
    items[99]["metadata"] = {"when": dt.date(2024, 1, 1), "raw": b"x", 3: "three"}
    counter = sent()
    with pytest.raises(so.ValidationError) as caught:
        dataset.samples.bulk_create(items, batch_size=10)
    assert counter.count == 0
    assert caught.value.errors == [
        "[95].metadata.v: NaN is not valid JSON",
        "[97].priority: an integer of about 400 digits is too large for a number "
        "(at most about 1.8e308)",
        "[99].metadata.raw: bytes are not JSON; decode them to text, or upload them as an asset",
        "[99].metadata: keys must be strings, got 3 (int); JSON object keys are text",
    ]
    assert dataset.samples.count() == 0
    del items[99]
    items[95]["metadata"] = {"v": np.float32(0.5)}
    items[97]["priority"] = np.int64(3)
    created = dataset.samples.bulk_create(items, batch_size=10)
    assert created.counts() == {"created": 119}
    assert dataset.samples.get(name="95.jpg").metadata == {"v": 0.5}
    assert dataset.samples.get(name="97.jpg").priority == 3
    assert dataset.samples.get(name="5.jpg").metadata == {"v": 5}


def test_label_attributes_follow_the_same_rule(dataset: so.Dataset, sent: Any) -> None:
    sample = dataset.samples.create("a.jpg", image("a.jpg"))
    points = np.array([[1.5, 2.0], [3.0, np.nan]])
    attributes = {
        "format_version": "0.1",
        "annotations": [{"id": 1, "category_id": 1, "type": "bbox", "points": points}],
    }
    counter = sent()
    with pytest.raises(so.ValidationError, match=r"annotations\[0\]\.points\[1\]\[1\]: NaN"):
        sample.labels.create("ground-truth", attributes)
    with pytest.raises(so.ValidationError, match=r"\[0\]\.annotations\[0\]\.points\[1\]\[1\]"):
        dataset.labels.bulk_set([(sample, attributes)])
    assert counter.count == 0
    points[1, 1] = 4.0
    label = sample.labels.create("ground-truth", attributes, score=np.float32(0.25))
    assert label.score == 0.25
    stored = so.types.dump(sample.labels.get("ground-truth").attributes)
    assert stored["annotations"][0]["points"] == [[1.5, 2.0], [3.0, 4.0]]


# -- idempotent ingest ---------------------------------------------------------------------


def _items(names: list[str], **extra: Any) -> list[dict[str, Any]]:
    return [{"name": n, "attributes": image(n), **extra} for n in names]


def test_on_existing_skip_reports_what_existed(dataset: so.Dataset, sent: Any) -> None:
    first = dataset.samples.bulk_create(_items(["a.jpg", "b.jpg"]), on_existing="skip")
    assert first.outcomes == ["created", "created"]
    again = dataset.samples.bulk_create(
        _items(["a.jpg", "b.jpg", "c.jpg"], metadata={"new": 1}), on_existing="skip"
    )
    assert again.outcomes == ["existing", "existing", "created"]
    assert [s.uuid for s in again[:2]] == [s.uuid for s in first]
    assert dataset.samples.get(name="a.jpg").metadata != {"new": 1}  # skipped: untouched
    assert dataset.samples.count() == 3


def test_on_existing_update_applies_changed_fields(dataset: so.Dataset, sent: Any) -> None:
    dataset.samples.bulk_create(
        _items(["a.jpg", "b.jpg"], metadata={"v": 1}, priority=2), on_existing="skip"
    )
    items = _items(["a.jpg", "b.jpg", "c.jpg"], metadata={"v": 1})
    items[1]["metadata"] = {"v": 2}
    counter = sent()
    result = dataset.samples.bulk_create(items, on_existing="update")
    assert result.outcomes == ["existing", "updated", "created"]
    # A listing, one PATCH for b.jpg, one batch for c.jpg (and nothing for a.jpg).
    assert counter.count == 3
    b = dataset.samples.get(name="b.jpg")
    assert b.metadata == {"v": 2}
    assert b.priority == 2  # not given by the item: left as it was
    assert result[1].metadata == {"v": 2}


def test_on_existing_error_sends_nothing(dataset: so.Dataset, sent: Any) -> None:
    dataset.samples.bulk_create(_items(["a.jpg"]))
    counter = sent()
    with pytest.raises(so.AlreadyExistsError, match=r"\[1\]\.name: 'a.jpg' exists already"):
        dataset.samples.bulk_create(_items(["z.jpg", "a.jpg"]), on_existing="error")
    assert counter.count == 1  # the listing only
    assert dataset.samples.count() == 1
    with pytest.raises(so.ValidationError, match="on_existing"):
        dataset.samples.bulk_create(_items(["z.jpg"]), on_existing="replace")


def test_without_on_existing_a_changed_existing_sample_is_reported(
    dataset: so.Dataset,
) -> None:
    dataset.samples.bulk_create(_items(["a.jpg"], metadata={"v": 1}))
    result = dataset.samples.bulk_create(_items(["a.jpg", "b.jpg"], metadata={"v": 2}))
    assert result.outcomes == ["existing", "created"]


@pytest.fixture
def quick_retries(client: so.Client) -> None:
    """Replay lost answers after milliseconds instead of the default half second and up.

    What the fault tests check is what gets replayed and how it is counted; the default
    backoff only made each of them sleep for seconds.
    """
    client.transport.retry = attrs.evolve(client.transport.retry, backoff=0.01)


def test_bulk_create_replays_lost_answers_and_counts_them_created(
    segments_emulator: Any, dataset: so.Dataset, quick_retries: None
) -> None:
    dataset.ensure_loaded()
    segments_emulator.emulator.faults = Faults(
        drop_after_commit_rate=0.5, seed=3, routes=["/datasets/*/samples_bulk/"]
    )
    names = [f"{i}.jpg" for i in range(60)]
    result = dataset.samples.bulk_create(_items(names), batch_size=10, on_existing="skip")
    segments_emulator.emulator.faults = None
    assert result.counts() == {"created": 60}
    assert sorted(s.name for s in dataset.samples.all()) == sorted(names)


# -- honest counts -------------------------------------------------------------------------


def test_delete_counts_what_is_gone_when_half_the_answers_are_lost(
    segments_emulator: Any, dataset: so.Dataset, quick_retries: None
) -> None:
    dataset.ensure_loaded()
    dataset.samples.bulk_create(_items([f"{i:04}.jpg" for i in range(1500)]), batch_size=1000)
    dataset.samples.bulk_create(_items(["keep.png"]))
    segments_emulator.emulator.faults = Faults(
        drop_after_commit_rate=0.5, seed=7, routes=["/datasets/*/samples_bulk/"]
    )
    deleted = dataset.samples.filter(name__contains=".jpg").delete()
    segments_emulator.emulator.faults = None
    assert segments_emulator.emulator.stats.faults.get("drop_after_commit", 0) >= 1
    assert deleted == 1500
    assert [s.name for s in dataset.samples.all()] == ["keep.png"]


def test_delete_many_counts_what_is_gone_when_half_the_answers_are_lost(
    segments_emulator: Any, dataset: so.Dataset, quick_retries: None
) -> None:
    dataset.ensure_loaded()
    made = dataset.samples.bulk_create(_items([f"{i:04}.jpg" for i in range(2500)]), batch_size=1000)
    dataset.samples.bulk_create(_items(["keep.png"]))
    segments_emulator.emulator.faults = Faults(
        drop_after_commit_rate=0.5, seed=7, routes=["/datasets/*/samples_bulk/"]
    )
    deleted = dataset.samples.delete_many([s.uuid for s in made])
    segments_emulator.emulator.faults = None
    assert segments_emulator.emulator.stats.faults.get("drop_after_commit", 0) >= 1
    assert deleted == 2500
    assert [s.name for s in dataset.samples.all()] == ["keep.png"]


def test_delete_many_does_not_count_unknown_uuids(dataset: so.Dataset, sent: Any) -> None:
    made = dataset.samples.bulk_create(_items(["a.jpg", "b.jpg"]))
    counter = sent()
    unknown = "00000000-0000-4000-8000-000000000000"
    assert dataset.samples.delete_many([made[0].uuid, unknown, made[0].uuid]) == 1
    assert counter.count == 1  # no answer lost: the server's count, no listing
    assert [s.name for s in dataset.samples.all()] == ["b.jpg"]


def test_dataset_metadata_follows_the_rule_too(client: so.Client, sent: Any) -> None:
    counter = sent()
    with pytest.raises(so.ValidationError, match="metadata.v: NaN"):
        client.datasets.create("d", task_type="bboxes", metadata={"v": np.float64("nan")})
    assert counter.count == 0
    dataset = client.datasets.create("d", task_type="bboxes", metadata={"v": np.int64(1)})
    dataset.metadata["when"] = dt.date(2024, 1, 2)
    dataset.save()
    assert client.datasets.get("demo/d").metadata == {"v": 1, "when": "2024-01-02"}


def test_a_failure_on_the_server_is_reported_per_item(
    segments_emulator: Any, dataset: so.Dataset
) -> None:
    dataset.ensure_loaded()
    segments_emulator.emulator.faults = Faults(
        error_rates={500: 0.5}, seed=5, routes=["/datasets/*/samples_bulk/"]
    )
    with pytest.raises(so.BulkError) as caught:
        dataset.samples.bulk_create(_items([f"{i}.jpg" for i in range(40)]), batch_size=5)
    segments_emulator.emulator.faults = None
    results = caught.value.results
    assert isinstance(results, so.BulkResults)
    failed = {i for i, said in enumerate(results.outcomes) if said == "failed"}
    assert failed == set(caught.value.errors)
    assert 0 < len(failed) < 40
    created = {s.name for s in dataset.samples.all()}
    assert created == {s.name for s in results if s is not None}
    assert all(results[i] is None for i in failed)


def _label_with(value: Any) -> dict[str, Any]:
    box = {"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 2], [3, 4]]}
    return {"format_version": "0.1", "annotations": [{**box, "attributes": {"v": value}}]}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=_values, path=st.sampled_from(("create", "save", "bulk")), position=st.integers(0, 2))
def test_every_value_in_label_attributes_round_trips_or_is_refused(
    dataset: so.Dataset, sent: Any, value: Any, path: str, position: int
) -> None:
    try:
        expected: Any = _expected(value)
        refused = False
    except ValueError:
        refused = True
    dataset.ensure_loaded()
    names = [f"l{next(_NAMES)}.jpg" for _ in range(3)]
    samples = dataset.samples.bulk_create([{"name": n, "attributes": image(n)} for n in names])
    target = samples[position]
    label = target.labels.create("ground-truth", _label_with(0)) if path == "save" else None
    counter = sent()
    try:
        if path == "create":
            target.labels.create("ground-truth", _label_with(value))
        elif path == "save":
            assert label is not None
            label.attributes = _label_with(value)
            label.save()
        else:
            pairs = [(s, _label_with(0)) for s in samples]
            pairs[position] = (target, _label_with(value))
            dataset.labels.bulk_set(pairs)
    except so.ValidationError as error:
        assert refused, (value, error)
        assert counter.count == 0
        prefix = (f"[{position}]." if path == "bulk" else "") + "annotations[0].attributes"
        assert all(e.startswith(prefix) for e in error.errors), error.errors
        return
    assert not refused, value
    stored = so.types.dump(target.labels.get("ground-truth").attributes)
    assert stored["annotations"][0]["attributes"] == {"v": expected}


_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(width=32).map(np.float32),
    st.integers(-(2**31), 2**31).map(np.int64),
    st.booleans(),
    st.text(CHARS, max_size=3),
    st.none(),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(number=_numbers, field=st.sampled_from(("priority", "score")))
def test_priorities_and_scores_round_trip_or_are_refused(
    dataset: so.Dataset, sent: Any, number: Any, field: str
) -> None:
    plain = number.item() if isinstance(number, np.generic) else number
    refused = (
        isinstance(plain, bool)
        or not isinstance(plain, (int, float))
        or (isinstance(plain, float) and not math.isfinite(plain))
        or (isinstance(plain, int) and abs(plain) > 1.7e308)
    )
    if field == "score" and number is None:
        refused = False  # no score: allowed, nothing sent for it
    name = f"n{next(_NAMES)}.jpg"
    dataset.ensure_loaded()
    sample = dataset.samples.create(name, image(name)) if field == "score" else None
    counter = sent()
    try:
        if field == "priority":
            made = dataset.samples.bulk_create(
                [{"name": name, "attributes": image(name), "priority": number}]
            )[0]
        else:
            assert sample is not None
            sample.labels.create("ground-truth", _label_with(0), score=number)
    except so.ValidationError as error:
        assert refused, (number, error)
        assert counter.count == 0
        assert error.errors[0].startswith(("[0].priority" if field == "priority" else "score"))
        return
    assert not refused, number
    # Both are floats on the platform (and in the emulator): an integer comes back as the
    # float nearest to it, exactly, which differs from it beyond 2**53.
    expected = float(plain) if plain is not None else None
    if field == "priority":
        assert dataset.samples.get(made.uuid).priority == expected
    else:
        assert sample is not None
        assert sample.labels.get("ground-truth").score == expected
