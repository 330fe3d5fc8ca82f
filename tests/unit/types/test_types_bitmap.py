"""The segmentation bitmap codec (extra ``bitmaps``) and its missing-dependency path."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

import segments_orm.types as sot
from segments_orm.exceptions import MissingDependencyError, ValidationError

np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")


def test_bitmap_round_trip() -> None:
    ids = np.array([[0, 1, 255], [256, 65536, 16777215]], dtype=np.uint32)
    png = sot.write_bitmap(ids)
    assert png.startswith(b"\x89PNG")
    back = sot.read_bitmap(png)
    assert back.dtype == np.uint32
    assert back.shape == (2, 3)
    assert (back == ids).all()


def test_bitmap_pixels_follow_the_platform_format() -> None:
    png = sot.write_bitmap([[0, 1 + 2 * 256 + 3 * 65536]])
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "RGBA"
        assert np.asarray(image).tolist() == [[[0, 0, 0, 255], [1, 2, 3, 255]]]


def test_read_bitmap_from_a_path_and_from_rgb(tmp_path: Path) -> None:
    path = tmp_path / "label.png"
    Image.fromarray(np.array([[[5, 1, 0], [0, 0, 0]]], dtype=np.uint8)).save(path)
    assert sot.read_bitmap(path).tolist() == [[5 + 256, 0]]
    assert sot.read_bitmap(str(path)).tolist() == [[5 + 256, 0]]


@pytest.mark.parametrize(
    ("array", "message"),
    [
        ([1, 2, 3], "expected a 2-D array, got 1-D"),
        ([[0.5, 1.0]], "expected integer ids, got dtype float64"),
        ([[-1, 0]], "ids must be 0 to 16777215, got -1 to 0"),
        ([[0, 2**24]], "ids must be 0 to 16777215, got 0 to 16777216"),
    ],
)
def test_write_bitmap_refuses_bad_arrays(array: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        sot.write_bitmap(array)
    assert caught.value.errors == [message]


def test_missing_numpy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)  # makes `import numpy` raise ImportError
    with pytest.raises(MissingDependencyError) as caught:
        sot.write_bitmap([[1]])
    assert "pip install 'segments-orm[bitmaps]'" in str(caught.value)
    assert isinstance(caught.value, ImportError)


def test_missing_pillow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(MissingDependencyError, match=r"segments-orm\[bitmaps\]"):
        sot.read_bitmap(b"\x89PNG")


def test_importing_the_types_loads_neither_numpy_nor_pillow() -> None:
    code = (
        "import sys, segments_orm.types as t; t.ImageVectorLabelAttributes; t.bbox; "
        "t.read_bitmap; print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('numpy', 'PIL')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
