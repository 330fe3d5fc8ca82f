"""Segmentation bitmaps as numpy arrays (extra ``bitmaps``: numpy and Pillow).

The platform stores instance ids in an RGBA PNG: id = R + 256*G + 65536*B, alpha 255,
and 0 means unlabeled (WIRE.md section 7). numpy and Pillow are imported only when one of
these functions runs, so ``import segments_orm.types`` stays cheap.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any, Union

from segments_orm.exceptions import MissingDependencyError, ValidationError

if TYPE_CHECKING:
    import numpy
    import numpy.typing

__all__ = ["read_bitmap", "write_bitmap"]

_MAX_ID = 0xFFFFFF  # 24 bits: three 8-bit channels


def _require(needs: str = "Segmentation bitmaps") -> tuple[Any, Any]:
    """Import numpy and Pillow, or say that ``needs`` them and how to install them."""
    try:
        import numpy
        from PIL import Image
    except ImportError as error:
        raise MissingDependencyError(
            f"{needs} need numpy and Pillow: pip install 'segments-orm[bitmaps]'",
            error,
        ) from error
    return numpy, Image


def read_bitmap(
    png: Union[bytes, str, os.PathLike[str]],
) -> numpy.typing.NDArray[numpy.uint32]:
    """Decode a segmentation bitmap into an array of instance ids.

    Args:
        png: The PNG's bytes, or the path of a PNG file.

    Returns:
        A ``(height, width)`` ``uint32`` array; 0 is unlabeled.

    Raises:
        MissingDependencyError: numpy or Pillow is not installed.
    """
    np, image_module = _require()
    source: Any = io.BytesIO(png) if isinstance(png, (bytes, bytearray, memoryview)) else png
    with image_module.open(source) as image:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.uint32)
    ids: numpy.typing.NDArray[numpy.uint32] = (
        rgba[..., 0] | (rgba[..., 1] << 8) | (rgba[..., 2] << 16)
    )
    return ids


def write_bitmap(array: Any) -> bytes:
    """Encode an array of instance ids as a segmentation bitmap PNG.

    Args:
        array: A 2-D array (or nested lists) of integer ids from 0 to 16777215.

    Returns:
        The PNG's bytes, ready to upload as an asset.

    Raises:
        MissingDependencyError: numpy or Pillow is not installed.
        ValidationError: The array is not 2-D, not integers, or holds ids out of range.
    """
    np, image_module = _require()
    ids = np.asarray(array)
    heading = "Invalid segmentation bitmap"
    if ids.ndim != 2:
        raise ValidationError.from_errors([f"expected a 2-D array, got {ids.ndim}-D"], heading)
    if ids.dtype.kind not in "iu":
        raise ValidationError.from_errors([f"expected integer ids, got dtype {ids.dtype}"], heading)
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) > _MAX_ID):
        raise ValidationError.from_errors(
            [f"ids must be 0 to {_MAX_ID}, got {int(ids.min())} to {int(ids.max())}"], heading
        )
    ids = ids.astype(np.uint32)
    rgba = np.empty((*ids.shape, 4), dtype=np.uint8)
    rgba[..., 0] = ids & 0xFF
    rgba[..., 1] = (ids >> 8) & 0xFF
    rgba[..., 2] = (ids >> 16) & 0xFF
    rgba[..., 3] = 255
    out = io.BytesIO()
    image_module.fromarray(rgba).save(out, format="PNG")
    return out.getvalue()
