"""The examples of the platform client's reference run through `segments_orm.SegmentsClient`.

Each entry below is one example of the segments-ai 1.33 client reference (the
``SegmentsClient`` API page), statement by statement as written there, run against the
emulator as the user ``jane``. Two changes only: the reference's placeholder sample or
issue uuid ``602a3eec-...`` is replaced by a real one (``SAMPLE_UUID``/``ISSUE_UUID`` in
the code), and ``sleep`` waits 20 ms instead of 5 s. Each example gets the world it
assumes (``jane/flowers`` with samples, a labelset, a release, ...) from its setup,
built with the ORM.

Two examples are wrong as written in the reference itself and are run as corrected:
``add_label``'s and ``update_label``'s pass no labelset (a TypeError with the platform's
client too), and ``update_issue``'s passes ``sample_uuid`` where it defined ``uuid``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

import segments_orm as so
from segments_orm.emulator import EmulatorServer

IMAGE = {"image": {"url": "https://example.com/violet.jpg"}}
BBOX = {
    "format_version": "0.1",
    "annotations": [
        {"id": 1, "category_id": 1, "type": "bbox", "points": [[12.34, 56.78], [90.12, 34.56]]}
    ],
}


class World:
    """What an example assumes exists, made with the ORM before it runs."""

    def __init__(self, orm: so.Client, server: EmulatorServer) -> None:
        self.orm = orm
        self.server = server
        self.names: dict[str, str] = {}

    def flowers(self, task_type: str = "vector") -> so.Dataset:
        return self.orm.datasets.create("flowers", task_type=task_type)

    def sample(self, task_type: str = "vector") -> so.Sample:
        sample = self.flowers(task_type).samples.create("violet.jpg", IMAGE)
        self.names["SAMPLE_UUID"] = str(sample.uuid)
        return sample

    def labeled(self) -> so.Sample:
        sample = self.sample()
        sample.labels.create("ground-truth", BBOX)
        return sample

    def john(self) -> None:
        self.server.emulator.add_user("john")

    def collaborator(self) -> None:
        self.john()
        self.flowers().collaborators.add("john", "reviewer")

    def labelset(self, name: str) -> None:
        self.flowers().labelsets.create(name)

    def issue(self) -> None:
        issue = self.sample().issues.create("Cars?")
        self.names["ISSUE_UUID"] = str(issue.uuid)

    def release(self) -> None:
        sample = self.labeled()
        sample.dataset.releases.create("v0.1").wait(timeout=30, poll=0.02)

    def workunit(self) -> None:
        sample = self.labeled()
        label = sample.labels.get("ground-truth")
        label.update(label_status="LABELED")

    def photo(self, tmp: Path) -> None:
        folder = tmp / "home" / "jane" / "flowers"
        folder.mkdir(parents=True)
        (folder / "violet.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
        self.names["TMP"] = str(tmp)


# (reference section, setup, code as written in the reference)
EXAMPLES: list[tuple[str, Callable[[World], Any], str]] = [
    ("Get a user", lambda w: None, "user = client.get_user()\nprint(user)"),
    (
        "List datasets",
        lambda w: w.flowers(),
        "datasets = client.get_datasets()\n"
        "for dataset in datasets:\n"
        "    print(dataset.name, dataset.description)",
    ),
    (
        "Get a dataset",
        lambda w: w.flowers(),
        "dataset_identifier = 'jane/flowers'\n"
        "dataset = client.get_dataset(dataset_identifier)\n"
        "print(dataset)",
    ),
    (
        "Create a dataset",
        lambda w: None,
        "dataset_name = 'flowers'\n"
        "description = 'A dataset containing flowers of all kinds.'\n"
        "task_type = 'segmentation-bitmap'\n"
        "dataset = client.add_dataset(dataset_name, description, task_type)\n"
        "print(dataset)",
    ),
    (
        "Update a dataset",
        lambda w: w.flowers(),
        "dataset_identifier = 'jane/flowers'\n"
        "description = 'A dataset containing flowers of all kinds.'\n"
        "dataset = client.update_dataset(dataset_identifier, description)\n"
        "print(dataset)",
    ),
    (
        "Delete a dataset",
        lambda w: w.flowers(),
        "dataset_identifier = 'jane/flowers'\nclient.delete_dataset(dataset_identifier)",
    ),
    (
        "Clone a dataset",
        lambda w: w.flowers("segmentation-bitmap"),
        "dataset_identifier = 'jane/flowers'\n"
        "new_name = 'flowers-vector'\n"
        "new_task_type = 'vector'\n"
        "new_public = False\n"
        "client.clone_dataset(\n"
        "    dataset_identifier,\n"
        "    new_name=new_name,\n"
        "    new_task_type=new_task_type,\n"
        "    new_public=new_public,\n"
        ")",
    ),
    (
        "Get a dataset collaborator",
        lambda w: w.collaborator(),
        "dataset_identifier = 'jane/flowers'\n"
        "username = 'john'\n"
        "client.get_dataset_collaborator(dataset_identifier, username)",
    ),
    (
        "Add a dataset collaborator",
        lambda w: (w.john(), w.flowers()),
        "dataset_identifier = 'jane/flowers'\n"
        "username = 'john'\n"
        "role = 'reviewer'\n"
        "client.add_dataset_collaborator(dataset_identifier, username, role)",
    ),
    (
        "Update a dataset collaborator",
        lambda w: w.collaborator(),
        "dataset_identifier = 'jane/flowers'\n"
        "username = 'john'\n"
        "role = 'admin'\n"
        "client.update_dataset_collaborator(dataset_identifier, username, role)",
    ),
    (
        "Delete a dataset collaborator",
        lambda w: w.collaborator(),
        "dataset_identifier = 'jane/flowers'\n"
        "username = 'john'\n"
        "client.delete_dataset_collaborator(dataset_identifier, username)",
    ),
    (
        "List samples",
        lambda w: w.sample(),
        "dataset_identifier = 'jane/flowers'\n"
        "samples = client.get_samples(dataset_identifier)\n"
        "for sample in samples:\n"
        "    print(sample.name, sample.uuid)",
    ),
    (
        "Get a sample",
        lambda w: w.sample(),
        "uuid = 'SAMPLE_UUID'\nsample = client.get_sample(uuid)\nprint(sample)",
    ),
    (
        "Create a sample",
        lambda w: w.flowers(),
        "dataset_identifier = 'jane/flowers'\n"
        "name = 'violet.jpg'\n"
        "attributes = {\n"
        "    'image': {\n"
        "        'url': 'https://example.com/violet.jpg'\n"
        "    }\n"
        "}\n"
        "# Metadata and priority are optional fields.\n"
        "metadata = {\n"
        "    'city': 'London',\n"
        "    'weather': 'cloudy',\n"
        "    'robot_id': 3\n"
        "}\n"
        "priority = 10 # Samples with higher priority value will be labeled first. Default is 0.\n"
        "sample = client.add_sample(dataset_identifier, name, attributes, metadata, priority)\n"
        "print(sample)",
    ),
    (
        "Update a sample",
        lambda w: w.sample(),
        "uuid = 'SAMPLE_UUID'\n"
        "metadata = {\n"
        "    'city': 'London',\n"
        "    'weather': 'cloudy',\n"
        "    'robot_id': 3\n"
        "}\n"
        "priority = 10 # Samples with higher priority value will be labeled first. Default is 0.\n"
        "sample = client.update_sample(uuid, metadata=metadata, priority=priority)\n"
        "print(sample)",
    ),
    (
        "Delete a sample",
        lambda w: w.sample(),
        "uuid = 'SAMPLE_UUID'\nclient.delete_sample(uuid)",
    ),
    (
        "Get a label",
        lambda w: w.labeled(),
        "sample_uuid = 'SAMPLE_UUID'\nlabel = client.get_label(sample_uuid)\nprint(label)",
    ),
    (
        "Add a label (corrected: the reference passes no labelset)",
        lambda w: w.sample(),
        "sample_uuid = 'SAMPLE_UUID'\n"
        "attributes = {\n"
        "    'format_version': '0.1',\n"
        "    'annotations': [\n"
        "        {\n"
        "            'id': 1,\n"
        "            'category_id': 1,\n"
        "            'type': 'bbox',\n"
        "            'points': [\n"
        "                [12.34, 56.78],\n"
        "                [90.12, 34.56]\n"
        "            ]\n"
        "        },\n"
        "    ]\n"
        "}\n"
        "client.add_label(sample_uuid, 'ground-truth', attributes)",
    ),
    (
        "Update a label (corrected: the reference passes no labelset)",
        lambda w: w.labeled(),
        "sample_uuid = 'SAMPLE_UUID'\n"
        "attributes = {\n"
        "    'format_version': '0.1',\n"
        "    'annotations': [\n"
        "        {\n"
        "            'id': 1,\n"
        "            'category_id': 1,\n"
        "            'type': 'bbox',\n"
        "            'points': [\n"
        "                [12.34, 56.78],\n"
        "                [90.12, 34.56]\n"
        "            ]\n"
        "        },\n"
        "    ]\n"
        "}\n"
        "client.update_label(sample_uuid, 'ground-truth', attributes)",
    ),
    (
        "Delete a label",
        lambda w: w.labeled(),
        "sample_uuid = 'SAMPLE_UUID'\n"
        "labelset = 'ground-truth'\n"
        "client.delete_label(sample_uuid, labelset)",
    ),
    (
        "List labelsets",
        lambda w: w.flowers(),
        "dataset_identifier = 'jane/flowers'\n"
        "labelsets = client.get_labelsets(dataset_identifier)\n"
        "for labelset in labelsets:\n"
        "    print(labelset.name, labelset.description)",
    ),
    (
        "Get a labelset",
        lambda w: w.labelset("model-predictions"),
        "dataset_identifier = 'jane/flowers'\n"
        "name = 'model-predictions'\n"
        "labelset = client.get_labelset(dataset_identifier, name)\n"
        "print(labelset)",
    ),
    (
        "Create a labelset",
        lambda w: w.flowers(),
        "dataset_identifier = 'jane/flowers'\n"
        "name = 'model-predictions-resnet50'\n"
        "client.add_labelset(dataset_identifier, name)",
    ),
    (
        "Delete a labelset",
        lambda w: w.labelset("model-predictions"),
        "dataset_identifier = 'jane/flowers'\n"
        "name = 'model-predictions'\n"
        "client.delete_labelset(dataset_identifier, name)",
    ),
    (
        "List issues",
        lambda w: w.issue(),
        "dataset_identifier = 'jane/flowers'\n"
        "issues = client.get_issues(dataset_identifier)\n"
        "for issue in issues:\n"
        "    print(issue.uuid, issue.description, issue.status, issue.sample_uuid)",
    ),
    (
        "Create an issue",
        lambda w: w.sample(),
        "sample_uuid = 'SAMPLE_UUID'\n"
        "description = 'You forgot to label the cars in this image.'\n"
        "client.add_issue(sample_uuid, description)",
    ),
    (
        "Update an issue (corrected: the reference passes sample_uuid for uuid)",
        lambda w: w.issue(),
        "uuid = 'ISSUE_UUID'\n"
        "description = 'You forgot to label the cars in this image.'\n"
        "client.update_issue(uuid, description)",
    ),
    (
        "Delete an issue",
        lambda w: w.issue(),
        "uuid = 'ISSUE_UUID'\nclient.delete_issue(uuid)",
    ),
    (
        "List releases",
        lambda w: w.release(),
        "dataset_identifier = 'jane/flowers'\n"
        "releases = client.get_releases(dataset_identifier)\n"
        "for release in releases:\n"
        "    print(release.name, release.description, release.attributes.url)",
    ),
    (
        "Get a release",
        lambda w: w.release(),
        "dataset_identifier = 'jane/flowers'\n"
        "name = 'v0.1'\n"
        "release = client.get_release(dataset_identifier, name)\n"
        "print(release)",
    ),
    (
        "Create a release",
        lambda w: w.labeled(),
        "dataset_identifier = 'jane/flowers'\n"
        "name = 'v0.1'\n"
        "description = 'My first release.'\n"
        "release = client.add_release(dataset_identifier, name, description)\n"
        "print(release)\n"
        "# Wait for the release to be created\n"
        "while release.status == ReleaseStatus.PENDING:\n"
        "    release = client.get_release(dataset_identifier, name)\n"
        "    sleep(5)",
    ),
    (
        "Delete a release",
        lambda w: w.release(),
        "dataset_identifier = 'jane/flowers'\n"
        "name = 'v0.1'\n"
        "client.delete_release(dataset_identifier, name)",
    ),
    (
        "List workunits",
        lambda w: w.workunit(),
        "dataset_identifier = 'jane/flowers'\n"
        "workunits = client.get_workunits(dataset_identifier)\n"
        "for workunit in workunits:\n"
        "    print(workunit.created_at)",
    ),
    (
        "Upload an asset",
        None,  # needs tmp_path: see the test
        "filename = 'TMP/home/jane/flowers/violet.jpg'\n"
        "with open(filename, 'rb') as f:\n"
        "    filename = 'violet.jpg'\n"
        "    asset = client.upload_asset(f, filename)\n"
        "    image_url = asset.url\n"
        "    print(image_url)",
    ),
]


@pytest.fixture
def jane(server: EmulatorServer) -> Iterator[tuple[so.SegmentsClient, World]]:
    key = server.emulator.add_user("jane")
    with so.SegmentsClient(api_key=key, api_url=server.url) as legacy, so.Client(
        api_key=key, api_url=server.url
    ) as orm:
        yield legacy, World(orm, server)


@pytest.mark.parametrize(
    ("section", "setup", "code"), EXAMPLES, ids=[section for section, _, _ in EXAMPLES]
)
def test_reference_example_runs_through_the_facade(
    jane: tuple[so.SegmentsClient, World],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    section: str,
    setup: Any,
    code: str,
) -> None:
    legacy, world = jane
    if setup is None:
        world.photo(tmp_path)
    else:
        setup(world)
    for placeholder, value in world.names.items():
        code = code.replace(placeholder, value)
    from segments_orm.typing import ReleaseStatus

    namespace = {
        "client": legacy,
        "ReleaseStatus": ReleaseStatus,
        "sleep": lambda seconds: time.sleep(0.02),
    }
    exec(compile(code, section, "exec"), namespace)  # noqa: S102 - the reference's code
    printed = capsys.readouterr().out
    if "print(" in code:
        assert printed.strip(), "the example printed nothing"
        assert "Traceback" not in printed


def test_release_attributes_url_as_in_the_reference(jane: tuple[so.SegmentsClient, World]) -> None:
    legacy, world = jane
    world.release()
    release = legacy.get_releases("jane/flowers")[0]
    assert release.attributes.url == release.attributes["url"]
    assert release.attributes.url.startswith("http")
    loaded = legacy.get_release("jane/flowers", "v0.1")
    assert io.BytesIO(world.orm.transport.download(loaded.attributes.url)).read()
