"""The emulator refuses an invalid label with a 400 naming the field, for every task type.

Its checker is its own (it imports nothing of the SDK but enums); these tests drive it over
HTTP, so they check what a client of any kind meets.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from segments_orm.enums import TaskType

TASK_TYPES = [t.value for t in TaskType if t.value]


def _payloads() -> Any:
    path = Path(__file__).resolve().parents[1] / "unit" / "types" / "types_payloads.py"
    spec = importlib.util.spec_from_file_location("types_payloads_shapes", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


P = _payloads()


def _sample(api: Any, task_type: str) -> str:
    name = f"d-{task_type}"
    api.dataset(name, task_type=task_type)
    attributes = copy.deepcopy(P.SAMPLES[P.SAMPLE_FOR_TASK[task_type]])
    made = api.post(f"datasets/demo/{name}/samples/", json={"name": "s", "attributes": attributes})
    assert made.status_code == 201, made.text
    return str(made.json()["uuid"])


def _put(api: Any, uuid: str, attributes: Any) -> Any:
    body = {"label_status": "PRELABELED", "attributes": attributes}
    return api.put(f"labels/{uuid}/ground-truth/", json=body)


def _refused(response: Any, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"attributes": [message]}


def _valid(task_type: str) -> dict[str, Any]:
    label = copy.deepcopy(P.LABELS[P.LABEL_FOR_TASK[task_type]])
    # The shared payload carries one extra top-level key to show that reads keep it; a
    # write refuses it (tested below), so a valid label goes without.
    label.pop("reviewer_note", None)
    return label


def test_the_shared_payloads_extra_key_is_refused_on_a_write(api):
    uuid = _sample(api, "segmentation-bitmap")
    label = copy.deepcopy(P.LABELS["segmentation-bitmap"])
    assert "reviewer_note" in label
    response = _put(api, uuid, label)
    assert response.json()["attributes"][0].startswith("reviewer_note: unknown key")


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_a_valid_label_of_each_task_type_is_stored(api, task_type):
    uuid = _sample(api, task_type)
    response = _put(api, uuid, _valid(task_type))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_an_unknown_top_level_key_is_refused_for_every_task_type(api, task_type):
    uuid = _sample(api, task_type)
    response = _put(api, uuid, {"wrong_key": "abcde"})
    assert response.status_code == 400, response.text
    (message,) = response.json()["attributes"]
    assert message.startswith("wrong_key: unknown key; the keys are [")
    also = _put(api, uuid, {**_valid(task_type), "wrong_key": 1})
    assert also.json()["attributes"][0].startswith("wrong_key: unknown key")
    assert api.get(f"labels/{uuid}/ground-truth/").status_code == 404  # nothing stored


@pytest.mark.parametrize(
    ("task_type", "required"),
    [
        ("bboxes", "annotations"),
        ("pointcloud-segmentation", "point_annotations"),
        ("image-vector-sequence", "frames"),
        ("multisensor-sequence", "sensors"),
    ],
)
def test_a_missing_required_key_is_named(api, task_type, required):
    uuid = _sample(api, task_type)
    label = _valid(task_type)
    del label[required]
    _refused(_put(api, uuid, label), f"{required}: this field is required")


IMAGE_BOX = {"id": 1, "category_id": 1, "type": "bbox", "points": [[0, 0], [1, 1]]}


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ({**IMAGE_BOX, "points": [[0, 0], [1, "x"]]}, "annotations[0].points[1][1]: a number"),
        ({**IMAGE_BOX, "points": [[0, 0, 0], [1, 1, 1]]}, "annotations[0].points[0]: a point is"),
        ({**IMAGE_BOX, "points": [[0, 0], [1, 1], [2, 2]]}, "annotations[0].points: a bbox has"),
        ({**IMAGE_BOX, "type": "circle"}, "annotations[0].type: 'circle' is not one of"),
        ({**IMAGE_BOX, "id": "1"}, "annotations[0].id: an integer is required, got a string"),
        ({**IMAGE_BOX, "id": 2**64}, "annotations[0].id: the integer is out of range"),
        ({k: v for k, v in IMAGE_BOX.items() if k != "category_id"}, "annotations[0].category_id"),
        ("box", "annotations[0]: an object is required, got a string"),
    ],
)
def test_shapes_are_checked_with_their_path(api, annotation, message):
    uuid = _sample(api, "bboxes")
    response = _put(api, uuid, {"annotations": [annotation]})
    assert response.status_code == 400, response.text
    assert response.json()["attributes"][0].startswith(message), response.text


def test_duplicate_annotation_ids_are_refused(api):
    uuid = _sample(api, "bboxes")
    response = _put(api, uuid, {"annotations": [IMAGE_BOX, IMAGE_BOX]})
    _refused(response, "annotations[1].id: duplicate annotation id 1")


def test_sequence_annotations_need_a_track_id(api):
    uuid = _sample(api, "pointcloud-cuboid-sequence")
    label = _valid("pointcloud-cuboid-sequence")
    del label["frames"][0]["annotations"][0]["track_id"]
    _refused(_put(api, uuid, label), "frames[0].annotations[0].track_id: this field is required")


def test_a_segmentation_label_with_annotations_needs_its_bitmap(api):
    uuid = _sample(api, "segmentation-bitmap")
    assert _put(api, uuid, {"annotations": []}).status_code == 201  # "nothing here"
    label = _valid("segmentation-bitmap")
    del label["segmentation_bitmap"]
    _refused(_put(api, uuid, label), "segmentation_bitmap: this field is required")


def test_a_multisensor_label_checks_each_sensor_by_its_task_type(api):
    uuid = _sample(api, "multisensor-sequence")
    label = _valid("multisensor-sequence")
    label["sensors"][0]["task_type"] = "bboxes"
    response = _put(api, uuid, label)
    assert response.json()["attributes"][0].startswith("sensors[0].task_type: 'bboxes' is not")
    label = _valid("multisensor-sequence")
    label["sensors"][0]["attributes"] = {"frames": [{"annotations": "none"}]}
    response = _put(api, uuid, label)
    assert response.json()["attributes"][0].startswith(
        "sensors[0].attributes.frames[0].annotations: a list is required"
    )
    label["sensors"][0]["attributes"] = []  # an unlabeled sensor
    assert _put(api, uuid, label).status_code == 201


def test_patch_checks_the_new_attributes_and_keeps_the_old_label(api):
    uuid = _sample(api, "bboxes")
    assert _put(api, uuid, {"annotations": [IMAGE_BOX]}).status_code == 201
    response = api.patch(f"labels/{uuid}/ground-truth/", json={"attributes": {"wrong_key": 1}})
    assert response.status_code == 400
    stored = api.get(f"labels/{uuid}/ground-truth/").json()
    assert stored["attributes"]["annotations"][0]["id"] == 1


@pytest.mark.parametrize("where", ["metadata", "attributes", "label"])
def test_integers_past_64_bits_are_refused_in_stored_documents(api, where):
    uuid = _sample(api, "bboxes")
    huge = 2**63
    if where == "label":
        label = {"annotations": [{**IMAGE_BOX, "attributes": {"count": huge}}]}
        _refused(
            _put(api, uuid, label),
            "annotations[0].attributes.count: the integer is out of range (64-bit signed)",
        )
        return
    body: dict[str, Any] = {"name": "big", "attributes": {"image": {"url": "u"}}}
    if where == "metadata":
        body["metadata"] = {"nested": [1, {"n": -huge - 1}]}
        message = "nested[1].n: the integer is out of range (64-bit signed)"
    else:
        body["attributes"]["image"]["size"] = huge
        message = "image.size: the integer is out of range (64-bit signed)"
    response = api.post("datasets/demo/d-bboxes/samples/", json=body)
    assert response.status_code == 400
    assert response.json() == {where: [message]}
    fits = {**body, "metadata": {"n": 2**63 - 1, "m": -(2**63)}}
    fits["attributes"] = {"image": {"url": "u"}}
    assert api.post("datasets/demo/d-bboxes/samples/", json=fits).status_code == 201
