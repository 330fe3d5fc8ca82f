"""The notebook HTML of samples, querysets and datasets, rendered in headless Chromium.

Each fragment is written into a page, screenshotted by a real browser, and the pixels are
checked where a box, a bitmap overlay, a thumbnail or a status bar of a known colour must
be. Images are generated PNGs uploaded to an emulator served on a socket, as assets: a
sample's HTML embeds the image it downloaded from 127.0.0.1, and the thumbnails of a
queryset are loaded by the browser from there, as a notebook would load them from the
platform. All the scenes are made once and screenshotted in one browser run.

Without Chromium the test skips, except in CI (``CI=true``), where it fails: ``.ci/run``
installs Debian's ``chromium`` package first.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, NamedTuple, Optional

import pytest

import segments_orm as so
from segments_orm.emulator import EmulatorServer

Image = pytest.importorskip("PIL.Image")
np = pytest.importorskip("numpy")

WIDTH, HEIGHT = 400, 300
BLUE = (0, 0, 255)
RED = (255, 0, 0)  # the category colour set in the task attributes
TASK_ATTRIBUTES = {
    "format_version": "0.1",
    "categories": [{"id": 1, "name": "car", "color": list(RED)}, {"id": 2, "name": "person"}],
}


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    reason = "Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; in CI the browser test must run (.ci/run installs it)")
    pytest.skip(reason)


def screenshot(html: str, tmp_path: Path, size: tuple[int, int]) -> Any:
    """Render ``html`` in headless Chromium and return the screenshot as an RGB array."""
    browser = _chromium()
    page = tmp_path / "page.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'></head>"
        f"<body style='margin:0'>{html}</body></html>",
        encoding="utf-8",
    )
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
        f"--screenshot={shot}",
        f"--window-size={size[0]},{size[1]}",
        "--virtual-time-budget=5000",  # wait for the images to load
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert shot.exists(), (
        f"Chromium wrote no screenshot (exit {result.returncode}):\n" + (result.stderr[-2000:])
    )
    with Image.open(shot) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def near(pixels: Any, x: int, y: int, color: tuple[int, int, int], radius: int = 2) -> bool:
    """Tell whether a pixel within ``radius`` of (x, y) is close to ``color``."""
    window = pixels[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1]
    distance = np.abs(window - np.array(color)).sum(axis=-1)
    return bool((distance <= 60).any())


def _png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), color).save(out, format="PNG")
    return out.getvalue()


BOX = (800, 600)  # each scene's box in the one screenshot, as an 800x600 window


class Rendered(NamedTuple):
    html: dict[str, str]  # the HTML of each scene
    pixels: dict[str, Any]  # its box of the screenshot, as an RGB array
    grid_requests: int  # requests the queryset's HTML made


def _boxes_html(client: so.Client, image: str) -> str:
    ds = client.datasets.create("boxes", task_type="vector", task_attributes=TASK_ATTRIBUTES)
    sample = ds.samples.create("<b>car</b>.png", {"image": {"url": image}})
    box = {"id": 1, "category_id": 1, "type": "bbox", "points": [[50, 60], [250, 200]]}
    point = {"id": 2, "category_id": 2, "type": "point", "points": [[350, 250]]}
    sample.labels.create(
        "ground-truth", {"format_version": "0.1", "annotations": [box, point]}, "LABELED"
    )
    return sample._repr_html_()


def _mask_html(client: so.Client, image: str) -> str:
    from segments_orm.types.bitmap import write_bitmap

    ds = client.datasets.create(
        "masks", task_type="segmentation-bitmap", task_attributes=TASK_ATTRIBUTES
    )
    sample = ds.samples.create("mask.png", {"image": {"url": image}})
    ids = np.zeros((HEIGHT, WIDTH), dtype=np.uint32)
    ids[100:200, 100:300] = 300  # an instance id above 255
    bitmap = client.assets.upload(write_bitmap(ids), "bitmap.png").url
    sample.labels.create(
        "ground-truth",
        {
            "format_version": "0.1",
            "annotations": [{"id": 300, "category_id": 1}],
            "segmentation_bitmap": {"url": bitmap},
        },
        "LABELED",
    )
    return sample._repr_html_()


def _grid_and_bar_html(
    client: so.Client, server: EmulatorServer, image: str
) -> tuple[str, int, str]:
    ds = client.datasets.create("grid", task_type="vector", task_attributes=TASK_ATTRIBUTES)
    samples = ds.samples.bulk_create(
        [{"name": f"s{i}.png", "attributes": {"image": {"url": image}}} for i in range(3)]
    )
    for sample in samples[:2]:
        sample.labels.create("ground-truth", {"format_version": "0.1", "annotations": []})
    query = ds.samples.include_label()
    before = server.emulator.stats.requests
    grid = query._repr_html_()
    requests = server.emulator.stats.requests - before
    ds.refresh()  # label_stats now counts 2 PRELABELED and 1 UNLABELED
    return grid, requests, ds._repr_html_()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Make every scene on one emulator and screenshot them all in one browser run.

    A Chromium run costs about 0.7 s of CPU, more than the scenes: each scene gets an
    800x600 box of its own, side by side, as it would be alone at the top of an 800 px
    window. The emulator serves until the screenshot is taken, since the browser loads
    the thumbnails from it.
    """
    _chromium()  # skips (or fails in CI) before anything is made
    with (
        EmulatorServer() as server,
        so.Client(api_key=server.api_key, api_url=server.url) as client,
    ):
        image = client.assets.upload(_png(BLUE), "blue.png").url
        grid, grid_requests, bar = _grid_and_bar_html(client, server, image)
        html = {
            "boxes": _boxes_html(client, image),
            "mask": _mask_html(client, image),
            "grid": grid,
            "bar": bar,
        }
        width, height = BOX
        style = f"position:absolute;top:0;width:{width}px;height:{height}px;overflow:hidden"
        # The boxes side by side from the left, in the order of `html`.
        page = "".join(
            f"<div style='{style};left:{i * width}px'>{fragment}</div>"
            for i, fragment in enumerate(html.values())
        )
        shot = screenshot(page, tmp_path_factory.mktemp("browser"), (width * len(html), height))
    pixels = {name: shot[:, i * width : (i + 1) * width] for i, name in enumerate(html)}
    return Rendered(html, pixels, grid_requests)


def test_a_sample_shows_its_image_with_boxes_in_category_colours(rendered: Rendered) -> None:
    html = rendered.html["boxes"]
    assert "&lt;b&gt;car&lt;/b&gt;.png" in html and "<b>car</b>.png" not in html  # escaped
    pixels = rendered.pixels["boxes"]
    # The image (downloaded from the emulator, embedded) shows inside the box and around it.
    assert near(pixels, 150, 130, BLUE, radius=0)
    assert near(pixels, 20, 20, BLUE, radius=0)
    # The box's four edges are red, the category's own colour.
    for x, y in ((50, 130), (250, 130), (150, 60), (150, 200)):
        assert near(pixels, x, y, RED), f"no red edge near ({x}, {y})"
    assert not near(pixels, 150, 130, RED, radius=3)  # a box is not filled
    # Below the picture, the legend's swatch for "car" is red too.
    legend = pixels[HEIGHT : HEIGHT + 60, :200]
    assert (np.abs(legend - np.array(RED)).sum(axis=-1) <= 60).sum() > 20


def test_a_segmentation_label_is_a_coloured_overlay(rendered: Rendered) -> None:
    pixels = rendered.pixels["mask"]
    half_red_on_blue = (128, 0, 127)
    assert near(pixels, 200, 150, half_red_on_blue, radius=0)
    assert near(pixels, 50, 50, BLUE, radius=0)  # outside the mask: the image itself


def test_a_queryset_is_a_grid_and_a_dataset_a_status_bar(rendered: Rendered) -> None:
    html = rendered.html["grid"]
    assert rendered.grid_requests == 1  # one small page
    assert html.count("<img ") == 3 and "PRELABELED" in html
    # Three 160 px thumbnails in a row, each showing the blue image (letterboxed).
    first_row = rendered.pixels["grid"][30:190]
    blue_columns = (np.abs(first_row - np.array(BLUE)).sum(axis=-1) <= 60).any(axis=0)
    assert blue_columns.sum() >= 3 * 150

    row = rendered.pixels["bar"][20:60]
    prelabeled = (188, 189, 34)
    assert (np.abs(row - np.array(prelabeled)).sum(axis=-1) <= 30).any(axis=0).sum() > 250
    unlabeled = (199, 199, 199)
    assert (np.abs(row - np.array(unlabeled)).sum(axis=-1) <= 30).any(axis=0).sum() > 120


def test_user_text_and_urls_are_escaped() -> None:
    from segments_orm import _html

    html = _html.sample_figure(
        name="<script>alert(1)</script>",
        attributes={"image": {"url": "javascript:alert(1)"}},
        label=None,
        task_attributes={"categories": [{"id": 1, "name": "<img src=x onerror=alert(1)>"}]},
        download=_never,
    )
    assert "<script>" not in html and "javascript:" not in html
    assert "the image URL is not http(s)" in html
    grid = _html.thumbnail_grid([("javascript:x", "<i>n</i>", "<s>")], "<u>c</u>")
    assert "javascript:" not in grid and "<i>" not in grid and "<u>" not in grid
    bar = _html.dataset_bar("<b>x</b>", {"<evil>": 3, "LABELED": 1})
    assert "<b>x</b>" not in bar and "<evil>" not in bar


def _never(url: str) -> Optional[bytes]:
    raise AssertionError(f"nothing may be downloaded here, got {url}")
