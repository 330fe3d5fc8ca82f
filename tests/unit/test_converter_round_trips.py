"""Lenient reads, exact writes: WIRE.md 4.1 payloads survive a load and a dump."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Optional, Union

import attrs
import pytest

from segments_orm._converter import (
    format_datetime,
    parse_datetime,
    read_only_fields,
    structure,
    unstructure,
    wire_name,
)
from segments_orm.enums import Category, IssueStatus, LabelStatus, ReleaseStatus, Role, TaskType

UTC = dt.timezone.utc

# ---- small models, as the resources will declare them ----------------------------------


@attrs.define
class Owner:
    username: Optional[str] = None
    created_at: Optional[dt.datetime] = None
    email: Optional[str] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Labelset:
    name: Optional[str] = None
    description: Optional[str] = None
    is_groundtruth: Optional[bool] = None
    created_at: Optional[dt.datetime] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Dataset:
    name: Optional[str] = None
    full_name: Optional[str] = attrs.field(default=None, metadata={"read_only": True})
    description: Optional[str] = None
    category: Optional[Union[Category, str]] = None
    public: Optional[bool] = None
    owner: Optional[Owner] = None
    created_at: Optional[dt.datetime] = attrs.field(default=None, metadata={"read_only": True})
    task_type: Optional[TaskType] = None
    label_stats: Optional[dict[str, int]] = None
    samples_count: Optional[Union[int, str]] = None
    labelsets: Optional[list[Labelset]] = None
    metadata: Optional[dict[str, Any]] = None
    role: Optional[Role] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class LabelSummary:
    label_status: Optional[LabelStatus] = None
    score: Optional[float] = None
    updated_at: Optional[dt.datetime] = None
    created_by: Optional[str] = None
    reviewed_by: Optional[str] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Sample:
    uuid: Optional[str] = None
    name: Optional[str] = None
    attributes: Optional[dict[str, Any]] = None
    metadata: Optional[dict[str, Any]] = None
    created_at: Optional[dt.datetime] = None
    created_by: Optional[str] = None
    priority: Optional[float] = None
    label: Optional[LabelSummary] = None
    issues: Optional[list[Any]] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Label:
    sample_uuid: Optional[str] = None
    label_type: Optional[TaskType] = None
    label_status: Optional[LabelStatus] = None
    labelset: Optional[str] = None
    attributes: Optional[dict[str, Any]] = None
    created_at: Optional[dt.datetime] = None
    updated_at: Optional[dt.datetime] = None
    score: Optional[float] = None
    rating: Optional[float] = None
    reviewed_at: Optional[dt.datetime] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class UrlField:
    url: Optional[str] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Release:
    uuid: Optional[str] = None
    name: Optional[str] = None
    status: Optional[ReleaseStatus] = None
    attributes: Optional[UrlField] = None
    created_at: Optional[dt.datetime] = None
    samples_count: Optional[int] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Issue:
    uuid: Optional[str] = None
    description: Optional[str] = None
    status: Optional[IssueStatus] = None
    comments: Optional[list[dict[str, Any]]] = None
    anchor: Optional[dict[str, Any]] = None
    created_at: Optional[dt.datetime] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class PresignedPost:
    url: Optional[str] = None
    fields: Optional[dict[str, str]] = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class File:
    uuid: Optional[str] = None
    filename: Optional[str] = None
    url: Optional[str] = None
    created_at: Optional[dt.datetime] = None
    presigned_post: Optional[PresignedPost] = attrs.field(
        default=None, metadata={"wire": "presignedPostFields"}
    )
    extra: dict[str, Any] = attrs.field(factory=dict)


# ---- WIRE.md 4.1 payloads --------------------------------------------------------------

DATASET = {
    "name": "flowers", "full_name": "jane/flowers", "cloned_from": None, "description": "",
    "category": "other", "public": False, "archived": False,
    "owner": {"username": "jane", "created_at": "2024-01-01T00:00:00Z",
              "email": "jane@example.com"},
    "created_at": "2024-01-02T10:00:00.000000Z", "enable_ratings": False,
    "enable_skip_labeling": True, "enable_skip_reviewing": False, "enable_save_button": False,
    "enable_label_status_verified": False, "enable_same_dimensions_track_constraint": False,
    "enable_3d_region_of_interest": False, "enable_3d_cuboid_rotation": False,
    "enable_confirm_on_submit": False, "enable_interpolation": True,
    "use_timestamps_for_interpolation": True, "enable_object_linking": False,
    "enable_object_link_category_restrictions": False, "enable_extrapolation": False,
    "task_type": "vector", "label_stats": {"LABELED": 3, "UNLABELED": 7, "TOTAL": 10},
    "labeling_inactivity_timeout_seconds": 300, "samples_count": 10, "collaborators_count": 1,
    "task_attributes": {"format_version": "0.1", "categories": [{"id": 1, "name": "object"}]},
    "labelsets": [{"name": "ground-truth", "description": "", "is_groundtruth": True,
                   "created_at": "2024-01-02T10:00:00Z"}],
    "role": "admin", "readme": "", "metadata": {}, "noncollaborator_can_label": False,
    "noncollaborator_can_review": False, "region_of_interest": None,
}  # fmt: skip

SAMPLE = {
    "uuid": "602a3eec-a61c-4a77-9fcc-3037ce5e9606", "name": "violet.jpg",
    "attributes": {"image": {"url": "https://assets.example/jane/violet.jpg"}},
    "metadata": {"weather": "sunny"}, "created_at": "2024-01-03T09:00:00Z", "created_by": "jane",
    "readme": "", "assigned_labeler": None, "assigned_reviewer": None, "priority": 0,
    "label": {"label_status": "LABELED", "score": None, "updated_at": "2024-01-04T12:00:00Z",
              "created_by": "bob", "reviewed_by": None},
    "issues": None, "dataset_full_name": "jane/flowers",
}  # fmt: skip

LABEL = {
    "sample_uuid": "602a3eec-a61c-4a77-9fcc-3037ce5e9606", "label_type": "vector",
    "label_status": "PRELABELED", "labelset": "ground-truth",
    "attributes": {"format_version": "0.1", "annotations": [
        {"id": 1, "category_id": 1, "type": "bbox", "points": [[12.3, 56.7], [90.1, 34.5]],
         "attributes": {"color": "red"}}]},
    "created_at": "2024-01-04T12:00:00Z", "created_by": "jane",
    "updated_at": "2024-01-04T12:00:00Z",
    "updated_by": "jane", "score": 0.92, "rating": None, "reviewed_at": None, "reviewed_by": None,
}  # fmt: skip

RELEASE_PENDING = {
    "uuid": "2b1c", "name": "v1.0", "description": "first", "release_type": "JSON",
    "attributes": {"url": None}, "status": "PENDING", "created_at": "2024-01-05T08:00:00Z",
    "samples_count": 0,
}  # fmt: skip
RELEASE_DONE = {
    **RELEASE_PENDING, "status": "SUCCEEDED",
    "attributes": {"url": "https://files.example/releases/2b1c.json"}, "samples_count": 10,
}  # fmt: skip

ISSUE = {
    "uuid": "9a0e", "description": "You forgot the car.", "created_at": "2024-01-06T08:00:00Z",
    "updated_at": "2024-01-06T08:00:00Z", "created_by": "jane", "updated_by": "jane",
    "status": "OPEN", "comments": [{"created_at": "2024-01-06T09:00:00Z", "created_by": "bob",
                                    "text": "fixed"}],
    "anchor": {"type": "location", "frame": 0, "sensor": "Lidar",
               "location": {"type": "2d", "x": 1.2, "y": 3.5}},
    "sample_uuid": "602a3eec-a61c-4a77-9fcc-3037ce5e9606", "sample_name": "violet.jpg",
}  # fmt: skip

FILE = {
    "uuid": "44f0", "filename": "violet.jpg",
    "url": "https://segmentsai-prod.s3.eu-west-2.amazonaws.com/assets/jane/44f0.jpg",
    "created_at": "2024-01-07T08:00:00Z",
    "presignedPostFields": {"url": "https://segmentsai-prod.s3.amazonaws.com/",
        "fields": {"acl": "public-read", "Content-Type": "image/jpeg",
                   "key": "assets/jane/44f0.jpg", "x-amz-algorithm": "AWS4-HMAC-SHA256",
                   "x-amz-credential": "AKIA/s3/aws4_request",
                   "x-amz-date": "20240107T080000Z", "policy": "eyJ", "x-amz-signature": "ab12",
                   "x-amz-security-token": "sts-token"}},
}  # fmt: skip


def normalise_times(data: Any) -> Any:
    """Compare timestamps by instant, not spelling (``Z`` vs ``.000000Z``)."""
    if isinstance(data, dict):
        return {k: normalise_times(v) for k, v in data.items()}
    if isinstance(data, list):
        return [normalise_times(v) for v in data]
    if isinstance(data, str):
        try:
            return parse_datetime(data)
        except ValueError:
            return data
    return data


@pytest.mark.parametrize(
    ("payload", "model"),
    [
        (DATASET, Dataset),
        (SAMPLE, Sample),
        (LABEL, Label),
        (RELEASE_PENDING, Release),
        (RELEASE_DONE, Release),
        (ISSUE, Issue),
        (FILE, File),
    ],
)
def test_wire_examples_round_trip(payload: dict[str, Any], model: type) -> None:
    original = copy.deepcopy(payload)
    obj = structure(payload, model)
    assert payload == original  # reading does not mutate the input
    dumped = unstructure(obj)
    assert normalise_times(dumped) == normalise_times(payload)
    assert set(dumped) == set(payload)


def test_dataset_fields_are_typed() -> None:
    dataset = structure(DATASET, Dataset)
    assert dataset.task_type is TaskType.VECTOR
    assert dataset.category is Category.OTHER
    assert dataset.role is Role.ADMIN
    assert dataset.created_at == dt.datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
    assert isinstance(dataset.owner, Owner)
    assert dataset.owner.created_at == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert dataset.labelsets is not None
    assert isinstance(dataset.labelsets[0], Labelset)
    assert dataset.labelsets[0].is_groundtruth is True
    assert dataset.extra["enable_interpolation"] is True
    assert dataset.extra["region_of_interest"] is None
    assert "name" not in dataset.extra


def test_nested_models_and_wire_names() -> None:
    asset = structure(FILE, File)
    assert isinstance(asset.presigned_post, PresignedPost)
    assert asset.presigned_post.fields is not None
    # Every presigned field is kept, including the ones the platform client drops.
    assert asset.presigned_post.fields["x-amz-security-token"] == "sts-token"
    assert "presignedPostFields" in unstructure(asset)
    assert "presigned_post" not in unstructure(asset)
    assert wire_name(attrs.fields(File).presigned_post) == "presignedPostFields"


def test_release_attributes_url_null_then_set() -> None:
    pending = structure(RELEASE_PENDING, Release)
    done = structure(RELEASE_DONE, Release)
    assert pending.status is ReleaseStatus.PENDING
    assert pending.attributes is not None
    assert pending.attributes.url is None
    assert done.status is ReleaseStatus.SUCCEEDED
    assert done.attributes is not None
    assert done.attributes.url.endswith("2b1c.json")


def test_sample_with_label_summary() -> None:
    sample = structure(SAMPLE, Sample)
    assert isinstance(sample.label, LabelSummary)
    assert sample.label.label_status is LabelStatus.LABELED
    assert sample.priority == 0
    assert sample.extra["dataset_full_name"] == "jane/flowers"


def test_unknown_enum_values_are_kept_as_str() -> None:
    data = {
        **DATASET,
        "task_type": "text-named-entities",
        "category": "custom-bees",
        "role": "owner",
    }
    dataset = structure(data, Dataset)
    assert dataset.task_type == "text-named-entities"
    assert type(dataset.task_type) is str
    assert dataset.category == "custom-bees"
    assert dataset.role == "owner"
    dumped = unstructure(dataset)
    assert dumped["task_type"] == "text-named-entities"
    assert dumped["category"] == "custom-bees"

    release = structure({**RELEASE_DONE, "status": "ARCHIVED"}, Release)
    assert release.status == "ARCHIVED"
    assert unstructure(release)["status"] == "ARCHIVED"


def test_enums_dump_as_plain_values() -> None:
    dumped = unstructure(structure(LABEL, Label))
    assert dumped["label_status"] == "PRELABELED"
    assert type(dumped["label_status"]) is str
    assert type(dumped["label_type"]) is str
    assert unstructure(LabelStatus.REVIEWED) == "REVIEWED"
    assert type(unstructure(TaskType.BBOXES)) is str


def test_unknown_fields_survive_load_and_dump() -> None:
    data = {**SAMPLE, "new_field": {"nested": [1, 2]}, "flag": True}
    sample = structure(data, Sample)
    assert sample.extra["new_field"] == {"nested": [1, 2]}
    dumped = unstructure(sample)
    assert dumped["new_field"] == {"nested": [1, 2]}
    assert dumped["flag"] is True


def test_declared_field_wins_over_extra_on_dump() -> None:
    sample = structure(SAMPLE, Sample)
    sample.extra["name"] = "stale"
    sample.name = "fresh.jpg"
    assert unstructure(sample)["name"] == "fresh.jpg"


def test_missing_fields_default() -> None:
    sample = structure({"uuid": "u"}, Sample)
    assert sample.uuid == "u"
    assert sample.name is None
    assert sample.extra == {}


@pytest.mark.parametrize(
    "data",
    [
        {**SAMPLE, "priority": "high"},
        {**SAMPLE, "metadata": None},
        {**SAMPLE, "label": "oops"},
        {**SAMPLE, "label": {"label_status": 5, "score": "x"}},
        {**SAMPLE, "created_at": 12345},
        {**SAMPLE, "issues": {"not": "a list"}},
        {**DATASET, "labelsets": [None, "x", 3, {"name": "ok"}]},
        {**DATASET, "owner": ["not", "an", "object"]},
        {**DATASET, "samples_count": "10+"},
    ],
)
def test_reading_never_raises(data: dict[str, Any]) -> None:
    model = Dataset if "full_name" in data else Sample
    obj = structure(data, model)
    assert isinstance(obj, model)


def test_unexpected_shapes_kept_raw() -> None:
    sample = structure({**SAMPLE, "priority": "high", "label": "oops"}, Sample)
    assert sample.priority == "high"
    assert sample.label == "oops"
    dataset = structure({**DATASET, "owner": ["x"], "samples_count": "10+"}, Dataset)
    assert dataset.owner == ["x"]
    assert dataset.samples_count == "10+"


def test_scalars_are_not_coerced() -> None:
    release = structure({**RELEASE_DONE, "samples_count": "10"}, Release)
    assert release.samples_count == "10"


def test_read_only_fields() -> None:
    assert read_only_fields(Dataset) == frozenset({"full_name", "created_at"})


# ---- timestamps ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T10:00:00Z", dt.datetime(2024, 1, 2, 10, tzinfo=UTC)),
        ("2020-07-20T14:59:36.242218Z", dt.datetime(2020, 7, 20, 14, 59, 36, 242218, tzinfo=UTC)),
        ("2024-01-02T10:00:00.5z", dt.datetime(2024, 1, 2, 10, 0, 0, 500000, tzinfo=UTC)),
        (
            "2024-01-02T12:00:00.123456+02:00",
            dt.datetime(2024, 1, 2, 10, 0, 0, 123456, tzinfo=UTC),
        ),
        ("2024-01-02T05:30:00-0430", dt.datetime(2024, 1, 2, 10, 0, tzinfo=UTC)),
        ("2024-01-02T10:00:00+01", dt.datetime(2024, 1, 2, 9, tzinfo=UTC)),
        ("2024-01-05 08:00:00.000000+00:00", dt.datetime(2024, 1, 5, 8, tzinfo=UTC)),
        ("2024-01-05 08:00:00", dt.datetime(2024, 1, 5, 8, tzinfo=UTC)),
        ("2024-01-05T08:00", dt.datetime(2024, 1, 5, 8, tzinfo=UTC)),
        (
            "2024-01-02T10:00:00.123456789Z",
            dt.datetime(2024, 1, 2, 10, 0, 0, 123456, tzinfo=UTC),
        ),
    ],
)
def test_parse_datetime(text: str, expected: dt.datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed.tzinfo is not None
    assert parsed == expected


def test_offset_is_kept_not_converted() -> None:
    parsed = parse_datetime("2024-01-02T12:00:00+02:00")
    assert parsed.utcoffset() == dt.timedelta(hours=2)
    assert parsed.hour == 12


@pytest.mark.parametrize(
    "text",
    ["yesterday", "", "2024-13-45T99:99:99Z", "2024-01-02", "2024/01/02 10:00:00", "2024-01-02T10"],
)
def test_garbage_timestamp_refused_by_parse_and_kept_raw_by_structure(text: str) -> None:
    with pytest.raises(ValueError, match=r"timestamp|out of range|must be in"):
        parse_datetime(text)
    sample = structure({"uuid": "u", "created_at": text}, Sample)
    assert sample.created_at == text
    assert unstructure(sample)["created_at"] == text


def test_format_datetime() -> None:
    assert format_datetime(dt.datetime(2024, 1, 2, 10, tzinfo=UTC)) == "2024-01-02T10:00:00.000000Z"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert format_datetime(dt.datetime(2024, 1, 2, 12, 0, 0, 7, tzinfo=plus_two)) == (
        "2024-01-02T10:00:00.000007Z"
    )
    assert format_datetime(dt.datetime(2024, 1, 2, 10)) == "2024-01-02T10:00:00.000000Z"


def test_timestamp_round_trip_is_stable() -> None:
    text = "2020-07-20T14:59:36.242218Z"
    assert format_datetime(parse_datetime(text)) == text
    label = structure(LABEL, Label)
    again = structure(unstructure(label), Label)
    assert again == label
