"""The version of segments-orm, in one place."""

__version__ = "0.1.0"
