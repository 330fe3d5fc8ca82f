"""Say which part of a label's address is missing when a label write answers 404.

``PUT /labels/{sample_uuid}/{labelset}/`` answers a bare "Not found." both for an unknown
sample and for a labelset that was never created; only the second has a fix a reader
needs spelled out (labelsets are created explicitly, labels never create them).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Optional

from segments_orm.exceptions import NotFoundError, SegmentsError

if TYPE_CHECKING:
    from segments_orm.resources.dataset import Dataset

__all__ = ["LabelsetCheck"]


class LabelsetCheck:
    """Explain 404s of label writes in one dataset, asking once per labelset (thread-safe).

    Args:
        dataset: The dataset the labels were written in, or None when it is not known.
    """

    def __init__(self, dataset: Optional[Dataset]) -> None:
        self._dataset = dataset
        self._exists: dict[str, bool] = {}
        self._lock = threading.Lock()

    def explain(self, error: NotFoundError, labelset: str) -> NotFoundError:
        """Return the error to raise for a label write that answered 404.

        It is ``error`` itself when the labelset exists (so the sample is what is missing)
        or when the dataset is not known, else a `NotFoundError` that says the labelset
        does not exist and how to create it.

        Network: one request per labelset, the first time one of its writes fails.
        """
        if self._dataset is None:
            return error
        with self._lock:  # concurrent bulk writes ask once, not once per worker
            exists = self._exists.get(labelset)
            if exists is None:
                try:
                    self._dataset.labelsets.get(labelset)
                    exists = True
                except NotFoundError:
                    exists = False
                except SegmentsError:  # cannot tell: keep the server's answer as it is
                    return error
                self._exists[labelset] = exists
        if exists:
            return error
        dataset = self._dataset.full_name
        message = (
            f"The labelset {labelset!r} does not exist in {dataset} (writing a label does not"
            f" create one): create it with dataset.labelsets.create({labelset!r}), or"
            f" add_labelset({dataset!r}, {labelset!r}) in the platform client's style."
            f" ({error.status_code} {error.method} {error.url})"
        )
        return NotFoundError(
            message,
            error,
            status_code=error.status_code,
            method=error.method,
            url=error.url,
            body=error.body,
            retry_after=error.retry_after,
        )
