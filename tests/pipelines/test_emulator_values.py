"""The emulator's own value rule: what the SDK refuses, the emulator refuses too, by field.

NaN, infinities, numbers past a float's range and integers past 64 bits in anything a
route stores (metadata, attributes, task attributes, priority, score) answer a 400 whose
JSON names the field, on every such route, gzipped or not, and change nothing.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import segments_orm as so
from segments_orm.emulator import EmulatorServer

BIG = str(2**64)
IMAGE = '{"image": {"url": "https://example.com/a.jpg"}}'
LABEL = '{"format_version": "0.1", "annotations": []}'
CATEGORIES = '{"format_version": "0.1", "categories": [{"id": 1, "name": "a"}]}'


def _cases(sample: str) -> list[tuple[str, str, str, str, str]]:
    """(what, method, path, body template with {v}, the field the answer must name)."""
    samples = "datasets/demo/d/samples/"
    bulk = "datasets/demo/d/samples_bulk/"
    label = f"labels/{sample}/ground-truth/"
    return [
        ("sample metadata", "POST", samples, '{"name": "n", "attributes": %s, "metadata": {"v": {v}}}' % IMAGE, "metadata"),
        ("sample attributes", "POST", samples, '{"name": "n", "attributes": {"image": {"url": "u", "w": {v}}}}', "attributes"),
        ("sample priority", "POST", samples, '{"name": "n", "attributes": %s, "priority": {v}}' % IMAGE, "priority"),
        ("bulk metadata", "POST", bulk, '[{"name": "m", "attributes": %s}, {"name": "n", "attributes": %s, "metadata": {"a": [1, {v}]}}]' % (IMAGE, IMAGE), "metadata"),
        ("sample update metadata", "PATCH", f"samples/{sample}/", '{"metadata": {"v": {v}}}', "metadata"),
        ("sample update priority", "PATCH", f"samples/{sample}/", '{"priority": {v}}', "priority"),
        ("label attributes", "PUT", label, '{"attributes": {"format_version": "0.1", "annotations": [], "x": {v}}, "label_status": "PRELABELED"}', "attributes"),
        ("label score", "PUT", label, '{"attributes": %s, "label_status": "PRELABELED", "score": {v}}' % LABEL, "score"),
        ("dataset metadata", "PATCH", "datasets/demo/d/", '{"metadata": {"v": {v}}}', "metadata"),
        ("dataset task attributes", "PATCH", "datasets/demo/d/", '{"task_attributes": {"format_version": "0.1", "categories": [{"id": {v}, "name": "a"}]}}', "task_attributes"),
        ("new dataset metadata", "POST", "user/datasets/", '{"name": "e", "task_type": "bboxes", "metadata": {"v": {v}}}', "metadata"),
    ]


# Numbers stored as floats (priority, score) take integers of any size a float holds.
FLOAT_FIELDS = {"priority", "score"}
VALUES = ["NaN", "-Infinity", "1e999", BIG]


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:  # over a socket: these bodies are sent as raw bytes
        yield running


@pytest.fixture
def world(server: EmulatorServer) -> Iterator[dict[str, Any]]:
    client = so.Client(api_key=server.api_key, api_url=server.url)
    dataset = client.datasets.create(
        "d", task_type="bboxes", task_attributes=json.loads(CATEGORIES)
    )
    sample = dataset.samples.create("s", json.loads(IMAGE))
    yield {"sample": sample.uuid, "url": server.url, "key": server.api_key, "client": client}
    dataset.delete()
    client.close()


def _state(client: so.Client) -> Any:
    def get(path: str) -> Any:
        return client.transport.request("GET", client.api_url.endpoint(path))

    datasets = sorted(d["name"] for d in get("users/demo/datasets/"))
    dataset = get("datasets/demo/d/")
    samples = get("datasets/demo/d/samples/?labelset=ground-truth")
    return datasets, dataset["metadata"], dataset["task_attributes"], samples


@pytest.mark.parametrize("value", VALUES)
def test_every_storing_route_refuses_a_bad_number_naming_its_field(
    world: dict[str, Any], value: str
) -> None:
    client = world["client"]
    before = _state(client)
    headers = {"Authorization": f"APIKey {world['key']}", "Content-Type": "application/json"}
    for what, method, path, template, field in _cases(world["sample"]):
        if value == BIG and field in FLOAT_FIELDS:
            continue
        body = template.replace("{v}", value).encode()
        for encoded, extra in ((body, {}), (gzip.compress(body), {"Content-Encoding": "gzip"})):
            answer = requests.request(
                method, world["url"] + path, data=encoded, headers={**headers, **extra}, timeout=30
            )
            assert answer.status_code == 400, (what, value, answer.text)
            errors = answer.json()
            if isinstance(errors, list):  # a bulk body: one object per item
                assert errors[0] == {}, (what, errors)
                errors = errors[1]
            assert list(errors) == [field], (what, value, errors)
            message = errors[field][0]
            assert value[:20] in message or "out of range" in message, (what, message)
    assert _state(client) == before
