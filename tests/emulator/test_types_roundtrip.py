"""End to end: attributes of every task type written through the ORM read back equal.

Uses the ``segments_client`` fixture of the ``segments_orm.testing`` plugin (an ORM client
bound to a fresh emulator) and the payloads of the unit tests, which exercise every field
of every model. Skips cleanly where the ORM, the emulator or the plugin is missing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("werkzeug")
pytest.importorskip("segments_orm.client")
pytest.importorskip("segments_orm.emulator")
pytest.importorskip("segments_orm.testing")

import segments_orm.types as sot
from segments_orm.enums import TaskType
from segments_orm.exceptions import ValidationError

TASK_TYPES = [t.value for t in TaskType if t.value]


def _payloads() -> ModuleType:
    """Load the unit tests' payload module (one source of truth for the shapes)."""
    path = Path(__file__).resolve().parents[1] / "unit" / "types" / "types_payloads.py"
    spec = importlib.util.spec_from_file_location("types_payloads_e2e", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


P = _payloads()


@pytest.fixture
def client(request: pytest.FixtureRequest) -> Any:
    try:
        return request.getfixturevalue("segments_client")
    except pytest.FixtureLookupError:
        pytest.skip("the segments_orm.testing plugin (segments_client fixture) is not loaded")


def _dataset(client: Any, task_type: str) -> Any:
    return client.datasets.create(
        f"types-{task_type}", task_type=task_type, task_attributes=P.fresh(P.TASK_ATTRIBUTES)
    )


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_a_label_of_each_task_type_reads_back_equal(client: Any, task_type: str) -> None:
    dataset = _dataset(client, task_type)
    sample_payload = P.fresh(P.SAMPLES[P.SAMPLE_FOR_TASK[task_type]])
    sample = dataset.samples.create("sample-1", sample_payload)
    label_payload = _writable(task_type, P.fresh(P.LABELS[P.LABEL_FOR_TASK[task_type]]))
    sample.labels.create("ground-truth", label_payload)

    label = sample.labels.get("ground-truth")
    models = sot.task_models(task_type)
    assert isinstance(label.attributes, models.label)
    assert sot.dump(label.attributes) == label_payload  # links, track_id, index, extras kept

    again = dataset.samples.get(sample.uuid)
    assert isinstance(again.attributes, models.sample)
    assert sot.dump(again.attributes) == sample_payload


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_a_typed_label_written_through_the_orm_reads_back_equal(
    client: Any, task_type: str
) -> None:
    dataset = _dataset(client, task_type)
    sample = dataset.samples.create(
        "sample-1",
        sot.load_sample_attributes(task_type, P.fresh(P.SAMPLES[P.SAMPLE_FOR_TASK[task_type]])),
    )
    written = sot.load_label_attributes(
        task_type, _writable(task_type, P.fresh(P.LABELS[P.LABEL_FOR_TASK[task_type]]))
    )
    assert isinstance(written, sot.task_models(task_type).label)
    sample.labels.create("ground-truth", written)
    assert sample.labels.get("ground-truth").attributes == written


def _writable(task_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Drop the payloads' extra top-level key, which the emulator refuses on a write."""
    return {k: v for k, v in payload.items() if k != "reviewer_note"}


def test_task_attributes_read_back_equal(client: Any) -> None:
    dataset = _dataset(client, "pointcloud-cuboid")
    fetched = client.datasets.get(dataset.full_name)
    assert isinstance(fetched.task_attributes, sot.TaskAttributes)
    assert sot.dump(fetched.task_attributes) == P.TASK_ATTRIBUTES


def test_built_labels_are_checked_before_any_request(client: Any) -> None:
    dataset = _dataset(client, "bboxes")
    sample = dataset.samples.create("sample-1", {"image": {"url": "https://example/a.jpg"}})
    label = sot.ImageVectorLabelAttributes(
        annotations=[
            sot.bbox(0, 0, 10, 10, id=1, category_id=1),
            sot.bbox(5, 5, 20, 20, id=1, category_id=9),
        ]
    )
    with pytest.raises(ValidationError) as caught:
        sample.labels.create("ground-truth", label)
    assert "annotations[1].id: duplicate annotation id 1 (also annotations[0])" in (
        caught.value.errors
    )
    label.annotations[1].id = 2
    label.annotations[1].category_id = 2
    sample.labels.create("ground-truth", label)
    assert sample.labels.get("ground-truth").attributes == label


@pytest.mark.parametrize("name", sorted(P.ANCHORS))
def test_issue_anchors_read_back_equal(client: Any, name: str) -> None:
    dataset = _dataset(client, "multisensor-sequence")
    sample = dataset.samples.create("sample-1", P.fresh(P.SAMPLES["multisensor"]))
    anchor = P.fresh(P.ANCHORS[name])
    issue = sample.issues.create("Look here.", anchor=anchor)
    fetched = dataset.issues.get(uuid=issue.uuid)
    assert sot.dump(fetched.anchor) == anchor
    assert isinstance(fetched.anchor, sot.Model)
