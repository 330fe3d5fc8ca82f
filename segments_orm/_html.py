"""Pictures in notebooks: the HTML of a sample, a queryset of samples and a dataset.

Everything is rendered here from plain JSON data (a sample's attributes, its label, the
dataset's task attributes), so the resources only say what to show. Every text and URL
comes from users or the server and is escaped; only http(s) URLs and ``data:image/`` URLs
are ever put in an attribute, so a sample whose image URL is ``javascript:...`` shows a
note, not a link.

A sample is drawn as its image with the label over it in an inline SVG whose coordinate
system is the image's pixels: boxes, polygons, polylines and points in their category's
colour (the task attributes' colour where set, else a fixed palette by category id), with
a legend. A segmentation label's bitmap becomes a coloured, half-transparent PNG laid over
the image (that needs numpy and Pillow, the ``bitmaps`` extra; without them the HTML says
so). To place the SVG, the image's size is read from its first bytes.
"""

from __future__ import annotations

import base64
import io
import struct
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, Callable, Optional

__all__ = [
    "PALETTE",
    "category_colors",
    "dataset_bar",
    "image_size",
    "image_url",
    "safe_url",
    "sample_figure",
    "thumbnail_grid",
]

# A stable palette, by category id (Tableau 10 then its lighter half): the same category
# gets the same colour in every notebook, across runs and machines.
PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
    (174, 199, 232),
    (255, 187, 120),
    (152, 223, 138),
    (255, 152, 150),
    (197, 176, 213),
    (196, 156, 148),
)

# Label statuses, in the platform's order, with the colour of each in a dataset's bar.
STATUS_COLORS = {
    "LABELED": "#2ca02c",
    "REVIEWED": "#1f77b4",
    "VERIFIED": "#17becf",
    "REVIEWING_IN_PROGRESS": "#9467bd",
    "LABELING_IN_PROGRESS": "#ff7f0e",
    "PRELABELED": "#bcbd22",
    "REJECTED": "#d62728",
    "SKIPPED": "#8c564b",
    "UNLABELED": "#c7c7c7",
}

_THUMBNAIL_PX = 160
# A sample's image up to this size is put in the HTML itself (see `sample_figure`).
EMBED_BYTES = 512 * 1024


def safe_url(value: Any) -> Optional[str]:
    """Return ``value`` if it is an http(s) or ``data:image/`` URL, else None."""
    if not isinstance(value, str):
        return None
    lowered = value.strip().lower()
    if lowered.startswith(("http://", "https://", "data:image/")):
        return value.strip()
    return None


def image_url(attributes: Any) -> Optional[str]:
    """Return the image URL of sample attributes (the first frame of a sequence)."""
    if not isinstance(attributes, Mapping):
        return None
    image = attributes.get("image")
    if image is None:
        frames = attributes.get("frames")
        if isinstance(frames, list) and frames and isinstance(frames[0], Mapping):
            image = frames[0].get("image")
    if isinstance(image, Mapping):
        url = image.get("url")
        return url if isinstance(url, str) else None
    return None


def image_size(data: bytes) -> Optional[tuple[int, int]]:
    """Return (width, height) of a PNG, GIF or JPEG from its bytes (others via Pillow)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                index += 1
                continue
            marker = data[index + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                index += 2
                continue
            (length,) = struct.unpack(">H", data[index + 2 : index + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            index += 2 + length
        return None
    try:
        from PIL import Image
    except ImportError:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except Exception:  # not an image Pillow knows: no size, the caller says so
        return None


def _rgb(value: Any) -> Optional[tuple[int, int, int]]:
    if isinstance(value, (list, tuple)) and len(value) >= 3:
        try:
            channels = [int(v) for v in value[:3]]
        except (TypeError, ValueError):
            return None
        if all(0 <= c <= 255 for c in channels):
            return channels[0], channels[1], channels[2]
    return None


def category_colors(task_attributes: Any) -> dict[Any, tuple[str, tuple[int, int, int]]]:
    """Map each category id to (name, colour): its own colour where set, else the palette."""
    found: dict[Any, tuple[str, tuple[int, int, int]]] = {}
    categories = task_attributes.get("categories") if isinstance(task_attributes, Mapping) else None
    for category in categories or ():
        if not isinstance(category, Mapping) or "id" not in category:
            continue
        ident = category["id"]
        color = _rgb(category.get("color")) or _palette(ident)
        found[ident] = (str(category.get("name", ident)), color)
    return found


def _palette(ident: Any) -> tuple[int, int, int]:
    index = ident if isinstance(ident, int) and not isinstance(ident, bool) else len(str(ident))
    return PALETTE[index % len(PALETTE)]


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _points(value: Any) -> list[tuple[float, float]]:
    out = []
    for point in value if isinstance(value, list) else ():
        if isinstance(point, (list, tuple)) and len(point) >= 2:
            try:
                out.append((float(point[0]), float(point[1])))
            except (TypeError, ValueError):
                continue
    return out


def _shape(annotation: Mapping[str, Any], color: str, stroke: float) -> str:
    kind = annotation.get("type")
    points = _points(annotation.get("points"))
    if not points:
        return ""
    style = f'stroke="{color}" stroke-width="{stroke:g}"'
    if kind == "bbox" and len(points) >= 2:
        (x0, y0), (x1, y1) = points[0], points[1]
        return (
            f'<rect x="{min(x0, x1):g}" y="{min(y0, y1):g}" width="{abs(x1 - x0):g}" '
            f'height="{abs(y1 - y0):g}" fill="none" {style}/>'
        )
    joined = " ".join(f"{x:g},{y:g}" for x, y in points)
    if kind == "polygon":
        return f'<polygon points="{joined}" fill="{color}" fill-opacity="0.25" {style}/>'
    if kind == "polyline":
        return f'<polyline points="{joined}" fill="none" {style}/>'
    if kind == "point":
        x, y = points[0]
        return f'<circle cx="{x:g}" cy="{y:g}" r="{stroke * 2:g}" fill="{color}"/>'
    return ""


def _frame_annotations(label_attributes: Any) -> list[Mapping[str, Any]]:
    """Return the annotations to draw: an image's, or the first frame's of a sequence."""
    if not isinstance(label_attributes, Mapping):
        return []
    annotations = label_attributes.get("annotations")
    if annotations is None:
        frames = label_attributes.get("frames")
        if isinstance(frames, list) and frames and isinstance(frames[0], Mapping):
            annotations = frames[0].get("annotations")
    return [a for a in annotations or () if isinstance(a, Mapping)]


def _bitmap_overlay(
    png: bytes, annotations: Sequence[Mapping[str, Any]], colors: Mapping[Any, Any]
) -> str:
    """Return a data: URL of the bitmap coloured by category (half transparent)."""
    import numpy as np
    from PIL import Image

    from segments_orm.types.bitmap import read_bitmap

    ids = read_bitmap(png)
    by_instance: dict[int, tuple[int, int, int]] = {}
    for annotation in annotations:
        instance, category = annotation.get("id"), annotation.get("category_id")
        if isinstance(instance, int) and not isinstance(instance, bool) and instance > 0:
            by_instance[instance] = colors.get(category, (None, _palette(category)))[1]
    rgba = np.zeros((*ids.shape, 4), dtype=np.uint8)
    if by_instance:
        # One lookup per pixel (a sorted search), not one pass per instance: a bitmap
        # with hundreds of objects renders as fast as one with two.
        keys = np.array(sorted(by_instance), dtype=np.uint32)
        table = np.array([(*by_instance[int(k)], 128) for k in keys], dtype=np.uint8)
        position = np.minimum(np.searchsorted(keys, ids), len(keys) - 1)
        known = keys[position] == ids
        rgba[known] = table[position[known]]
    out = io.BytesIO()
    Image.fromarray(rgba).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def sample_figure(
    *,
    name: str,
    attributes: Any,
    label: Optional[Mapping[str, Any]],
    task_attributes: Any,
    download: Callable[[str], bytes],
    details: str = "",
) -> str:
    """Render a sample: its image, the label drawn over it, a legend, then ``details``.

    Args:
        name: The sample's name (the caption).
        attributes: The sample's attributes (JSON form).
        label: The label to draw (JSON form), or None.
        task_attributes: The dataset's task attributes (JSON form), for categories.
        download: Fetches a URL's bytes (the client's transport: timeouts, no API key).
        details: HTML to append (the field table), already escaped.
    """
    notes: list[str] = []
    url = image_url(attributes)
    src = safe_url(url)
    colors = category_colors(task_attributes)
    label_attributes = label.get("attributes") if isinstance(label, Mapping) else None
    annotations = _frame_annotations(label_attributes)
    status = label.get("label_status") if isinstance(label, Mapping) else None
    picture = ""
    if src is None:
        notes.append("no image to show" if url is None else "the image URL is not http(s)")
    else:
        size: Optional[tuple[int, int]] = None
        try:
            content = download(src) if not src.lower().startswith("data:") else _data(src)
            size = image_size(content)
            mime = _mime(content)
            if size is not None and mime is not None and len(content) <= EMBED_BYTES:
                # In the page itself: a saved notebook keeps its pictures after the URL
                # stops working (signed URLs expire, an emulator stops).
                src = f"data:{mime};base64," + base64.b64encode(content).decode("ascii")
        except Exception as error:  # an unreachable image: still show what is known
            notes.append(f"could not read the image: {type(error).__name__}")
        layers = ""
        width, height = size or (0, 0)
        if size is None:
            if not notes:
                notes.append("unknown image size: the label is not drawn")
        else:
            # Two pixels at least, so a box stays visible (and opaque) on a thumbnail.
            stroke = max(2.0, round(max(width, height) / 200))
            bitmap = (
                label_attributes.get("segmentation_bitmap")
                if isinstance(label_attributes, Mapping)
                else None
            )
            bitmap_url = safe_url(bitmap.get("url")) if isinstance(bitmap, Mapping) else None
            if bitmap_url is not None:
                layers += _bitmap_layer(bitmap_url, annotations, colors, download, notes)
            for annotation in annotations:
                category = annotation.get("category_id")
                color = _hex(colors.get(category, (None, _palette(category)))[1])
                layers += _shape(annotation, color, stroke)
        image = f'<img src="{escape(src)}" alt="{escape(name)}" style="display:block;width:100%">'
        svg = ""
        if size is not None:
            svg = (
                f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
                'style="position:absolute;left:0;top:0;width:100%;height:100%" '
                f'xmlns="http://www.w3.org/2000/svg">{layers}</svg>'
            )
        shown_width = f"{min(width, 640)}px" if size is not None else "320px"
        picture = (
            f'<div class="segments-orm-picture" style="position:relative;'
            f'width:{shown_width};max-width:100%">{image}{svg}</div>'
        )
    used = []
    for annotation in annotations:
        category = annotation.get("category_id")
        if category not in used:
            used.append(category)
    legend = "".join(
        f'<span style="margin-right:1em;white-space:nowrap">'
        f'<span style="display:inline-block;width:0.9em;height:0.9em;'
        f'background:{_hex(colors.get(c, (None, _palette(c)))[1])};margin-right:0.3em"></span>'
        f"{escape(colors.get(c, (str(c), None))[0])}</span>"
        for c in used
    )
    caption = escape(name) + (f" &middot; {escape(str(status))}" if status else "")
    note = "".join(f'<div style="color:#a00">{escape(n)}</div>' for n in notes)
    return (
        f'<figure class="segments-orm-sample" style="margin:0">{picture}'
        f"<figcaption><b>{caption}</b><div>{legend}</div>{note}</figcaption></figure>{details}"
    )


def _mime(data: bytes) -> Optional[str]:
    """Return the MIME type of an image from its first bytes (None: not one we embed)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:2] == b"\xff\xd8":
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _data(url: str) -> bytes:
    head, _, payload = url.partition(",")
    if ";base64" in head:
        return base64.b64decode(payload)
    raise ValueError("only base64 data: URLs are read")


def _bitmap_layer(
    url: str,
    annotations: Sequence[Mapping[str, Any]],
    colors: Mapping[Any, Any],
    download: Callable[[str], bytes],
    notes: list[str],
) -> str:
    try:
        import numpy  # noqa: F401
        import PIL  # noqa: F401
    except ImportError:
        notes.append(
            "the segmentation bitmap is not drawn: it needs numpy and Pillow "
            "(pip install 'segments-orm[bitmaps]')"
        )
        return ""
    try:
        overlay = _bitmap_overlay(download(url), annotations, colors)
    except Exception as error:  # a missing or broken bitmap: the image still shows
        notes.append(f"could not read the segmentation bitmap: {type(error).__name__}")
        return ""
    return (
        f'<image href="{escape(overlay)}" x="0" y="0" width="100%" height="100%" '
        'preserveAspectRatio="none"/>'
    )


def thumbnail_grid(cards: Sequence[tuple[Optional[str], str, str]], caption: str) -> str:
    """Render (image URL, name, label status) cards as a grid of thumbnails."""
    cells = []
    for url, name, status in cards:
        src = safe_url(url)
        picture = (
            f'<img src="{escape(src)}" alt="{escape(name)}" loading="lazy" '
            f'style="width:{_THUMBNAIL_PX}px;height:{_THUMBNAIL_PX}px;object-fit:contain;'
            'background:#eee;display:block">'
            if src
            else f'<div style="width:{_THUMBNAIL_PX}px;height:{_THUMBNAIL_PX}px;'
            'background:#eee"></div>'
        )
        status_html = (
            f'<span style="color:{STATUS_COLORS.get(status, "#555")}">{escape(status)}</span>'
            if status
            else ""
        )
        cells.append(
            f'<figure style="margin:4px;width:{_THUMBNAIL_PX}px">{picture}'
            f'<figcaption style="font-size:smaller;overflow-wrap:anywhere">{escape(name)}'
            f"<br>{status_html}</figcaption></figure>"
        )
    return (
        f'<div class="segments-orm-grid"><div><b>{escape(caption)}</b></div>'
        f'<div style="display:flex;flex-wrap:wrap">{"".join(cells)}</div></div>'
    )


def dataset_bar(title: str, label_stats: Any) -> str:
    """Render a dataset's label-status counts as one stacked bar with a legend."""
    if not isinstance(label_stats, Mapping):
        return ""
    counts = [
        (str(status), int(count))
        for status, count in label_stats.items()
        if str(status) != "TOTAL" and isinstance(count, int) and count > 0
    ]
    order = list(STATUS_COLORS)
    counts.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    total = sum(count for _, count in counts)
    if not total:
        return f"<div><b>{escape(title)}</b>: no samples</div>"
    segments = "".join(
        f'<div title="{escape(status)}: {count}" style="width:{100 * count / total:.3f}%;'
        f'background:{STATUS_COLORS.get(status, "#7f7f7f")};height:100%"></div>'
        for status, count in counts
    )
    legend = " ".join(
        f'<span style="white-space:nowrap"><span style="display:inline-block;width:0.9em;'
        f'height:0.9em;background:{STATUS_COLORS.get(status, "#7f7f7f")}"></span> '
        f"{escape(status)} {count}</span>"
        for status, count in counts
    )
    return (
        f'<div class="segments-orm-bar"><div><b>{escape(title)}</b>: {total} samples</div>'
        f'<div style="display:flex;width:480px;max-width:100%;height:18px;'
        f'border:1px solid #999">{segments}</div><div>{legend}</div></div>'
    )
