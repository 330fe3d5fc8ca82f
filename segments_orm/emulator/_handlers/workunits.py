"""The work unit listing of a dataset."""

from __future__ import annotations

from datetime import datetime, timezone

from segments_orm.emulator._handlers._common import Reply, _dataset
from segments_orm.emulator._http import (
    Ctx,
    bad_request,
    paginate,
)
from segments_orm.emulator._views import (
    workunit_json,
)


def _moment(field: str, text: str) -> datetime:
    text = text.strip().replace("Z", "+00:00")
    # A raw "+01:00" offset arrives as " 01:00", since '+' means a space in a query string.
    candidates = [text]
    if len(text) > 19 and text[19] == " ":
        candidates.append(f"{text[:19]}+{text[20:]}")
    for candidate in candidates:
        try:
            moment = datetime.fromisoformat(candidate)
            break
        except ValueError:
            continue
    else:
        raise bad_request(field, "Datetime has wrong format. Use YYYY-MM-DDTHH:MM:SS.")
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
            raise bad_request(field, "Datetime is out of range.") from None
    return moment


def list_workunits(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/workunits/ (WIRE.md 3.8), newest first by default."""
    dataset, _ = _dataset(ctx, "read")
    query = ctx.query
    sort = query.get("sort", "-created_at")
    if sort.lstrip("-") != "created_at":
        sort = "-created_at"  # an unknown key gives the default order, as on the platform
    start = _moment("start", query["start"]) if query.get("start") else None
    end = _moment("end", query["end"]) if query.get("end") else None
    rows = ctx.tx.all("SELECT * FROM workunits WHERE dataset_id = ? ORDER BY seq", (dataset["id"],))
    selected = []
    for row in rows:
        created = _moment("created_at", row["created_at"])
        if (start is not None and created < start) or (end is not None and created > end):
            continue
        selected.append(row)
    if sort.startswith("-"):
        selected.reverse()
    with_metrics = query.get("include_session_time_metrics") in ("1", "true", "True")
    return 200, [workunit_json(row, with_metrics) for row in paginate(selected, query)]
