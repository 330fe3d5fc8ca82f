"""What resources that live under a dataset share: their URL parameters and dataset."""

from __future__ import annotations

from typing import Any, ClassVar, Optional, TypeVar

from segments_orm._capabilities import Listable
from segments_orm.base import Manager, Resource
from segments_orm.exceptions import MissingContextError
from segments_orm.resources._checks import check_name

__all__ = ["NamedChildManager", "NamedInDataset", "dataset_params", "parent_dataset"]

R = TypeVar("R", bound=Resource)


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


class NamedInDataset:
    """What a resource named within its dataset shares (labelsets, releases).

    It is identified by (dataset, name), lives at a URL with its name as the last
    segment (``item_param``), and cannot be changed through the API, only deleted: its
    class has no ``save()``.
    """

    __slots__ = ()
    item_param: ClassVar[str]

    def _identity(self: Any) -> tuple[Any, ...]:
        dataset = (self._context or {}).get("dataset")
        return (dataset.full_name if dataset is not None else None, self.name)

    def _repr_label(self: Any) -> str:
        return repr(self.name)

    def _url_params(self: Any) -> dict[str, str]:
        return {**dataset_params(self._context), self.item_param: check_name(self.name, "name")}

    @property
    def dataset(self: Any) -> Any:
        """The dataset this belongs to."""
        return parent_dataset(self._context)


class NamedChildManager(Listable[R], Manager[R]):
    """A dataset's collection whose items are named (labelsets, releases).

    The API returns such a collection whole, gets an item by name, and refuses a second
    item of the same name.
    """

    # The item's URL template and the placeholder that takes its name.
    item_path: ClassVar[str]
    item_param: ClassVar[str]

    def get(self, name: str, *, lazy: bool = False) -> R:
        """Get an item by name.

        Network: one request, or none with ``lazy=True``.

        Args:
            name: The item's name.
            lazy: Return a shell that knows only its name; ``delete()`` works without
                fetching it, ``refresh()`` loads it.

        Raises:
            NotFoundError: There is no item with this name.
        """
        checked = check_name(name, "name")
        if lazy:
            return self._load_shell({"name": checked})
        params = {self.item_param: checked}
        return self._load(self._request("GET", self.item_path, params=params))

    def _create_named(self, name: str, body: dict[str, Any]) -> R:
        """POST ``body``, reconciling a lost answer by looking ``name`` up first."""

        def find() -> Optional[R]:
            return next((item for item in self.all().iterator() if item.name == name), None)  # type: ignore[attr-defined]

        return self._create_reconciled(
            lambda: self._load(self._request("POST", json_body=body)), find
        )
