"""Collaborators: users with a role on a dataset."""

from __future__ import annotations

from typing import Any, ClassVar, Optional, Union

from segments_orm._capabilities import Deletable, Refreshable, Updatable
from segments_orm._state import State, write_clean
from segments_orm.base import Manager, Resource, _field, _resource
from segments_orm.enums import Role
from segments_orm.resources._checks import check_choice, check_name, choice_check
from segments_orm.resources._dataset_child import dataset_params, parent_dataset
from segments_orm.resources.user import User

__all__ = ["Collaborator", "CollaboratorManager"]


@_resource
class Collaborator(Updatable, Deletable, Refreshable, Resource):
    """A user's role on a dataset. ``role`` is editable; ``save()`` PATCHes it."""

    _user: Optional[User] = _field(wire="user", read_only=True)
    role: Union[Role, str, None] = _field(show=True, check=choice_check(Role))

    # No trailing slash: that is the path the platform uses here (WIRE.md 1.7).
    _path: ClassVar[str] = "datasets/{owner}/{name}/collaborators/{username}"

    @property
    def user(self) -> Optional[User]:
        """The collaborating user (bound to this client: ``user.datasets`` works)."""
        user = self._user
        if isinstance(user, User) and user._client is None and self._client is not None:
            user.bind(self._client)
            write_clean(user, "_state", State.LOADED)  # decoded from the server's answer
        return user

    @property
    def username(self) -> Optional[str]:
        """The collaborator's username."""
        user = self._user
        return user.username if isinstance(user, User) else None

    def _identity(self) -> tuple[Any, ...]:
        dataset = (self._context or {}).get("dataset")
        return (dataset.full_name if dataset is not None else None, self.username)

    def _repr_label(self) -> str:
        return str(self.username)

    def _url_params(self) -> dict[str, str]:
        return {**dataset_params(self._context), "username": check_name(self.username, "user")}

    @property
    def dataset(self) -> Any:
        """The dataset of this collaboration."""
        return parent_dataset(self._context)


class CollaboratorManager(Manager[Collaborator]):
    """The collaborators of a dataset: add, get, update, remove.

    The API cannot list them (``Dataset.collaborators_count`` counts them), so this
    manager is not iterable and has no queryset.
    """

    model = Collaborator
    list_path = "datasets/{owner}/{name}/collaborators/"
    item_name = "collaborators"

    def get(self, username: str) -> Collaborator:
        """Get a collaborator by username.

        Network: one request.

        Raises:
            NotFoundError: The user is not a collaborator of this dataset.
        """
        params = {"username": check_name(username, "username")}
        return self._load(self._request("GET", Collaborator._path, params=params))

    def add(self, username: str, role: Union[Role, str] = Role.LABELER) -> Collaborator:
        """Add a user to the dataset with ``role``.

        Network: one request. If the answer is lost, the collaborator is looked up
        before the request is sent again.

        Raises:
            CollaboratorError: The user is already a collaborator.
            BadRequestError: There is no such user (the API answers 400,
                :ref:`protocol-errors`).
        """
        body = {"user": check_name(username, "username"), "role": check_choice(role, Role, "role")}

        def find() -> Optional[Collaborator]:
            try:
                return self.get(username)
            except Exception:  # an unknown collaborator is the expected answer here
                return None

        return self._create_reconciled(
            lambda: self._load(self._request("POST", json_body=body)), find
        )

    def update(self, username: str, role: Union[Role, str]) -> Collaborator:
        """Change a collaborator's role.

        Network: one request.
        """
        params = {"username": check_name(username, "username")}
        body = {"role": check_choice(role, Role, "role")}
        return self._load(self._request("PATCH", Collaborator._path, params=params, json_body=body))

    def remove(self, username: str) -> None:
        """Remove a user from the dataset.

        Network: one request.
        """
        params = {"username": check_name(username, "username")}
        self._request("DELETE", Collaborator._path, params=params, expect="none")
