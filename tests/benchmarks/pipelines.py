"""Pipeline benchmarks, each contender side by side in one run (docs/performance.rst).

Run ``python tests/benchmarks/pipelines.py`` from the repository root (``--quick`` for
small sizes, to check that it works). Nothing here asserts a time: the goals are printed
next to the ratios, as ``met`` or ``NOT met``.

- P1: uploading files at 20 ms latency: ``assets.upload_many`` against a loop of the
  facade's ``upload_asset`` (the same two requests per file, one file at a time).
- P2: what checking and encoding costs before a bulk create: validating and JSON-encoding
  10,000 samples against sending them to the emulator with ``bulk_create``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Sequence

if __package__:  # imported by tests/benchmarks/test_pipelines_quick.py
    from . import run as _runner
else:  # a script: the main benchmark runner's shared helpers are in its folder
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run as _runner

WORKERS, Row, alternate, emulator = (
    _runner.WORKERS,
    _runner.Row,
    _runner.alternate,
    _runner.emulator,
)
new_dataset, orm_client, sample_dicts = (
    _runner.new_dataset,
    _runner.orm_client,
    _runner.sample_dicts,
)
print_row, print_summary = _runner.print_row, _runner.print_summary


def bench_uploads(quick: bool) -> Row:
    count, latency, reps = (16, 0.02, 1) if quick else (200, 0.02, 3)
    row = Row("P1", f"upload {count} files of 20 kB, {latency * 1000:g} ms latency")
    import segments_orm as so

    with emulator(latency) as server, tempfile.TemporaryDirectory() as folder:
        client = orm_client(server)
        facade = so.SegmentsClient(api_key=server.api_key, api_url=server.url)
        try:
            batches: dict[str, list[Path]] = {}

            def setup(name: str, rep: int) -> None:
                # Fresh content every time: upload_many would reuse what it saw before.
                paths = []
                for i in range(count):
                    path = Path(folder) / f"{name}-{rep}-{i}.jpg"
                    path.write_bytes(f"{name} {rep} {i} ".encode().ljust(20_000, b"x"))
                    paths.append(path)
                batches[name] = paths

            def many(_: int) -> None:
                result = client.assets.upload_many(batches["many"], progress=False)
                assert result.counts() == {"uploaded": count}

            def loop(_: int) -> None:
                for path in batches["loop"]:
                    with path.open("rb") as handle:
                        facade.upload_asset(handle, filename=path.name)

            times = alternate([("many", many), ("loop", loop)], reps, setup)
            many_median = row.add(f"client.assets.upload_many ({WORKERS} workers)", times["many"])
            loop_median = row.add("facade.upload_asset in a loop", times["loop"])
            row.ratio("upload_many/loop", many_median / loop_median, 0.2)
        finally:
            facade.close()
            client.close()
    return row


def bench_prepare(quick: bool) -> Row:
    count, reps = (1_000, 1) if quick else (10_000, 3)
    row = Row("P2", f"check and encode {count:,} samples, against sending them (no latency)")
    with emulator() as server:
        client = orm_client(server)
        try:
            items = sample_dicts(count)
            datasets: dict[int, Any] = {}

            def setup(name: str, rep: int) -> None:
                if name == "send":
                    datasets[rep] = new_dataset(client, f"p2-{rep}")
                    datasets[rep].ensure_loaded()

            probe = new_dataset(client, "p2-probe")
            manager = probe.samples
            task_type = manager._task_type()

            def prepare(_: int) -> None:
                # What bulk_create does before its first request: every item checked,
                # converted, and its body encoded as it will be sent.
                bodies = [manager._bulk_body(task_type, item)[0] for item in items]
                assert len(json.dumps(bodies, separators=(",", ":"), allow_nan=False)) > 0

            def send(rep: int) -> None:
                created = datasets[rep].samples.bulk_create(items, progress=False)
                assert len(created) == count

            prepare(0)  # warm-up: the typed-attribute checks import on first use
            times = alternate([("prepare", prepare), ("send", send)], reps, setup)
            prepare_median = row.add("validate + encode (no request)", times["prepare"])
            send_median = row.add("dataset.samples.bulk_create to the emulator", times["send"])
            row.ratio("prepare/send", prepare_median / send_median, 0.10)
        finally:
            client.close()
    return row


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check they work")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = []
    for bench in (bench_uploads, bench_prepare):
        row = bench(args.quick)
        rows.append(row)
        print_row(row)
    print_summary(rows)
    print(f"\ntotal time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
