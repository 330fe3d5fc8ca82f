"""Creates whose answer was lost: the SDK reconciles by name, so the caller gets the
object, never a duplicate and never a false "already exists" (docs/reliability.rst)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest

import segments_orm as so
from segments_orm.emulator import EmulatorServer, Faults
from segments_orm.emulator._faults import Decision


class OneShot(Faults):
    """Fault the first ``times`` requests to ``routes`` with ``kind``, then nothing.

    The reconcile's own lookup may share the create's path (``GET .../labelsets/``), so
    the fault must hit the create only: the ``then restore`` of issue 8.
    """

    def __init__(self, routes: list[str], kind: str, status: Optional[int] = None) -> None:
        super().__init__(routes=routes)
        self.kind = kind
        self.status = status
        self.fired = 0

    def decide(self, path: str) -> Decision:
        if self.fired or not self.applies_to(path):
            return Decision(0.0, None, None)
        self.fired += 1
        return Decision(0.0, self.kind, self.status)


@pytest.fixture
def client(emulator_server: EmulatorServer) -> Iterator[so.Client]:
    retry = so.RetryPolicy(backoff=0.01, max_backoff=0.05, max_retry_after=0.05)
    with so.Client(
        api_key=emulator_server.api_key, api_url=emulator_server.url, retry=retry
    ) as made:
        yield made


def count(server: EmulatorServer, sql: str, *args: Any) -> int:
    with server.emulator.store.transaction() as tx:
        return int(tx.scalar(sql, args))


DS = "/datasets/demo/flowers/"


def create_dataset(client: so.Client) -> Any:
    return client.datasets.create("flowers", task_type=so.TaskType.BBOXES)


CASES: dict[str, tuple[str, Callable[[Any], Any], str, Callable[[Any], Any]]] = {
    # name: (route, create, count query, identity of the result)
    "datasets.create": (
        "/user/datasets/",
        lambda ds: ds.client.datasets.create("second", task_type=so.TaskType.BBOXES),
        "SELECT COUNT(*) FROM datasets WHERE name = 'second'",
        lambda obj: obj.full_name,
    ),
    "samples.create": (
        DS + "samples/",
        lambda ds: ds.samples.create("a.png", {"image": {"url": "https://x/a.png"}}),
        "SELECT COUNT(*) FROM samples WHERE name = 'a.png'",
        lambda obj: obj.uuid,
    ),
    "labelsets.create": (
        DS + "labelsets/",
        lambda ds: ds.labelsets.create("model-v1", description="predictions"),
        "SELECT COUNT(*) FROM labelsets WHERE name = 'model-v1'",
        lambda obj: obj.name,
    ),
    "releases.create": (
        DS + "releases/",
        lambda ds: ds.releases.create("v1"),
        "SELECT COUNT(*) FROM releases WHERE name = 'v1'",
        lambda obj: obj.name,
    ),
    "collaborators.add": (
        DS + "collaborators/",
        lambda ds: ds.collaborators.add("john", "labeler"),
        "SELECT COUNT(*) FROM collaborators WHERE username = 'john'",
        lambda obj: obj.user.username if hasattr(obj.user, "username") else obj.user,
    ),
}

# The lost answer: after the commit, before it (the server dropped the connection), or a
# gateway error (the request may or may not have reached the application).
FATES = {
    "dropped after commit": ("drop_after_commit", None, 1),
    "dropped before commit": ("drop", None, 1),
    "gateway 502": ("error", 502, 1),
    "gateway 504": ("error", 504, 1),
}


@pytest.mark.parametrize("fate", list(FATES))
@pytest.mark.parametrize("case", list(CASES))
def test_lost_create_answer_is_reconciled(
    emulator_server: EmulatorServer, client: so.Client, case: str, fate: str
) -> None:
    route, create, query, identity = CASES[case]
    kind, status, expected = FATES[fate]
    emulator_server.emulator.add_user("john")
    dataset = create_dataset(client)
    faults = OneShot([route], kind, status)
    emulator_server.emulator.faults = faults
    result = create(dataset)
    emulator_server.emulator.faults = None
    assert faults.fired == 1  # the fault did hit the create
    assert count(emulator_server, query) == expected  # never a duplicate
    # The object returned is the one the server holds.
    assert identity(result) is not None
    if case == "samples.create":
        assert dataset.samples.get(result.uuid).name == "a.png"
    elif case == "datasets.create":
        assert client.datasets.get("demo/second").name == "second"
    else:
        manager = {
            "labelsets.create": dataset.labelsets,
            "releases.create": dataset.releases,
        }.get(case)
        if manager is not None:
            assert [o.name for o in manager.all() if o.name == identity(result)] == [
                identity(result)
            ]


def test_lost_answer_on_a_name_that_truly_exists_still_says_so(
    emulator_server: EmulatorServer, client: so.Client
) -> None:
    # Reconciling by name never hides a real conflict: a second create of the same name,
    # answered normally, is AlreadyExistsError.
    dataset = create_dataset(client)
    dataset.samples.create("a.png", {"image": {"url": "https://x/a.png"}})
    with pytest.raises(so.AlreadyExistsError):
        dataset.samples.create("a.png", {"image": {"url": "https://x/a.png"}})


def test_bulk_create_batch_dropped_after_commit_is_replayed(
    emulator_server: EmulatorServer, client: so.Client
) -> None:
    dataset = create_dataset(client)
    faults = OneShot([DS + "samples_bulk/"], "drop_after_commit")
    emulator_server.emulator.faults = faults
    items = [{"name": f"{i}.png", "attributes": {"image": {"url": "https://x"}}} for i in range(5)]
    created = dataset.samples.bulk_create(items, batch_size=5)
    assert faults.fired == 1
    assert [s.name for s in created] == [item["name"] for item in items]
    assert count(emulator_server, "SELECT COUNT(*) FROM samples") == 5


def test_label_put_dropped_after_commit_is_replayed(
    emulator_server: EmulatorServer, client: so.Client
) -> None:
    dataset = create_dataset(client)
    sample = dataset.samples.create("a.png", {"image": {"url": "https://x/a.png"}})
    faults = OneShot([f"/labels/{sample.uuid}/ground-truth/"], "drop_after_commit")
    emulator_server.emulator.faults = faults
    label = sample.labels.create(
        "ground-truth", {"format_version": "0.1", "annotations": []}, label_status="LABELED"
    )
    assert faults.fired == 1
    assert label.label_status == so.LabelStatus.LABELED
    assert count(emulator_server, "SELECT COUNT(*) FROM labels") == 1


class Sequence(Faults):
    """Fault the requests to ``routes`` with ``kinds`` in turn (None: no fault), then nothing."""

    def __init__(self, routes: list[str], kinds: list[Optional[str]]) -> None:
        super().__init__(routes=routes)
        self.kinds = list(kinds)
        self.fired = 0

    def decide(self, path: str) -> Decision:
        if not self.kinds or not self.applies_to(path):
            return Decision(0.0, None, None)
        self.fired += 1
        return Decision(0.0, self.kinds.pop(0), None)


@pytest.mark.parametrize(
    "kinds",
    [
        ["drop", "drop_after_commit"],  # the resend committed, and its answer was lost too
        ["drop", "drop"],  # neither committed: the third send creates it
        ["drop_after_commit"],
    ],
)
@pytest.mark.parametrize("case", ["datasets.create", "collaborators.add"])
def test_a_resend_whose_answer_is_lost_too_is_reconciled(
    emulator_server: EmulatorServer, client: so.Client, case: str, kinds: list[str]
) -> None:
    # Both creates are looked up on another path than their POST, so the faults hit the
    # POSTs only, one after the other.
    route, create, query, identity = CASES[case]
    emulator_server.emulator.add_user("john")
    dataset = create_dataset(client)
    faults = Sequence([route], kinds)
    emulator_server.emulator.faults = faults
    result = create(dataset)
    emulator_server.emulator.faults = None
    assert faults.fired == len(kinds)
    assert identity(result) is not None
    assert count(emulator_server, query) == 1


def test_reconciling_gives_up_after_three_lost_answers(
    emulator_server: EmulatorServer, client: so.Client
) -> None:
    dataset = create_dataset(client)
    faults = Sequence([CASES["datasets.create"][0]], ["drop"] * 5)
    emulator_server.emulator.faults = faults
    with pytest.raises(so.NetworkError):
        dataset.client.datasets.create("second", task_type=so.TaskType.BBOXES)
    emulator_server.emulator.faults = None
    assert faults.fired == 3  # three sends, each looked up, then the error
    assert count(emulator_server, "SELECT COUNT(*) FROM datasets WHERE name = 'second'") == 0
