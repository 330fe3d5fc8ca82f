"""Work units: the labeling and reviewing sessions recorded on a dataset."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from segments_orm._capabilities import Listable
from segments_orm._converter import parse_datetime
from segments_orm.base import Manager, Resource, _field, _resource
from segments_orm.exceptions import ValidationError
from segments_orm.query import FilterSchema, Lookup

__all__ = ["Workunit", "WorkunitManager"]


@_resource
class Workunit(Resource):
    """One recorded piece of work on a sample. Read-only: no ``save``, ``delete``, ``refresh``.

    The API has no request for one work unit; query them again to see new ones.
    """

    uuid: Optional[str] = _field(read_only=True)
    created_at: Optional[dt.datetime] = _field(read_only=True, show=True)
    created_by: Optional[str] = _field(read_only=True)
    work_type: Optional[str] = _field(read_only=True, show=True)
    time: Optional[float] = _field(read_only=True)
    inactive_time: Optional[float] = _field(read_only=True)
    sample_uuid: Optional[str] = _field(read_only=True)
    sample_name: Optional[str] = _field(read_only=True)
    next_label_status: Optional[str] = _field(read_only=True)
    label_rating: Optional[float] = _field(read_only=True)
    session_time_metrics: Optional[dict[str, Any]] = _field(read_only=True)

    def _identity(self) -> tuple[Any, ...]:
        return (self.uuid,)


def _time_lookup(param: str) -> Lookup:
    def encode(value: Any) -> dict[str, str]:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, str):
            try:
                moment = parse_datetime(value)
            except ValueError:
                raise ValidationError(
                    f"{param}: expected a datetime or an ISO timestamp, got {value!r}"
                ) from None
        else:
            raise ValidationError(f"{param}: expected a datetime or an ISO timestamp")
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        # The documented format has no offset: YYYY-MM-DDTHH:MM:SS, in UTC (WIRE.md 3.8).
        return {param: moment.strftime("%Y-%m-%dT%H:%M:%S")}

    return Lookup(encode)


class WorkunitManager(Listable[Workunit], Manager[Workunit]):
    """The work units of a dataset: filter by time, order by creation."""

    model = Workunit
    list_path = "datasets/{owner}/{name}/workunits/"
    schema = FilterSchema(
        lookups={"start": _time_lookup("start"), "end": _time_lookup("end")},
        orderings=frozenset({"created_at"}),
        default_ordering="-created_at",
        paged=True,
    )
    item_name = "workunits"

    def with_session_time_metrics(self) -> Any:
        """Return a queryset whose work units include ``session_time_metrics``."""
        return self.all().with_options(include_session_time_metrics="true")
