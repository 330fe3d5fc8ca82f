"""``ReleaseExport.write`` against the platform's ``export_dataset``, on the same releases.

Each release is built on the emulator (export_releases.py), exported by us and by the
platform's ``SegmentsDataset`` + ``export_dataset`` (segments-ai 1.33.0, run in its own
temporary working directory, as it writes into its cwd and next to its cache), and the
outputs are compared decoded: JSON as data, RLE masks and PNGs as arrays, YOLO lines as
numbers. Where the platform is wrong (docs/exports.rst), the difference is asserted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import numpy as np
import PIL
import pytest
from export_releases import (
    BIG_ID,
    SEQUENCE_SIZE,
    bitmap_release,
    sequence_release,
    vector_release,
)
from PIL import Image

import segments_orm as so
from segments_orm.emulator import EmulatorServer
from segments_orm.export._masks import PALETTE


@pytest.fixture(autouse=True, scope="module")
def _the_platforms_export_needs() -> None:
    """Skip the module without what the platform's exporter imports.

    Checked when a test runs, not at collection: every xdist worker collects this file
    and one runs it, and OpenCV and pycocotools cost ~0.4 s to import.
    """
    pytest.importorskip("segments", reason="segments-ai (the test extra) is needed")
    pytest.importorskip("skimage", reason="the platform's export_dataset needs scikit-image")
    pytest.importorskip("pycocotools.mask", reason="the platform needs pycocotools")
    pytest.importorskip("cv2", reason="the platform's polygon export needs OpenCV")


def mask_api() -> Any:
    """Return pycocotools' mask module (imported by the time a test runs)."""
    import pycocotools.mask

    return pycocotools.mask


# The platform's code (and pycocotools, scikit-image) warn about their own deprecations.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

# The platform caches bitmaps as mode-I PNGs, which Pillow 13 no longer writes.
_PLATFORM_BITMAPS = int(PIL.__version__.split(".")[0]) < 13
needs_platform_bitmaps = pytest.mark.skipif(
    not _PLATFORM_BITMAPS,
    reason=f"Pillow {PIL.__version__} refuses the platform's mode-I bitmap cache (needs < 13)",
)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Build the four releases once; keep the emulator up while the module runs."""
    with EmulatorServer() as server:
        client = so.Client(api_key=server.api_key, api_url=server.url)
        cache = tmp_path_factory.mktemp("orm-cache")
        built = {
            "bitmap": bitmap_release(client),
            "vector": vector_release(client, so.TaskType.VECTOR, "pets"),
            "bboxes": vector_release(client, so.TaskType.BBOXES, "boxes"),
            "sequence": sequence_release(client),
        }
        files = {}
        for key, release in built.items():
            path = tmp_path_factory.mktemp(f"release-{key}") / "release.json"
            release.download(path)
            files[key] = path
        yield {"releases": built, "files": files, "cache": cache}
        client.close()


def run_both(
    releases: dict[str, Any],
    key: str,
    fmt: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    label_status: Optional[list[str]] = None,
    **options: Any,
) -> tuple[Path, Path, Any, Path]:
    """Export ``fmt`` both ways; return (ours, theirs' export folder, theirs' result, cache)."""
    ours = tmp_path / "ours"
    export = releases["releases"][key].export(
        label_status=label_status, cache_dir=releases["cache"], progress=False
    )
    export.write(fmt, ours, **options)

    from segments import SegmentsDataset
    from segments.utils import export_dataset

    work = tmp_path / "platform"
    work.mkdir()
    monkeypatch.chdir(work)  # it writes into its cwd and next to its image cache
    dataset = SegmentsDataset(
        str(releases["files"][key]),
        labelset="ground-truth",
        filter_by=label_status,
        segments_dir=str(work / "segments"),
    )
    theirs = work / "export"
    result = export_dataset(dataset, export_folder=str(theirs), export_format=fmt, **options)
    assert dataset.image_dir is not None
    return ours, theirs, result, Path(dataset.image_dir)


def only_json(folder: Path, fmt: str) -> tuple[str, Any]:
    found = sorted(folder.glob(f"export_{fmt}_*.json"))
    assert len(found) == 1, found
    return found[0].name, json.loads(found[0].read_text())


def decoded_rle(annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for annotation in annotations:
        annotation = dict(annotation)
        if "segmentation" in annotation:
            rle = dict(annotation["segmentation"])
            rle["counts"] = rle["counts"].encode("ascii")
            annotation["segmentation"] = mask_api().decode(rle).tolist()
        out.append(annotation)
    return out


def png_array(path: Path) -> np.ndarray[Any, Any]:
    with Image.open(path) as image:
        return np.array(image)


# --- coco-instance -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "label_status"),
    [
        pytest.param("bitmap", None, marks=needs_platform_bitmaps),
        pytest.param("bitmap", ["LABELED", "PRELABELED"], marks=needs_platform_bitmaps),
        ("vector", None),
        ("bboxes", ["REVIEWED", "LABELED"]),
    ],
)
def test_coco_instance_equals_the_platform(
    releases: dict[str, Any],
    key: str,
    label_status: Optional[list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours, theirs, _, _ = run_both(
        releases, key, "coco-instance", tmp_path, monkeypatch, label_status
    )
    our_name, our_doc = only_json(ours, "coco-instance")
    their_name, their_doc = only_json(theirs, "coco-instance")
    assert our_name == their_name
    assert our_doc["info"] == their_doc["info"]
    assert our_doc["categories"] == their_doc["categories"]
    assert our_doc["images"] == their_doc["images"]
    assert decoded_rle(our_doc["annotations"]) == decoded_rle(their_doc["annotations"])
    # Not vacuous: real sizes, several images, and geometry on the annotations.
    assert all(image["width"] and image["height"] for image in our_doc["images"])
    assert len({(i["width"], i["height"]) for i in our_doc["images"]}) > 1
    geometry = "segmentation" if key == "bitmap" else "bbox"
    assert sum(geometry in a for a in our_doc["annotations"]) >= 2
    if key == "bitmap":
        # The RLE strings are pycocotools' own, byte for byte.
        assert [a["segmentation"] for a in our_doc["annotations"]] == [
            a["segmentation"] for a in their_doc["annotations"]
        ]


# --- coco-panoptic -------------------------------------------------------------------------


def panoptic_segments(folder: Path, doc: dict[str, Any]) -> list[Any]:
    """Per image: each segment's category, box, area, and its pixels in the PNG."""
    found = []
    for annotation in doc["annotations"]:
        rgb = png_array(folder / annotation["file_name"]).astype(np.int64)
        ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
        found.append(
            (
                annotation["image_id"],
                annotation["file_name"],
                [
                    (
                        s["category_id"],
                        s["bbox"],
                        s["area"],
                        s["iscrowd"],
                        (ids == s["id"]).tolist(),
                    )
                    for s in annotation["segments_info"]
                ],
            )
        )
    return found


@needs_platform_bitmaps
def test_coco_panoptic_equals_the_platform(
    releases: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs, _, image_dir = run_both(
        releases, "bitmap", "coco-panoptic", tmp_path, monkeypatch
    )
    our_name, our_doc = only_json(ours, "coco-panoptic")
    their_name, their_doc = only_json(theirs, "coco-panoptic")
    assert our_name == their_name
    assert our_doc["info"] == their_doc["info"]
    assert our_doc["categories"] == their_doc["categories"]
    assert our_doc["images"] == their_doc["images"]
    # The platform writes its panoptic PNGs next to its image cache; ours go to out_dir.
    # A car after the first one gets a random colour from the platform (a fresh one every
    # run): compare each segment's pixels under its own id, not the ids themselves.
    assert panoptic_segments(ours, our_doc) == panoptic_segments(image_dir, their_doc)
    cars = [s for a in our_doc["annotations"] for s in a["segments_info"] if s["category_id"] == 2]
    assert len({s["id"] for s in cars}) == len(cars) == 4  # each car a segment of its own
    # Ours is deterministic: the same release exports the same PNGs again.
    again = tmp_path / "again"
    releases["releases"]["bitmap"].export(cache_dir=releases["cache"]).write("coco-panoptic", again)
    for annotation in our_doc["annotations"]:
        name = annotation["file_name"]
        assert (png_array(again / name) == png_array(ours / name)).all()


# --- the per-image PNG formats ---------------------------------------------------------------


def png_pairs(ours: Path, theirs: Path, suffix: str) -> list[tuple[str, Any, Any]]:
    our_files = sorted(p.name for p in ours.glob(f"*_{suffix}.png"))
    their_files = sorted(p.name for p in theirs.glob(f"*_{suffix}.png"))
    assert our_files == their_files
    assert len(our_files) == 3  # the unlabeled sample has no PNG
    return [(name, png_array(ours / name), png_array(theirs / name)) for name in our_files]


@needs_platform_bitmaps
@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [("instance", "instance"), ("semantic", "semantic"), ("semantic-color", "semantic_colored")],
)
def test_png_formats_equal_the_platform(
    releases: dict[str, Any], fmt: str, suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs, _, _ = run_both(releases, "bitmap", fmt, tmp_path, monkeypatch)
    pairs = png_pairs(ours, theirs, suffix)
    for name, mine, platform in pairs:
        assert mine.shape == platform.shape, name
        assert (mine == platform).all(), name
    first = pairs[0][1]
    if fmt == "instance":
        assert BIG_ID in first  # the id above 255 is kept by both (16-bit PNGs)
    assert len(np.unique(first.reshape(-1, first.shape[-1]) if first.ndim == 3 else first)) > 2


@needs_platform_bitmaps
def test_semantic_id_increment_equals_the_platform(
    releases: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs, _, _ = run_both(
        releases, "bitmap", "semantic", tmp_path, monkeypatch, id_increment=10
    )
    for name, mine, platform in png_pairs(ours, theirs, "semantic"):
        assert (mine == platform).all(), name
        assert set(np.unique(mine).tolist()) <= {0, 11, 12, 13}


@needs_platform_bitmaps
def test_instance_color_differs_only_where_the_platform_wraps_ids(
    releases: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs, _, _ = run_both(releases, "bitmap", "instance-color", tmp_path, monkeypatch)
    export = releases["releases"]["bitmap"].export(cache_dir=releases["cache"])
    by_name = {f"{Path(s.name).stem}_label_ground-truth_instance_colored.png": s for s in export}
    for name, mine, platform in png_pairs(ours, theirs, "instance_colored"):
        ids = export.segmentation(by_name[name].index)
        assert ids is not None
        wrapped = ids > 255
        assert (mine[~wrapped] == platform[~wrapped]).all(), name
        if wrapped.any():
            # The defect: the platform colours id 300 as id 44 (300 % 256); ours as 300.
            assert (mine[ids == BIG_ID] == PALETTE[(BIG_ID - 1) % len(PALETTE)]).all()
            assert (platform[ids == BIG_ID] == PALETTE[(BIG_ID % 256 - 1) % len(PALETTE)]).all()
            assert (mine[ids == BIG_ID] != platform[ids == BIG_ID]).any()


# --- polygon -------------------------------------------------------------------------------


@needs_platform_bitmaps
def test_polygon_equals_the_platform_except_its_wrapped_ids(
    releases: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs, _, _ = run_both(releases, "bitmap", "polygon", tmp_path, monkeypatch)
    our_name, our_doc = only_json(ours, "polygon")
    their_name, their_doc = only_json(theirs, "polygon")
    assert our_name == their_name
    assert our_doc["categories"] == their_doc["categories"]
    assert our_doc["images"] == their_doc["images"]
    assert len(our_doc["annotations"]) == len(their_doc["annotations"])
    # Image 1 lists instances 1, 2, 300, 5, 44 (9 has no pixels): the platform traces
    # 300 in an 8-bit copy of the bitmap, where it is 44, so it finds nothing for 300
    # and gives 44 the pixels of both.
    big, small = 2, 4
    for k, (mine, platform) in enumerate(zip(our_doc["annotations"], their_doc["annotations"])):
        if k in (big, small):
            assert {**mine, "polygons": None} == {**platform, "polygons": None}
            continue
        assert mine == platform, k
    assert their_doc["annotations"][big]["polygons"] == []
    xs = [p[0] for polygon in our_doc["annotations"][big]["polygons"] for p in polygon]
    ys = [p[1] for polygon in our_doc["annotations"][big]["polygons"] for p in polygon]
    assert (min(xs), min(ys), max(xs), max(ys)) == (20, 10, 30, 19)  # ids[10:20, 20:31]
    assert len(their_doc["annotations"][small]["polygons"]) == 2  # 44's own and 300's
    assert len(our_doc["annotations"][small]["polygons"]) == 1
    # The ring-shaped tree of image 2 has an outer and an inner contour in both.
    assert any(len(a["polygons"]) == 2 for a in our_doc["annotations"] if a["image_id"] == 2)


# --- yolo ----------------------------------------------------------------------------------


def yolo_files(folder: Path) -> dict[str, list[list[float]]]:
    return {
        p.name: [[float(v) for v in line.split()] for line in p.read_text().splitlines()]
        for p in sorted(folder.glob("*.txt"))
    }


@pytest.mark.parametrize(("key", "label_status"), [("vector", None), ("bboxes", ["LABELED"])])
def test_yolo_equals_the_platform(
    releases: dict[str, Any],
    key: str,
    label_status: Optional[list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours, _, _, image_dir = run_both(releases, key, "yolo", tmp_path, monkeypatch, label_status)
    # The platform writes the label files into its image cache; ours go to out_dir.
    mine, platform = yolo_files(ours), yolo_files(image_dir)
    assert mine == platform
    assert mine and all(lines for lines in mine.values())
    assert "four.txt" not in mine  # labeled, but nothing on it: no file, as the platform


@pytest.mark.parametrize("given_size", [True, False])
def test_yolo_sequences_equal_the_platform(
    releases: dict[str, Any], given_size: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    width, height = SEQUENCE_SIZE
    statuses = ["LABELED", "REVIEWED"]  # the platform fails on unlabeled sequences
    ours = tmp_path / "ours"
    export = releases["releases"]["sequence"].export(
        label_status=statuses, cache_dir=releases["cache"]
    )
    # Without a size, ours reads each frame's image; the platform needs one given.
    export.write(
        "yolo", ours, **({"image_width": width, "image_height": height} if given_size else {})
    )
    from segments import SegmentsDataset
    from segments.utils import export_dataset

    monkeypatch.chdir(tmp_path)
    dataset = SegmentsDataset(
        str(releases["files"]["sequence"]), filter_by=statuses, segments_dir=str(tmp_path / "seg")
    )
    export_dataset(dataset, "theirs", "yolo", image_width=width, image_height=height)
    platform = yolo_files(tmp_path / "theirs" / str(dataset.image_dir))
    assert yolo_files(ours) == platform
    assert sorted(platform) == ["run-00001.txt", "run-00002.txt", "walk-f0.txt", "walk-f2.txt"]
