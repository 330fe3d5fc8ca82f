"""A release file as training data: its samples and labels, and the files they refer to.

The release file is downloaded once into a cache directory of its own (keyed by the
release's uuid, so a recreated release of the same name never reads a stale copy), and so
is every image and bitmap, each written under a temporary name and renamed into place:
an interrupted download is never mistaken for a cached file.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union, overload
from urllib.parse import urlparse

import attrs

from segments_orm._concurrency import run_bulk
from segments_orm.enums import LabelStatus, TaskType
from segments_orm.exceptions import NetworkError, ValidationError
from segments_orm.types import load_label_attributes, load_sample_attributes
from segments_orm.types.bitmap import _require

if TYPE_CHECKING:
    import numpy
    import numpy.typing
    from PIL import Image

    from segments_orm._transport import Transport

__all__ = [
    "FORMATS",
    "ReleaseExport",
    "ReleaseLabel",
    "ReleaseSample",
    "default_cache_dir",
]

_BITMAP_TASKS = frozenset({TaskType.SEGMENTATION_BITMAP, TaskType.SEGMENTATION_BITMAP_HIGHRES})
_VECTOR_TASKS = frozenset({TaskType.BBOXES, TaskType.VECTOR, TaskType.KEYPOINTS})
_IMAGE_TASKS = _BITMAP_TASKS | _VECTOR_TASKS
_SEQUENCE_TASKS = frozenset({TaskType.IMAGE_VECTOR_SEQUENCE})

# Format -> the task types the platform's export_dataset writes it for.
FORMATS: dict[str, frozenset[str]] = {
    "coco-panoptic": _BITMAP_TASKS,
    "coco-instance": _BITMAP_TASKS | {TaskType.BBOXES, TaskType.VECTOR},
    "yolo": frozenset({TaskType.BBOXES, TaskType.VECTOR, TaskType.IMAGE_VECTOR_SEQUENCE}),
    "instance": _BITMAP_TASKS,
    "instance-color": _BITMAP_TASKS,
    "semantic": _BITMAP_TASKS,
    "semantic-color": _BITMAP_TASKS,
    "polygon": _BITMAP_TASKS,
}

# Format -> the options it takes besides copy_images.
_OPTIONS: dict[str, frozenset[str]] = {
    "semantic": frozenset({"id_increment"}),
    "semantic-color": frozenset({"id_increment"}),
    "yolo": frozenset({"image_width", "image_height"}),
}

_STATUSES = frozenset(status.value for status in LabelStatus)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_cache_dir() -> Path:
    """Return where release files and their images are cached by default.

    ``$SEGMENTS_ORM_CACHE`` if set, else ``$XDG_CACHE_HOME/segments-orm``, else
    ``~/.cache/segments-orm`` (``%LOCALAPPDATA%/segments-orm`` on Windows).
    """
    explicit = os.environ.get("SEGMENTS_ORM_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "segments-orm"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "segments-orm"


def _require_images() -> tuple[Any, Any]:
    return _require("Images and bitmaps")


@attrs.frozen(slots=False)
class ReleaseLabel:
    """A sample's label in one labelset, as the release file has it.

    Attributes:
        labelset: The labelset's name.
        label_status: Its status (a `LabelStatus` when known, else the string).
        score: The label's score, if the release file has one.
        raw: The label's JSON as in the release file.
        task_type: The release's task type.
    """

    labelset: str
    label_status: Union[LabelStatus, str]
    score: Optional[float] = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    task_type: str = attrs.field(default="", repr=False)

    @functools.cached_property
    def attributes(self) -> Any:
        """The label attributes, typed by the task type where they fit, else the JSON.

        Typed on first access (an export of thousands of samples pays only for those read).
        """
        return load_label_attributes(self.task_type, self.raw.get("attributes"))


@attrs.frozen(slots=False)
class ReleaseSample:
    """One sample of a release, with its label in the export's labelset.

    Attributes:
        index: Its position in the export (image ids are ``index + 1``, as the platform's).
        uuid: The sample's uuid.
        name: The sample's name.
        metadata: Its metadata.
        label: Its label in the labelset, or None when it has none (UNLABELED).
        raw: The sample's JSON as in the release file.
        task_type: The release's task type.
    """

    index: int
    uuid: str
    name: str
    metadata: dict[str, Any]
    label: Optional[ReleaseLabel]
    raw: dict[str, Any] = attrs.field(repr=False, eq=False)
    task_type: str = attrs.field(default="", repr=False)

    @functools.cached_property
    def attributes(self) -> Any:
        """The sample attributes, typed by the task type where they fit, else the JSON."""
        return load_sample_attributes(self.task_type, self.raw.get("attributes"))

    @property
    def label_status(self) -> Union[LabelStatus, str]:
        """The label's status, UNLABELED when there is no label."""
        return self.label.label_status if self.label is not None else LabelStatus.UNLABELED


def _status(value: Any) -> Union[LabelStatus, str]:
    return LabelStatus(value) if value in _STATUSES else str(value)


def _statuses(label_status: Any) -> Optional[frozenset[str]]:
    if label_status is None:
        return None
    given = [label_status] if isinstance(label_status, str) else list(label_status)
    if not given:
        raise ValidationError("label_status: expected a status or a list of them, got []")
    wanted = set()
    for status in given:
        text = str(status.value if isinstance(status, LabelStatus) else status).upper()
        if text not in _STATUSES:
            raise ValidationError(
                f"label_status: unknown status {status!r}; expected one of "
                + ", ".join(sorted(_STATUSES))
            )
        wanted.add(text)
    return frozenset(wanted)


def _extension(url: str) -> str:
    return os.path.splitext(urlparse(url).path)[1]


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> Optional[tuple[int, int]]:
    """Read a PNG's size from its IHDR chunk; None if not a PNG or it has EXIF data.

    Opening thousands of images with Pillow only to learn their size is most of an
    export's time; a PNG states it in its first chunk. EXIF (an ``eXIf`` chunk, which
    must come before the image data) may turn the picture, so Pillow decides then.
    """
    try:
        with open(path, "rb") as handle:
            if handle.read(8) != _PNG_SIGNATURE:
                return None
            size = None
            for _ in range(1000):  # chunks before the image data: a handful in practice
                header = handle.read(8)
                if len(header) < 8:
                    return None
                length, kind = int.from_bytes(header[:4], "big"), header[4:]
                if kind == b"IHDR":
                    data = handle.read(8)
                    size = (int.from_bytes(data[:4], "big"), int.from_bytes(data[4:], "big"))
                    handle.seek(length - 8 + 4, os.SEEK_CUR)
                elif kind == b"eXIf":
                    return None
                elif kind == b"IDAT":
                    return size
                else:
                    handle.seek(length + 4, os.SEEK_CUR)
    except OSError:
        return None
    return None


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class ReleaseExport:
    """The samples of a release in one labelset, with their images and bitmaps on demand.

    Made by `Release.export`. A sequence of `ReleaseSample`: ``len()``, iteration,
    indexing and slicing (a slice is a list). ``image(i)`` and ``segmentation(i)`` load
    what a sample's label refers to, downloading each file once into the cache;
    `fetch` downloads them all concurrently first, with a progress bar. `write` writes
    the samples in one of the platform's export formats.

    Args:
        content: The release file's JSON.
        transport: What files are downloaded with (timeouts, retries, never the API key).
        cache_dir: This release's own cache directory.
        labelset: The labelset whose labels are read.
        label_status: Keep only samples whose label has one of these statuses
            (UNLABELED for samples without a label); None keeps all.
        max_workers: Concurrent downloads.
        progress: Show progress bars (None: when tqdm is installed and on a terminal).

    Raises:
        ValidationError: The labelset is not in the release, a status is unknown, or
            the release file does not have the platform's shape.
    """

    def __init__(
        self,
        content: Any,
        *,
        transport: Optional[Transport],
        cache_dir: Union[str, os.PathLike[str]],
        labelset: str = "ground-truth",
        label_status: Any = None,
        max_workers: int = 8,
        progress: Optional[bool] = None,
    ) -> None:
        try:
            dataset = content["dataset"]
            self.release_name: str = str(content["name"])
            self.owner: str = str(dataset["owner"])
            self.dataset_name: str = str(dataset["name"])
            self.task_type: str = str(dataset["task_type"])
            self.task_attributes: dict[str, Any] = dict(dataset.get("task_attributes") or {})
            labelsets = [ls["name"] for ls in dataset.get("labelsets") or []]
            raw_samples = list(dataset["samples"])
        except (KeyError, TypeError) as error:
            raise ValidationError(
                f"Not a release file: missing or malformed {error!s} (expected the "
                "platform's release JSON)"
            ) from None
        if labelset not in labelsets:
            raise ValidationError(
                f"labelset: the release has no labelset {labelset!r}; it has "
                + (", ".join(repr(name) for name in labelsets) or "none")
            )
        self.labelset = labelset
        self.cache_dir = Path(cache_dir)
        self._transport = transport
        self._max_workers = max_workers
        self._progress = progress
        self._lock = threading.Lock()
        self._sizes: dict[str, tuple[int, int]] = {}
        self._paths: dict[tuple[int, Optional[int]], tuple[str, Path]] = {}
        self._present: set[str] = set()  # cached files seen on disk (set.add is atomic)
        wanted = _statuses(label_status)
        self._samples: list[ReleaseSample] = []
        for position, raw in enumerate(raw_samples):
            sample = self._sample(len(self._samples), raw, position)
            if wanted is None or str(sample.label_status) in wanted:
                self._samples.append(sample)

    def _sample(self, index: int, raw: Any, position: int) -> ReleaseSample:
        if not isinstance(raw, dict) or not isinstance(raw.get("labels", {}), dict):
            raise ValidationError(f"Not a release file: sample [{position}] is not an object")
        label_json = (raw.get("labels") or {}).get(self.labelset)
        label = None
        if isinstance(label_json, dict):
            label = ReleaseLabel(
                labelset=self.labelset,
                label_status=_status(label_json.get("label_status")),
                score=label_json.get("score"),
                raw=label_json,
                task_type=self.task_type,
            )
        return ReleaseSample(
            index=index,
            uuid=str(raw.get("uuid")),
            name=str(raw.get("name")),
            metadata=dict(raw.get("metadata") or {}),
            label=label,
            raw=raw,
            task_type=self.task_type,
        )

    # --- the sequence ----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._samples)

    def __iter__(self) -> Iterator[ReleaseSample]:
        return iter(self._samples)

    @overload
    def __getitem__(self, index: int) -> ReleaseSample: ...

    @overload
    def __getitem__(self, index: slice) -> list[ReleaseSample]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[ReleaseSample, list[ReleaseSample]]:
        if isinstance(index, slice):
            return self._samples[index]
        return self._samples[self._position(index)]

    def __repr__(self) -> str:
        return (
            f"<ReleaseExport {self.owner}/{self.dataset_name} {self.release_name!r} "
            f"{self.task_type} labelset={self.labelset!r}: {len(self)} samples>"
        )

    def _position(self, index: Any) -> int:
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValidationError(f"index: expected an integer, got {index!r}")
        if not -len(self._samples) <= index < len(self._samples):
            raise IndexError(f"index {index} is out of range for {len(self._samples)} samples")
        return index % len(self._samples)

    @property
    def categories(self) -> list[dict[str, Any]]:
        """The task attributes' categories, as JSON."""
        categories = self.task_attributes.get("categories") or []
        return [dict(category) for category in categories if isinstance(category, dict)]

    # --- files -----------------------------------------------------------------------

    def _image_url(self, sample: ReleaseSample, frame: Optional[int]) -> str:
        attributes = sample.raw.get("attributes") or {}
        if self.task_type in _SEQUENCE_TASKS:
            frames = attributes.get("frames") or []
            if frame is None:
                raise ValidationError(
                    f"image(): {self.task_type} samples are sequences: pass frame= "
                    f"(0 to {len(frames) - 1} for {sample.name!r})"
                )
            if not isinstance(frame, int) or not 0 <= frame < len(frames):
                raise ValidationError(
                    f"frame: {sample.name!r} has {len(frames)} frames, got {frame!r}"
                )
            attributes = frames[frame]
        elif self.task_type not in _IMAGE_TASKS:
            raise ValidationError(
                f"image(): a {self.task_type} release has no images to load; images load "
                "for " + ", ".join(sorted(_IMAGE_TASKS | _SEQUENCE_TASKS))
            )
        elif frame is not None:
            raise ValidationError(f"frame: {self.task_type} samples have no frames")
        url = (attributes.get("image") or {}).get("url")
        if not isinstance(url, str) or not url:
            raise ValidationError(f"Sample {sample.name!r} has no image URL")
        return url

    def _image_path(self, sample: ReleaseSample, frame: Optional[int]) -> tuple[str, Path]:
        key = (sample.index, frame)
        known = self._paths.get(key)
        if known is None:
            known = self._paths[key] = self._new_image_path(sample, frame)
        return known

    def _new_image_path(self, sample: ReleaseSample, frame: Optional[int]) -> tuple[str, Path]:
        url = self._image_url(sample, frame)
        stem = _UNSAFE.sub("_", sample.uuid)
        name = f"{stem}{_extension(url)}" if frame is None else f"{stem}/{frame}{_extension(url)}"
        return url, self.cache_dir / "images" / name

    def _bitmap_path(self, sample: ReleaseSample) -> Optional[tuple[str, Path]]:
        if self.task_type not in _BITMAP_TASKS:
            raise ValidationError(
                f"segmentation(): a {self.task_type} release has no segmentation bitmaps; "
                "they load for " + ", ".join(sorted(_BITMAP_TASKS))
            )
        if sample.label is None:
            return None
        url = ((sample.label.raw.get("attributes") or {}).get("segmentation_bitmap") or {}).get(
            "url"
        )
        if not isinstance(url, str) or not url:
            return None
        labelset = _UNSAFE.sub("_", self.labelset)
        return url, self.cache_dir / "labels" / labelset / f"{_UNSAFE.sub('_', sample.uuid)}.png"

    def _download(self, job: tuple[str, Path]) -> Path:
        url, path = job
        key = str(path)
        if key in self._present or os.path.exists(key):
            self._present.add(key)
            return path
        if self._transport is None:
            raise ValidationError(f"{path} is not cached and this export has no client")
        _write_atomically(path, self._transport.download(url))
        self._present.add(key)
        return path

    def _fetch_jobs(self, jobs: Iterable[tuple[str, Path]], what: str) -> None:
        missing: dict[Path, tuple[str, Path]] = {}
        for url, path in jobs:
            key = str(path)
            if key in self._present:
                continue
            if os.path.exists(key):
                self._present.add(key)  # files are only ever added to the cache
            else:
                missing[path] = (url, path)
        unique = list(missing.values())
        if not unique:
            return
        run_bulk(
            self._download,
            unique,
            max_workers=self._max_workers,
            description=what,
            progress=self._progress,
            transport=self._transport,
        ).raise_for_errors(what)

    def fetch(
        self,
        indices: Optional[Sequence[int]] = None,
        *,
        images: bool = True,
        segmentations: bool = True,
    ) -> None:
        """Download the images (and bitmaps) of these samples into the cache, concurrently.

        Files already cached are not downloaded again. For sequences, every frame's image.

        Network: one request per file not yet cached.

        Args:
            indices: The samples (all by default).
            images: Download the images.
            segmentations: Download the segmentation bitmaps (segmentation-bitmap
                releases only; ignored for the others).

        Raises:
            BulkError: Some files could not be downloaded (the others are cached).
            ValidationError: The release's task type has no images.
        """
        chosen = [self[i] for i in indices] if indices is not None else self._samples
        jobs: list[tuple[str, Path]] = []
        for sample in chosen:
            if images:
                jobs.extend(self._image_jobs(sample))
            if segmentations and self.task_type in _BITMAP_TASKS:
                found = self._bitmap_path(sample)
                if found is not None:
                    jobs.append(found)
        self._fetch_jobs(jobs, "files")

    def _image_jobs(self, sample: ReleaseSample) -> list[tuple[str, Path]]:
        if self.task_type in _SEQUENCE_TASKS:
            frames = (sample.raw.get("attributes") or {}).get("frames") or []
            return [self._image_path(sample, j) for j in range(len(frames))]
        try:
            return [self._image_path(sample, None)]
        except ValidationError:
            if self.task_type in _IMAGE_TASKS:
                return []  # a sample without an image URL: nothing to fetch
            raise

    def image_path(self, index: int, *, frame: Optional[int] = None) -> Path:
        """Return the cached file of a sample's image, downloading it first if needed.

        Network: one request when the image is not cached yet.

        Args:
            index: The sample's index.
            frame: For image sequences, the frame's index (required there).

        Raises:
            ValidationError: The release has no images, or the sample no image URL.
        """
        return self._download(self._image_path(self[index], frame))

    def image(self, index: int, *, frame: Optional[int] = None) -> Image.Image:
        """Load a sample's image (a Pillow image, turned upright by its EXIF orientation).

        Network: one request when the image is not cached yet.

        Args:
            index: The sample's index.
            frame: For image sequences, the frame's index (required there).

        Raises:
            MissingDependencyError: Pillow is not installed (extra ``bitmaps``).
            ValidationError: The release has no images, the sample no image URL, or
                the file is not an image Pillow can read.
        """
        _, image_module = _require_images()
        from PIL import ImageOps, UnidentifiedImageError

        path = self.image_path(index, frame=frame)
        try:
            with image_module.open(path) as opened:
                opened.load()
                upright = ImageOps.exif_transpose(opened)
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            raise ValidationError(
                f"The image of {self[index].name!r} ({path}) cannot be read: {error}"
            ) from None
        return upright if upright is not None else opened

    def image_size(self, index: int, *, frame: Optional[int] = None) -> tuple[int, int]:
        """Return a sample's image ``(width, height)``, upright, reading only its header.

        Network: one request when the image is not cached yet.
        """
        path = self.image_path(index, frame=frame)
        key = str(path)
        with self._lock:
            known = self._sizes.get(key)
        if known is not None:
            return known
        size = _png_size(path)
        if size is None:
            size = self._size_by_pillow(index, path)
        with self._lock:
            self._sizes[key] = size
        return size

    def _size_by_pillow(self, index: int, path: Path) -> tuple[int, int]:
        _, image_module = _require_images()
        from PIL import UnidentifiedImageError

        try:
            with image_module.open(path) as opened:
                width, height = opened.size
                # EXIF orientations 5 to 8 turn the picture a quarter: width and height swap.
                orientation = opened.getexif().get(0x0112, 1)
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            raise ValidationError(
                f"The image of {self[index].name!r} ({path}) cannot be read: {error}"
            ) from None
        return (height, width) if orientation in (5, 6, 7, 8) else (width, height)

    def segmentation(self, index: int) -> Optional[numpy.typing.NDArray[numpy.uint32]]:
        """Load a sample's instance ids: a ``(height, width)`` ``uint32`` array, 0 unlabeled.

        Decoded from the platform's RGBA bitmap (id = R + 256 G + 65536 B), so ids above
        255 and 65535 keep their value.

        Network: one request when the bitmap is not cached yet.

        Returns:
            The ids, or None when the sample has no label or its label no bitmap.

        Raises:
            MissingDependencyError: numpy or Pillow is not installed (extra ``bitmaps``).
            ValidationError: The release is not a segmentation-bitmap release, or the
                bitmap is not a PNG.
        """
        _require_images()
        from segments_orm.types import read_bitmap

        sample = self[index]
        found = self._bitmap_path(sample)
        if found is None:
            return None
        path = self._download(found)
        try:
            return read_bitmap(path)
        except (OSError, SyntaxError, ValueError) as error:
            raise ValidationError(
                f"The segmentation bitmap of {sample.name!r} ({path}) cannot be read: {error}"
            ) from None

    # --- writing ---------------------------------------------------------------------

    def write(
        self,
        format: str,
        out_dir: Union[str, os.PathLike[str]],
        **options: Any,
    ) -> Path:
        """Write the samples in one of the platform's export formats under ``out_dir``.

        The formats, file names and content are those of the platform's
        ``export_dataset`` (see the Release exports page for the differences where the
        platform is wrong). Images and bitmaps are downloaded first, concurrently.

        Network: one request per file not yet cached.

        Args:
            format: ``coco-panoptic``, ``coco-instance``, ``yolo``, ``instance``,
                ``instance-color``, ``semantic``, ``semantic-color`` or ``polygon``.
            out_dir: The directory to write into (created if needed).
            **options: ``id_increment`` (semantic formats: added to category ids);
                ``image_width`` and ``image_height`` (yolo for sequences: the frame
                size, read from each frame's image when not given); ``copy_images``
                (True: put each image next to the labels, under the file name the
                labels use).

        Returns:
            The main file written (the JSON), or ``out_dir`` for per-image formats.

        Raises:
            ValidationError: Unknown format, a format that does not apply to the
                release's task type (the message names those that do), or an unknown
                option.
            MissingDependencyError: A library the format needs is not installed.
        """
        check_format(self.task_type, format, options)
        _require_images()
        from segments_orm.export._writers import write

        return write(self, format, Path(out_dir), options)


def check_format(task_type: str, format: Any, options: dict[str, Any]) -> None:
    """Refuse an unknown format, one the task type has not, or an option it does not take."""
    if format not in FORMATS:
        raise ValidationError(
            f"format: unknown export format {format!r}; expected one of " + ", ".join(FORMATS)
        )
    if task_type not in FORMATS[format]:
        applicable = [name for name, tasks in FORMATS.items() if task_type in tasks]
        raise ValidationError(
            f"format: {format!r} does not apply to a {task_type} release; "
            + (
                "formats that do: " + ", ".join(applicable)
                if applicable
                else "no export format applies to this task type"
            )
        )
    allowed = _OPTIONS.get(format, frozenset()) | {"copy_images"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValidationError(
            f"{format} takes the options {', '.join(sorted(allowed))}; got {', '.join(unknown)}"
        )


def open_release(
    release: Any,
    *,
    labelset: str,
    label_status: Any,
    cache_dir: Union[str, os.PathLike[str], None],
    progress: Optional[bool],
) -> ReleaseExport:
    """Build the `ReleaseExport` of a SUCCEEDED release, downloading its file once."""
    url = release.url
    if str(release.status) != "SUCCEEDED" or not url:
        raise ValidationError(
            f"The release {release.name!r} is {release.status}, not SUCCEEDED: call wait() first"
        )
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    key = _UNSAFE.sub("_", release.uuid or f"{release.dataset.full_name}-{release.name}")
    directory = root / "releases" / key
    path = directory / "release.json"
    client = release.client
    if not path.exists():
        try:
            _write_atomically(path, client.transport.download(url))
        except OSError as error:
            raise ValidationError(
                f"cache_dir: cannot write {path}: {error.strerror or error}"
            ) from None
    try:
        content = json.loads(path.read_bytes())
    except ValueError as error:
        path.unlink(missing_ok=True)  # never keep a broken file in the cache
        raise NetworkError(f"The release file at {url} is not JSON", error) from None
    return ReleaseExport(
        content,
        transport=client.transport,
        cache_dir=directory,
        labelset=labelset,
        label_status=label_status,
        max_workers=client.max_workers,
        progress=progress,
    )
