"""The HTML of samples without a browser: sequences, missing extras, unbound objects."""

from __future__ import annotations

import io
import sys

import pytest

import segments_orm as so
from segments_orm import _html

Image = pytest.importorskip("PIL.Image")


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 0, 255)).save(out, format="PNG")
    return out.getvalue()


def test_a_sequence_shows_its_first_frame_and_its_annotations() -> None:
    urls: list[str] = []

    def download(url: str) -> bytes:
        urls.append(url)
        return _png(640, 480)

    attributes = {
        "frames": [
            {"image": {"url": "https://example.com/frame-0.png"}},
            {"image": {"url": "https://example.com/frame-1.png"}},
        ]
    }
    label = {
        "label_status": "REVIEWED",
        "attributes": {
            "frames": [
                {"annotations": [{"id": 1, "track_id": 7, "category_id": 3, "type": "bbox",
                                  "points": [[1, 2], [30, 40]]}]},
                {"annotations": [{"id": 2, "track_id": 7, "category_id": 3, "type": "bbox",
                                  "points": [[100, 200], [300, 400]]}]},
            ]
        },
    }
    html = _html.sample_figure(
        name="clip", attributes=attributes, label=label, task_attributes=None, download=download
    )
    assert urls == ["https://example.com/frame-0.png"]
    assert 'viewBox="0 0 640 480"' in html
    assert '<rect x="1" y="2" width="29" height="38"' in html
    assert 'x="100"' not in html  # the second frame is not drawn
    palette = "#{:02x}{:02x}{:02x}".format(*_html.PALETTE[3])
    assert f'stroke="{palette}"' in html and "REVIEWED" in html


def test_image_sizes_are_read_from_png_jpeg_and_gif_headers() -> None:
    for fmt in ("PNG", "JPEG", "GIF"):
        out = io.BytesIO()
        Image.new("RGB", (123, 45)).save(out, format=fmt)
        assert _html.image_size(out.getvalue()) == (123, 45), fmt
    assert _html.image_size(b"not an image") is None


def test_without_numpy_a_bitmap_label_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)
    label = {
        "attributes": {
            "annotations": [{"id": 1, "category_id": 1}],
            "segmentation_bitmap": {"url": "https://example.com/bitmap.png"},
        }
    }
    html = _html.sample_figure(
        name="m",
        attributes={"image": {"url": "https://example.com/m.png"}},
        label=label,
        task_attributes=None,
        download=lambda url: _png(10, 10),
    )
    assert "segments-orm[bitmaps]" in html


def test_an_unreachable_image_leaves_a_note() -> None:
    def download(url: str) -> bytes:
        raise so.NetworkError("connection refused")

    html = _html.sample_figure(
        name="x", attributes={"image": {"url": "https://example.com/x.png"}}, label=None,
        task_attributes=None, download=download,
    )
    assert "could not read the image: NetworkError" in html


def test_a_sample_built_by_hand_still_renders() -> None:
    sample = so.Sample(name="hand.png", attributes={"image": {"url": "https://e.com/h.png"}})
    html = sample._repr_html_()
    assert "hand.png" in html and "could not read the image" in html
