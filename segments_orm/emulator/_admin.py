"""Accounts, keys and seeds: the emulator's admin operations, on a transaction of its store.

`Emulator`'s admin methods and the ``segments-orm emulator add-user`` command both call
these, so a sandbox's database can be changed by another process while a server runs on it
(the server reads accounts and keys from the database on every request).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional, Union

from segments_orm.emulator._store import Store, Tx, new_api_key, now_iso
from segments_orm.enums import Role

__all__ = [
    "SeedConflictError",
    "SeedReport",
    "apply_seed",
    "insert_key",
    "insert_user",
    "open_existing",
    "read_seed",
    "set_member",
]

SeedData = Union[str, "os.PathLike[str]", Mapping[str, Any]]


class SeedConflictError(ValueError):
    """A seed asks for an account, key or role that the database already has otherwise."""


class SeedReport:
    """What `apply_seed` created; everything else in the seed was already there.

    Attributes:
        users: Usernames created.
        keys: Usernames that got a key of the seed.
        organizations: Organizations created.
        members: ``(org, username)`` memberships added.
    """

    def __init__(self) -> None:
        self.users: list[str] = []
        self.keys: list[str] = []
        self.organizations: list[str] = []
        self.members: list[tuple[str, str]] = []

    @property
    def changed(self) -> bool:
        """Whether the seed applied anything."""
        return bool(self.users or self.keys or self.organizations or self.members)

    def __repr__(self) -> str:
        return (
            f"SeedReport(users={self.users!r}, keys={self.keys!r}, "
            f"organizations={self.organizations!r}, members={self.members!r})"
        )


def _account(tx: Tx, name: str) -> Optional[sqlite3.Row]:
    return tx.one("SELECT * FROM users WHERE username = ?", (name,))


def insert_user(tx: Tx, username: str, email: Optional[str], *, organization: bool) -> None:
    """Create a user or organization.

    Raises:
        ValueError: If the name is invalid or taken.
    """
    if not isinstance(username, str) or not username.strip() or "/" in username:
        raise ValueError(f"invalid username {username!r}")
    if email is not None and not isinstance(email, str):
        raise ValueError(f"invalid email {email!r} for {username!r}")
    if _account(tx, username) is not None:
        raise ValueError(f"the username {username!r} is taken")
    tx.insert(
        "users",
        {
            "username": username,
            "email": email,
            "is_organization": int(organization),
            "created_at": now_iso(),
        },
    )


def insert_key(tx: Tx, username: str, api_key: Optional[str]) -> str:
    """Register an API key (a random one by default) for an existing user and return it.

    Raises:
        ValueError: If the user does not exist, or the key is invalid or taken.
    """
    user = _account(tx, username)
    if user is None or user["is_organization"]:
        raise ValueError(f"no user named {username!r}")
    if api_key is not None and (not isinstance(api_key, str) or not api_key or " " in api_key):
        raise ValueError(f"invalid API key for {username!r}: a non-empty string without spaces")
    key = api_key or new_api_key()
    if tx.one("SELECT 1 FROM api_keys WHERE key = ?", (key,)) is not None:
        raise ValueError("that API key is already registered")
    tx.insert("api_keys", {"key": key, "username": username, "created_at": now_iso()})
    return key


def set_member(tx: Tx, org: str, username: str, role: str) -> None:
    """Add a user to an organization, or change their role in it.

    Raises:
        ValueError: If the organization or the user does not exist, or the role is unknown.
    """
    role = str(role)
    if role not in Role.values():
        raise ValueError(f"unknown role {role!r}; use one of {Role.values()}")
    account = _account(tx, org)
    if account is None or not account["is_organization"]:
        raise ValueError(f"no organization named {org!r}")
    user = _account(tx, username)
    if user is None or user["is_organization"]:
        raise ValueError(f"no user named {username!r}")
    tx.run(
        "INSERT INTO memberships (org, username, role) VALUES (?, ?, ?)"
        " ON CONFLICT (org, username) DO UPDATE SET role = excluded.role",
        (org, username, role),
    )


def read_seed(seed: SeedData) -> Mapping[str, Any]:
    """Return a seed's content: the mapping itself, or a JSON file's parsed object.

    Raises:
        ValueError: If the file is unreadable, not JSON, or not an object.
    """
    if isinstance(seed, Mapping):
        return seed
    try:
        data = json.loads(Path(seed).read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read the seed file {os.fspath(seed)!r}: {error}") from None
    except ValueError as error:
        raise ValueError(f"the seed file {os.fspath(seed)!r} is not JSON: {error}") from None
    if not isinstance(data, Mapping):
        raise ValueError("a seed must be a JSON object")
    return data


def _items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
        raise ValueError(f"malformed seed: {key!r} must be a list of objects")
    return items


def _conflict(detail: str) -> SeedConflictError:
    return SeedConflictError(f"the seed conflicts with the database: {detail}")


def apply_seed(tx: Tx, data: Mapping[str, Any]) -> SeedReport:
    """Create what a seed describes and the database lacks; check the rest matches.

    Applying the same seed twice changes nothing the second time, so a sandbox restarted
    with the same ``--seed`` starts. Run it in one transaction: on an error nothing applies.

    Raises:
        SeedConflictError: If the seed names an account of the other kind, another email,
            a key registered to someone else, or another role than the database has.
        ValueError: If the seed is malformed.
    """
    report = SeedReport()
    try:
        for user in _items(data, "users"):
            _seed_user(tx, user, report)
        for org in _items(data, "organizations"):
            _seed_org(tx, org, report)
    except (KeyError, TypeError) as error:
        raise ValueError(f"malformed seed: missing or wrong field {error}") from None
    return report


def _seed_user(tx: Tx, user: Mapping[str, Any], report: SeedReport) -> None:
    username, email, key = user["username"], user.get("email"), user.get("api_key")
    holder = (
        None if key is None else tx.scalar("SELECT username FROM api_keys WHERE key = ?", (key,))
    )
    if holder is not None and holder != username:
        raise _conflict(f"the API key the seed gives {username!r} belongs to {holder!r}")
    row = _account(tx, username)
    if row is None:
        insert_user(tx, username, email or f"{username}@example.com", organization=False)
        insert_key(tx, username, key)
        report.users.append(username)
        return
    if row["is_organization"]:
        raise _conflict(f"{username!r} is an organization in the database, a user in the seed")
    if email is not None and email != row["email"]:
        raise _conflict(
            f"user {username!r} has the email {row['email']!r} in the database, {email!r} in"
            " the seed"
        )
    if key is not None and holder is None:
        insert_key(tx, username, key)
        report.keys.append(username)


def _seed_org(tx: Tx, org: Mapping[str, Any], report: SeedReport) -> None:
    name, email = org["name"], org.get("email")
    row = _account(tx, name)
    if row is None:
        insert_user(tx, name, email, organization=True)
        report.organizations.append(name)
    elif not row["is_organization"]:
        raise _conflict(f"{name!r} is a user in the database, an organization in the seed")
    elif email is not None and email != row["email"]:
        raise _conflict(
            f"organization {name!r} has the email {row['email']!r} in the database, {email!r}"
            " in the seed"
        )
    for member in _items(org, "members"):
        username, role = member["username"], str(member.get("role", "labeler"))
        current = tx.scalar(
            "SELECT role FROM memberships WHERE org = ? AND username = ?", (name, username)
        )
        if current is None:
            set_member(tx, name, username, role)
            report.members.append((name, username))
        elif current != role:
            raise _conflict(
                f"{username!r} is {current!r} of {name!r} in the database, {role!r} in the seed"
            )


def open_existing(path: Union[str, os.PathLike[str]]) -> Store:
    """Open the store of an emulator database that a server created before.

    Raises:
        ValueError: If there is no such file, or it is not an emulator's database.
        OSError: If SQLite cannot open it.
    """
    path = os.fspath(path)
    start = f"start `segments-orm emulator --db {path}` once to create it"
    if not os.path.isfile(path):
        raise ValueError(f"no emulator database at {path!r} ({start})")
    try:
        # Read-only first: a file that is not ours must not get our tables.
        probe = sqlite3.connect(f"file:{Path(path).resolve().as_posix()}?mode=ro", uri=True)
        try:
            marked = (
                probe.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
                ).fetchone()
                and probe.execute("SELECT 1 FROM meta WHERE key = 'signing_secret'").fetchone()
            )
        finally:
            probe.close()
    except sqlite3.Error as error:
        raise OSError(f"cannot open the emulator database {path!r}: {error}") from None
    if not marked:
        raise ValueError(f"{path!r} is not an emulator database ({start})")
    return Store(path)
