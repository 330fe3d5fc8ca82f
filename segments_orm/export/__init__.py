"""Releases as training data: samples, images, bitmaps, and the platform's export formats.

``release.export()`` returns a `ReleaseExport`. Importing this package costs no numpy or
Pillow: they are imported when an image, a bitmap or a format is first asked for
(extras ``bitmaps`` and ``export``).
"""

from __future__ import annotations

from segments_orm.export._release import (
    FORMATS,
    ReleaseExport,
    ReleaseLabel,
    ReleaseSample,
    default_cache_dir,
)

__all__ = ["FORMATS", "ReleaseExport", "ReleaseLabel", "ReleaseSample", "default_cache_dir"]
