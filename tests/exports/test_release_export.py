"""``Release.export``: the samples of a release, their files cached once, and what is refused."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from export_releases import (
    BIG_ID,
    bitmap_release,
    png,
    sequence_release,
    upload,
    vector_release,
)

import segments_orm as so
from segments_orm.emulator import EmulatorServer
from segments_orm.export import ReleaseExport, default_cache_dir
from segments_orm.export._masks import regions, rle_encode


class CountingTransport:
    """The client's transport, counting the downloads that go through it."""

    def __init__(self, client: so.Client) -> None:
        self.real = client.transport.download
        self.urls: list[str] = []
        self.lock = threading.Lock()
        client.transport.download = self.download  # type: ignore[method-assign]

    def download(self, url: Any, **kwargs: Any) -> bytes:
        with self.lock:
            self.urls.append(str(url))
        return self.real(url, **kwargs)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


@pytest.fixture(scope="module")
def built(server: EmulatorServer) -> Iterator[dict[str, Any]]:
    client = so.Client(api_key=server.api_key, api_url=server.url)
    yield {
        "client": client,
        "bitmap": bitmap_release(client),
        "vector": vector_release(client),
        "sequence": sequence_release(client),
    }
    client.close()


def fresh(built: dict[str, Any], key: str, tmp_path: Path, **kwargs: Any) -> ReleaseExport:
    return built[key].export(cache_dir=tmp_path / "cache", progress=False, **kwargs)


def test_samples_are_typed_indexed_and_filtered(built: dict[str, Any], tmp_path: Path) -> None:
    export = fresh(built, "bitmap", tmp_path)
    assert len(export) == 4
    assert [s.name for s in export] == ["a.png", "b.png", "c.png", "d.png"]
    assert [s.index for s in export] == [0, 1, 2, 3]
    assert export[-1].name == "d.png" and [s.name for s in export[1:3]] == ["b.png", "c.png"]
    assert [str(s.label_status) for s in export] == [
        "LABELED",
        "REVIEWED",
        "PRELABELED",
        "UNLABELED",
    ]
    first = export[0]
    assert isinstance(first.attributes, so.types.ImageSampleAttributes)
    assert first.label is not None and first.label.labelset == "ground-truth"
    assert isinstance(first.label.attributes, so.types.ImageSegmentationLabelAttributes)
    assert [a.id for a in first.label.attributes.annotations] == [1, 2, BIG_ID, 5, 44, 9]
    assert export[3].label is None
    assert "streets" in repr(export) and "4 samples" in repr(export)
    with pytest.raises(IndexError):
        export[4]
    with pytest.raises(so.ValidationError, match="index"):
        export["0"]  # type: ignore[call-overload]

    kept = fresh(built, "bitmap", tmp_path, label_status=["reviewed", so.LabelStatus.UNLABELED])
    assert [s.name for s in kept] == ["b.png", "d.png"]
    assert [s.index for s in kept] == [0, 1]  # positions in the export: image ids follow
    assert [s.name for s in fresh(built, "bitmap", tmp_path, label_status="PRELABELED")] == [
        "c.png"
    ]


def test_bad_labelset_or_status_is_refused(built: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(so.ValidationError, match="no labelset 'nope'; it has 'ground-truth'"):
        fresh(built, "bitmap", tmp_path, labelset="nope")
    with pytest.raises(so.ValidationError, match="unknown status 'DONE'"):
        fresh(built, "bitmap", tmp_path, label_status=["LABELED", "DONE"])
    with pytest.raises(so.ValidationError, match="label_status"):
        fresh(built, "bitmap", tmp_path, label_status=[])


def test_each_file_is_downloaded_once(built: dict[str, Any], tmp_path: Path) -> None:
    counter = CountingTransport(built["client"])
    try:
        export = fresh(built, "bitmap", tmp_path)
        assert len(counter.urls) == 1  # the release file
        fresh(built, "bitmap", tmp_path)
        assert len(counter.urls) == 1  # cached: not again
        image = export.image(0)
        assert image.size == (40, 24)  # non-square, width first
        export.image(0)
        assert len(counter.urls) == 2
        export.fetch()  # the rest, concurrently: 3 more images, 2 more bitmaps
        assert len(counter.urls) == 2 + 3 + 3
        assert len(set(counter.urls)) == len(counter.urls)
        export.fetch()
        export.write("coco-instance", tmp_path / "out")
        assert len(counter.urls) == 8
        assert not list((tmp_path / "cache").rglob(".part-*"))
    finally:
        built["client"].transport.download = counter.real


def test_segmentation_keeps_ids_above_255_and_65535(
    built: dict[str, Any], server: EmulatorServer, tmp_path: Path
) -> None:
    export = fresh(built, "bitmap", tmp_path)
    ids = export.segmentation(0)
    assert ids is not None and ids.dtype == np.uint32 and ids.shape == (24, 40)
    assert int((ids == BIG_ID).sum()) == 10 * 11
    assert export.segmentation(3) is None  # unlabeled

    client = built["client"]
    dataset = client.datasets.create("huge-ids", task_type=so.TaskType.SEGMENTATION_BITMAP)
    sample = dataset.samples.create(
        "h.png", {"image": {"url": upload(client, png(8, 6, 1), "h.png")}}
    )
    huge = np.zeros((6, 8), dtype=np.uint32)
    huge[1:3, 1:5] = 70_000  # the platform's 16-bit bitmap cache clips this to 65535
    sample.labels.create(
        "ground-truth",
        {
            "format_version": "0.1",
            "annotations": [{"id": 70_000, "category_id": 1}],
            "segmentation_bitmap": {"url": upload(client, so.types.write_bitmap(huge), "h-l.png")},
        },
        label_status=so.LabelStatus.LABELED,
    )
    release = dataset.releases.create("v1").wait(timeout=30, poll=0.05)
    export = release.export(cache_dir=tmp_path / "cache", progress=False)
    got = export.segmentation(0)
    assert got is not None and int(got.max()) == 70_000
    path = export.write("coco-instance", tmp_path / "coco")
    [annotation] = json.loads(path.read_text())["annotations"]
    assert annotation["bbox"] == [1, 1, 4, 2] and annotation["area"] == 8
    with pytest.raises(so.ValidationError, match=r"70000.*16-bit PNG"):
        export.write("instance", tmp_path / "instance")


def test_image_sizes_follow_exif_orientation(built: dict[str, Any], tmp_path: Path) -> None:
    import io

    from PIL import Image

    client = built["client"]
    dataset = client.datasets.create("turned", task_type=so.TaskType.BBOXES)
    for name, kind, orientation in [
        ("plain.png", "PNG", None),
        ("turned.png", "PNG", 6),
        ("turned.jpg", "JPEG", 8),
        ("upside.jpg", "JPEG", 3),
    ]:
        out = io.BytesIO()
        exif = Image.Exif()
        if orientation:
            exif[0x0112] = orientation
        Image.new("RGB", (30, 20), (200, 10, 10)).save(out, format=kind, exif=exif)
        url = upload(client, out.getvalue(), name)
        dataset.samples.create(name, {"image": {"url": url}})
    release = dataset.releases.create("v1").wait(timeout=30, poll=0.05)
    export = release.export(cache_dir=tmp_path / "cache", progress=False)
    # A quarter turn (EXIF 6 or 8) swaps width and height, as the platform's loader does.
    expected = [(30, 20), (20, 30), (20, 30), (30, 20)]
    assert [export.image_size(i) for i in range(4)] == expected
    assert [export.image(i).size for i in range(4)] == expected


def test_formats_that_do_not_apply_are_refused_with_those_that_do(
    built: dict[str, Any], tmp_path: Path
) -> None:
    vector = fresh(built, "vector", tmp_path)
    with pytest.raises(so.ValidationError, match="formats that do: coco-instance, yolo"):
        vector.write("coco-panoptic", tmp_path / "out")
    sequence = fresh(built, "sequence", tmp_path)
    with pytest.raises(so.ValidationError, match=r"formats that do: yolo$"):
        sequence.write("coco-instance", tmp_path / "out")
    with pytest.raises(so.ValidationError, match="unknown export format 'coco'"):
        vector.write("coco", tmp_path / "out")
    with pytest.raises(so.ValidationError, match="got id_increment"):
        vector.write("coco-instance", tmp_path / "out", id_increment=1)
    assert not (tmp_path / "out").exists()


def test_sequences_load_frames_by_index(built: dict[str, Any], tmp_path: Path) -> None:
    export = fresh(built, "sequence", tmp_path)
    with pytest.raises(so.ValidationError, match="pass frame="):
        export.image(0)
    assert export.image(0, frame=2).size == (48, 36)
    with pytest.raises(so.ValidationError, match="has 3 frames"):
        export.image(0, frame=3)
    with pytest.raises(so.ValidationError, match="no segmentation bitmaps"):
        export.segmentation(0)
    out = export.write("yolo", tmp_path / "yolo", copy_images=True)
    assert (out / "walk-f0.txt").exists() and (out / "walk-f0.png").exists()


def test_point_clouds_list_samples_but_refuse_images_and_formats(
    built: dict[str, Any], tmp_path: Path
) -> None:
    client = built["client"]
    dataset = client.datasets.create("lidar", task_type=so.TaskType.POINTCLOUD_CUBOID)
    dataset.samples.create("scan", {"pcd": {"url": "https://example.invalid/s.pcd", "type": "pcd"}})
    release = dataset.releases.create("v1").wait(timeout=30, poll=0.05)
    export = release.export(cache_dir=tmp_path / "cache", progress=False)
    assert [s.name for s in export] == ["scan"]
    assert isinstance(export[0].attributes, so.types.PointcloudSampleAttributes)
    with pytest.raises(so.ValidationError, match="has no images to load"):
        export.image(0)
    with pytest.raises(so.ValidationError, match="no export format applies"):
        export.write("yolo", tmp_path / "out")


def test_an_unfinished_release_is_refused(built: dict[str, Any], server: EmulatorServer) -> None:
    before = server.emulator.release_delay
    server.emulator.release_delay = 60
    try:
        dataset = built["bitmap"].dataset
        pending = dataset.releases.create("pending")
        with pytest.raises(so.ValidationError, match="not SUCCEEDED: call wait"):
            pending.export()
    finally:
        server.emulator.release_delay = before


def test_a_failed_download_leaves_nothing_in_the_cache(
    built: dict[str, Any], tmp_path: Path
) -> None:
    export = fresh(built, "vector", tmp_path)
    transport = built["client"].transport
    real = transport.download

    def broken(url: Any, **kwargs: Any) -> bytes:
        raise so.NetworkError("connection lost")

    transport.download = broken  # type: ignore[method-assign]
    try:
        with pytest.raises(so.BulkError, match="5 of 5 files failed"):
            export.fetch()
    finally:
        transport.download = real  # type: ignore[method-assign]
    assert not [
        p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.name != "release.json"
    ]
    export.fetch()
    assert len(list((tmp_path / "cache").rglob("*.png"))) == 5


def test_default_cache_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SEGMENTS_ORM_CACHE", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("SEGMENTS_ORM_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "segments-orm"


def test_without_pillow_images_say_which_extra(
    built: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = fresh(built, "vector", tmp_path)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(so.MissingDependencyError, match=r"segments-orm\[bitmaps\]"):
        export.image(0)
    with pytest.raises(so.MissingDependencyError, match=r"segments-orm\[bitmaps\]"):
        export.write("yolo", tmp_path / "out")


def test_polygon_without_opencv_says_which_extra(
    built: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = fresh(built, "bitmap", tmp_path)
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(so.MissingDependencyError, match=r"segments-orm\[export\]"):
        export.write("polygon", tmp_path / "out")


def test_import_costs_no_numpy_or_pillow() -> None:
    code = (
        "import sys, segments_orm, segments_orm.export; "
        "print(sorted(m for m in ('numpy', 'PIL', 'cv2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("seed", range(6))
def test_rle_and_regions_match_pycocotools_and_scikit_image(seed: int) -> None:
    mask_api = pytest.importorskip("pycocotools.mask")
    measure = pytest.importorskip("skimage.measure")
    rng = np.random.default_rng(seed)
    height, width = rng.integers(1, 40, size=2)
    ids = rng.integers(0, 4, size=(height, width)).astype(np.uint32) * [0, 1, 300, 70_000][seed % 4]
    if seed == 4:
        ids[:] = 7  # one run covering everything, starting with a 1
    for value in np.unique(ids):
        mask = ids == value
        theirs = mask_api.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert rle_encode(mask) == {"size": theirs["size"], "counts": theirs["counts"].decode()}
    expected = {
        r.label: ([r.bbox[1], r.bbox[0], r.bbox[3] - r.bbox[1], r.bbox[2] - r.bbox[0]], int(r.area))
        for r in measure.regionprops(ids.astype(np.int64))
    }
    assert {k: (v.bbox, v.area) for k, v in regions(ids).items()} == expected
