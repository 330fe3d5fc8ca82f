"""Fixtures of the pipeline-safety tests: the plugin's emulator, a bboxes dataset."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("werkzeug")

import segments_orm as so  # noqa: E402
from pipeline_support import TASK_ATTRIBUTES  # noqa: E402

@pytest.fixture
def client(segments_client: so.Client) -> so.Client:
    return segments_client


@pytest.fixture
def dataset(client: so.Client) -> so.Dataset:
    return client.datasets.create(
        "flowers", task_type="bboxes", task_attributes=TASK_ATTRIBUTES
    )


class Sent:
    """Count the requests a client sends between two points."""

    def __init__(self, client: so.Client) -> None:
        self.transport = client.transport
        self.start = self.transport.requests_sent

    @property
    def count(self) -> int:
        return self.transport.requests_sent - self.start  # type: ignore[no-any-return]


@pytest.fixture
def sent(client: so.Client) -> Any:
    """Return a function that starts counting the client's requests."""
    return lambda: Sent(client)
