"""Releases: frozen snapshots of a dataset's labels, built by the server in the background."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, Union

from segments_orm._capabilities import Deletable, Refreshable
from segments_orm._concurrency import Progress, ProgressOption
from segments_orm.base import Resource, _field, _resource
from segments_orm.enums import ReleaseStatus
from segments_orm.exceptions import (  # ReleaseFailedError is re-exported from here
    NetworkError,
    ReleaseFailedError,
    TimeoutError,
    ValidationError,
)
from segments_orm.query import FilterSchema
from segments_orm.resources._checks import check_name, check_text
from segments_orm.resources._dataset_child import NamedChildManager, NamedInDataset

if TYPE_CHECKING:
    from segments_orm.export import ReleaseExport

__all__ = ["Release", "ReleaseFailedError", "ReleaseManager"]


@_resource
class Release(NamedInDataset, Deletable, Refreshable, Resource):
    """A release of a dataset. Identified by (dataset, name).

    Right after creation its status is PENDING; `wait` polls until it is SUCCEEDED,
    then `download` fetches the release file.
    """

    uuid: Optional[str] = _field(read_only=True)
    name: Optional[str] = _field(read_only=True)
    description: Optional[str] = _field(read_only=True)
    release_type: Optional[str] = _field(read_only=True)
    status: Union[ReleaseStatus, str, None] = _field(read_only=True, show=True)
    attributes: Optional[dict[str, Any]] = _field(read_only=True)
    created_at: Optional[dt.datetime] = _field(read_only=True)
    samples_count: Optional[int] = _field(read_only=True)

    item_param: ClassVar[str] = "release"
    _path: ClassVar[str] = "datasets/{owner}/{name}/releases/{release}/"

    @property
    def url(self) -> Optional[str]:
        """The release file's URL, once the release has SUCCEEDED."""
        value = (self.attributes or {}).get("url")
        return value if isinstance(value, str) else None

    def wait(
        self,
        timeout: float = 600,
        poll: float = 0.25,
        *,
        progress: ProgressOption = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> Release:
        """Poll until the release is built, within ``timeout`` seconds.

        Polling starts at ``poll`` seconds and backs off by half each time to 5 seconds
        (the platform's advice), never past the deadline. The short first wait returns a
        small release as soon as it is built; a long build is still checked only every
        5 seconds after the first 10.

        Network: one request per poll.

        Raises:
            ReleaseFailedError: The release ended FAILED.
            TimeoutError: It was still PENDING at the deadline.
        """
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout >= 0):
            raise ValidationError(f"timeout: expected seconds >= 0, got {timeout!r}")
        if not (isinstance(poll, (int, float)) and math.isfinite(poll) and poll > 0):
            raise ValidationError(f"poll: expected seconds > 0, got {poll!r}")
        deadline = clock() + timeout
        interval = float(poll)
        bar = Progress(1, f"release {self.name}", progress)
        try:
            while True:
                if self.status == ReleaseStatus.SUCCEEDED:
                    bar.note(str(self.status))
                    bar.advance()  # a bar that stays on screen reads 1/1, not 0/1
                    return self
                if self.status == ReleaseStatus.FAILED:
                    raise ReleaseFailedError(
                        f"The release {self.name!r} of {self.dataset.full_name} failed"
                    )
                remaining = deadline - clock()
                if remaining <= 0:
                    raise TimeoutError(
                        f"The release {self.name!r} is still {self.status} after {timeout:g} s"
                    )
                bar.note(f"{self.status}, next check in {min(interval, remaining):.1f} s")
                sleep(min(interval, remaining))
                interval = min(interval * 1.5, 5.0)
                self.refresh()
        finally:
            bar.close()

    def download(self, path: Union[str, Path, None] = None) -> Any:
        """Fetch the release file (the API key is never sent with it).

        Network: one request.

        Args:
            path: Write the file there and return the path; by default return the
                release JSON as a dict.

        Raises:
            ValidationError: The release is not SUCCEEDED yet (call `wait` first).
        """
        url = self.url
        if self.status != ReleaseStatus.SUCCEEDED or not url:
            raise ValidationError(
                f"The release {self.name!r} is {self.status}, not SUCCEEDED: call wait() first"
            )
        content = self.client.transport.download(url)
        if path is not None:
            target = Path(path)
            try:
                target.write_bytes(content)
            except OSError as error:
                raise ValidationError(f"path: cannot write {target}: {error.strerror}") from None
            return target
        try:
            return json.loads(content)
        except ValueError as error:
            raise NetworkError(f"The release file at {url} is not JSON", error) from None

    def export(
        self,
        labelset: str = "ground-truth",
        label_status: Any = None,
        cache_dir: Union[str, Path, None] = None,
        *,
        progress: Optional[bool] = None,
    ) -> ReleaseExport:
        """Open the release as training data: its samples, labels, images and bitmaps.

        The release file is downloaded once into ``cache_dir`` (by default
        `segments_orm.export.default_cache_dir`), in a directory of this release's
        own; images and bitmaps follow on demand, each downloaded once.

        Network: one request the first time (the release file), none after.

        Args:
            labelset: The labelset whose labels are read.
            label_status: Keep only samples with these label statuses (one or a list;
                UNLABELED for samples without a label); None keeps all.
            cache_dir: Where to cache files.
            progress: Show progress bars while downloading (None: on a terminal).

        Raises:
            ValidationError: The release is not SUCCEEDED, it has no such labelset, or
                a status is unknown.
        """
        from segments_orm.export._release import open_release

        return open_release(
            self,
            labelset=labelset,
            label_status=label_status,
            cache_dir=cache_dir,
            progress=progress,
        )


class ReleaseManager(NamedChildManager[Release]):
    """The releases of a dataset: iterate, filter (on the client), get, create."""

    model = Release
    list_path = "datasets/{owner}/{name}/releases/"
    item_path = Release._path
    item_param = Release.item_param
    schema = FilterSchema(
        paged=False,
        attribute_names=frozenset({"name", "status", "description", "release_type"}),
        orderings=frozenset({"name", "created_at"}),
    )
    item_name = "releases"

    def create(self, name: str, description: str = "") -> Release:
        """Start building a release of the dataset's current labels.

        Network: one request. The release is PENDING; call ``wait()`` on it. A create
        whose answer was lost is reconciled by name before sending again.

        Raises:
            AlreadyExistsError: The dataset has a release with this name.
        """
        body = {
            "name": check_name(name, "name"),
            "description": check_text(description, "description"),
        }

        return self._create_named(name, body)
