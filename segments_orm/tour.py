"""The tour: one realistic labeling session, end to end, checking every answer.

``segments-orm tour`` runs it against the embedded emulator (no account, no network), or
against a real server with ``--api-url``/``--api-key``. Read `session` as an example: it
is the whole workflow of a labeling project in the ORM style, top to bottom.

Every step checks what it got back (counts, statuses, labels read back equal to the labels
written); a failed check stops the tour with the step's name and what differed. On a real
server the tour works in a dataset of its own, with a unique name, and deletes it at the
end whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, Optional

import segments_orm as so
from segments_orm.types import dump

if TYPE_CHECKING:
    from segments_orm.emulator import Emulator

__all__ = [
    "Report",
    "TourCheckError",
    "box",
    "check",
    "label",
    "main",
    "png",
    "sample_dataset",
    "session",
]

CATEGORIES = [
    {"id": 1, "name": "flower", "color": [230, 60, 90]},
    {"id": 2, "name": "leaf", "color": [60, 160, 70]},
]
IMAGES = {  # sample name -> (color, metadata)
    "rose.png": ((230, 60, 90), {"weather": "sunny", "garden": "north"}),
    "tulip.png": ((250, 200, 40), {"weather": "cloudy", "garden": "north"}),
    "daisy.png": ((245, 245, 240), {"weather": "sunny", "garden": "south"}),
    "fern.png": ((60, 160, 70), {"weather": "rainy", "garden": "south"}),
}


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """Return a valid PNG image of one color (8-bit RGB, no dependency needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width  # filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def box(x0: float, y0: float, x1: float, y1: float, id: int, category_id: int) -> dict[str, Any]:
    """Return a bbox annotation as the API writes it."""
    return {"id": id, "category_id": category_id, "type": "bbox", "points": [[x0, y0], [x1, y1]]}


def label(*annotations: dict[str, Any]) -> dict[str, Any]:
    """Return the attributes of a bboxes label."""
    return {"format_version": "0.1", "annotations": list(annotations)}


def sample_dataset(client: so.Client, name: str = "flowers") -> so.Dataset:
    """Create a small bboxes dataset to play with: four images, two of them labeled.

    Network: about a dozen requests.
    """
    dataset = client.datasets.create(
        name,
        description="A sample dataset made by segments-orm",
        task_type=so.TaskType.BBOXES,
        task_attributes={"format_version": "0.1", "categories": CATEGORIES},
    )
    samples = dataset.samples.bulk_create(
        {
            "name": filename,
            "attributes": {
                "image": {"url": client.assets.upload(png(64, 48, color), filename=filename).url}
            },
            "metadata": metadata,
        }
        for filename, (color, metadata) in IMAGES.items()
    )
    dataset.labels.bulk_set(
        [(s, label(box(4, 4, 40, 30, id=1, category_id=1))) for s in samples[:2]],
        label_status=so.LabelStatus.LABELED,
    )
    return dataset.refresh()  # so its repr shows the sample count


class TourCheckError(Exception):
    """A step got an answer other than the one it expected."""


def check(condition: bool, what: str) -> None:
    """Raise `TourCheckError` with ``what`` unless ``condition`` holds."""
    if not condition:
        raise TourCheckError(what)


class Report:
    """Print each step as it completes, then a summary; remember whether all passed.

    Args:
        out: Where to print (standard output by default).
    """

    def __init__(self, out: Optional[IO[str]] = None) -> None:
        self.out = out if out is not None else sys.stdout
        encoding = getattr(self.out, "encoding", None) or "ascii"
        try:
            "✓✗".encode(encoding)
            self.ok_mark, self.fail_mark = "✓", "✗"
        except (UnicodeEncodeError, LookupError):
            self.ok_mark, self.fail_mark = "ok", "FAIL"
        self.steps: list[tuple[str, bool, str]] = []  # the steps that ran: title, ok, detail
        self.skipped: list[tuple[str, str]] = []  # the steps that did not run, and why
        self.counts: dict[str, int] = {}
        self.failed = False
        self._detail = ""

    def print(self, text: str = "") -> None:
        """Print one line and flush, so progress shows as it happens."""
        print(text, file=self.out, flush=True)

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[Report]:
        """Run one step: print it with a check mark, or print why it failed and stop.

        Raises:
            TourCheckError: A check of this step failed, or a request raised.
        """
        self._detail = ""
        try:
            yield self
        except TourCheckError as error:
            self._fail(title, f"check failed: {error}")
            raise
        except (so.SegmentsError, KeyError, TypeError, ValueError, AttributeError) as error:
            # A request failed, or an answer did not have the expected shape.
            self._fail(title, f"{type(error).__name__}: {error}")
            raise TourCheckError(f"{title}: {error}") from error
        self.steps.append((title, True, self._detail))
        detail = f"  ({self._detail})" if self._detail else ""
        self.print(f"  {self.ok_mark} {title}{detail}")

    def _fail(self, title: str, why: str) -> None:
        self.failed = True
        self.steps.append((title, False, why))
        self.print(f"  {self.fail_mark} {title}: {why}")

    def detail(self, text: str) -> None:
        """Set the short result shown next to the current step."""
        self._detail = text

    def skip(self, title: str, why: str) -> None:
        """Record a step that was not run, and why."""
        self.skipped.append((title, why))
        self.print(f"  - {title}  (skipped: {why})")

    def count(self, what: str, n: int) -> None:
        """Add ``n`` to the tally of ``what`` created (shown in the summary)."""
        self.counts[what] = self.counts.get(what, 0) + n


def session(
    client: so.Client,
    report: Report,
    *,
    emulator: Optional[Emulator] = None,
    collaborator: Optional[str] = None,
    keep: bool = False,
) -> None:
    """Run the tour's labeling session with ``client``, checking every answer.

    Args:
        client: The client to work through.
        report: Where the steps are printed and recorded.
        emulator: The embedded emulator, when there is one: its admin interface creates
            the collaborator's account.
        collaborator: An existing username to add as a reviewer (on a real server).
        keep: Leave the dataset in place instead of deleting it at the end.

    Raises:
        TourCheckError: A step got an unexpected answer (the report says which).
    """
    dataset: Optional[so.Dataset] = None
    try:
        with report.step("Who am I"):
            me = client.users.me()
            check(bool(me.username), "users.me() returned no username")
            report.detail(f"user {me.username}")

        with report.step("Create a bboxes dataset with two categories"):
            name = f"tour-{uuid.uuid4().hex[:8]}"  # unique, so reruns never collide
            dataset = client.datasets.create(
                name,
                description="Created by segments-orm tour",
                task_type=so.TaskType.BBOXES,
                task_attributes={"format_version": "0.1", "categories": CATEGORIES},
            )
            check(
                dataset.full_name == f"{me.username}/{name}",
                f"full_name is {dataset.full_name!r}",
            )
            again = client.datasets.get(f"{me.username}/{name}")
            check(again.task_type == so.TaskType.BBOXES, f"task_type is {again.task_type!r}")
            names = [c.name for c in again.task_attributes.categories]
            check(names == ["flower", "leaf"], f"categories read back as {names}")
            report.detail(str(dataset.full_name))
            report.count("datasets", 1)

        with report.step("Upload images as assets"):
            urls = {}
            for filename, (color, _) in IMAGES.items():
                image = png(64, 48, color)
                asset = client.assets.upload(image, filename=filename)
                check(bool(asset.url), f"{filename}: the asset has no URL")
                check(asset.download() == image, f"{filename}: the stored bytes differ")
                urls[filename] = asset.url
            report.detail(f"{len(urls)} PNGs, read back byte for byte")
            report.count("assets", len(urls))

        with report.step("Add samples: one, then the rest in bulk"):
            (first_name, (_, first_metadata)), *rest = IMAGES.items()
            rose = dataset.samples.create(
                first_name, {"image": {"url": urls[first_name]}}, metadata=first_metadata
            )
            check(rose.uuid is not None, "the created sample has no uuid")
            created = dataset.samples.bulk_create(
                [
                    {"name": n, "attributes": {"image": {"url": urls[n]}}, "metadata": m}
                    for n, (_, m) in rest
                ]
            )
            check(len(created) == len(rest), f"bulk_create returned {len(created)} samples")
            count = dataset.samples.count()
            check(count == len(IMAGES), f"the dataset has {count} samples")
            samples = {str(s.name): s for s in dataset.samples.all()}
            check(sorted(samples) == sorted(IMAGES), f"sample names are {sorted(samples)}")
            report.detail(f"{count} samples")
            report.count("samples", count)

        with report.step("Write prelabels in a second labelset"):
            dataset.labelsets.create("model-v1", description="A model's predictions")
            labelsets = sorted(str(ls.name) for ls in dataset.labelsets.all())
            check("model-v1" in labelsets, f"labelsets are {labelsets}")
            predictions = [
                (sample, label(box(4, 4, 40, 30, id=1, category_id=1)))
                for sample in samples.values()
            ]
            written = dataset.labels.bulk_set(predictions, labelset="model-v1", score=0.8)
            check(len(written) == len(samples), f"bulk_set wrote {len(written)} labels")
            check(
                all(lb.label_status == so.LabelStatus.PRELABELED for lb in written),
                "a prelabel is not PRELABELED",
            )
            report.detail(f"{len(written)} prelabels in model-v1, score 0.8")
            report.count("labels", len(written))

        with report.step("Write ground-truth labels and read them back"):
            truth = {
                "rose.png": (label(box(2, 3, 41, 33, 1, 1)), so.LabelStatus.LABELED),
                "tulip.png": (label(box(5, 5, 20, 40, 1, 1)), so.LabelStatus.LABELED),
                "daisy.png": (
                    label(box(1, 1, 30, 30, 1, 1), box(30, 20, 60, 45, 2, 2)),
                    so.LabelStatus.REVIEWED,
                ),
            }  # fern.png stays unlabeled
            for sample_name, (attributes, status) in truth.items():
                samples[sample_name].labels.create("ground-truth", attributes, label_status=status)
            for sample_name, (attributes, status) in truth.items():
                back = samples[sample_name].labels.get("ground-truth")
                check(back.label_status == status, f"{sample_name}: status {back.label_status}")
                check(
                    dump(back.attributes) == attributes,
                    f"{sample_name}: the label read back differs from the one written",
                )
            report.detail(f"{len(truth)} labels, equal when read back")
            report.count("labels", len(truth))

        with report.step("Filter samples by label status and metadata"):
            labeled = dataset.samples.filter(label_status=so.LabelStatus.LABELED)
            found = sorted(str(s.name) for s in labeled)
            check(found == ["rose.png", "tulip.png"], f"LABELED samples are {found}")
            unlabeled = dataset.samples.filter(label_status="UNLABELED").get()
            check(unlabeled.name == "fern.png", f"the UNLABELED sample is {unlabeled.name}")
            sunny = dataset.samples.filter(metadata={"weather": "sunny"}).order_by("-name")
            found = [str(s.name) for s in sunny]
            check(found == ["rose.png", "daisy.png"], f"sunny samples are {found}")
            with_truth = dataset.samples.include_label("ground-truth", full=True).get(
                name="daisy.png"
            )
            included = with_truth.label
            check(
                isinstance(included, so.Label) and len(included.attributes.annotations) == 2,
                f"daisy.png's included label is {included!r}",
            )
            report.detail("2 LABELED, 1 UNLABELED, 2 sunny")

        with report.step("Open an issue, then close it"):
            issue = samples["tulip.png"].issues.create("The stem is not boxed.")
            check(issue.status == so.IssueStatus.OPEN, f"a new issue is {issue.status}")
            issue.status = so.IssueStatus.CLOSED
            issue.save()
            closed = dataset.issues.filter(status="CLOSED")
            check(
                [i.uuid for i in closed] == [issue.uuid],
                f"the closed issues are {list(closed)}",
            )
            report.detail("OPEN -> CLOSED")
            report.count("issues", 1)

        title = "Add a reviewer as collaborator"
        if emulator is not None and collaborator is None:
            # The emulator's admin interface; on the real service the user must exist.
            collaborator = "john"
            emulator.add_user(collaborator)
        if collaborator is None:
            report.skip(title, "a real server needs an existing user: pass --collaborator NAME")
        else:
            with report.step(title):
                dataset.collaborators.add(collaborator, role=so.Role.REVIEWER)
                member = dataset.collaborators.get(collaborator)
                check(member.role == so.Role.REVIEWER, f"{collaborator}'s role is {member.role}")
                report.detail(f"{collaborator} as {member.role}")

        with report.step("Create a release and wait until it is built"):
            release = dataset.releases.create("v0.1", description="The tour's labels")
            release.wait(timeout=600)
            check(release.status == so.ReleaseStatus.SUCCEEDED, f"status {release.status}")
            report.detail(f"{release.name} {release.status}")
            report.count("releases", 1)

        with report.step("Download the release and check its labels"):
            exported = release.download()
            rows = exported["dataset"]["samples"]
            check(len(rows) == len(IMAGES), f"the release has {len(rows)} samples")
            statuses = {
                row["name"]: (row["labels"].get("ground-truth") or {}).get("label_status")
                for row in rows
            }
            expected = {name: str(status) for name, (_, status) in truth.items()}
            check(
                {k: v for k, v in statuses.items() if v} == expected,
                f"the release's label statuses are {statuses}",
            )
            report.detail(f"{len(rows)} samples, {len(truth)} ground-truth labels")
    finally:
        if dataset is not None and not keep:
            # Clean up even after a failed step, so a real account is left as it was.
            with report.step("Delete the tour's dataset"):
                dataset.delete()
                try:
                    client.datasets.get(str(dataset.full_name))
                except so.NotFoundError:
                    pass
                else:
                    raise TourCheckError("the dataset is still there after delete()")
                report.detail(f"{dataset.full_name}; uploaded assets stay (no API to delete)")


def main(
    *,
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
    collaborator: Optional[str] = None,
    keep: bool = False,
    out: Optional[IO[str]] = None,
) -> int:
    """Run the tour and print its summary; return 0 when every check passed, else 1.

    An unusable configuration (no API key, a malformed URL) returns 2 before any request.

    With neither ``api_url``/``api_key`` nor ``SEGMENTS_API_URL``/``SEGMENTS_API_KEY``, the
    tour starts the embedded emulator (it needs the ``emulator`` extra).

    Network: about 60 requests, to the emulator on 127.0.0.1 or to the server given.
    """
    report = Report(out)
    configured = any(
        (api_url, api_key, os.environ.get("SEGMENTS_API_URL"), os.environ.get("SEGMENTS_API_KEY"))
    )
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        emulator: Optional[Emulator] = None
        if configured:
            try:
                client = stack.enter_context(so.Client(api_key=api_key, api_url=api_url))
            except so.SegmentsError as error:  # no key, a malformed or plain-http URL
                print(f"error: {error}", file=sys.stderr)
                return 2
            where = f"the server at {client.api_url.root}"
        else:
            from segments_orm.emulator import EmulatorServer

            server = stack.enter_context(EmulatorServer(release_delay=0.2))
            emulator = server.emulator
            client = stack.enter_context(so.Client(api_key=server.api_key, api_url=server.url))
            where = f"the embedded emulator at {server.url}"
        report.print(f"segments-orm {so.__version__} tour, against {where}")
        with contextlib.suppress(TourCheckError):
            session(client, report, emulator=emulator, collaborator=collaborator, keep=keep)
        requests = client.transport.requests_sent
    elapsed = time.monotonic() - started
    _summarize(report, requests, elapsed)
    return 1 if report.failed else 0


def _summarize(report: Report, requests: int, elapsed: float) -> None:
    passed = sum(1 for _, ok, _ in report.steps if ok)
    skipped = f", {len(report.skipped)} skipped" if report.skipped else ""
    created = ", ".join(
        f"{n} {what if n != 1 else what.rstrip('s')}" for what, n in report.counts.items()
    )
    report.print()
    if report.failed:
        failed = [title for title, ok, _ in report.steps if not ok]
        report.print(f"{report.fail_mark} Tour FAILED at: {'; '.join(failed)}")
    else:
        report.print(f"{report.ok_mark} Tour passed: {passed} steps checked{skipped}.")
    for title, why in report.skipped:
        report.print(f"  Skipped: {title} ({why}).")
    if created:
        report.print(f"  Created: {created}.")
    report.print(f"  {requests} requests in {elapsed:.1f} s.")
