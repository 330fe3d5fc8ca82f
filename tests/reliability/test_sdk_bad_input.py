"""Bad input to every public method of the SDK: a `SegmentsError` naming the argument,
raised before any request, and nothing else ever escapes (hypothesis).

Definitely-invalid values (wrong types, NaN and infinities, None where a value is
required, unknown enum values, malformed identifiers, empty, control characters, too
long) must be refused with no request sent. Values that may be valid (non-ASCII text)
may reach the emulator, but every failure must still be a `SegmentsError`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segments_orm as so
from segments_orm.emulator import InProcessBackend
from segments_orm.enums import Category, IssueStatus, LabelStatus, Role, TaskType

# The default alphabet of st.text(), every character but the surrogates, spelled without
# its UTF-8 codec: for that codec hypothesis encodes all 1.1 million code points once per
# process on a fresh checkout (about 3 s of CPU in each test worker).
CHARS = st.characters(exclude_categories=("Cs",))

EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
TRIED = {"count": 0}  # bad inputs tried, reported at the end of the module

# ---- strategies ---------------------------------------------------------------------

NAN_INF = st.sampled_from([math.nan, math.inf, -math.inf])
CONTAINERS = st.one_of(
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(CHARS, max_size=3), st.integers(), max_size=2),
    st.tuples(st.integers()),
    st.sets(st.integers(), max_size=2),
)
NOT_STR = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.binary(max_size=4),
    CONTAINERS,
)
NOT_STR_NOT_NONE = NOT_STR.filter(lambda v: v is not None)
CONTROL = st.builds(
    lambda a, c, b: a + c + b,
    st.text(CHARS, max_size=3),
    st.sampled_from(["\x00", "\n", "\t", "\r", "\x1b", "\x7f", "\u2028"]),
    st.text(CHARS, max_size=3),
)
HUGE = st.one_of(
    st.integers(1025, 4000).map(lambda n: "x" * n),
    st.integers(1025, 2000).map(lambda n: "é" * n),
)
BLANK = st.text(alphabet=" \u00a0", max_size=4)
BAD_NAME = st.one_of(NOT_STR, BLANK, CONTROL, HUGE)
BAD_OPTIONAL_NAME = st.one_of(NOT_STR_NOT_NONE, BLANK, CONTROL, HUGE)
BAD_NUMBER = st.one_of(
    NAN_INF, st.text(CHARS, max_size=3), st.booleans(), CONTAINERS, st.complex_numbers()
)
BAD_INT = st.one_of(
    st.floats(allow_nan=True),
    st.text(CHARS, max_size=3),
    st.booleans(),
    st.none(),
    CONTAINERS,
    st.integers(max_value=-1),
)
BAD_BOOL = st.one_of(st.integers(), st.text(CHARS, max_size=4), st.none(), st.floats(), CONTAINERS)
BAD_BOOL_NOT_NONE = BAD_BOOL.filter(lambda v: v is not None)


def bad_enum(kind: Any, allow_none: bool = False) -> st.SearchStrategy[Any]:
    values = set(kind.values())
    options = [
        st.text(CHARS, max_size=12).filter(
            lambda s: s not in values and not s.startswith("custom-")
        ),
        st.integers(),
        st.floats(allow_nan=True),
        CONTAINERS.filter(lambda v: not isinstance(v, (list, tuple, set)) or not v),
        st.sampled_from([v.upper() + "!" for v in values if v]),
    ]
    if not allow_none:
        options.append(st.none())
    return st.one_of(*options)


BAD_MAPPING = st.one_of(
    st.text(CHARS, max_size=3),
    st.integers(),
    st.just([]),
    st.just(False),
    st.lists(st.integers(), min_size=1, max_size=2),
    st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=2),
    st.dictionaries(st.text(CHARS, min_size=1, max_size=3), NAN_INF, min_size=1, max_size=2),
    st.builds(lambda v: {"nested": {"deep": [1, v]}}, NAN_INF),
)
BAD_IDENTIFIER = st.one_of(
    NOT_STR,
    st.text(CHARS, max_size=8).filter(lambda s: "/" not in s),
    st.sampled_from(["a/b/c", "/b", "a/", "/", " / ", "a//b", "a/\x00", "\t/x"]),
)
BAD_ATTRIBUTES = st.one_of(
    NOT_STR,
    st.builds(lambda v: {"image": v}, NOT_STR),
    st.builds(lambda v: {"image": {"url": v}}, NOT_STR_NOT_NONE),
    st.builds(lambda v: {"image": {"url": "https://x/a.png"}, "frames": v}, NAN_INF),
    st.just({}),
)
BAD_LABEL = st.one_of(
    NOT_STR,
    st.builds(lambda v: {"format_version": "0.1", "annotations": v}, NOT_STR_NOT_NONE),
    st.builds(
        lambda v: {
            "format_version": "0.1",
            "annotations": [
                {"id": 1, "category_id": 1, "type": "bbox", "points": [[0, v], [1, 1]]}
            ],
        },
        NAN_INF,
    ),
    st.builds(
        lambda v: {
            "format_version": "0.1",
            "annotations": [
                {"id": 1, "category_id": v, "type": "bbox", "points": [[0, 0], [1, 1]]}
            ],
        },
        st.one_of(st.integers(min_value=3), st.text(CHARS, max_size=2), st.none()),
    ),
)
MAYBE_VALID_TEXT = st.text(
    alphabet=st.characters(
        min_codepoint=0x80, blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp")
    ),
    min_size=1,
    max_size=12,
)

# ---- the world ----------------------------------------------------------------------

IMAGE = {"image": {"url": "https://example.com/a.png"}}
BOX = {
    "format_version": "0.1",
    "annotations": [{"id": 1, "category_id": 1, "type": "bbox", "points": [[0, 0], [1, 1]]}],
}


class World:
    def __init__(self, server: InProcessBackend) -> None:
        self.server = server
        self.client = so.Client(
            api_key=server.api_key, api_url=server.url, retry=so.RetryPolicy.none()
        )
        server.emulator.add_user("john")
        self.dataset = self.client.datasets.create(
            "flowers",
            task_type=TaskType.BBOXES,
            task_attributes={
                "format_version": "0.1",
                "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
            },
        )
        self.sample = self.dataset.samples.create("a.png", IMAGE)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    # In-process: what is checked is that nothing is sent, not how it would travel.
    with InProcessBackend(release_delay=0.05) as server:
        made = World(server)
        yield made
        made.client.close()
        assert server.emulator.stats.internal_errors == 0
    print(f"\nSDK bad inputs tried: {TRIED['count']}")


def refused_before_sending(world: World, names: list[str], call: Callable[[], Any]) -> None:
    """Assert ``call`` raises a SegmentsError naming one of ``names``, with no request."""
    TRIED["count"] += 1
    before = world.client.transport.requests_sent
    with pytest.raises(so.SegmentsError) as caught:
        call()
    message = str(caught.value).lower().replace("_", " ")
    assert any(n.lower().replace("_", " ") in message for n in names), (names, message)
    assert world.client.transport.requests_sent == before, "a request was sent"


def only_segments_errors(call: Callable[[], Any]) -> None:
    """For values that may be valid: success, or a SegmentsError; nothing else."""
    TRIED["count"] += 1
    with contextlib.suppress(so.SegmentsError):
        call()


# Each case: (argument names the message may use, strategy, call(world, value)).
CASES: dict[str, tuple[list[str], st.SearchStrategy[Any], Callable[[World, Any], Any]]] = {
    "datasets.create name": (["name"], BAD_NAME, lambda w, v: w.client.datasets.create(v)),
    "datasets.create description": (
        ["description"],
        NOT_STR,
        lambda w, v: w.client.datasets.create("x", description=v),
    ),
    "datasets.create task_type": (
        ["task_type"],
        bad_enum(TaskType),
        lambda w, v: w.client.datasets.create("x", task_type=v),
    ),
    "datasets.create category": (
        ["category"],
        bad_enum(Category),
        lambda w, v: w.client.datasets.create("x", category=v),
    ),
    "datasets.create public": (
        ["public"],
        BAD_BOOL,
        lambda w, v: w.client.datasets.create("x", public=v),
    ),
    "datasets.create enable flag": (
        ["enable_ratings"],
        BAD_BOOL,
        lambda w, v: w.client.datasets.create("x", enable_ratings=v),
    ),
    "datasets.create metadata": (
        ["metadata"],
        BAD_MAPPING,
        lambda w, v: w.client.datasets.create("x", metadata=v),
    ),
    "datasets.create timeout seconds": (
        ["labeling_inactivity_timeout_seconds"],
        BAD_INT,
        lambda w, v: w.client.datasets.create("x", labeling_inactivity_timeout_seconds=v),
    ),
    "datasets.create organization": (
        ["organization"],
        BAD_OPTIONAL_NAME,
        lambda w, v: w.client.datasets.create("x", organization=v),
    ),
    "datasets.create task_attributes": (
        ["task_attributes", "categories"],
        st.one_of(
            st.text(CHARS, min_size=1, max_size=3),
            st.integers(),
            st.lists(st.integers(), min_size=1),
            st.builds(lambda v: {"format_version": "0.1", "categories": v}, NOT_STR_NOT_NONE),
            st.builds(
                lambda v: {"format_version": "0.1", "categories": [{"id": v, "name": "a"}]},
                st.one_of(NAN_INF, st.text(CHARS, max_size=2), st.none()),
            ),
        ),
        lambda w, v: w.client.datasets.create("x", task_type=TaskType.BBOXES, task_attributes=v),
    ),
    "datasets.get identifier": (
        ["dataset", "identifier"],
        BAD_IDENTIFIER,
        lambda w, v: w.client.datasets.get(v),
    ),
    "datasets.filter owner": (["owner"], BAD_NAME, lambda w, v: w.client.datasets.filter(owner=v)),
    "datasets.filter unknown lookup": (
        ["filter", "lookup"],
        st.sampled_from(["name", "owner__in", "public", "x", "task_type"]),
        lambda w, v: w.client.datasets.filter(**{v: "a"}),
    ),
    "samples.create name": (["name"], BAD_NAME, lambda w, v: w.dataset.samples.create(v, IMAGE)),
    "samples.create attributes": (
        ["attributes", "image", "url", "frames"],
        BAD_ATTRIBUTES,
        lambda w, v: w.dataset.samples.create("b.png", v),
    ),
    "samples.create metadata": (
        ["metadata"],
        BAD_MAPPING,
        lambda w, v: w.dataset.samples.create("b.png", IMAGE, metadata=v),
    ),
    "samples.create priority": (
        ["priority"],
        BAD_NUMBER,
        lambda w, v: w.dataset.samples.create("b.png", IMAGE, priority=v),
    ),
    "samples.create assigned_labeler": (
        ["assigned_labeler"],
        BAD_OPTIONAL_NAME,
        lambda w, v: w.dataset.samples.create("b.png", IMAGE, assigned_labeler=v),
    ),
    "samples.create readme": (
        ["readme"],
        NOT_STR,
        lambda w, v: w.dataset.samples.create("b.png", IMAGE, readme=v),
    ),
    "samples.bulk_create items": (
        ["samples", "[0]", "name", "attributes", "expected"],
        st.one_of(
            st.integers(),
            st.none(),
            st.floats(),
            st.lists(
                st.one_of(NOT_STR, st.builds(lambda v: {"name": v, "attributes": IMAGE}, BAD_NAME)),
                min_size=1,
                max_size=3,
            ),
            st.builds(
                lambda v: [{"name": "c.png", "attributes": IMAGE, "priority": v}], BAD_NUMBER
            ),
        ),
        lambda w, v: w.dataset.samples.bulk_create(v),
    ),
    "samples.bulk_create batch_size": (
        ["batch_size"],
        st.one_of(BAD_INT, st.just(0), st.integers(1001, 10**9)),
        lambda w, v: w.dataset.samples.bulk_create(
            [{"name": "c.png", "attributes": IMAGE}], batch_size=v
        ),
    ),
    "samples.filter name": (
        ["name"],
        NOT_STR_NOT_NONE,
        lambda w, v: w.dataset.samples.filter(name=v),
    ),
    "samples.filter label_status": (
        ["label_status"],
        bad_enum(LabelStatus),
        lambda w, v: w.dataset.samples.filter(label_status=v),
    ),
    "samples.filter metadata": (
        ["metadata"],
        st.one_of(st.text(CHARS, max_size=3), st.integers(), st.lists(st.integers(), max_size=2)),
        lambda w, v: w.dataset.samples.filter(metadata=v),
    ),
    "samples.filter unknown lookup": (
        ["filter", "lookup"],
        st.sampled_from(["uuid", "nam", "priority__gt", "x"]),
        lambda w, v: w.dataset.samples.filter(**{v: "a"}),
    ),
    "samples.order_by": (
        ["order", "key", "sort"],
        st.one_of(NOT_STR, st.sampled_from(["bogus", "-", "--name", "metadata"])),
        lambda w, v: w.dataset.samples.order_by(v),
    ),
    "samples.get uuid": (["uuid"], BAD_NAME, lambda w, v: w.dataset.samples.get(v)),
    "client.samples.get uuid": (["uuid"], BAD_NAME, lambda w, v: w.client.samples.get(v)),
    "labels.create labelset": (["labelset"], BAD_NAME, lambda w, v: w.sample.labels.create(v, BOX)),
    "labels.create attributes": (
        ["attributes", "annotations", "points", "category_id", "format_version", "label"],
        BAD_LABEL,
        lambda w, v: w.sample.labels.create("ground-truth", v),
    ),
    "labels.create label_status": (
        ["label_status"],
        bad_enum(LabelStatus),
        lambda w, v: w.sample.labels.create("ground-truth", BOX, label_status=v),
    ),
    "labels.create score": (
        ["score"],
        BAD_NUMBER,
        lambda w, v: w.sample.labels.create("ground-truth", BOX, score=v),
    ),
    "labels.bulk_set items": (
        ["[0]", "items", "expected", "sample", "attributes", "annotations"],
        st.one_of(
            st.lists(st.one_of(NOT_STR, st.tuples(st.just("u"))), min_size=1, max_size=2),
            st.builds(lambda v: [(v, BOX)], BAD_NAME),
            st.builds(lambda v: [("0b7e6f1e-0000-4000-8000-000000000000", v)], BAD_LABEL),
        ),
        lambda w, v: w.dataset.labels.bulk_set(v),
    ),
    "labels.bulk_set labelset": (
        ["labelset"],
        BAD_NAME,
        lambda w, v: w.dataset.labels.bulk_set([(w.sample, BOX)], labelset=v),
    ),
    "labels.bulk_set label_status": (
        ["label_status"],
        bad_enum(LabelStatus),
        lambda w, v: w.dataset.labels.bulk_set([(w.sample, BOX)], label_status=v),
    ),
    "labels.bulk_set score": (
        ["score"],
        BAD_NUMBER,
        lambda w, v: w.dataset.labels.bulk_set([(w.sample, BOX)], score=v),
    ),
    "labelsets.create name": (["name"], BAD_NAME, lambda w, v: w.dataset.labelsets.create(v)),
    "labelsets.create description": (
        ["description"],
        NOT_STR,
        lambda w, v: w.dataset.labelsets.create("m", description=v),
    ),
    "releases.create name": (["name"], BAD_NAME, lambda w, v: w.dataset.releases.create(v)),
    "releases.create description": (
        ["description"],
        NOT_STR,
        lambda w, v: w.dataset.releases.create("v9", description=v),
    ),
    "issues.create description": (["description"], NOT_STR, lambda w, v: w.sample.issues.create(v)),
    "issues.create status": (
        ["status"],
        bad_enum(IssueStatus),
        lambda w, v: w.sample.issues.create("x", status=v),
    ),
    "issues.create anchor": (
        ["anchor"],
        st.one_of(
            st.text(CHARS, min_size=1, max_size=3),
            st.integers(),
            st.lists(st.integers(), min_size=1, max_size=2),
            st.builds(lambda v: {"x": v}, NAN_INF),
        ),
        lambda w, v: w.sample.issues.create("x", anchor=v),
    ),
    "collaborators.add username": (
        ["username"],
        BAD_NAME,
        lambda w, v: w.dataset.collaborators.add(v, Role.LABELER),
    ),
    "collaborators.add role": (
        ["role"],
        bad_enum(Role),
        lambda w, v: w.dataset.collaborators.add("john", v),
    ),
    "assets.upload file": (
        ["file"],
        st.one_of(st.none(), st.integers(), st.floats(), CONTAINERS, st.just("/nonexistent/a.png")),
        lambda w, v: w.client.assets.upload(v, filename="a.png"),
    ),
    "assets.upload filename": (
        ["filename"],
        BAD_NAME,
        lambda w, v: w.client.assets.upload(b"x", filename=v),
    ),
    "assets.upload content_type": (
        ["content_type"],
        NOT_STR_NOT_NONE,
        lambda w, v: w.client.assets.upload(b"x", filename="a.png", content_type=v),
    ),
    "Client api_key": (
        ["api_key", "key"],
        st.one_of(NOT_STR_NOT_NONE, BLANK.filter(lambda s: s != ""), CONTROL),
        lambda w, v: so.Client(api_key=v, api_url=w.server.url),
    ),
    "Client api_url": (
        ["api_url", "url", "http"],
        st.one_of(
            NOT_STR_NOT_NONE,
            st.text(CHARS, max_size=10).filter(lambda s: "://" not in s),
            st.sampled_from(
                [
                    "ftp://x.org/",
                    "http://",
                    "https://",
                    "http://example.com/",
                    "https://a b.org/",
                    "https://x.org/?q=1",
                    "https://x.org/#f",
                    "https://user:pw@x.org/",
                ]
            ),
        ),
        lambda w, v: so.Client(api_key="sk-test-123", api_url=v),
    ),
    "Client timeout": (
        ["timeout"],
        st.one_of(
            st.none(),
            NAN_INF,
            st.just(0),
            st.floats(max_value=0),
            st.text(CHARS, max_size=3),
            st.booleans(),
            st.tuples(st.floats(), st.floats(), st.floats()),
            st.tuples(st.just(1.0), NAN_INF),
            st.lists(st.floats(1, 2), min_size=2, max_size=2),
        ),
        lambda w, v: so.Client(api_key="sk-test-123", api_url=w.server.url, timeout=v),
    ),
    "Client retry": (
        ["retry"],
        NOT_STR_NOT_NONE,
        lambda w, v: so.Client(api_key="sk-test-123", api_url=w.server.url, retry=v),
    ),
    "Client max_workers": (
        ["max_workers"],
        st.one_of(BAD_INT, st.just(0)),
        lambda w, v: so.Client(api_key="sk-test-123", api_url=w.server.url, max_workers=v),
    ),
    "Client allow_insecure_http": (
        ["allow_insecure_http"],
        BAD_BOOL_NOT_NONE,
        lambda w, v: so.Client(api_key="sk-test-123", api_url=w.server.url, allow_insecure_http=v),
    ),
    "RetryPolicy max_attempts": (
        ["max_attempts"],
        st.one_of(BAD_INT, st.just(0)),
        lambda w, v: so.RetryPolicy(max_attempts=v),
    ),
    "RetryPolicy backoff": (
        ["backoff"],
        st.one_of(BAD_NUMBER, st.floats(max_value=-0.001), st.none()),
        lambda w, v: so.RetryPolicy(backoff=v),
    ),
    "RetryPolicy total": (
        ["total"],
        st.one_of(BAD_NUMBER, st.floats(max_value=-0.001), st.none()),
        lambda w, v: so.RetryPolicy(total=v),
    ),
    "RetryPolicy jitter": (
        ["jitter"],
        st.one_of(BAD_NUMBER, st.floats(min_value=1.001), st.floats(max_value=-0.001), st.none()),
        lambda w, v: so.RetryPolicy(jitter=v),
    ),
    "RetryPolicy statuses": (
        ["statuses"],
        st.one_of(
            st.none(),
            st.integers(),
            st.text(CHARS, min_size=1, max_size=3),
            st.frozensets(st.text(CHARS, max_size=2), min_size=1, max_size=2),
            st.frozensets(st.integers(600, 999), min_size=1, max_size=2),
        ),
        lambda w, v: so.RetryPolicy(statuses=v),
    ),
    "RetryPolicy sleep": (
        ["sleep"],
        NOT_STR_NOT_NONE.filter(lambda v: not callable(v)),
        lambda w, v: so.RetryPolicy(sleep=v),
    ),
    "queryset index": (
        ["indices", "index", "slice", "negative"],
        st.one_of(
            st.text(CHARS, max_size=3),
            st.floats(),
            st.none(),
            st.booleans(),
            st.integers(max_value=-1),
            st.builds(slice, st.integers(max_value=-1), st.integers(0, 5)),
            st.builds(slice, st.integers(0, 5), st.integers(max_value=-1)),
            st.builds(slice, st.integers(0, 2), st.integers(3, 5), st.integers(max_value=0)),
            st.builds(slice, st.text(CHARS, max_size=2), st.none()),
        ),
        lambda w, v: w.dataset.samples.all()[v],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_before_any_request(world: World, case: str) -> None:
    names, strategy, call = CASES[case]

    @EXAMPLES
    @given(value=strategy)
    def check(value: Any) -> None:
        refused_before_sending(world, names, lambda: call(world, value))

    check()


MAYBE_VALID: dict[str, Callable[[World, Any], Any]] = {
    "datasets.create name": lambda w, v: w.client.datasets.create(v),
    "datasets.get": lambda w, v: w.client.datasets.get(f"demo/{v}"),
    "samples.create name": lambda w, v: w.dataset.samples.create(v, IMAGE, metadata={v: v}),
    "samples.filter name": lambda w, v: w.dataset.samples.filter(name__contains=v).first(),
    "labels.create labelset": lambda w, v: w.sample.labels.create(v, BOX),
    "labelsets.create": lambda w, v: w.dataset.labelsets.create(v, description=v),
    "releases.get": lambda w, v: w.dataset.releases.get(v),
    "issues.create": lambda w, v: w.sample.issues.create(v * 300),
    "collaborators.add": lambda w, v: w.dataset.collaborators.add(v, Role.LABELER),
    "assets.upload": lambda w, v: w.client.assets.upload(b"x", filename=v + ".png"),
    "users.get": lambda w, v: w.client.users.get(v),
}


@pytest.mark.parametrize("case", list(MAYBE_VALID))
def test_non_ascii_input_never_escapes_as_another_error(world: World, case: str) -> None:
    call = MAYBE_VALID[case]

    @settings(
        max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(value=MAYBE_VALID_TEXT)
    def check(value: Any) -> None:
        only_segments_errors(lambda: call(world, value))

    check()
