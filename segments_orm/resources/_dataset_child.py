"""What resources that live under a dataset share: their URL parameters and dataset."""

from __future__ import annotations

from typing import Any, Optional

from segments_orm.exceptions import MissingContextError

__all__ = ["dataset_params", "parent_dataset"]


def dataset_params(context: Optional[dict[str, Any]]) -> dict[str, str]:
    """Return ``{"owner": ..., "name": ...}`` of the dataset in ``context``."""
    dataset = (context or {}).get("dataset")
    if dataset is None:
        raise MissingContextError(
            "This object does not know its dataset; get it through dataset.<relation>"
        )
    return dataset._url_params()  # type: ignore[no-any-return]


def parent_dataset(context: Optional[dict[str, Any]]) -> Any:
    """Return the dataset in ``context``."""
    dataset = (context or {}).get("dataset")
    if dataset is None:
        raise MissingContextError(
            "This object does not know its dataset; get it through dataset.<relation>"
        )
    return dataset
