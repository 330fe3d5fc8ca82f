"""segments-orm: an object-style, lazy, typed SDK for the Segments.ai platform."""

from segments_orm._version import __version__

__all__ = ["__version__"]
