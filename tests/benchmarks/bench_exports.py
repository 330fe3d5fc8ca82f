"""B8: write coco-instance for a bboxes release whose images are cached, ours vs the platform's.

Both sides get the same release of the same emulator, with every image already in their
cache, and each side's object is built untimed: ours a fresh ``release.export(cache_dir=
...)`` before every repetition (so no image size learnt in one write helps the next),
theirs a ``SegmentsDataset`` built (and so preloaded) once. Then ``write`` and
``export_dataset`` are timed alone. Their progress bars and prints are silenced on both sides.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

IMAGE_SIZES = [(64 + 8 * k, 40 + 6 * (k % 5)) for k in range(20)]  # 20 distinct, non-square


def _png(width: int, height: int, seed: int) -> bytes:
    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def bench_export(quick: bool, server: Any, row_type: Any, alternate: Any, orm_client: Any) -> Any:
    """Build the release, warm both caches, then time the two writers side by side."""

    count = 40 if quick else 1_000
    reps = 2 if quick else 7
    row = row_type(
        "B8", f"write coco-instance for a {count:,}-sample bboxes release, images cached"
    )
    client = orm_client(server)
    work = Path(tempfile.mkdtemp(prefix="segments-orm-b8-"))
    try:
        dataset = client.datasets.create(
            f"b8-{uuid.uuid4().hex[:8]}",
            task_type="bboxes",
            task_attributes={
                "format_version": "0.1",
                "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}],
            },
        )
        urls = [
            client.assets.upload(_png(w, h, k), filename=f"img{k}.png").url
            for k, (w, h) in enumerate(IMAGE_SIZES)
        ]
        samples = dataset.samples.bulk_create(
            {"name": f"s{i:05d}.png", "attributes": {"image": {"url": urls[i % len(urls)]}}}
            for i in range(count)
        )
        label = {
            "format_version": "0.1",
            "annotations": [
                {"id": 1, "category_id": 1, "type": "bbox", "points": [[1.0, 2.0], [30.0, 20.5]]},
                {"id": 2, "category_id": 2, "type": "bbox", "points": [[5.0, 6.0], [50.0, 33.0]]},
            ],
        }
        dataset.labels.bulk_set([(s, label) for s in samples], label_status="LABELED")
        release = dataset.releases.create("v1").wait(timeout=120, poll=0.05)
        release_file = work / "release.json"
        release.download(release_file)

        cache = work / "orm-cache"
        release.export(cache_dir=cache, progress=False).fetch()  # untimed: fill our cache

        from segments.utils import export_dataset

        from segments import SegmentsDataset

        quiet = io.StringIO()
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            theirs_dataset = SegmentsDataset(str(release_file), segments_dir=str(work / "seg"))

        prepared: dict[str, Any] = {}

        def setup(name: str, rep: int) -> None:
            # Like the platform's dataset, ours is built untimed, but afresh for every
            # repetition, so nothing it learnt while writing carries over.
            prepared["export"] = release.export(cache_dir=cache, progress=False)

        def ours(rep: int) -> None:
            prepared["export"].write("coco-instance", work / f"ours-{rep}")

        def theirs(rep: int) -> None:
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                export_dataset(theirs_dataset, str(work / f"theirs-{rep}"), "coco-instance")
            quiet.seek(0)
            quiet.truncate()

        times = alternate(
            [("ours: export().write", ours), ("platform: export_dataset", theirs)], reps, setup
        )
        mine = row.add(
            "ours: write('coco-instance') (export prebuilt)", times["ours: export().write"]
        )
        platform = row.add(
            "platform: export_dataset (dataset prebuilt)", times["platform: export_dataset"]
        )
        row.ratio("ours/platform", mine / platform, 0.5)
        # Same content on both sides, or the timing means nothing.
        [our_file] = (work / "ours-0").glob("*.json")
        [their_file] = (work / "theirs-0").glob("*.json")
        same = json.loads(our_file.read_text()) == json.loads(their_file.read_text())
        row.notes.append(f"outputs equal: {same}; both timed without their constructors")
        if not same:
            raise RuntimeError("B8: our coco-instance differs from the platform's")
        return row
    finally:
        client.close()
        import shutil

        shutil.rmtree(work, ignore_errors=True)
