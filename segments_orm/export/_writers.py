"""The export formats of the platform's ``export_dataset``, written from a `ReleaseExport`.

Content and file names follow the platform's exporters so that scripts reading their
output keep working; everything goes under the caller's ``out_dir``. Where the platform
is wrong we are right instead (docs/exports.rst lists each difference): instance ids
are never wrapped to 8 bits or clipped to 16, panoptic colours are deterministic, and
semantic colours follow category ids rather than list positions.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from segments_orm._concurrency import Progress
from segments_orm.exceptions import MissingDependencyError, ValidationError
from segments_orm.export._masks import PALETTE, Region, lookup, palette_colours, regions, rle_encode
from segments_orm.export._release import _BITMAP_TASKS, _SEQUENCE_TASKS

if TYPE_CHECKING:
    from segments_orm.export._release import ReleaseExport, ReleaseSample

Colour = tuple[int, int, int]


def write(export: ReleaseExport, format: str, out_dir: Path, options: dict[str, Any]) -> Path:
    """Write a format whose fit to the release was checked by `check_format`."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValidationError(f"out_dir: cannot create {out_dir}: {error.strerror}") from None
    return _WRITERS[format](_Job(export, out_dir, format, options))


class _Job:
    """One export run: the release, where to write, and what was asked."""

    def __init__(
        self, export: ReleaseExport, out_dir: Path, format: str, options: dict[str, Any]
    ) -> None:
        self.export = export
        self.out_dir = out_dir
        self.format = format
        self.options = options
        self.stem = f"{export.owner}_{export.dataset_name}_{export.release_name}"
        # Samples without a label in the labelset are skipped (as the platform does),
        # but keep their place: image ids are positions in the export plus one.
        self.labelled = [s for s in export if _annotations(s) is not None]

    def fetch(self, *, images: bool, segmentations: bool) -> None:
        indices = [s.index for s in self.labelled]
        self.export.fetch(indices, images=images, segmentations=segmentations)

    def each(
        self,
        step: Callable[[ReleaseSample], None],
        images: Optional[list[dict[str, Any]]] = None,
        *,
        copy_images: bool = True,
    ) -> None:
        """Run ``step`` on every labelled sample in order, under one progress bar.

        The loop every format shares: with ``images``, each sample's COCO image entry is
        appended to it first; its image is copied when the caller asked for copies (not
        with ``copy_images=False``, for a writer that copies frames itself); the bar
        advances after each sample and is closed however the loop ends.
        """
        bar = Progress(len(self.labelled), f"writing {self.format}", self.export._progress)
        try:
            for sample in self.labelled:
                if images is not None:
                    images.append(self.image_entry(sample))
                if copy_images:
                    self.copy_image(sample)
                step(sample)
                bar.advance()
        finally:
            bar.close()

    def image_entry(self, sample: ReleaseSample) -> dict[str, Any]:
        width: Optional[int]
        height: Optional[int]
        try:
            width, height = self.export.image_size(sample.index)
        except ValidationError:
            width = height = None
        return {
            "id": sample.index + 1,
            "file_name": _image_file_name(sample),
            "height": height,
            "width": width,
        }

    def bitmap(self, sample: ReleaseSample) -> Optional[np.ndarray[Any, Any]]:
        return self.export.segmentation(sample.index)

    def copy_image(self, sample: ReleaseSample) -> None:
        if not self.options.get("copy_images"):
            return
        name = _image_file_name(sample)
        if name is None:
            return
        source = self.export.image_path(sample.index)
        _link_or_copy(source, self.out_dir / name)

    def write_json(self, kind: str, content: dict[str, Any]) -> Path:
        path = self.out_dir / f"export_{kind}_{self.stem}.json"
        # dumps, not dump: one call to the C encoder instead of thousands of small writes.
        text = json.dumps(content)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        return path

    def info(self) -> dict[str, Any]:
        return {"description": self.export.dataset_name, "version": self.export.release_name}


def _annotations(sample: ReleaseSample) -> Optional[list[Any]]:
    if sample.label is None:
        return None
    attributes = sample.label.raw.get("attributes")
    if not isinstance(attributes, dict):
        return None
    annotations = attributes.get("annotations")
    if annotations is None and "frames" in attributes:
        return []
    return annotations if isinstance(annotations, list) else None


def _base_name(sample: ReleaseSample) -> str:
    return os.path.splitext(os.path.basename(sample.name))[0]


def _image_file_name(sample: ReleaseSample) -> Optional[str]:
    url = ((sample.raw.get("attributes") or {}).get("image") or {}).get("url")
    if not isinstance(url, str):
        return None
    from urllib.parse import urlparse

    return f"{os.path.splitext(sample.name)[0]}{os.path.splitext(urlparse(url).path)[1]}"


def _link_or_copy(source: Path, target: Path) -> None:
    if target.exists():
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _plain_category(category: dict[str, Any]) -> dict[str, Any]:
    """A category as the platform's model dumps it: id, name, color, attributes, extras."""
    out = {
        "id": category.get("id"),
        "name": category.get("name"),
        "color": list(category["color"]) if category.get("color") else category.get("color"),
        "attributes": category.get("attributes"),
    }
    out.update({k: v for k, v in category.items() if k not in out})
    return out


def _category_colours(export: ReleaseExport) -> list[tuple[dict[str, Any], Colour, int]]:
    """Each category with its colour (its own, else the palette's by position) and isthing."""
    found = []
    for position, category in enumerate(export.categories):
        colour = category.get("color")
        rgb = tuple(int(c) for c in colour[:3]) if colour else PALETTE[position % len(PALETTE)]
        isthing = int(bool(category["has_instances"])) if "has_instances" in category else 0
        found.append((category, (rgb[0], rgb[1], rgb[2]), isthing))
    return found


def _rgb_id(colour: Colour) -> int:
    return colour[0] + 256 * colour[1] + 256 * 256 * colour[2]


class _PanopticColours:
    """Panoptic segment colours: a stuff category's own colour, a thing's unique colour.

    The first instance of a thing category gets the category's colour; later ones a
    colour near it that no segment has yet. The platform draws those from numpy's global
    random state (different on every run); ours come from a generator seeded by the
    category's colour, so the same release always exports the same PNGs.
    """

    def __init__(self, categories: list[tuple[dict[str, Any], Colour, int]]) -> None:
        self.by_id = {c.get("id"): (colour, isthing) for c, colour, isthing in categories}
        self.taken: set[Colour] = {(0, 0, 0)}
        self.taken.update(colour for _, colour, isthing in categories if not isthing)
        self.generators: dict[Colour, np.random.Generator] = {}

    def colour(self, category_id: Any) -> Colour:
        if category_id not in self.by_id:
            raise ValidationError(
                f"coco-panoptic: an annotation has category_id {category_id!r}, which is not "
                "among the task attributes' categories"
            )
        base, isthing = self.by_id[category_id]
        if not isthing:
            return base
        if base not in self.taken:
            self.taken.add(base)
            return base
        generator = self.generators.setdefault(base, np.random.default_rng(_rgb_id(base)))
        for _ in range(100_000):  # 61**3 candidates near the base colour: ample, but bounded
            step = generator.integers(-30, 31, size=3)
            moved = np.clip(np.asarray(base) + step, 0, 255)
            candidate = (int(moved[0]), int(moved[1]), int(moved[2]))
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        raise ValidationError(f"coco-panoptic: no free colour left near {base}")


def _save_png(array: np.ndarray[Any, Any], path: Path) -> None:
    from PIL import Image

    Image.fromarray(array).save(path, format="PNG")


# --- the formats -------------------------------------------------------------------------


def _coco_instance(job: _Job) -> Path:
    export = job.export
    bitmap_task = export.task_type in _BITMAP_TASKS
    job.fetch(images=True, segmentations=bitmap_task)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []

    def step(sample: ReleaseSample) -> None:
        found: dict[int, Region] = {}
        ids = None
        if bitmap_task:
            ids = job.bitmap(sample)
            found = regions(ids) if ids is not None else {}
        for instance in _annotations(sample) or []:
            annotation: dict[str, Any] = {
                "id": len(annotations) + 1,
                "image_id": sample.index + 1,
                "category_id": instance.get("category_id"),
            }
            if bitmap_task:
                region = found.get(instance.get("id"))
                if region is None or ids is None:
                    continue  # an instance with no pixels: the platform skips it too
                annotation.update(
                    {
                        "bbox": region.bbox,
                        "segmentation": rle_encode(ids == instance["id"]),
                        "area": region.area,
                        "iscrowd": 0,
                    }
                )
            else:
                annotation.update(_vector_geometry(instance))
            annotations.append(annotation)

    job.each(step, images)
    content = {
        "info": job.info(),
        "categories": [_plain_category(c) for c in export.categories],
        "images": images,
        "annotations": annotations,
    }
    return job.write_json("coco-instance", content)


def _vector_geometry(instance: dict[str, Any]) -> dict[str, Any]:
    kind = instance.get("type")
    points = instance.get("points") or []
    if kind == "bbox" and len(points) >= 2:
        (x0, y0), (x1, y1) = points[0][:2], points[1][:2]
        return {"bbox": [x0, y0, x1 - x0, y1 - y0]}
    if kind == "point" and points:
        return {"keypoints": [points[0][0], points[0][1], 1]}
    if kind == "polygon":
        return {"points": points}
    return {}  # polylines (and unknown kinds) are listed without geometry, as the platform does


def _coco_panoptic(job: _Job) -> Path:
    export = job.export
    job.fetch(images=True, segmentations=True)
    categories = _category_colours(export)
    colours = _PanopticColours(categories)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []

    def step(sample: ReleaseSample) -> None:
        ids = job.bitmap(sample)
        shape = ids.shape if ids is not None else (0, 0)
        panoptic = np.zeros((*shape, 3), dtype=np.uint8)
        found = regions(ids) if ids is not None else {}
        segments_info = []
        for instance in _annotations(sample) or []:
            colour = colours.colour(instance.get("category_id"))
            region = found.get(instance.get("id"))
            if region is None or ids is None:
                continue
            panoptic[ids == instance["id"]] = colour
            segments_info.append(
                {
                    "id": _rgb_id(colour),
                    "category_id": instance.get("category_id"),
                    "bbox": region.bbox,
                    "area": region.area,
                    "iscrowd": 0,
                }
            )
        file_name = f"{_base_name(sample)}_label_{export.labelset}_coco-panoptic.png"
        annotations.append(
            {"segments_info": segments_info, "file_name": file_name, "image_id": sample.index + 1}
        )
        _save_png(panoptic, job.out_dir / file_name)

    job.each(step, images)
    content = {
        "info": job.info(),
        "categories": [
            {
                "id": category.get("id"),
                "name": category.get("name"),
                "color": list(colour),
                "attributes": None,
                "isthing": isthing,
            }
            for category, colour, isthing in categories
        ],
        "images": images,
        "annotations": annotations,
    }
    return job.write_json("coco-panoptic", content)


def _per_image(job: _Job, suffix: str, render: Callable[[ReleaseSample, Any], Any]) -> Path:
    job.fetch(images=bool(job.options.get("copy_images")), segmentations=True)

    def step(sample: ReleaseSample) -> None:
        ids = job.bitmap(sample)
        if ids is not None:
            name = f"{_base_name(sample)}_label_{job.export.labelset}_{suffix}.png"
            _save_png(render(sample, ids), job.out_dir / name)

    job.each(step)
    return job.out_dir


def _instance(job: _Job) -> Path:
    def render(sample: ReleaseSample, ids: Any) -> Any:
        if ids.size and int(ids.max()) > 0xFFFF:
            raise ValidationError(
                f"instance: {sample.name!r} has instance id {int(ids.max())}, which a 16-bit "
                "PNG cannot hold (the platform clips it to 65535); read it with "
                "segmentation(i), or export coco-instance or coco-panoptic"
            )
        return ids.astype(np.uint16)

    return _per_image(job, "instance", render)


def _instance_colour(job: _Job) -> Path:
    return _per_image(job, "instance_colored", lambda sample, ids: palette_colours(ids))


def _semantic_ids(job: _Job, sample: ReleaseSample, ids: Any) -> Any:
    increment = job.options.get("id_increment", 0)
    if isinstance(increment, bool) or not isinstance(increment, int):
        raise ValidationError(f"id_increment: expected an integer, got {increment!r}")
    table = {
        int(a["id"]): int(a["category_id"]) + increment
        for a in _annotations(sample) or []
        if isinstance(a, dict)
        and isinstance(a.get("id"), int)
        and isinstance(a.get("category_id"), int)
    }
    return lookup(ids, table)


def _semantic(job: _Job) -> Path:
    def render(sample: ReleaseSample, ids: Any) -> Any:
        semantic = _semantic_ids(job, sample, ids)
        if semantic.size and (int(semantic.min()) < 0 or int(semantic.max()) > 0xFFFF):
            raise ValidationError(
                f"semantic: {sample.name!r} has category values outside 0 to 65535"
            )
        fits_byte = not semantic.size or int(semantic.max()) <= 0xFF
        return semantic.astype(np.uint8 if fits_byte else np.uint16)

    return _per_image(job, "semantic", render)


def _semantic_colour(job: _Job) -> Path:
    increment = job.options.get("id_increment", 0)
    colour_of = {
        category.get("id"): colour for category, colour, _ in _category_colours(job.export)
    }

    def render(sample: ReleaseSample, ids: Any) -> Any:
        semantic = _semantic_ids(job, sample, ids)
        out = np.zeros((*semantic.shape, 3), dtype=np.uint8)
        for value in np.unique(semantic).tolist():
            colour = colour_of.get(value - increment)
            if value != 0 and colour is not None:
                out[semantic == value] = colour
        return out

    return _per_image(job, "semantic_colored", render)


def _polygon(job: _Job) -> Path:
    try:
        import cv2
    except ImportError as error:
        raise MissingDependencyError(
            "The polygon export traces contours with OpenCV: pip install 'segments-orm[export]'",
            error,
        ) from error
    export = job.export
    job.fetch(images=True, segmentations=True)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []

    def step(sample: ReleaseSample) -> None:
        ids = job.bitmap(sample)
        found = regions(ids) if ids is not None else {}
        for instance in _annotations(sample) or []:
            region = found.get(instance.get("id"))
            if region is None or ids is None:
                continue
            mask = (ids == instance["id"]).astype(np.uint8)
            contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": sample.index + 1,
                    "category_id": instance.get("category_id"),
                    "attributes": instance.get("attributes", None),
                    "polygons": [np.squeeze(contour).tolist() for contour in contours],
                }
            )

    job.each(step, images)
    content = {
        "categories": [_plain_category(c) for c in export.categories],
        "images": images,
        "annotations": annotations,
    }
    return job.write_json("polygon", content)


def _yolo_lines(annotations: list[Any], width: float, height: float) -> str:
    lines = []
    for annotation in annotations:
        if not isinstance(annotation, dict) or annotation.get("type") != "bbox":
            continue
        (x0, y0), (x1, y1) = annotation["points"][0][:2], annotation["points"][1][:2]
        x0, x1 = x0 / width, x1 / width
        y0, y1 = y0 / height, y1 / height
        lines.append(
            f"{annotation.get('category_id')} {(x0 + x1) / 2:.6f} {(y0 + y1) / 2:.6f} "
            f"{abs(x1 - x0):.6f} {abs(y1 - y0):.6f}\n"
        )
    return "".join(lines)


def _size_option(job: _Job, name: str) -> Optional[float]:
    value = job.options.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValidationError(f"{name}: expected a positive number of pixels, got {value!r}")
    return float(value)


def _yolo(job: _Job) -> Path:
    export = job.export
    width = _size_option(job, "image_width")
    height = _size_option(job, "image_height")
    sizes_given = width is not None and height is not None
    job.fetch(images=not sizes_given or bool(job.options.get("copy_images")), segmentations=False)
    sequences = export.task_type in _SEQUENCE_TASKS

    def step(sample: ReleaseSample) -> None:
        if sequences:
            _yolo_sequence(job, sample, width, height)
            return
        annotations = _annotations(sample)
        if annotations:
            w, h = (width, height) if sizes_given else (None, None)
            if w is None or h is None:
                real_w, real_h = export.image_size(sample.index)
                w, h = width or real_w, height or real_h
            path = job.out_dir / f"{_base_name(sample)}.txt"
            path.write_text(_yolo_lines(annotations, w, h), encoding="utf-8")

    # A sequence's images are its frames, which _yolo_sequence copies itself.
    job.each(step, copy_images=not sequences)
    return job.out_dir


def _yolo_sequence(
    job: _Job, sample: ReleaseSample, width: Optional[float], height: Optional[float]
) -> None:
    assert sample.label is not None  # job.labelled holds only labelled samples
    frames = (sample.label.raw.get("attributes") or {}).get("frames") or []
    sample_frames = (sample.raw.get("attributes") or {}).get("frames") or []
    for j, frame in enumerate(frames):
        name = None
        if j < len(sample_frames) and isinstance(sample_frames[j], dict):
            name = sample_frames[j].get("name")
        frame_name = str(name) if name is not None else f"{j + 1:05d}"
        file_stem = f"{_base_name(sample)}-{frame_name}"
        annotations = frame.get("annotations") if isinstance(frame, dict) else None
        if job.options.get("copy_images") and j < len(sample_frames):
            source = job.export.image_path(sample.index, frame=j)
            _link_or_copy(source, job.out_dir / f"{file_stem}{source.suffix}")
        if not annotations:
            continue
        w, h = width, height
        if w is None or h is None:
            real_w, real_h = job.export.image_size(sample.index, frame=j)
            w, h = w or real_w, h or real_h
        (job.out_dir / f"{file_stem}.txt").write_text(
            _yolo_lines(annotations, w, h), encoding="utf-8"
        )


_WRITERS: dict[str, Callable[[_Job], Path]] = {
    "coco-panoptic": _coco_panoptic,
    "coco-instance": _coco_instance,
    "yolo": _yolo,
    "instance": _instance,
    "instance-color": _instance_colour,
    "semantic": _semantic,
    "semantic-color": _semantic_colour,
    "polygon": _polygon,
}
