"""Assets: files uploaded to the platform's storage, referenced by URL in samples."""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
from pathlib import Path
from typing import IO, Any, Optional, Union

from segments_orm.base import Resource, field, resource
from segments_orm.exceptions import SegmentsError, ValidationError
from segments_orm.resources._checks import check_name

__all__ = ["Asset", "AssetManager"]

_MAX_UPLOAD = 5 * 1024**3  # S3's limit for one presigned POST


@resource
class Asset(Resource):
    """An uploaded file. Read-only; use ``url`` in sample attributes."""

    uuid: Optional[str] = field(read_only=True)
    filename: Optional[str] = field(read_only=True, show=True)
    url: Optional[str] = field(read_only=True)
    created_at: Optional[dt.datetime] = field(read_only=True)
    presigned_post_fields: Optional[dict[str, Any]] = field(
        wire="presignedPostFields", read_only=True
    )

    def _identity(self) -> tuple[Any, ...]:
        return (self.uuid,)

    def save(self) -> Asset:
        """Refuse: assets are read-only."""
        raise ValidationError("Assets are read-only")

    def delete(self) -> None:
        """Refuse: the API cannot delete assets."""
        raise ValidationError("The API cannot delete assets")

    def refresh(self) -> Asset:
        """Refuse: the API has no request for one asset."""
        raise ValidationError("The API has no request for one asset")

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
