"""B7: a queryset to a DataFrame, against a DataFrame built from the raw JSON pages.

Kept apart from run.py (which imports it) so that each benchmark family stays in its own
file. Both contenders fetch every page from the same emulator in the same run; the raw
one is the floor: ``requests`` + ``json.loads`` per page, then one ``pandas.DataFrame`` of
all the dicts (no timestamp parsing, no enum handling, no objects).
"""

from __future__ import annotations

from typing import Any

from tests.benchmarks.run import (
    Row,
    _EmulatorProcess,
    _raw_pages,
    alternate,
    new_dataset,
    orm_client,
    seed_samples,
)


def bench_to_pandas(quick: bool, server: _EmulatorProcess) -> Row:
    import pandas

    count = 2_000 if quick else 20_000
    reps = 2 if quick else 5
    row = Row("B7", f"a DataFrame of a {count:,}-sample dataset")
    client = orm_client(server)
    try:
        dataset = new_dataset(client, "b7")
        seed_samples(server, dataset.full_name, count)
        full_name = dataset.full_name

        def ours(_: int) -> Any:
            frame = dataset.samples.all().to_pandas()
            assert len(frame) == count, len(frame)
            return frame

        def raw(_: int) -> Any:
            items = [item for page in _raw_pages(server, full_name) for item in page]
            frame = pandas.DataFrame(items)
            assert len(frame) == count, len(frame)
            return frame

        contenders = [
            ("ds.samples.all().to_pandas()", ours),
            ("pandas.DataFrame(raw JSON pages)", raw),
        ]
        times = alternate(contenders, reps)
        ours_median = row.add(contenders[0][0], times[contenders[0][0]])
        raw_median = row.add(contenders[1][0], times[contenders[1][0]])
        row.ratio("ours/raw DataFrame", ours_median / raw_median, 1.3)
        row.notes.append(
            "ours parses created_at into UTC datetimes and keeps one page of objects at a "
            "time; the raw frame leaves timestamps as text"
        )
    finally:
        client.close()
    return row
