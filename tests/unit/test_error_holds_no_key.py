"""A requests error kept as a `SegmentsError`'s cause must not carry the prepared request,
whose headers hold the API key."""

from __future__ import annotations

from typing import Callable

import pytest
import requests
from http_fakes import SECRET_KEY, FakeAdapter
from yarl import URL

from segments_orm import exceptions as errors
from segments_orm._transport import Transport

URL_ = URL("https://api.segments.ai/user/")


def with_request(error: requests.RequestException) -> requests.RequestException:
    prepared = requests.Request(
        "GET", str(URL_), headers={"Authorization": f"APIKey {SECRET_KEY}"}
    ).prepare()
    error.request = prepared
    return error


@pytest.mark.parametrize(
    "error",
    [
        lambda: requests.ReadTimeout("Read timed out."),
        lambda: requests.ConnectionError("Connection aborted."),
        lambda: requests.exceptions.InvalidHeader("bad header"),
    ],
)
def test_the_cause_keeps_no_request(
    make_transport: Callable[..., Transport],
    adapter: FakeAdapter,
    error: Callable[[], requests.RequestException],
) -> None:
    transport = make_transport(max_attempts=1)
    adapter.fail(with_request(error()))
    with pytest.raises(errors.SegmentsError) as caught:
        transport.request("GET", URL_)
    cause = caught.value.cause
    assert isinstance(cause, requests.RequestException)
    assert cause.request is None
    assert SECRET_KEY not in repr(vars(cause))
