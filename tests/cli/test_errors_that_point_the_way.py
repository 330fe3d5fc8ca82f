"""Errors a newcomer meets first name the cause and the fix (issue 14, point 4)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

import segments_orm as so
from segments_orm.emulator import EmulatorServer
from segments_orm.resources.labelset import LabelsetManager
from segments_orm.tour import sample_dataset

EMPTY = {"format_version": "0.1", "annotations": []}


@pytest.fixture
def flowers(segments_client: so.Client) -> so.Dataset:
    return sample_dataset(segments_client)


def test_a_label_in_a_missing_labelset_says_to_create_the_labelset(
    segments_client: so.Client, flowers: so.Dataset
) -> None:
    daisy = flowers.samples.get(name="daisy.png")
    with pytest.raises(so.NotFoundError) as caught:
        daisy.labels.create("model-v9", EMPTY)
    message = str(caught.value)
    assert "The labelset 'model-v9' does not exist in demo/flowers" in message
    assert "dataset.labelsets.create('model-v9')" in message
    assert "404 PUT" in message
    assert caught.value.status_code == 404
    assert caught.value.method == "PUT"

    flowers.labelsets.create("model-v9")  # the fix the message names works
    assert daisy.labels.create("model-v9", EMPTY).labelset == "model-v9"


def test_bulk_writes_explain_every_failure_with_one_lookup(
    flowers: so.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []
    real_get = LabelsetManager.get

    def counted(self: LabelsetManager, name: str, *args: Any, **kwargs: Any) -> Any:
        lookups.append(name)
        return real_get(self, name, *args, **kwargs)

    monkeypatch.setattr(LabelsetManager, "get", counted)
    samples = list(flowers.samples.all())
    with pytest.raises(so.BulkError) as caught:
        flowers.labels.bulk_set([(s, EMPTY) for s in samples], labelset="model-v9")
    errors = caught.value.errors
    assert sorted(errors) == [0, 1, 2, 3]
    assert all(isinstance(e, so.NotFoundError) for e in errors.values())
    assert all("dataset.labelsets.create('model-v9')" in str(e) for e in errors.values())
    assert lookups == ["model-v9"]  # asked once, not once per failed write


def test_the_platform_style_add_label_explains_it_too(
    segments_emulator: EmulatorServer, flowers: so.Dataset
) -> None:
    daisy = flowers.samples.get(name="daisy.png")
    legacy = so.SegmentsClient(api_key=segments_emulator.api_key, api_url=segments_emulator.url)
    hint = r"add_labelset\('demo/flowers', 'model-v9'\)"
    with legacy, pytest.raises(so.NotFoundError, match=hint):
        legacy.add_label(daisy.uuid, "model-v9", EMPTY)


def test_a_missing_sample_is_not_blamed_on_the_labelset(flowers: so.Dataset) -> None:
    ghost = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(so.BulkError) as caught:
        flowers.labels.bulk_set([(ghost, EMPTY)], labelset="ground-truth")
    (error,) = caught.value.errors.values()
    assert isinstance(error, so.NotFoundError)
    # The URL of the sample's GET names its labelset; the hint must not be there.
    assert "labelsets.create" not in str(error)
    assert "does not exist" not in str(error)


def test_get_by_name_works_and_a_name_as_uuid_says_how(
    segments_client: so.Client, flowers: so.Dataset
) -> None:
    assert flowers.samples.get(name="rose.png").name == "rose.png"
    sent = segments_client.transport.requests_sent
    with pytest.raises(so.ValidationError) as caught:
        flowers.samples.get("rose.png")
    assert "'rose.png' is not one" in str(caught.value)
    assert "get(name='rose.png')" in str(caught.value)
    assert segments_client.transport.requests_sent == sent  # refused before sending
    rose = flowers.samples.get(name="rose.png")
    assert flowers.samples.get(str(rose.uuid)) == rose  # a uuid still works


def test_contradicting_chained_filters_show_the_whole_query(
    segments_client: so.Client, flowers: so.Dataset
) -> None:
    sent = segments_client.transport.requests_sent
    both = flowers.samples.filter(label_status="PRELABELED").filter(label_status="LABELED")
    text = repr(both)
    assert "label_status='PRELABELED'" in text
    assert "label_status='LABELED'" in text
    assert "ANDed" in text
    assert list(both) == []
    assert both.count() == 0
    assert segments_client.transport.requests_sent == sent
    narrowed = flowers.samples.filter(label_status=["PRELABELED", "LABELED"])
    assert narrowed.filter(label_status="LABELED").count() == 2


@pytest.mark.parametrize("command", ["tour", "shell", "emulator"])
def test_without_the_emulator_extra_the_commands_print_one_line(command: str) -> None:
    # werkzeug blocked at import, as in a virtualenv without the emulator extra.
    program = (
        "import sys; sys.modules['werkzeug'] = None\n"
        "from segments_orm.cli import main\n"
        f"sys.exit(main([{command!r}]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGMENTS_")}
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "pip install 'segments-orm[emulator]'" in lines[0]
    assert "pip install -e '.[emulator]'" in lines[0]
