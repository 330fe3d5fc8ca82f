"""Users and organizations."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional, Union

from segments_orm._capabilities import Refreshable
from segments_orm.base import Manager, Resource, _field, _lookup, _resource
from segments_orm.enums import Role, Subscription
from segments_orm.resources._checks import check_name

__all__ = ["User", "UserManager"]


@_resource
class User(Refreshable, Resource):
    """A user or an organization. Read-only through the API."""

    username: Optional[str] = _field(read_only=True)
    email: Optional[str] = _field(read_only=True)
    created_at: Optional[dt.datetime] = _field(read_only=True)
    is_organization: Optional[bool] = _field(read_only=True)
    webhooks_enabled: Optional[bool] = _field(read_only=True)
    private_upload_count: Optional[int] = _field(read_only=True)
    public_upload_count: Optional[int] = _field(read_only=True)
    subscription: Union[Subscription, str, None] = _field(read_only=True)
    is_trial_expired: Optional[bool] = _field(read_only=True)
    organizations: Optional[list[Any]] = _field(read_only=True)
    organization_created_by: Optional[str] = _field(read_only=True)
    organization_role: Union[Role, str, None] = _field(read_only=True)
    members: Optional[list[Any]] = _field(read_only=True)
    insights_urls: Optional[dict[str, str]] = _field(read_only=True)

    def _identity(self) -> tuple[Any, ...]:
        return (self.username,)

    @property
    def datasets(self) -> Any:
        """The datasets of this user or organization (a lazy queryset)."""
        return _lookup("DatasetManager")(self.client).filter(owner=self.username)

    def refresh(self) -> User:
        """Fetch this user again. Network: one request."""
        self._adopt(UserManager(self.client).get(check_name(self.username, "username")))
        return self


class UserManager(Manager[User]):
    """Users by name (``client.users``): ``me()`` and ``get()``; the API cannot list them."""

    model = User
    item_name = "users"

    def me(self) -> User:
        """Get the user the API key belongs to.

        Network: one request.
        """
        return self._load(self._request("GET", "user"))

    def get(self, username: Optional[str] = None) -> User:
        """Get a user or organization by username (yourself when None).

        Network: one request.

        Raises:
            NotFoundError: There is no such user.
        """
        if username is None:
            return self.me()
        params = {"username": check_name(username, "username")}
        return self._load(self._request("GET", "users/{username}", params=params))
