"""The bounds a label write checks still hold where the quick paths around them end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from segments_orm.emulator._http import _MAX_GROWTH, MAX_FIELD_BYTES
from segments_orm.emulator._shapes import may_hold_wide_integers

BOX = {"id": 1, "category_id": 1, "type": "bbox", "points": [[0.5, 0.5], [1.5, 1.5]]}


def _dataset_sample(api: Any) -> str:
    api.dataset("bounds", task_type="bboxes")
    made = api.post(
        "datasets/demo/bounds/samples/", json={"name": "s", "attributes": {"image": {"url": "u"}}}
    )
    assert made.status_code == 201, made.text
    return str(made.json()["uuid"])


def _put(api: Any, uuid: str, attributes: Any, method: str = "put") -> Any:
    body = {"label_status": "PRELABELED", "attributes": attributes}
    return getattr(api, method)(f"labels/{uuid}/ground-truth/", json=body)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_attributes_past_the_field_bound_are_refused(api, method):
    uuid = _dataset_sample(api)
    assert _put(api, uuid, {"annotations": [BOX]}).status_code == 201
    fat = {"annotations": [{**BOX, "attributes": {"note": "x" * MAX_FIELD_BYTES}}]}
    response = _put(api, uuid, fat, method)
    assert response.status_code == 400, response.text[:200]
    assert response.json() == {
        "attributes": [f"Ensure this field has no more than {MAX_FIELD_BYTES} bytes."]
    }


def test_attributes_that_grow_past_the_bound_when_stored_are_refused(api):
    # 150,000 times "1e5" is 450 KB of text that serialises to 1.35 MB ("100000.0").
    uuid = _dataset_sample(api)
    attributes = {"annotations": [{**BOX, "attributes": {"v": [1e5] * 150_000}}]}
    text = json.dumps({"label_status": "PRELABELED", "attributes": attributes}).replace(
        "100000.0", "1e5"
    )
    assert len(text) < MAX_FIELD_BYTES
    response = api.put(
        f"labels/{uuid}/ground-truth/", data=text, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text[:200]
    assert "attributes" in response.json()


def test_attributes_under_the_bound_are_stored_whole(api):
    uuid = _dataset_sample(api)
    # Over the size below which nothing is measured, under the bound itself.
    note = "é" * (MAX_FIELD_BYTES // _MAX_GROWTH)
    attributes = {"annotations": [{**BOX, "attributes": {"note": note}}]}
    response = _put(api, uuid, attributes)
    assert response.status_code == 201, response.text[:200]
    assert response.json()["attributes"] == attributes
    assert api.get(f"labels/{uuid}/ground-truth/").json()["attributes"] == attributes


@pytest.mark.parametrize("text", ["1e5", "9e15", "1E15", "1e-5", "5e-324", "-1e-7", "1.5e300"])
def test_a_float_serialises_within_the_growth_bound(text):
    assert len(json.dumps(json.loads(text))) <= _MAX_GROWTH * len(text)


@pytest.mark.parametrize(
    ("body", "wide"),
    [
        (b'{"n": 9223372036854775807}', True),  # 19 digits: looked at (and fits)
        (b'{"n": 922337203685477580}', False),
        (b'{"n": 1.000000000000000000001}', True),
        (b'{"s": "1234567890123456789"}', True),  # in a string: looked at all the same
        (b'{"a": [123456789, 1234567890]}', False),
    ],
)
def test_a_body_without_19_digits_in_a_row_holds_no_wide_integer(body, wide):
    assert may_hold_wide_integers(body) is wide


def test_a_wide_integer_in_a_label_is_refused_and_one_that_fits_is_kept(api):
    uuid = _dataset_sample(api)
    response = _put(api, uuid, {"annotations": [{**BOX, "attributes": {"n": 2**63}}]})
    assert response.status_code == 400
    assert response.json() == {
        "attributes": ["annotations[0].attributes.n: the integer is out of range (64-bit signed)"]
    }
    fits = {"annotations": [{**BOX, "attributes": {"n": 2**63 - 1, "m": -(2**63)}}]}
    assert _put(api, uuid, fits).json()["attributes"] == fits
