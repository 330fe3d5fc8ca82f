"""Label writes: strict on every path, and a person's label is never silently replaced."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import segments_orm as so
from pipeline_support import BBOX, image
from segments_orm.enums import TaskType

TASK_TYPES = [t.value for t in TaskType if t.value]


def _payloads() -> ModuleType:
    """Load the unit tests' payload module (one source of truth for the shapes)."""
    path = Path(__file__).resolve().parents[1] / "unit" / "types" / "types_payloads.py"
    spec = importlib.util.spec_from_file_location("types_payloads_pipelines", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


P = _payloads()


@pytest.fixture
def facade(segments_emulator: Any) -> Any:
    client = so.SegmentsClient(api_key=segments_emulator.api_key, api_url=segments_emulator.url)
    yield client
    client.close()


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_the_facade_refuses_a_label_with_a_wrong_key_for_every_task_type(
    client: so.Client, facade: Any, sent: Any, task_type: str
) -> None:
    """The platform's tests/test_client.py case (test_add_label_validationerror)."""
    dataset = client.datasets.create(
        f"t-{task_type}", task_type=task_type, task_attributes=P.fresh(P.TASK_ATTRIBUTES)
    )
    sample = dataset.samples.create("s", P.fresh(P.SAMPLES[P.SAMPLE_FOR_TASK[task_type]]))
    with pytest.raises(so.ValidationError, match="wrong_key: not a key"):
        facade.add_label(sample.uuid, "ground-truth", {"wrong_key": "abcde"})
    with pytest.raises(so.ValidationError, match="wrong_key"):
        sample.labels.create("ground-truth", {"wrong_key": "abcde"})
    with pytest.raises(so.ValidationError, match="wrong_key"):
        client.samples.get(sample.uuid, lazy=True).labels.create(
            "ground-truth", {"wrong_key": "abcde"}
        )
    with pytest.raises(so.ValidationError, match=r"\[0\]\.wrong_key"):
        dataset.labels.bulk_set([(sample, {"wrong_key": "abcde"})])
    with pytest.raises(so.NotFoundError):  # nothing was stored by any of them
        sample.labels.get("ground-truth")


def test_update_label_checks_new_attributes(client: so.Client, facade: Any, dataset: Any) -> None:
    sample = dataset.samples.create("a.jpg", image("a.jpg"))
    sample.labels.create("ground-truth", BBOX)
    bad = {**BBOX, "annotations": [{**BBOX["annotations"][0], "points": [[1, 2]]}]}
    with pytest.raises(so.ValidationError, match="points"):
        facade.update_label(sample.uuid, "ground-truth", attributes=bad)
    with pytest.raises(so.ValidationError, match="extra_key"):
        facade.update_label(sample.uuid, "ground-truth", attributes={**BBOX, "extra_key": 1})
    assert so.types.dump(sample.labels.get("ground-truth").attributes) == BBOX


def _labeled(dataset: Any, name: str, status: str) -> Any:
    sample = dataset.samples.create(name, image(name))
    sample.labels.create("ground-truth", BBOX, label_status=status)
    return sample


def test_create_keeps_a_persons_label_unless_told(dataset: Any, sent: Any) -> None:
    sample = _labeled(dataset, "a.jpg", "LABELED")
    empty = {"format_version": "0.1", "annotations": []}
    counter = sent()
    with pytest.raises(so.LabelProtectedError, match="LABELED") as caught:
        sample.labels.create("ground-truth", empty)
    assert caught.value.label_status == "LABELED"
    assert counter.count == 1  # the read only: no PUT
    assert sample.labels.get("ground-truth").label_status == "LABELED"
    replaced = sample.labels.create("ground-truth", empty, overwrite=True)
    assert replaced.label_status == "PRELABELED"
    # A prelabel may be replaced by the next prelabel: the common re-run.
    assert sample.labels.create("ground-truth", BBOX).label_status == "PRELABELED"


@pytest.mark.parametrize("reads", ["listed", "per item"])
def test_bulk_set_says_created_replaced_or_skipped(
    dataset: Any, sent: Any, reads: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if reads == "per item":  # as for a dataset much larger than the call
        monkeypatch.setattr("segments_orm.resources.label._LIST_STATUSES_BELOW", -1)
    fresh = dataset.samples.create("fresh.jpg", image("fresh.jpg"))
    prelabeled = _labeled(dataset, "pre.jpg", "PRELABELED")
    reviewed = _labeled(dataset, "rev.jpg", "REVIEWED")
    labeled = _labeled(dataset, "lab.jpg", "LABELED")
    empty = {"format_version": "0.1", "annotations": []}
    items = [(fresh, empty), (prelabeled, empty), (reviewed, empty), (labeled.uuid, empty)]
    counter = sent()
    result = dataset.labels.bulk_set(items)
    assert result.outcomes == ["created", "replaced", "skipped", "skipped"]
    # Two PUTs, the reads of the two labels kept, and the status reads.
    assert counter.count == (4 + 1 if reads == "listed" else 4 + 4)
    assert "REVIEWED" in result.reasons[2] and "overwrite=True" in result.reasons[2]
    assert result[2].label_status == "REVIEWED"  # the label kept
    assert labeled.labels.get("ground-truth").label_status == "LABELED"
    assert so.types.dump(reviewed.labels.get("ground-truth").attributes) == BBOX
    forced = dataset.labels.bulk_set(items[2:], overwrite=True)
    assert forced.outcomes == ["replaced", "replaced"]
    assert labeled.labels.get("ground-truth").label_status == "PRELABELED"


def test_bulk_set_reads_the_status_pages_together_and_copes_with_a_stale_count(
    client: so.Client, sent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status pages are read at once; a count that is too low costs pages, not PUTs."""
    monkeypatch.setattr("segments_orm.resources.label._STATUS_PAGE", 2)
    dataset = client.datasets.create("stale", task_type="vector")
    stale = client.datasets.get(dataset.full_name)  # loaded now: it counts 0 samples
    samples = [_labeled(dataset, f"{n}.jpg", "PRELABELED") for n in range(4)]
    samples.append(_labeled(dataset, "kept.jpg", "LABELED"))
    assert stale.samples_count == 0
    empty = {"format_version": "0.1", "annotations": []}
    # Pages 1 and 2 must be in flight together: each waits here for the other.
    together = threading.Barrier(2, timeout=10)
    request = client.transport.request

    def meeting(method: str, url: Any, **kwargs: Any) -> Any:
        if method == "GET" and url.query.get("page") in ("1", "2"):
            together.wait()
        return request(method, url, **kwargs)

    monkeypatch.setattr(client.transport, "request", meeting)
    counter = sent()
    # Two items: pages 1 and 2 at once (the count says 0, the items say 2); both are full,
    # so page 3 is read after them, and it ends the listing.
    done = stale.labels.bulk_set([(samples[0], empty), (samples[4], empty)])
    monkeypatch.setattr(client.transport, "request", request)
    assert done.outcomes == ["replaced", "skipped"]
    assert counter.count == 3 + 1 + 1  # three pages, one PUT, the read of the label kept
    # Every sample was found in the pages: nothing was read item by item.
    counter = sent()
    done = stale.labels.bulk_set([(s, empty) for s in samples[:4]])
    assert done.outcomes == ["replaced"] * 4
    assert counter.count == 3 + 4  # pages 1-3 at once (4 items: 2 full pages, 1 more), 4 PUTs


def test_the_facade_protects_people_from_prelabels_only(dataset: Any, facade: Any) -> None:
    sample = _labeled(dataset, "a.jpg", "LABELED")
    with pytest.raises(so.LabelProtectedError):
        facade.add_label(sample.uuid, "ground-truth", BBOX)  # PRELABELED by default
    written = facade.add_label(sample.uuid, "ground-truth", BBOX, label_status="REVIEWED")
    assert written.label_status == "REVIEWED"  # a human status: the platform's replace


# -- every facade write of attributes or a label checks the task type ------------------------


def _foreign_sample_attributes(task_type: str) -> Any:
    """Sample attributes of another kind, which a dataset of ``task_type`` must refuse."""
    own = P.SAMPLE_FOR_TASK[task_type]
    return P.fresh(P.SAMPLES["pointcloud" if own == "image" else "image"])


def _stored_attributes(client: so.Client, uuid: str) -> Any:
    url = client.api_url.endpoint(f"samples/{uuid}/")
    return client.transport.request("GET", url)["attributes"]


def _own_check(task_type: str, attributes: Any) -> list[str]:
    with pytest.raises(so.ValidationError) as caught:
        so.types.prepare_sample_attributes(task_type, attributes)
    return list(caught.value.errors)


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_every_facade_write_checks_against_the_task_type(
    client: so.Client, facade: Any, task_type: str
) -> None:
    dataset = client.datasets.create(
        f"w-{task_type}", task_type=task_type, task_attributes=P.fresh(P.TASK_ATTRIBUTES)
    )
    attributes = P.fresh(P.SAMPLES[P.SAMPLE_FOR_TASK[task_type]])
    sample = dataset.samples.create("s", attributes)
    stored = _stored_attributes(client, sample.uuid)
    foreign = _foreign_sample_attributes(task_type)
    heading = f"Invalid sample attributes for a '{task_type}' dataset"
    # The checks are the client's (their heading names the dataset's task type, which
    # was looked up), so nothing was written: the state below is unchanged.
    with pytest.raises(so.ValidationError, match=heading):
        facade.update_sample(sample.uuid, attributes=foreign)
    with pytest.raises(so.ValidationError, match=heading):
        client.samples.get(sample.uuid, lazy=True).update(attributes=foreign)
    with pytest.raises(so.ValidationError, match=heading):
        facade.add_sample(dataset.full_name, "other", foreign)
    with pytest.raises(so.ValidationError, match="nothing was sent") as caught:
        facade.add_samples(dataset.full_name, [{"name": "other", "attributes": foreign}])
    assert caught.value.errors == [f"[0].{e}" for e in _own_check(task_type, foreign)]
    label_heading = f"Invalid label attributes for a '{task_type}' dataset"
    for status in ("PRELABELED", "LABELED"):
        with pytest.raises(so.ValidationError, match="wrong_key"):
            facade.add_label(sample.uuid, "ground-truth", {"wrong_key": 1}, label_status=status)
    with pytest.raises(so.ValidationError, match=label_heading):
        facade.update_label(sample.uuid, "ground-truth", {"wrong_key": 1})
    with pytest.raises(so.ValidationError, match="score: NaN"):
        facade.update_label(sample.uuid, "ground-truth", score=float("nan"))
    assert [s.name for s in dataset.samples.all()] == ["s"]
    assert _stored_attributes(client, sample.uuid) == stored
    with pytest.raises(so.NotFoundError):
        sample.labels.get("ground-truth")
