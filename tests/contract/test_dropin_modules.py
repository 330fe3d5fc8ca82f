"""The drop-in surface: module names, errors, nested records and resource-API objects.

A script for segments-ai 1.33 becomes a segments-orm script by replacing ``segments``
with ``segments_orm`` in its imports; these tests pin what that needs beyond the
platform's own test files (test_platform_suites.py).
"""

from __future__ import annotations

import importlib
import inspect
import io
from collections.abc import Iterator

import pytest
import segments.exceptions
import segments.typing

import segments_orm as so
import segments_orm.typing as segments_typing
from segments_orm import resource_api
from segments_orm.emulator import EmulatorServer
from segments_orm.exceptions import InvalidIdentifierError, InvalidModelError, NotFoundError

IMAGE = {"image": {"url": "https://example.com/violet.jpg"}}
BBOX = {
    "format_version": "0.1",
    "annotations": [{"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 2], [3, 4]]}],
}
# Names of segments.typing that are the platform's pydantic internals, not models or
# enums a script uses (docs/mapping.rst lists them).
NOT_MIRRORED = {
    "AWSFields",
    "BaseAttribute",
    "BaseCheckboxTaskAttribute",
    "BaseModel",
    "BaseMultiselectTaskAttribute",
    "BaseNumberTaskAttribute",
    "BasePointcloudCuboidLabelAttributes",
    "BasePointcloudSequenceCuboidLabelAttributes",
    "BasePointcloudSequenceVectorLabelAttributes",
    "BasePointcloudVectorLabelAttributes",
    "BasePointsTaskAttribute",
    "BaseQuaternionTaskAttribute",
    "BaseSelectTaskAttribute",
    "BaseTaskAttribute",
    "BaseTaskLinkAttribute",
    "BaseTextTaskAttribute",
    "BaseVector3TaskAttribute",
    "Enum",
    "EnumMeta",
    "ExportFormat",
    "IssueBaseAnchor",
    "OrthoImageCorner",
    "PointcloudCuboidAnnotationTypeLiteral",
    "PointcloudVectorAnnotationTypeLiteral",
    "SegmentsDatasetCategory",
}


@pytest.fixture
def legacy(server: EmulatorServer) -> Iterator[so.SegmentsClient]:
    with so.SegmentsClient(api_key=server.api_key, api_url=server.url) as client:
        yield client


@pytest.fixture
def flowers(legacy: so.SegmentsClient) -> resource_api.Dataset:
    return legacy.add_dataset("flowers", task_type="vector")


# --- module names -----------------------------------------------------------------------


def test_the_platform_import_paths_exist() -> None:
    from segments_orm.client import SegmentsClient

    assert SegmentsClient is so.SegmentsClient
    for name in ("Dataset", "Sample", "Label", "Issue", "Collaborator", "Labelset", "Release"):
        assert issubclass(getattr(resource_api, name), getattr(segments_typing, name))
    with pytest.raises(AttributeError):
        importlib.import_module("segments_orm.client").NoSuchClient  # noqa: B018


def test_every_platform_exception_name_exists() -> None:
    theirs = {
        name
        for name, value in vars(segments.exceptions).items()
        if inspect.isclass(value) and issubclass(value, Exception)
    }
    missing = sorted(name for name in theirs if not hasattr(so.exceptions, name))
    assert not missing


def test_every_model_and_enum_name_of_segments_typing_exists() -> None:
    theirs = {
        name
        for name, value in vars(segments.typing).items()
        if name[:1].isupper() and getattr(value, "__module__", "") == "segments.typing"
    }
    missing = sorted(theirs - NOT_MIRRORED - set(segments_typing.__all__))
    assert not missing
    assert all(hasattr(segments_typing, name) for name in segments_typing.__all__)


def test_attribute_models_take_pydantic_names() -> None:
    data = {"format_version": "0.1", "annotations": [], "point_annotations": [0, 0]}
    model = segments_typing.PointcloudSegmentationLabelAttributes.model_validate(data)
    assert model.model_dump() == data
    with pytest.raises(so.ValidationError):
        segments_typing.PointcloudSegmentationLabelAttributes.model_validate({"x": 1})


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_dataset("abcde"),
        lambda c: c.get_releases("abcde"),
        lambda c: c.delete_labelset("abcde", "abcde"),
        lambda c: c.get_samples("abcde"),
    ],
)
def test_a_malformed_identifier_is_refused_as_not_found(
    server: EmulatorServer, legacy: so.SegmentsClient, call: object
) -> None:
    before = server.emulator.stats.requests
    with pytest.raises(InvalidIdentifierError) as caught:
        call(legacy)  # type: ignore[operator]
    assert isinstance(caught.value, NotFoundError)
    assert isinstance(caught.value, so.ValidationError)
    assert server.emulator.stats.requests == before


def test_delete_samples_refuses_as_the_platform_does(
    server: EmulatorServer, legacy: so.SegmentsClient, flowers: resource_api.Dataset
) -> None:
    before = server.emulator.stats.requests
    with pytest.raises(so.ValidationError, match="empty"):
        legacy.delete_samples("demo/flowers", [])
    with pytest.raises(so.ValidationError, match="1000"):
        flowers.delete_samples([f"00000000-0000-0000-0000-{i:012d}" for i in range(1001)])
    assert server.emulator.stats.requests == before
    # The ORM's own bulk delete still chunks any number.
    assert flowers.samples.delete_many([]) == 0


def test_a_typed_model_of_another_task_type_is_an_invalid_model_error(
    server: EmulatorServer, legacy: so.SegmentsClient, flowers: resource_api.Dataset
) -> None:
    cloud = segments_typing.PointcloudSampleAttributes.model_validate(
        {"pcd": {"url": "https://example.com/a.pcd", "type": "pcd"}}
    )
    with pytest.raises(InvalidModelError):
        flowers.add_sample("a.pcd", cloud)
    sample = flowers.add_sample("violet.jpg", IMAGE)
    segmentation = segments_typing.ImageSegmentationLabelAttributes.model_validate(
        {"format_version": "0.1", "annotations": [], "segmentation_bitmap": {"url": "u"}}
    )
    before = server.emulator.stats.requests
    with pytest.raises(InvalidModelError):
        sample.add_label("ground-truth", segmentation)
    assert server.emulator.stats.requests == before  # the dataset was known: no request
    good = segments_typing.ImageVectorLabelAttributes.model_validate(BBOX)
    assert sample.add_label("ground-truth", good).attributes == good


# --- what the facade returns ------------------------------------------------------------


def test_nested_models_read_as_attributes_and_as_dicts(
    legacy: so.SegmentsClient, flowers: resource_api.Dataset
) -> None:
    sample = flowers.add_sample("violet.jpg", IMAGE)
    sample.add_label("ground-truth", BBOX, label_status="LABELED")
    stats = legacy.get_dataset("demo/flowers").label_stats
    assert (stats.LABELED, stats["LABELED"], stats.TOTAL) == (1, 1, 1)
    release = flowers.add_release("v1")
    assert release.attributes.url is None or isinstance(release.attributes.url, str)
    done = release.wait(timeout=30, poll=0.02)  # the ORM's method, on the same object
    fetched = flowers.get_release("v1")
    assert fetched.attributes.url == done.url == fetched.attributes["url"]
    with pytest.raises(AttributeError, match="no key 'nope'"):
        fetched.attributes.nope  # noqa: B018
    asset = legacy.upload_asset(io.BytesIO(b"\x89PNG"), "a.png")
    assert isinstance(asset, segments_typing.File)
    assert asset.presignedPostFields.url
    assert asset.presignedPostFields.fields["key"] == asset.presignedPostFields.fields.key
    issue = sample.add_issue("Cars?")
    assert issue.comments == []
    assert dict(resource_api.Record({"a": {"b": 1}}).a) == {"b": 1}
    assert resource_api.Record({"a": {"b": [{"c": 2}]}}).a.b[0].c == 2


def test_resource_api_methods_are_thin_calls(
    server: EmulatorServer, legacy: so.SegmentsClient, flowers: resource_api.Dataset
) -> None:
    server.emulator.add_user("john")
    assert isinstance(flowers, resource_api.Dataset)
    updated = flowers.update(description="New.")
    assert updated is flowers and flowers.description == "New."  # in place, and returned
    sample = flowers.add_sample("violet.jpg", IMAGE, assigned_labeler="demo")
    assert isinstance(sample, resource_api.Sample)
    assert isinstance(legacy.get_sample(str(sample.uuid)).dataset, resource_api.Dataset)
    kept = sample.update(name="renamed.jpg")
    assert (kept.name, kept.assigned_labeler) == ("renamed.jpg", "demo")
    assert sample.update(assigned_labeler=None).assigned_labeler is None
    label = sample.add_label("ground-truth", BBOX)
    assert label.update(score=0.5).label_status == "PRELABELED"
    assert sample.get_label().score == 0.5
    collaborator = flowers.add_collaborator("john")
    assert collaborator.dataset.get_collaborator("john") == collaborator
    assert collaborator.update("admin").role == "admin"
    collaborator.delete()
    labelset = flowers.add_labelset("preds")
    assert [ls.name for ls in flowers.get_labelsets()] == ["ground-truth", "preds"]
    labelset.delete()
    issue = sample.add_issue("Cars?")
    assert [i.uuid for i in sample.get_issues()] == [issue.uuid]
    assert issue.update(status="CLOSED").status == "CLOSED"
    issue.delete()
    label.delete()
    with pytest.raises(NotFoundError):
        sample.get_label()
    assert flowers.get_samples(sort="created", direction="desc")[0].uuid == sample.uuid
    sample.delete()
    flowers.delete()
    with pytest.raises(NotFoundError):
        legacy.get_dataset("demo/flowers")


def test_the_orm_keeps_its_own_classes(server: EmulatorServer) -> None:
    with so.Client(api_key=server.api_key, api_url=server.url) as client:
        dataset = client.datasets.create("plain")
        assert type(dataset) is so.Dataset
        assert not hasattr(dataset, "add_sample")
        adopted = resource_api.adopt(client.datasets.get("demo/plain"))
        assert adopted == dataset and dataset == adopted  # the same resource
        assert hash(adopted) == hash(dataset)
        assert adopted != client.datasets.create("other")
        with pytest.raises(so.MissingContextError, match="SegmentsClient"):
            adopted.add_sample("a.jpg", IMAGE)


def test_get_label_refuses_the_ego_transform(
    server: EmulatorServer, legacy: so.SegmentsClient
) -> None:
    before = server.emulator.stats.requests
    with pytest.raises(so.ValidationError, match="transform_to_ego_coordinates"):
        legacy.get_label("00000000-0000-0000-0000-000000000000", transform_to_ego_coordinates=True)
    assert server.emulator.stats.requests == before
