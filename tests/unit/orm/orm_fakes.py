"""A fake API for the ORM's unit tests: canned JSON per route, every request recorded.

`FakeApi` is a ``requests`` adapter mounted on the client's session, so the whole stack
above the socket (URL building, the transport, error mapping) runs for real while no
connection is ever opened (``tests/unit/conftest.py`` refuses sockets).
"""

from __future__ import annotations

import gzip
import json
import threading
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class Call:
    """One request the fake API received."""

    def __init__(self, request: requests.PreparedRequest) -> None:
        parts = urlsplit(request.url or "")
        self.method = request.method or ""
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.headers = request.headers
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        if body and request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.body = json.loads(body) if body else None

    def __repr__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"<Call {self.method} {self.path}{'?' + query if query else ''}>"


# A handler gets the call and returns (status, JSON body) or raises a requests error.
Handler = Callable[[Call], tuple[int, Any]]


class FakeApi(BaseAdapter):
    """Answer by (method, path, query subset); the route added last wins; record calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self._routes: list[tuple[str, str, dict[str, str], Handler]] = []
        self._lock = threading.Lock()

    def on(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        status: int = 200,
        query: Optional[dict[str, str]] = None,
        handler: Optional[Handler] = None,
    ) -> None:
        """Serve ``json`` (or the handler's answer) to ``method path`` with ``query`` in it."""
        if handler is None:
            answer = (status, json)

            def handler(call: Call) -> tuple[int, Any]:
                return answer

        self._routes.append((method.upper(), "/" + path.lstrip("/"), dict(query or {}), handler))

    def paged(self, path: str, items: list[Any], *, past_end: str = "404") -> None:
        """Serve ``items`` page by page, as the API does with ``per_page`` and ``page``.

        ``past_end``: ``"404"`` answers a page past the end with "Invalid page." (as the
        real API does, WIRE.md 10); ``"empty"`` answers ``[]``.
        """

        def handler(call: Call) -> tuple[int, Any]:
            size = int(call.query["per_page"])
            page = int(call.query["page"])
            chunk = items[(page - 1) * size : page * size]
            if not chunk and page > 1 and past_end == "404":
                return 404, {"detail": "Invalid page."}
            return 200, chunk

        self.on("GET", path, handler=handler)

    def requests_to(self, method: str, path: str) -> list[Call]:
        path = "/" + path.lstrip("/")
        return [c for c in self.calls if c.method == method and c.path == path]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **_: Any
    ) -> requests.Response:
        call = Call(request)
        with self._lock:
            self.calls.append(call)
        handler = next(
            (
                route_handler
                for method, path, query, route_handler in reversed(self._routes)
                if method == call.method
                and path == call.path
                and all(call.query.get(k) == v for k, v in query.items())
            ),
            None,
        )
        if handler is None:
            raise AssertionError(f"unexpected request: {call!r}")
        status, body = handler(call)
        response = requests.Response()
        response.status_code = status
        response._content = b"" if body is None else json.dumps(body).encode()
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json"} if body is not None else {}
        )
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        response.reason = "fake"
        return response

    def close(self) -> None:
        pass


# -- canned wire objects, shaped like the emulator's answers -----------------------------

STAMP = "2026-01-02T03:04:05.000000Z"


def dataset_json(full_name: str = "jane/flowers", **fields: Any) -> dict[str, Any]:
    owner, name = full_name.split("/")
    data: dict[str, Any] = {
        "name": name,
        "full_name": full_name,
        "owner": {"username": owner, "created_at": STAMP, "email": f"{owner}@example.com"},
        "public": False,
        "created_at": STAMP,
        "description": "",
        "task_type": "bboxes",
        "task_attributes": {
            "format_version": "0.1",
            "categories": [{"name": "cat", "id": 1}, {"name": "dog", "id": 2}],
        },
        "category": "other",
        "readme": "",
        "metadata": {},
        "samples_count": 0,
        "collaborators_count": 0,
        "role": "admin",
    }
    data.update(fields)
    return data


def sample_json(
    name: str = "a.jpg",
    uuid: Optional[str] = None,
    dataset: str = "jane/flowers",
    **fields: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": uuid or f"uuid-{name}",
        "name": name,
        "attributes": {"image": {"url": f"https://x/{name}"}},
        "metadata": {"weather": "sunny"},
        "priority": 0.0,
        "readme": "",
        "assigned_labeler": None,
        "assigned_reviewer": None,
        "created_by": "jane",
        "created_at": STAMP,
        "updated_at": STAMP,
        "label": None,
        "issues": None,
        "dataset_full_name": dataset,
    }
    data.update(fields)
    return data


def label_json(sample_uuid: str = "uuid-a.jpg", labelset: str = "ground-truth", **fields: Any):
    data: dict[str, Any] = {
        "sample_uuid": sample_uuid,
        "label_type": "bboxes",
        "label_status": "LABELED",
        "labelset": labelset,
        "attributes": {
            "format_version": "0.1",
            "annotations": [
                {"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 2], [3, 4]]}
            ],
        },
        "score": None,
        "rating": None,
        "created_at": STAMP,
        "created_by": "jane",
        "reviewed_at": None,
        "reviewed_by": None,
        "updated_at": STAMP,
        "updated_by": "jane",
    }
    data.update(fields)
    return data


def release_json(name: str = "v1", status: str = "PENDING", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": f"release-{name}",
        "name": name,
        "description": "",
        "release_type": "JSON",
        "attributes": {"url": None if status != "SUCCEEDED" else "https://files/x.json"},
        "status": status,
        "created_at": STAMP,
        "samples_count": 1,
    }
    data.update(fields)
    return data


def samples(count: int, prefix: str = "s") -> list[dict[str, Any]]:
    return [sample_json(f"{prefix}{i:04d}") for i in range(count)]


Json = Union[dict[str, Any], list[Any]]
