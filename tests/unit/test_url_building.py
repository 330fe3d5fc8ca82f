"""Every name is one path segment, every query value survives, a path prefix is kept."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests

from segments_orm._urls import (
    ApiUrl,
    encode_query_value,
    is_loopback_host,
    split_dataset_identifier,
)
from segments_orm.exceptions import ValidationError

ROOT = ApiUrl("https://api.segments.ai/")

AWKWARD_NAMES = [
    "a/b",
    "a#b",
    "a?b",
    "a&b=c",
    "with space",
    "jané/flöwers",
    "标签",
    "100%",
    "a+b",
    "semi;colon",
    "%2F",
    "...a",
]


def segments_of(url: str) -> list[str]:
    return [unquote(part) for part in urlsplit(url).path.split("/")]


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_path_values_stay_one_segment(name: str) -> None:
    url = ROOT.endpoint(
        "datasets/{owner}/{dataset}/labelsets/{labelset}/",
        {"owner": "jane", "dataset": "flowers", "labelset": name},
    )
    for text in (str(url), requests.Request("GET", str(url)).prepare().url):
        assert text is not None
        parts = urlsplit(text)
        assert parts.query == ""
        assert parts.fragment == ""
        assert segments_of(text) == ["", "datasets", "jane", "flowers", "labelsets", name, ""]


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_segments_refused(name: str) -> None:
    # "/labelsets/../" would be normalised to the dataset itself: a DELETE of a labelset
    # named ".." must not become a DELETE of the dataset.
    with pytest.raises(ValidationError, match="labelset"):
        ROOT.endpoint(
            "datasets/{owner}/{dataset}/labelsets/{labelset}/",
            {"owner": "jane", "dataset": "flowers", "labelset": name},
        )


def test_missing_or_empty_path_value_refused() -> None:
    with pytest.raises(ValidationError, match="uuid"):
        ROOT.endpoint("samples/{uuid}/", {})
    with pytest.raises(ValidationError, match="uuid"):
        ROOT.endpoint("samples/{uuid}/", {"uuid": ""})
    with pytest.raises(ValidationError, match="uuid"):
        ROOT.endpoint("samples/{uuid}/", {"uuid": 5})  # type: ignore[dict-item]


QUERY = {
    "name__contains": "a b&c+d#e",
    "labelset": "ground truth/v2?",
    "metadata": "weather:sunny=yes;ok",
    "pct": "100%",
    "unicode": "jané 标签",
}


def test_query_values_survive_a_round_trip() -> None:
    url = ROOT.endpoint(
        "datasets/{owner}/{dataset}/samples/", {"owner": "j", "dataset": "f"}, query=QUERY
    )
    prepared = requests.Request("GET", str(url)).prepare().url
    assert prepared is not None
    for text in (str(url), prepared):
        parts = urlsplit(text)
        assert parts.fragment == ""
        assert parse_qsl(parts.query, keep_blank_values=True) == list(QUERY.items())
        assert segments_of(text) == ["", "datasets", "j", "f", "samples", ""]


def test_requests_does_not_change_our_url() -> None:
    url = ROOT.endpoint(
        "labels/{uuid}/{labelset}/", {"uuid": "u1", "labelset": "a b/c#d"}, query={"q": "a b&c+d#e"}
    )
    assert requests.Request("GET", str(url)).prepare().url == str(url)


def test_query_order_kept_and_none_dropped() -> None:
    url = ROOT.endpoint("x/", query={"b": "2", "skip": None, "a": "1", "per_page": 1000})
    assert urlsplit(str(url)).query == "b=2&a=1&per_page=1000"


def test_no_query_leaves_no_question_mark() -> None:
    assert str(ROOT.endpoint("user", query={"a": None})) == "https://api.segments.ai/user"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (0.5, "0.5"),
        ("LABELED", "LABELED"),
        (["LABELED", "REVIEWED"], "LABELED,REVIEWED"),
        (("a", True), "a,true"),
    ],
)
def test_encode_query_value(value: Any, text: str) -> None:
    assert encode_query_value(value) == text


@pytest.mark.parametrize("root", ["http://127.0.0.1:8765/api/", "http://127.0.0.1:8765/api"])
def test_path_prefix_kept(root: str) -> None:
    api = ApiUrl(root)
    assert str(api.endpoint("datasets/{owner}/{name}/", {"owner": "jane", "name": "flowers"})) == (
        "http://127.0.0.1:8765/api/datasets/jane/flowers/"
    )
    assert str(api.endpoint("/user")) == "http://127.0.0.1:8765/api/user"
    assert str(api.endpoint("api_status/", query={"lib_version": "1.33.0"})) == (
        "http://127.0.0.1:8765/api/api_status/?lib_version=1.33.0"
    )


def test_root_without_path_and_trailing_slash_rules() -> None:
    api = ApiUrl("https://api.segments.ai")
    assert str(api.endpoint("users/{username}", {"username": "jane"})) == (
        "https://api.segments.ai/users/jane"
    )
    assert str(api.endpoint("datasets/")) == "https://api.segments.ai/datasets/"


def test_root_query_and_fragment_dropped() -> None:
    api = ApiUrl("https://api.segments.ai/?x=1#frag")
    assert str(api.endpoint("user")) == "https://api.segments.ai/user"


def test_origin() -> None:
    assert str(ApiUrl("https://h.example:8443/api/").origin) == "https://h.example:8443"


@pytest.mark.parametrize(
    "identifier",
    ["jane/flowers", "acme-org/street.scenes_v2", "jane/with space", "ü/ö"],
)
def test_dataset_identifier_split(identifier: str) -> None:
    owner, name = split_dataset_identifier(identifier)
    assert f"{owner}/{name}" == identifier


@pytest.mark.parametrize(
    "identifier",
    [
        "flowers",
        "/flowers",
        "jane/",
        "jane/flowers/extra",
        "",
        "/",
        " /x",
        "jane/ ",
        None,
        42,
        ("jane", "flowers"),
    ],
)
def test_dataset_identifier_refused(identifier: Any) -> None:
    with pytest.raises(ValidationError, match="dataset"):
        split_dataset_identifier(identifier)


def test_dataset_identifier_error_names_the_argument() -> None:
    with pytest.raises(ValidationError, match=r"^source:"):
        split_dataset_identifier("nope", argument="source")


@pytest.mark.parametrize(
    "root",
    [
        "http://localhost:8765/",
        "http://127.0.0.1/",
        "http://127.5.6.7:80/",
        "http://[::1]:8765/",
        "http://sandbox.localhost/",
        "https://api.segments.ai/",
    ],
)
def test_loopback_http_and_https_allowed(root: str) -> None:
    ApiUrl(root)


@pytest.mark.parametrize(
    "root", ["http://api.segments.ai/", "http://10.0.0.5:8765/", "http://localhost.evil.com/"]
)
def test_plain_http_to_a_remote_host_refused(root: str) -> None:
    with pytest.raises(ValidationError, match="allow_insecure_http"):
        ApiUrl(root)
    assert str(ApiUrl(root, allow_insecure_http=True).root) == root


@pytest.mark.parametrize(
    "root", ["", "   ", "ftp://api.segments.ai/", "api.segments.ai", "/relative/", "https://"]
)
def test_malformed_root_refused(root: str) -> None:
    with pytest.raises(ValidationError, match="api_url"):
        ApiUrl(root)


def test_is_loopback_host() -> None:
    assert is_loopback_host("LOCALHOST")
    assert is_loopback_host("::1")
    assert not is_loopback_host(None)
    assert not is_loopback_host("example.com")
    assert not is_loopback_host("0.0.0.0")


@pytest.mark.parametrize(
    "root",
    [
        "https://jane:hunter2@api.segments.ai/",
        "https://jane@api.segments.ai/",
        "http://:pw@127.0.0.1/",
    ],
)
def test_credentials_in_the_root_refused_without_echo(root: str) -> None:
    with pytest.raises(ValidationError, match="api_key") as caught:
        ApiUrl(root)
    assert "hunter2" not in str(caught.value)
    assert "pw" not in str(caught.value).replace("password", "")
