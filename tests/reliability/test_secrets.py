"""The API key never leaks: not in a repr, a str, a log record (DEBUG included), an
exception, a cassette or the test output; never to a storage host, a release file URL or
an asset URL; and a plain-http API URL to a remote host is refused unless opted in."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from hung_servers import HungServer

import segments_orm as so
from segments_orm.emulator import EmulatorServer
from segments_orm.emulator._app import Emulator

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
# libyaml's parser where PyYAML has it: the same data for a tenth of the pure-Python CPU.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LABEL = {"format_version": "0.1", "annotations": []}


class Received:
    """Every request the emulator receives: its path and Authorization header."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, str]] = []


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> Received:
    record = Received()
    original = Emulator._respond

    def respond(self: Emulator, request: Any, environ: Any) -> Any:
        with record.lock:
            record.requests.append(
                (request.method, request.path, request.headers.get("Authorization", ""))
            )
        return original(self, request, environ)

    monkeypatch.setattr(Emulator, "_respond", respond)
    return record


def texts_of(error: BaseException) -> list[str]:
    """Every text an exception exposes: str, repr, args, attributes, and its causes."""
    out: list[str] = []
    seen: set[int] = set()
    stack: list[Any] = [error]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        out += [str(item), repr(item)]
        if isinstance(item, BaseException):
            out += [repr(a) for a in item.args]
            out += [repr(v) for v in vars(item).values()] if hasattr(item, "__dict__") else []
            stack += [item.__cause__, item.__context__, getattr(item, "cause", None)]
            stack += [a for a in item.args if isinstance(a, BaseException)]
            # The request a requests exception carries, headers and all.
            request = getattr(item, "request", None)
            if request is not None:
                out.append(repr(getattr(request, "headers", "")))
    return out


def test_a_workload_never_shows_the_key(
    emulator_server: EmulatorServer,
    received: Received,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = emulator_server.api_key
    caplog.set_level(logging.DEBUG)  # every logger: ours, urllib3's, werkzeug's
    seen: list[str] = []  # every repr, str and error text the workload produced
    errors: list[BaseException] = []

    def expect_error(call: Any) -> None:
        try:
            call()
        except so.SegmentsError as error:
            errors.append(error)
        else:
            raise AssertionError("expected an error")

    client = so.Client(api_key=key, api_url=emulator_server.url, max_workers=4)
    seen += [repr(client), str(client), repr(client.transport), repr(client.transport.retry)]
    seen += [repr(client.datasets), repr(client.api_url), str(client.api_url.root)]
    client.ping()
    me = client.users.me()
    dataset = client.datasets.create("flowers", task_type=so.TaskType.BBOXES)
    asset = client.assets.upload(b"\x89PNG fake", filename="a.png")
    assert asset.download() == b"\x89PNG fake"
    samples = dataset.samples.bulk_create(
        [{"name": f"{i}.png", "attributes": {"image": {"url": asset.url}}} for i in range(5)]
    )
    labels = dataset.labels.bulk_set([(s, LABEL) for s in samples])
    samples[0].metadata["k"] = 1
    samples[0].save()
    labelset = dataset.labelsets.create("model")
    collaborator = None
    emulator_server.emulator.add_user("john")
    collaborator = dataset.collaborators.add("john", "labeler")
    issue = samples[1].issues.create("blurry")
    release = dataset.releases.create("v1").wait(timeout=30, poll=0.05)
    content = release.download()
    assert content["dataset"]["samples"]
    queryset = dataset.samples.filter(name="0.png")
    seen += [repr(o) for o in (me, dataset, asset, *samples, *labels, labelset, collaborator)]
    seen += [repr(issue), repr(release), repr(queryset), repr(dataset.samples), str(dataset)]
    seen += [o._repr_html_() for o in (dataset, samples[0], release)]

    # Errors of every kind, each carrying method, URL and the server's words.
    expect_error(lambda: client.datasets.get("demo/nope"))
    expect_error(lambda: dataset.samples.create("0.png", {"image": {"url": asset.url}}))
    expect_error(lambda: client.datasets.create("bad/name"))
    expect_error(lambda: dataset.samples.get("not-a-uuid"))
    expect_error(lambda: so.Client(api_key=key + " x"))
    expect_error(lambda: so.Client(api_key=key, api_url="http://example.com/"))
    with so.Client(api_key=key + "0", api_url=emulator_server.url) as wrong:
        expect_error(wrong.ping)  # 401 for a key that is almost the key
    for mode in ("silent", "headers"):  # a read timeout, a stall mid-body
        with HungServer(mode) as hung:
            stalled = so.Client(
                api_key=key, api_url=hung.url, timeout=0.1, retry=so.RetryPolicy.none()
            )
            expect_error(stalled.ping)
            stalled.close()
    bulk_client = so.Client(api_key=key, api_url=emulator_server.url, retry=so.RetryPolicy.none())
    shell = bulk_client.datasets.get("demo/flowers")
    emulator_server.emulator.faults = so_faults_all_500()
    expect_error(lambda: shell.labels.bulk_set([(s, LABEL) for s in samples]))
    emulator_server.emulator.faults = None
    bulk_client.close()
    client.close()
    expect_error(client.ping)  # closed

    for error in errors:
        seen += texts_of(error)
    output = capsys.readouterr()
    seen += [output.out, output.err]
    for record in caplog.records:
        seen.append(record.getMessage())
        seen.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            seen += texts_of(record.exc_info[1])
    assert len(errors) == 11
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # DEBUG was on
    leaks = [text for text in seen if key in text]
    assert not leaks, leaks[:3]

    # On the wire: the key went to the API's routes only, never to storage or files.
    storage = [r for r in received.requests if r[1].startswith("/_emulator/")]
    assert {r[1].split("/")[2] for r in storage} >= {"s3", "releases"}  # upload, asset, release
    assert all(r[2] == "" for r in storage), storage
    api = [r for r in received.requests if not r[1].startswith("/_emulator/")]
    assert all(r[2] in ("", f"APIKey {key}", f"APIKey {key}0") for r in api)


def so_faults_all_500() -> Any:
    from segments_orm.emulator import Faults

    return Faults(error_rates={500: 1.0}, routes=["/labels/*"])


def test_a_storage_host_elsewhere_never_gets_the_key(emulator_server: EmulatorServer) -> None:
    # The presigned host and a release URL on another origin (a second local server).
    with HungServer("silent") as storage:
        with so.Client(
            api_key=emulator_server.api_key,
            api_url=emulator_server.url,
            timeout=0.15,
            retry=so.RetryPolicy.none(),
        ) as client:
            with pytest.raises(so.TimeoutError):
                client.transport.download(storage.url + "releases/r.json?X-Amz-Signature=abc")
            with pytest.raises(so.TimeoutError):
                client.transport.post_multipart(storage.url, {"key": "k"}, "a.png", b"x")
        heads = [head.decode("latin-1") for head in storage.requests_seen]
    assert len(heads) == 2
    assert all(emulator_server.api_key not in head for head in heads)
    assert all("authorization" not in head.lower() for head in heads)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.segments.ai/",
        "http://example.com:8000/api/",
        "http://10.0.0.5/",
        "http://192.168.1.2:8000/",
        "http://localhost.example.com/",
        "http://127.0.0.1.nip.io/",
        "HTTP://EXAMPLE.COM/",
    ],
)
def test_plain_http_to_a_remote_host_is_refused_unless_opted_in(url: str) -> None:
    with pytest.raises(so.ValidationError, match="http") as caught:
        so.Client(api_key="sk-secret-0123456789abcdef", api_url=url)
    assert "sk-secret-0123456789abcdef" not in str(caught.value)
    client = so.Client(api_key="sk-secret-0123456789abcdef", api_url=url, allow_insecure_http=True)
    assert client.transport.requests_sent == 0  # constructing never sends
    client.close()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/", "http://localhost/", "http://[::1]:9/", "https://x.org/"]
)
def test_loopback_and_https_need_no_opt_in(url: str) -> None:
    so.Client(api_key="sk-secret-0123456789abcdef", api_url=url).close()


def test_the_cassettes_hold_no_credentials() -> None:
    tapes = sorted(CASSETTES.glob("*.yaml"))
    if not tapes:
        pytest.skip("no cassettes recorded")
    emulator_key = re.compile(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")  # token_hex(20)
    for tape in tapes:
        text = tape.read_text(encoding="utf-8")
        assert not emulator_key.search(text), tape.name
        assert "APIKey " not in text, tape.name
        data = yaml.load(text, Loader=YAML_LOADER)
        for interaction in data.get("interactions", []):
            headers = {k.lower() for k in interaction["request"].get("headers", {})}
            assert "authorization" not in headers, tape.name
            assert "cookie" not in headers, tape.name
