"""Labelsets: named sets of labels of a dataset (``ground-truth``, model predictions)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Optional

from segments_orm._capabilities import Deletable, Refreshable
from segments_orm.base import Resource, _field, _resource
from segments_orm.query import FilterSchema
from segments_orm.resources._checks import check_name, check_text
from segments_orm.resources._dataset_child import NamedChildManager, NamedInDataset

__all__ = ["Labelset", "LabelsetManager"]


@_resource
class Labelset(NamedInDataset, Deletable, Refreshable, Resource):
    """A named set of labels in a dataset. Identified by (dataset, name)."""

    name: Optional[str] = _field(read_only=True)
    description: Optional[str] = _field(read_only=True)
    is_groundtruth: Optional[bool] = _field(read_only=True)
    created_at: Optional[dt.datetime] = _field(read_only=True)

    item_param: ClassVar[str] = "labelset"
    _path: ClassVar[str] = "datasets/{owner}/{name}/labelsets/{labelset}/"


class LabelsetManager(NamedChildManager[Labelset]):
    """The labelsets of a dataset: iterate, filter (on the client), get, create."""

    model = Labelset
    list_path = "datasets/{owner}/{name}/labelsets/"
    item_path = Labelset._path
    item_param = Labelset.item_param
    schema = FilterSchema(
        paged=False,
        attribute_names=frozenset({"name", "description", "is_groundtruth"}),
        orderings=frozenset({"name", "created_at"}),
    )
    item_name = "labelsets"

    def create(self, name: str, description: str = "") -> Labelset:
        """Create a labelset.

        Network: one request. A create whose answer was lost is reconciled by looking
        the labelset up by name before sending again (never a duplicate, never a false
        "already exists").

        Raises:
            AlreadyExistsError: The dataset has a labelset with this name.
        """
        # The platform's client sends attributes as the string "{}" (WIRE.md 3.7).
        body = {
            "name": check_name(name, "name"),
            "description": check_text(description, "description"),
            "attributes": "{}",
        }

        return self._create_named(name, body)
