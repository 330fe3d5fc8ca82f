"""Side-by-side benchmarks: segments-orm against the platform's own client (segments-ai).

Run ``python -m tests.benchmarks`` (or ``python tests/benchmarks/run.py``) from the
repository root; ``--quick`` shrinks every size and repetition count so the whole run takes
well under a minute (CI uses it to check that the benchmarks work, never to judge speed).

Every benchmark runs its contenders in the same run, against the same emulator, alternating
repetitions (ours, theirs, ..., then the next repetition in the other order), and prints the
median of each contender and the ratios of medians. Nothing here asserts a time: the goals
are printed next to the ratios, as ``met`` or ``NOT met``.

The emulator runs in a process of its own (`_EmulatorProcess`), so that its work does not
compete with the client under test for one interpreter lock; it serves every contender of a
benchmark equally. Big datasets are seeded through its bulk endpoint, 1000 samples a request.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional

import requests

WORKERS = 8  # segments_orm.Client's default max_workers
CATEGORY_TASK_ATTRIBUTES = {
    "format_version": "0.1",
    "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}],
}
BBOX_LABEL = {
    "format_version": "0.1",
    "annotations": [
        {"id": 1, "category_id": 1, "type": "bbox", "points": [[10.0, 20.0], [110.0, 220.0]]},
        {"id": 2, "category_id": 2, "type": "bbox", "points": [[5.0, 6.0], [50.0, 60.0]]},
    ],
}


# -- sizes ---------------------------------------------------------------------------------


class Sizes:
    """How big each benchmark is, in full and in quick mode.

    Quick mode runs in every test run (tests/benchmarks/test_quick.py) only to show that
    each benchmark works and prints its ratios, so its sizes are the smallest that still
    page, repeat and alternate contenders, and it skips the untimed warm-up imports of B1.
    """

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.b1_reps = 1 if quick else 15
        self.b1_warmups = 0 if quick else 1  # untimed imports of each module first
        self.b2_page = 1000
        self.b2_reps = 2 if quick else 25
        self.b3_samples = 1_000 if quick else 20_000
        self.b3_reps = 2 if quick else 7
        self.b4_samples = 300 if quick else 10_000
        self.b4_loop = 20 if quick else 300
        self.b4_reps = 2 if quick else 3
        self.b5_samples = 160 if quick else 2_000
        self.b5_loop = 40 if quick else 100
        self.b5_reps = 1 if quick else 3
        self.b5_latency = 0.02
        self.b6_samples = 2_000 if quick else 50_000
        self.b6_reps = 1 if quick else 2


# -- results and printing --------------------------------------------------------------------


class Row:
    """The measurements of one benchmark: medians per contender and ratios against goals."""

    def __init__(self, key: str, title: str, unit: str = "ms") -> None:
        self.key = key
        self.title = title
        self.unit = unit
        self.medians: dict[str, float] = {}
        self.spreads: dict[str, tuple[float, float]] = {}
        self.ratios: list[tuple[str, float, Optional[float]]] = []  # (label, value, goal max)
        self.notes: list[str] = []

    def add(self, contender: str, samples: Sequence[float]) -> float:
        median = statistics.median(samples)
        self.medians[contender] = median
        self.spreads[contender] = (min(samples), max(samples))
        return median

    def ratio(self, label: str, value: float, goal: Optional[float]) -> None:
        self.ratios.append((label, value, goal))

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "medians": self.medians,
            "ratios": [{"label": lab, "value": v, "goal": g} for lab, v, g in self.ratios],
            "notes": self.notes,
        }


def _format_value(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value * 1000:10.1f} ms"
    if unit == "MB":
        return f"{value:10.1f} MB"
    return f"{value:10.3f} {unit}"


def print_row(row: Row, out: Any = None) -> None:
    out = out or sys.stdout
    print(f"\n{row.key}  {row.title}", file=out)
    for name, median in row.medians.items():
        low, high = row.spreads[name]
        low_text = _format_value(low, row.unit).strip()
        spread = f"(min {low_text}, max {_format_value(high, row.unit).strip()})"
        print(f"    {name:<44} {_format_value(median, row.unit)}  {spread}", file=out)
    for note in row.notes:
        print(f"    note: {note}", file=out)
    for label, value, goal in row.ratios:
        verdict = (
            "" if goal is None else f"goal <= {goal:.2f}: {'met' if value <= goal else 'NOT met'}"
        )
        print(f"{row.key} ratio {label:<36} {value:7.3f}   {verdict}", file=out)
    out.flush()


def print_summary(rows: Sequence[Row], out: Any = None) -> None:
    out = out or sys.stdout
    print("\nSummary (ratios of medians; lower is better for segments-orm)", file=out)
    print(f"{'bench':<6}{'ratio':<40}{'value':>8}  {'goal':>8}  verdict", file=out)
    for row in rows:
        for label, value, goal in row.ratios:
            goal_text = "-" if goal is None else f"<= {goal:.2f}"
            verdict = "-" if goal is None else ("met" if value <= goal else "NOT met")
            print(f"{row.key:<6}{label:<40}{value:8.3f}  {goal_text:>8}  {verdict}", file=out)
    out.flush()


def alternate(
    contenders: Sequence[tuple[str, Callable[[int], Any]]],
    reps: int,
    setup: Optional[Callable[[str, int], Any]] = None,
) -> dict[str, list[float]]:
    """Time each contender ``reps`` times, interleaved, reversing the order every repetition.

    ``setup(name, rep)`` runs untimed before each timed call; the timed callable receives
    the repetition number (to pick a fresh dataset, for instance).
    """
    times: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for rep in range(reps):
        order = list(contenders) if rep % 2 == 0 else list(reversed(contenders))
        for name, function in order:
            if setup is not None:
                setup(name, rep)
            started = time.perf_counter()
            function(rep)
            times[name].append(time.perf_counter() - started)
    return times


# -- the emulator, in a process of its own ---------------------------------------------------

_SERVE = r"""
import json, sys
from segments_orm.emulator import EmulatorServer, Faults
latency = float(sys.argv[1])
faults = Faults(latency=latency) if latency > 0 else None
with EmulatorServer(faults=faults, release_delay=0.05) as server:
    print(json.dumps({"url": server.url, "api_key": server.api_key}), flush=True)
    sys.stdin.read()
"""


class _EmulatorProcess:
    """An `EmulatorServer` in a child process, stopped by closing its stdin."""

    def __init__(self, latency: float = 0.0) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the emulator process did not start")
        info = json.loads(line)
        self.url: str = info["url"]
        self.api_key: str = info["api_key"]

    def cpu_seconds(self) -> Optional[float]:
        """The CPU time the emulator's process has used so far, where Linux tells it."""
        try:
            with open(f"/proc/{self._process.pid}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        process = self._process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    def __enter__(self) -> _EmulatorProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextlib.contextmanager
def emulator(latency: float = 0.0) -> Iterator[_EmulatorProcess]:
    process = _EmulatorProcess(latency)
    try:
        yield process
    finally:
        process.stop()


def orm_client(server: _EmulatorProcess) -> Any:
    import segments_orm as so

    return so.Client(api_key=server.api_key, api_url=server.url, max_workers=WORKERS)


def platform_client(server: _EmulatorProcess) -> Any:
    import segments

    with contextlib.redirect_stdout(io.StringIO()):  # it prints when it starts
        return segments.SegmentsClient(api_key=server.api_key, api_url=server.url)


def new_dataset(client: Any, prefix: str) -> Any:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return client.datasets.create(
        name, task_type="bboxes", task_attributes=CATEGORY_TASK_ATTRIBUTES
    )


def sample_dicts(count: int, prefix: str = "s") -> list[dict[str, Any]]:
    return [
        {
            "name": f"{prefix}{i:06d}.jpg",
            "attributes": {"image": {"url": f"https://example.com/images/{prefix}{i:06d}.jpg"}},
            "metadata": {"weather": "sunny" if i % 2 else "rain", "index": i},
            "priority": i % 10,
        }
        for i in range(count)
    ]


def seed_samples(server: _EmulatorProcess, full_name: str, count: int) -> None:
    """Insert ``count`` samples through the bulk endpoint, 1000 per request."""
    items = sample_dicts(count)
    with requests.Session() as session:
        session.headers["Authorization"] = f"APIKey {server.api_key}"
        for start in range(0, count, 1000):
            body = gzip.compress(json.dumps(items[start : start + 1000]).encode(), 5)
            answer = session.post(
                f"{server.url}datasets/{full_name}/samples_bulk/",
                data=body,
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
                timeout=120,
            )
            answer.raise_for_status()


def _raw_pages(server: _EmulatorProcess, full_name: str, query: str = "") -> Iterator[Any]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"APIKey {server.api_key}"
        page = 1
        while True:
            answer = session.get(
                f"{server.url}datasets/{full_name}/samples/?per_page=1000&page={page}"
                f"&sort=name{query}",
                timeout=120,
            )
            if answer.status_code == 404:
                return
            answer.raise_for_status()
            items = json.loads(answer.content)
            yield items
            if len(items) < 1000:
                return
            page += 1


# -- B1: import time -------------------------------------------------------------------------

_IMPORT = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"


def bench_import(sizes: Sizes) -> Row:
    row = Row("B1", "import in a fresh process (time of the import statement alone)")

    def timed_import(module: str) -> float:
        result = subprocess.run(
            [sys.executable, "-c", _IMPORT.format(module)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        if result.returncode != 0:
            raise RuntimeError(f"import {module} failed:\n{result.stderr}")
        return float(result.stdout.strip())

    # Warm the page cache and the bytecode caches, untimed.
    for _ in range(sizes.b1_warmups):
        timed_import("segments_orm")
        timed_import("segments")
    measured: dict[str, list[float]] = {"import segments_orm": [], "import segments (platform)": []}
    for rep in range(sizes.b1_reps):
        pairs = [
            ("import segments_orm", "segments_orm"),
            ("import segments (platform)", "segments"),
        ]
        if rep % 2:
            pairs.reverse()
        for label, module in pairs:
            measured[label].append(timed_import(module))
    ours = row.add("import segments_orm", measured["import segments_orm"])
    theirs = row.add("import segments (platform)", measured["import segments (platform)"])
    row.ratio("ours/platform", ours / theirs, 0.5)
    return row


# -- B2: decoding one page -------------------------------------------------------------------


def bench_decode(sizes: Sizes, server: _EmulatorProcess) -> Row:
    from pydantic import TypeAdapter
    from segments.typing import Sample as PlatformSample

    from segments_orm import Sample

    row = Row("B2", f"decode a {sizes.b2_page}-sample page with label summaries (from bytes)")
    client = orm_client(server)
    try:
        dataset = new_dataset(client, "b2")
        seed_samples(server, dataset.full_name, sizes.b2_page)
        first = dataset.samples.all().page_size(1).first()
        dataset.labels.bulk_set([(first, BBOX_LABEL)], labelset="ground-truth", progress=False)
        # One real page with label summaries; the summary of the labeled sample is given to
        # every sample (labeling 1000 samples one PUT at a time would only slow the seeding).
        page = next(_raw_pages(server, dataset.full_name, "&labelset=ground-truth"))
        summary = next(item["label"] for item in page if item.get("label"))
        for index, item in enumerate(page):
            item["label"] = {**summary, "score": index / len(page)}
        raw = json.dumps(page).encode()
        context = {"dataset": dataset}
        adapter = TypeAdapter(list[PlatformSample])

        def ours(_: int) -> None:
            items = json.loads(raw)
            objects = [Sample._from_wire(client, item, context) for item in items]
            assert len(objects) == len(page)

        def platform_adapter(_: int) -> None:
            assert len(adapter.validate_python(json.loads(raw))) == len(page)

        def platform_per_item(_: int) -> None:
            objects = [PlatformSample.model_validate(item) for item in json.loads(raw)]
            assert len(objects) == len(page)

        def json_only(_: int) -> None:
            assert len(json.loads(raw)) == len(page)

        # Sanity: what we decode is what the server sent.
        check = Sample._from_wire(client, json.loads(raw)[0], context)
        assert check.name == page[0]["name"]
        assert check.label is not None
        contenders = [
            ("segments_orm Sample._from_wire", ours),
            ("platform TypeAdapter(list[Sample])", platform_adapter),
            ("platform Sample.model_validate per item", platform_per_item),
            ("json.loads alone", json_only),
        ]
        for _ in range(2):  # warm both sides (lazy hooks, pydantic's core schema)
            for _, function in contenders:
                function(0)
        times = alternate(contenders, sizes.b2_reps)
        ours_median = row.add(contenders[0][0], times[contenders[0][0]])
        platform = row.add(contenders[1][0], times[contenders[1][0]])
        per_item = row.add(contenders[2][0], times[contenders[2][0]])
        floor = row.add(contenders[3][0], times[contenders[3][0]])
        row.ratio("ours/platform (TypeAdapter)", ours_median / platform, 0.5)
        row.ratio("ours/platform (model_validate)", ours_median / per_item, None)
        row.ratio("ours/json.loads", ours_median / floor, None)
        row.notes.append(f"page: {len(raw) / 1e6:.2f} MB of JSON")
    finally:
        client.close()
    return row


# -- B3: iterating a dataset -----------------------------------------------------------------


def bench_iterate(sizes: Sizes, server: _EmulatorProcess) -> Row:
    count = sizes.b3_samples
    from segments.exceptions import NotFoundError as PlatformNotFound

    row = Row("B3", f"iterate every sample of a {count:,}-sample dataset")
    client = orm_client(server)
    platform = platform_client(server)
    try:
        dataset = new_dataset(client, "b3")
        seed_samples(server, dataset.full_name, count)
        full_name = dataset.full_name

        def ours(_: int) -> None:
            names = 0
            for sample in dataset.samples:
                names += sample.name is not None
            assert names == count, names

        def theirs(_: int) -> None:
            names = 0
            page = 1
            while True:
                try:
                    items = platform.get_samples(full_name, per_page=1000, page=page)
                except PlatformNotFound:  # past the last page: 404 "Invalid page."
                    break
                names += sum(item.name is not None for item in items)
                if len(items) < 1000:
                    break
                page += 1
            assert names == count, names

        def raw(_: int) -> None:
            names = 0
            for items in _raw_pages(server, full_name):
                names += sum(item["name"] is not None for item in items)
            assert names == count, names

        contenders = [
            ("for s in ds.samples", ours),
            ("platform get_samples page loop", theirs),
            ("raw requests + json.loads loop", raw),
        ]
        times = alternate(contenders, sizes.b3_reps)
        ours_median = row.add(contenders[0][0], times[contenders[0][0]])
        theirs_median = row.add(contenders[1][0], times[contenders[1][0]])
        raw_median = row.add(contenders[2][0], times[contenders[2][0]])
        row.ratio("ours/platform", ours_median / theirs_median, 0.7)
        row.ratio("ours/raw", ours_median / raw_median, 1.3)
    finally:
        platform.close()
        client.close()
    return row


# -- B4: creating samples --------------------------------------------------------------------


def bench_create(sizes: Sizes, server: _EmulatorProcess) -> Row:
    count, loop_count = sizes.b4_samples, sizes.b4_loop
    row = Row("B4", f"create {count:,} samples")
    client = orm_client(server)
    platform = platform_client(server)
    try:
        items = sample_dicts(count)
        loop_items = items[:loop_count]
        datasets: dict[str, Any] = {}

        def setup(name: str, rep: int) -> None:
            datasets[name] = new_dataset(client, "b4")

        def ours(_: int) -> None:
            created = datasets["ours"].samples.bulk_create(items, batch_size=500, progress=False)
            assert len(created) == count

        def theirs(_: int) -> None:
            created = platform.add_samples(datasets["platform"].full_name, items)
            assert len(created) == count

        def loop(_: int) -> None:
            full_name = datasets["loop"].full_name
            for item in loop_items:
                platform.add_sample(
                    full_name,
                    item["name"],
                    item["attributes"],
                    metadata=item["metadata"],
                    priority=item["priority"],
                )

        contenders = [("ours", ours), ("platform", theirs), ("loop", loop)]
        times = alternate(contenders, sizes.b4_reps, setup)
        scale = count / loop_count
        ours_median = row.add("ds.samples.bulk_create(batch_size=500)", times["ours"])
        theirs_median = row.add("platform add_samples (one request)", times["platform"])
        loop_median = row.add(
            f"platform add_sample loop (x{scale:g} from {loop_count})",
            [t * scale for t in times["loop"]],
        )
        row.notes.append(
            f"the add_sample loop ran on {loop_count} samples; its times are scaled by "
            f"{scale:g} to {count:,}"
        )
        row.ratio("ours/add_samples", ours_median / theirs_median, 1.0)
        row.ratio("ours/add_sample loop", ours_median / loop_median, None)
    finally:
        platform.close()
        client.close()
    return row


# -- B5: labels under latency ----------------------------------------------------------------


def bench_labels(sizes: Sizes) -> Row:
    count, loop_count, latency = sizes.b5_samples, sizes.b5_loop, sizes.b5_latency
    row = Row("B5", f"write a prelabel on each of {count:,} samples, {latency * 1000:g} ms latency")
    with emulator(latency) as server:
        client = orm_client(server)
        platform = platform_client(server)
        try:
            dataset = new_dataset(client, "b5")
            seed_samples(server, dataset.full_name, count)
            samples = list(dataset.samples)
            assert len(samples) == count
            pairs = [(sample, BBOX_LABEL) for sample in samples]
            loop_uuids = [sample.uuid for sample in samples[:loop_count]]

            cpu: dict[str, list[float]] = {"client": [], "emulator": []}

            def ours(_: int) -> None:
                client_before, emulator_before = time.process_time(), server.cpu_seconds()
                labels = dataset.labels.bulk_set(pairs, labelset="ground-truth", progress=False)
                assert len(labels) == count
                cpu["client"].append(time.process_time() - client_before)
                emulator_after = server.cpu_seconds()
                if emulator_before is not None and emulator_after is not None:
                    cpu["emulator"].append(emulator_after - emulator_before)

            def loop(_: int) -> None:
                for sample_uuid in loop_uuids:
                    platform.add_label(sample_uuid, "ground-truth", BBOX_LABEL)

            # Untimed warm-up of both sides (the typed-attribute checks import on first use).
            dataset.labels.bulk_set(pairs[:WORKERS], labelset="ground-truth", progress=False)
            platform.add_label(loop_uuids[0], "ground-truth", BBOX_LABEL)
            contenders = [("ours", ours), ("loop", loop)]
            times = alternate(contenders, sizes.b5_reps)
            scale = count / loop_count
            ours_median = row.add(f"ds.labels.bulk_set ({WORKERS} workers)", times["ours"])
            loop_median = row.add(
                f"platform add_label loop (x{scale:g} from {loop_count})",
                [t * scale for t in times["loop"]],
            )
            ideal = count * latency / WORKERS
            row.add(f"ideal: N x latency / workers = {count} x {latency} / {WORKERS}", [ideal])
            # What one PUT costs on this emulator, latency included, one at a time with
            # raw requests: the floor no client can go below is N x this / workers.
            round_trip = statistics.median(_raw_put_round_trips(server, loop_uuids[:40]))
            floor = count * round_trip / WORKERS
            row.add(
                f"floor: N x raw PUT round trip ({round_trip * 1000:.1f} ms) / workers", [floor]
            )
            row.notes.append(
                f"the add_label loop ran on {loop_count} samples; its times are scaled by "
                f"{scale:g} to {count:,}"
            )
            # CPU is what a loaded machine runs short of: per label, on each side.
            for side, seconds in cpu.items():
                if seconds:
                    row.notes.append(
                        f"{side} CPU per label: {statistics.median(seconds) / count * 1000:.2f} ms"
                    )
            row.ratio("ours/loop", ours_median / loop_median, 0.2)
            row.ratio("ours/ideal", ours_median / ideal, 1.3)
            row.ratio("ours/floor (emulator round trips)", ours_median / floor, None)
        finally:
            platform.close()
            client.close()
    return row


def _raw_put_round_trips(server: _EmulatorProcess, uuids: Sequence[str]) -> list[float]:
    body = gzip.compress(
        json.dumps({"label_status": "PRELABELED", "attributes": BBOX_LABEL}).encode(), 5
    )
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    times = []
    with requests.Session() as session:
        session.headers["Authorization"] = f"APIKey {server.api_key}"
        for sample_uuid in uuids:
            started = time.perf_counter()
            answer = session.put(
                f"{server.url}labels/{sample_uuid}/ground-truth/",
                data=body,
                headers=headers,
                timeout=60,
            )
            answer.raise_for_status()
            times.append(time.perf_counter() - started)
    return times


# -- B6: memory while streaming --------------------------------------------------------------

_MEMORY = r"""
import json, sys, time, tracemalloc
import segments_orm as so
url, key, full_name, mode = sys.argv[1:5]
client = so.Client(api_key=key, api_url=url)
dataset = client.datasets.get(full_name)
dataset.samples.all().page_size(1).first()  # connections and lazy imports, untimed
tracemalloc.start()
base = tracemalloc.get_traced_memory()[0]
started = time.perf_counter()
if mode == "stream":
    count = 0
    for sample in dataset.samples.all().iterator():
        count += sample.name is not None
else:
    kept = list(dataset.samples.all())
    count = sum(sample.name is not None for sample in kept)
seconds = time.perf_counter() - started
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
client.close()
print(json.dumps({"count": count, "growth_kb": (peak - base) / 1024, "seconds": seconds}))
"""


def bench_memory(sizes: Sizes, server: _EmulatorProcess) -> Row:
    count = sizes.b6_samples
    pages = -(-count // 1000)
    row = Row(
        "B6", f"peak memory growth while reading {count:,} samples ({pages} pages)", unit="MB"
    )
    client = orm_client(server)
    try:
        dataset = new_dataset(client, "b6")
        seed_samples(server, dataset.full_name, count)
        full_name = dataset.full_name
    finally:
        client.close()
    results: dict[str, list[dict[str, float]]] = {"stream": [], "list": []}
    for rep in range(sizes.b6_reps):
        modes = ["stream", "list"] if rep % 2 == 0 else ["list", "stream"]
        for mode in modes:
            output = subprocess.run(
                [sys.executable, "-c", _MEMORY, server.url, server.api_key, full_name, mode],
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            )
            result = json.loads(output.stdout.strip().splitlines()[-1])
            assert result["count"] == count, result
            results[mode].append(result)
    stream = row.add(
        "ds.samples.all().iterator()", [r["growth_kb"] / 1024 for r in results["stream"]]
    )
    listed = row.add("list(ds.samples.all())", [r["growth_kb"] / 1024 for r in results["list"]])
    seconds = {m: statistics.median(r["seconds"] for r in results[m]) for m in results}
    row.notes.append(
        f"time: iterator() {seconds['stream']:.2f} s, list() {seconds['list']:.2f} s "
        "(subprocesses; peak from tracemalloc after a warm-up request, which also slows them)"
    )
    per_page = listed / pages
    row.notes.append(
        f"list() holds {per_page:.2f} MB per page of 1000; iterator() peaked at "
        f"{stream / per_page if per_page else 0:.1f} pages' worth"
    )
    # O(page): the stream may hold a few pages at once (the one in hand, the one in
    # flight, the raw bytes of each), never a growing share of the dataset.
    row.ratio("iterator/list (goal: <= 5 pages' worth)", stream / listed, min(1.0, 5 / pages))
    return row


# -- B7: a queryset to a DataFrame ------------------------------------------------------------
#
# Both contenders fetch every page from the same emulator in the same run; the raw one is
# the floor: requests + json.loads per page, then one pandas.DataFrame of all the dicts (no
# timestamp parsing, no enum handling, no objects).


def bench_to_pandas(quick: bool, server: _EmulatorProcess) -> Row:
    import pandas

    count = 1_100 if quick else 20_000  # quick: still two pages
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


# -- main ------------------------------------------------------------------------------------


def _bench_exports() -> Any:
    """The export benchmark's module, whether run as ``-m tests.benchmarks`` or as a script."""
    if __package__:  # imported as a module of its package, under whatever name it has
        import importlib

        return importlib.import_module(".bench_exports", __package__)
    import bench_exports  # a script: its folder is on sys.path

    return bench_exports


BENCHMARKS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check they work")
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help="comma-separated subset, e.g. B2,B3"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    sizes = Sizes(args.quick)
    wanted = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    unknown = wanted - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    import platform

    import segments
    import segments_orm

    print(
        f"segments-orm {segments_orm.__version__} vs segments-ai {segments.__version__}; "
        f"Python {platform.python_version()}; {os.cpu_count()} CPUs; "
        f"{'quick' if args.quick else 'full'} mode"
    )
    started = time.perf_counter()
    rows: list[Row] = []

    def record(row: Row) -> None:
        rows.append(row)
        print_row(row)

    if "B1" in wanted:
        record(bench_import(sizes))
    if wanted & {"B2", "B3", "B4", "B6", "B7", "B8"}:
        with emulator() as server:
            if "B2" in wanted:
                record(bench_decode(sizes, server))
            if "B3" in wanted:
                record(bench_iterate(sizes, server))
            if "B4" in wanted:
                record(bench_create(sizes, server))
            if "B6" in wanted:
                record(bench_memory(sizes, server))
            if "B8" in wanted:
                record(
                    _bench_exports().bench_export(sizes.quick, server, Row, alternate, orm_client)
                )
            if "B7" in wanted:
                record(bench_to_pandas(sizes.quick, server))
    if "B5" in wanted:
        record(bench_labels(sizes))
    rows.sort(key=lambda r: r.key)
    print_summary(rows)
    print(f"\ntotal time: {time.perf_counter() - started:.1f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump([r.as_dict() for r in rows], handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
