"""Issues: notes on a sample for the labeling team, open or closed."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

from segments_orm._capabilities import Deletable, Listable, Refreshable, Updatable
from segments_orm._fields import optional
from segments_orm.base import Manager, Resource, _field, _mutable_field, _resource
from segments_orm.enums import IssueStatus
from segments_orm.exceptions import ValidationError
from segments_orm.query import FilterSchema
from segments_orm.resources import _attributes
from segments_orm.resources._checks import check_choice, check_name, check_text, choice_check

if TYPE_CHECKING:
    from segments_orm.client import Client

__all__ = ["DatasetIssueManager", "Issue", "SampleIssueManager"]

_ISSUE_SCHEMA = FilterSchema(
    paged=False,
    attribute_names=frozenset({"uuid", "status", "sample_uuid", "sample_name", "created_by"}),
    orderings=frozenset({"created_at", "updated_at", "status"}),
)


def _check_anchor(value: Any, _: str) -> Any:
    return _attributes.prepare_issue_anchor(value)


@_resource
class Issue(Updatable, Deletable, Refreshable, Resource):
    """An issue raised on a sample. ``save()`` PATCHes description, status and anchor."""

    uuid: Optional[str] = _field(read_only=True)
    description: Optional[str] = _field(check=check_text)
    status: Union[IssueStatus, str, None] = _field(show=True, check=choice_check(IssueStatus))
    _anchor: Any = _mutable_field(wire="anchor", typed=True, check=optional(_check_anchor))
    comments: Optional[list[Any]] = _field(read_only=True)
    sample_uuid: Optional[str] = _field(read_only=True)
    sample_name: Optional[str] = _field(read_only=True)
    created_at: Optional[dt.datetime] = _field(read_only=True)
    updated_at: Optional[dt.datetime] = _field(read_only=True)
    created_by: Optional[str] = _field(read_only=True)
    updated_by: Optional[str] = _field(read_only=True)

    _path: ClassVar[str] = "issues/{uuid}/"

    @classmethod
    def shell(cls, client: Client, uuid: str) -> Issue:
        """Return an issue that knows only its uuid, without fetching it.

        The API has no request for one issue, so this is how an issue known by uuid is
        changed or deleted: ``update()`` PATCHes only what you set, ``delete()`` works.

        Raises:
            ValidationError: ``uuid`` is not a non-empty string.
        """
        return cls._shell(client, {"uuid": check_name(uuid, "uuid")})

    def _identity(self) -> tuple[Any, ...]:
        return (self.uuid,)

    def _repr_label(self) -> str:
        text = self._peek("description") or ""  # a shell (Issue.shell) knows only its uuid
        return repr(text if len(text) <= 40 else text[:37] + "...")

    def _url_params(self) -> dict[str, str]:
        return {"uuid": check_name(self.uuid, "uuid")}

    def _load_field(self, public: str, value: Any) -> Any:
        return _attributes.load_issue_anchor(value) if public == "anchor" else value

    def refresh(self) -> Issue:
        """Fetch this issue again, from its dataset's issue list (the API has no GET).

        Network: one request.
        """
        sample = (self._context or {}).get("sample")
        dataset = (self._context or {}).get("dataset") or (
            sample.dataset if sample is not None else None
        )
        if dataset is None:
            raise ValidationError(
                "The API has no request for one issue; get issues through dataset.issues"
            )
        fresh = dataset.issues.get(uuid=self.uuid)
        self._adopt(fresh)
        return self

    @property
    def sample(self) -> Any:
        """The sample this issue is about (no request: a shell when not known)."""
        known = (self._context or {}).get("sample")
        if known is not None:
            return known
        return self.client.samples.get(check_name(self.sample_uuid, "sample_uuid"), lazy=True)


class DatasetIssueManager(Listable[Issue], Manager[Issue]):
    """The issues of a dataset's samples: iterate and filter (on the client)."""

    model = Issue
    list_path = "datasets/{owner}/{name}/issues/"
    schema = _ISSUE_SCHEMA
    item_name = "issues"

    def get(self, **lookups: Any) -> Issue:
        """Return the one issue matching ``lookups`` (``uuid=...``), filtered on the client.

        Network: one request (the API lists a dataset's issues whole and has no GET for one).

        Raises:
            NotFoundError: No issue matches.
            MultipleObjectsReturned: More than one issue matches.
        """
        return self.all().get(**lookups)


class SampleIssueManager(Listable[Issue], Manager[Issue]):
    """The issues of one sample: create, and list (from its dataset's issues)."""

    model = Issue
    list_path = "samples/{uuid}/issues/"
    schema = _ISSUE_SCHEMA
    item_name = "issues"

    def _fetch(self, query: dict[str, str]) -> list[Any]:
        # The API lists issues per dataset only (WIRE.md 2); keep this sample's.
        sample = (self._context or {})["sample"]
        dataset = sample.dataset
        url = self._client.api_url.endpoint(
            "datasets/{owner}/{name}/issues/", dataset._url_params()
        )
        items = self._client.transport.request("GET", url)
        return [i for i in items if isinstance(i, dict) and i.get("sample_uuid") == sample.uuid]

    def create(
        self,
        description: str,
        status: Union[IssueStatus, str] = IssueStatus.OPEN,
        anchor: Any = None,
    ) -> Issue:
        """Raise an issue on this sample.

        Network: one request.

        Args:
            description: What is wrong.
            status: OPEN (default) or CLOSED.
            anchor: Where in the sample (a dict or a `segments_orm.types` anchor).
        """
        body: dict[str, Any] = {
            "description": check_text(description, "description"),
            "status": check_choice(status, IssueStatus, "status"),
        }
        if anchor is not None:
            body["anchor"] = _attributes.prepare_issue_anchor(anchor)
        return self._load(self._request("POST", json_body=body))
