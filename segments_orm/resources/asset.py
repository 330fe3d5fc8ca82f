"""Assets: files uploaded to the platform's storage, referenced by URL in samples."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mimetypes
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any, Optional, Union

from segments_orm._concurrency import BulkError, BulkResult, ProgressOption
from segments_orm._pipeline import (
    BulkResults,
    Outcome,
    _InterruptedError,
    interrupted,
    run_items,
)
from segments_orm.base import Resource, _field, _resource
from segments_orm.exceptions import SegmentsError, ValidationError
from segments_orm.resources._checks import check_name

__all__ = ["Asset", "AssetManager"]

_MAX_UPLOAD = 5 * 1024**3  # S3's limit for one presigned POST


@_resource
class Asset(Resource):
    """An uploaded file; use ``url`` in sample attributes.

    Read-only: the API cannot change, delete or fetch one asset, so it has no ``save``,
    ``delete`` or ``refresh``.
    """

    uuid: Optional[str] = _field(read_only=True)
    filename: Optional[str] = _field(read_only=True, show=True)
    url: Optional[str] = _field(read_only=True)
    created_at: Optional[dt.datetime] = _field(read_only=True)
    presigned_post_fields: Optional[dict[str, Any]] = _field(
        wire="presignedPostFields", read_only=True
    )

    def _identity(self) -> tuple[Any, ...]:
        return (self.uuid,)

    def download(self) -> bytes:
        """Fetch the file's bytes (without the API key). Network: one request."""
        return self.client.transport.download(check_name(self.url, "url"))


class AssetManager:
    """Uploads (``client.assets``)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<AssetManager>"

    def upload(
        self,
        file: Union[str, os.PathLike[str], bytes, IO[bytes]],
        filename: Optional[str] = None,
        content_type: Optional[str] = None,
    ) -> Asset:
        """Upload a file and return the asset, whose ``url`` goes into sample attributes.

        Network: two requests: one to the API for a presigned upload, one to the storage
        host with every field the API issued (never the API key).

        Args:
            file: A path, the bytes, or a binary file object.
            filename: The name to store; by default the path's or file object's name.
            content_type: The file part's content type; guessed from the name by default.

        Raises:
            ValidationError: The file cannot be read, or no filename can be found.
        """
        content, name = _read_upload(file, filename)
        if content_type is not None:
            check_name(content_type, "content_type")
        guessed = content_type or mimetypes.guess_type(name)[0]
        url = self._client.api_url.endpoint("assets/")
        data = self._client.transport.request("POST", url, json_body={"filename": name})
        asset = Asset._from_wire(self._client, data)
        presigned = asset.presigned_post_fields
        if (
            not isinstance(presigned, dict)
            or not isinstance(presigned.get("url"), str)
            or not isinstance(presigned.get("fields"), dict)
        ):
            raise SegmentsError(
                "The API's answer to POST /assets/ has no usable presignedPostFields "
                "(expected {'url': ..., 'fields': {...}})"
            )
        fields = {str(k): str(v) for k, v in presigned["fields"].items()}
        self._client.transport.post_multipart(presigned["url"], fields, name, content, guessed)
        return asset

    def upload_many(
        self,
        files: Iterable[Union[str, os.PathLike[str], bytes, IO[bytes]]],
        *,
        journal: Union[str, os.PathLike[str], None] = None,
        progress: ProgressOption = None,
    ) -> BulkResults[Asset]:
        """Upload many files concurrently, each distinct content once.

        Every file is read (and hashed, SHA-256) before anything is sent: one unreadable
        file sends nothing. Files with the same content as an earlier one of the call
        are not uploaded again; they get its asset. With ``journal``, every upload is
        recorded (one JSON line, flushed to disk) once it is complete, and content found
        there is not uploaded again: a re-run after a crash or Ctrl-C uploads only what
        had not finished. An asset cannot be deleted, so this is what keeps re-runs from
        leaving orphans; at most the uploads in flight at a crash are done twice.

        Network: two requests per distinct new file (see `upload`), on up to the
        client's ``max_workers`` threads.

        Args:
            files: Paths, bytes (the name is then ``<sha256>.bin``: prefer paths) or
                binary file objects with a ``name``.
            journal: A file that records the uploads (created if missing). Records of
                another API URL are ignored.
            progress: Show a progress bar (default: when tqdm is installed, on a
                terminal), or a callback ``progress(done, total)``.

        Returns:
            A `BulkResults` of the assets in input order, with ``outcomes``
            ``"uploaded"`` or ``"reused"`` (``reasons`` says from where).

        Raises:
            ValidationError: Some file cannot be read (all listed, by input index);
                nothing was sent.
            BulkError: Some uploads failed; ``.results`` has the others.
            BulkInterrupted: Ctrl-C: nothing more was sent; ``.results`` has what was done.
        """
        if isinstance(files, (str, bytes, os.PathLike)) or not isinstance(files, Iterable):
            raise ValidationError(f"files: expected a list of files, got {type(files).__name__}")
        items: list[tuple[Any, str, str]] = []  # (path or bytes, filename, sha256)
        problems: list[str] = []
        for index, file in enumerate(files):
            try:
                items.append(_prepare_upload(file))
            except ValidationError as error:
                problems.extend(f"[{index}].{e}" for e in error.errors)
        if problems:
            raise ValidationError.from_errors(problems, "Cannot upload, nothing was sent")
        origin = str(self._client.api_url.endpoint("assets/"))
        book = _Journal(journal, origin) if journal is not None else None
        known = book.read() if book is not None else {}
        results: list[Optional[Asset]] = [None] * len(items)
        outcomes = [Outcome.NOT_SENT] * len(items)
        reasons: dict[int, str] = {}
        first: dict[str, int] = {}
        jobs: list[int] = []
        for index, (_, _, digest) in enumerate(items):
            if digest in known:
                results[index] = Asset._from_wire(self._client, known[digest])
                outcomes[index], reasons[index] = Outcome.REUSED, "uploaded before (journal)"
            elif digest in first:
                reasons[index] = f"same content as [{first[digest]}]"
            else:
                first[digest] = index
                jobs.append(index)

        def upload_one(index: int) -> Asset:
            source, name, digest = items[index]
            content = _content(source)
            if hashlib.sha256(content).hexdigest() != digest:
                raise ValidationError(f"[{index}]: the file changed while uploading; run again")
            asset = self.upload(content, filename=name)
            if book is not None:
                book.record(digest, asset)
            return asset

        def collect(outcome: BulkResult[Asset]) -> BulkResults[Asset]:
            for job, index in enumerate(jobs):
                asset = outcome.results[job]
                if asset is not None:
                    results[index], outcomes[index] = asset, Outcome.UPLOADED
                elif job in outcome.errors:
                    outcomes[index] = Outcome.FAILED
            for index, (_, _, digest) in enumerate(items):
                origin_index = first.get(digest)
                if origin_index is not None and origin_index != index:
                    results[index] = results[origin_index]
                    if outcomes[origin_index] == Outcome.UPLOADED:
                        outcomes[index] = Outcome.REUSED
                    else:
                        outcomes[index] = outcomes[origin_index]
            return BulkResults(results, outcomes, reasons)

        try:
            outcome = run_items(
                upload_one, jobs, client=self._client, description="assets", progress=progress
            )
        except _InterruptedError as stop:
            for job in stop.in_flight:
                outcomes[jobs[job]] = Outcome.IN_FLIGHT
            partial = collect(stop.finished)  # duplicates take their original's outcome
            raise interrupted(stop, partial, "files") from None
        final = collect(outcome)
        if outcome.errors:
            errors = {jobs[job]: error for job, error in outcome.errors.items()}
            raise BulkError.from_result(BulkResult(final, errors), "files")
        return final


class _Journal:
    """An append-only record of finished uploads: one JSON object per line.

    A line is written only after the file's upload completed, and flushed to disk, so
    a crash leaves at worst a partial last line, which reading skips.
    """

    def __init__(self, path: Union[str, os.PathLike[str]], origin: str) -> None:
        self.path = Path(path)
        self.origin = origin
        self._lock = threading.Lock()

    def read(self) -> dict[str, dict[str, Any]]:
        """Return the recorded assets of this API by content hash."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise ValidationError(f"journal: cannot read {self.path}: {error.strerror}") from None
        found: dict[str, dict[str, Any]] = {}
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # the partial last line of a crash
            if (
                isinstance(record, Mapping)
                and record.get("api") == self.origin
                and isinstance(record.get("sha256"), str)
                and isinstance(record.get("asset"), Mapping)
            ):
                found[record["sha256"]] = dict(record["asset"])
        return found

    def record(self, digest: str, asset: Asset) -> None:
        """Append one finished upload, durably."""
        line = json.dumps(
            {
                "api": self.origin,
                "sha256": digest,
                "asset": {
                    "uuid": asset.uuid,
                    "filename": asset.filename,
                    "url": asset.url,
                    "created_at": asset.created_at.isoformat() if asset.created_at else None,
                },
            },
            separators=(",", ":"),
        )
        with self._lock:
            try:
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(line + "\n")
                    out.flush()
                    os.fsync(out.fileno())
            except OSError as error:
                raise ValidationError(
                    f"journal: cannot write {self.path}: {error.strerror}"
                ) from None


def _prepare_upload(file: Any) -> tuple[Any, str, str]:
    """Return what to read, the filename and the content hash of one file to upload."""
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        digest = hashlib.sha256()
        try:
            if path.stat().st_size > _MAX_UPLOAD:
                raise ValidationError(f"file: {path} is larger than 5 GiB")
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        except OSError as error:
            raise ValidationError(f"file: cannot read {path}: {error.strerror}") from None
        return path, check_name(path.name, "filename"), digest.hexdigest()
    if isinstance(file, (bytes, bytearray, memoryview)):
        content = bytes(file)
        sha = hashlib.sha256(content).hexdigest()
        return content, f"{sha}.bin", sha
    content, name = _read_upload(file, None)
    return content, name, hashlib.sha256(content).hexdigest()


def _content(source: Any) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise ValidationError(f"file: cannot read {source}: {error.strerror}") from None


def _read_upload(
    file: Union[str, os.PathLike[str], bytes, IO[bytes]], filename: Optional[str]
) -> tuple[bytes, str]:
    if isinstance(file, (bytes, bytearray, memoryview)):
        content = bytes(file)
        name = filename
    elif isinstance(file, (str, os.PathLike)):
        path = Path(file)
        try:
            size = path.stat().st_size
            if size > _MAX_UPLOAD:
                raise ValidationError(f"file: {path} is larger than 5 GiB")
            content = path.read_bytes()
        except OSError as error:
            raise ValidationError(f"file: cannot read {path}: {error.strerror}") from None
        name = filename or path.name
    elif hasattr(file, "read"):
        data: Any = file.read()
        if isinstance(data, str):
            raise ValidationError("file: open the file in binary mode ('rb')")
        if not isinstance(data, bytes):
            raise ValidationError("file: read() did not return bytes")
        content = data
        name = filename or os.path.basename(str(getattr(file, "name", "") or "")) or None
    else:
        raise ValidationError(
            f"file: expected a path, bytes or a binary file object, got {type(file).__name__}"
        )
    if not name:
        raise ValidationError("filename: required when uploading bytes or an unnamed stream")
    return content, check_name(name, "filename")
