"""The field tables agree with every signature that spells the same fields out.

A resource declares each field once (`segments_orm.base._field`): its check, and with
``create=`` its default as a create argument. The create methods and the facade's
methods (whose signatures must stay exactly the platform client's, which its
``test_same_arguments`` compares) list those arguments again, because a signature is what
users and the platform's tests read. These tests fail when a signature and the table
disagree: a new writable field is then one declaration plus the signatures named here.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import pytest

from segments_orm import Dataset, Label, Sample, SegmentsClient
from segments_orm._fields import REQUIRED, fields_of
from segments_orm.facade import _PLATFORM_NAMES
from segments_orm.resource_api import UNSET
from segments_orm.resources.dataset import DatasetManager
from segments_orm.resources.label import LabelManager
from segments_orm.resources.sample import SampleManager


def parameters(function: Callable[..., Any], drop: tuple[str, ...]) -> dict[str, Any]:
    """Return ``{ORM field name: default}`` of a method's parameters (REQUIRED: none)."""
    found = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name in ("self", *drop):
            continue
        default = parameter.default
        found[_PLATFORM_NAMES.get(name, name)] = (
            REQUIRED if default is inspect.Parameter.empty else default
        )
    return found


def creates(cls: type) -> dict[str, Any]:
    """Return ``{public name: create default}`` of the fields a create of ``cls`` takes."""
    return {spec.public: spec.create for spec in fields_of(cls).creates}


CREATES = [
    pytest.param(Sample, SampleManager.create, (), id="SampleManager.create"),
    pytest.param(
        Sample,
        SegmentsClient.add_sample,
        ("dataset_identifier", "enable_compression"),
        id="SegmentsClient.add_sample",
    ),
    pytest.param(Dataset, DatasetManager.create, ("organization",), id="DatasetManager.create"),
    pytest.param(Dataset, SegmentsClient.add_dataset, ("organization",), id="add_dataset"),
    pytest.param(Label, LabelManager.create, ("labelset", "overwrite"), id="LabelManager.create"),
    pytest.param(
        Label,
        SegmentsClient.add_label,
        ("sample_uuid", "labelset", "enable_compression"),
        id="SegmentsClient.add_label",
    ),
]


@pytest.mark.parametrize(("cls", "method", "drop"), CREATES)
def test_create_signatures_match_the_field_table(
    cls: type, method: Callable[..., Any], drop: tuple[str, ...]
) -> None:
    assert parameters(method, drop) == creates(cls)


UPDATES = [
    pytest.param(
        Sample, SegmentsClient.update_sample, ("uuid", "enable_compression"), id="update_sample"
    ),
    pytest.param(
        Dataset, SegmentsClient.update_dataset, ("dataset_identifier",), id="update_dataset"
    ),
    pytest.param(
        Label,
        SegmentsClient.update_label,
        ("sample_uuid", "labelset", "enable_compression"),
        id="update_label",
    ),
]


@pytest.mark.parametrize(("cls", "method", "drop"), UPDATES)
def test_update_signatures_name_writable_fields(
    cls: type, method: Callable[..., Any], drop: tuple[str, ...]
) -> None:
    given = parameters(method, drop)
    table = fields_of(cls)
    assert set(given) <= table.writable, sorted(set(given) - table.writable)
    # Every argument is optional: None (or UNSET, where None means "unassign") leaves
    # the field as it is.
    assert {name for name, default in given.items() if default not in (None, UNSET)} == set()
    # And every create argument can be changed again, unless the server fixes it.
    assert set(creates(cls)) - table.writable - set(given) <= {"name", "attributes"}


def test_a_disagreement_is_caught() -> None:
    # The comparison itself can fail: a signature with an argument the table lacks.
    def create(self: Any, name: str, attributes: Any, colour: str = "red") -> None:
        """Create."""

    assert parameters(create, ()) != creates(Sample)


@pytest.mark.parametrize("cls", [Sample, Dataset])
def test_every_create_argument_is_checked_on_write(cls: type) -> None:
    # The one declaration serves creates and updates: a writable create argument has a
    # check of its own or a scalar kind the table checks.
    table = fields_of(cls)
    for spec in table.creates:
        if spec.read_only or spec.typed:
            continue
        assert spec.check is not None or spec.scalar is not None, spec.public
