"""Fixtures of the ORM's unit tests: a `Client` wired to a `orm_fakes.FakeApi`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_fakes import API_ROOT, SECRET_KEY
from orm_fakes import FakeApi

from segments_orm import Client
from segments_orm._transport import RetryPolicy


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def client(api: FakeApi) -> Iterator[Client]:
    """A client whose every request goes to ``api`` (no retries, so counts are exact)."""
    made = Client(api_key=SECRET_KEY, api_url=API_ROOT, retry=RetryPolicy.none(), backend=api)
    yield made
    made.close()
