"""The handlers of the API status probe and of users (WIRE.md 2.1)."""

from __future__ import annotations

from segments_orm.emulator._handlers._common import Reply, _found
from segments_orm.emulator._http import Ctx
from segments_orm.emulator._views import user_json


def api_status(ctx: Ctx) -> Reply:
    """Answer the client's construction-time probe (WIRE.md 1.6)."""
    return 200, {}


def get_me(ctx: Ctx) -> Reply:
    """GET /user."""
    row = _found(ctx.tx.one("SELECT * FROM users WHERE username = ?", (ctx.username,)))
    return 200, user_json(ctx.tx, row, private=True)


def get_user(ctx: Ctx) -> Reply:
    """GET /users/{username}."""
    row = _found(ctx.tx.one("SELECT * FROM users WHERE username = ?", (ctx.params["username"],)))
    return 200, user_json(ctx.tx, row, private=row["username"] == ctx.username)
