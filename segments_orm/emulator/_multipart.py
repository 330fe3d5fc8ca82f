"""The emulator's parser of ``multipart/form-data`` bodies (the presigned asset uploads).

werkzeug's streaming parser compiles two regular expressions for every boundary it
meets, and every upload has a boundary of its own: that compiling was half of the
emulator's time per upload. The body is already whole in memory here (bounded by the
body limit), so it is split at the boundary instead, with the same results: fields
decoded as werkzeug does, files as `FileStorage`, at most ``max_form_parts`` parts, and a
malformed body read as an empty form (the handler then refuses it).
"""

from __future__ import annotations

import io
import re
from typing import IO, Any, Optional

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import HEADER_CONTINUATION_RE

__all__ = ["WholeBodyFormParser"]

_CHARSETS = {"ascii", "us-ascii", "utf-8", "iso-8859-1"}  # werkzeug's safe list
# What clients send: form-data; name="..." and maybe ; filename="...", with nothing to
# unquote (no backslash, no %-escape); anything else takes werkzeug's general parser.
_SIMPLE_DISPOSITION = re.compile(r'form-data; name="([^"\\%]*)"(?:; filename="([^"\\%]*)")?\Z')


def _disposition(header: str) -> tuple[str, Optional[str]]:
    """Return a part's name and filename (None: a field) from its Content-Disposition."""
    simple = _SIMPLE_DISPOSITION.match(header)
    if simple is not None:
        return simple.group(1), simple.group(2)
    _, options = parse_options_header(header)  # the general form: escapes, RFC 2231...
    return options.get("name", ""), options.get("filename")


def _headers(block: bytes) -> Headers:
    """Return a part's headers as werkzeug reads them (UTF-8, folded lines joined)."""
    if b"\n " in block or b"\n\t" in block:
        block = HEADER_CONTINUATION_RE.sub(b" ", block)
    pairs = []
    for line in block.splitlines():
        line = line.strip(b" \t")
        if line:
            name, _, value = line.decode().partition(":")  # not UTF-8: a ValueError
            pairs.append((name.strip(" \t"), value.strip(" \t")))
    return Headers(pairs)


class WholeBodyFormParser(FormDataParser):
    """A `FormDataParser` whose multipart parsing splits the whole body at its boundary."""

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: Optional[int],
        options: dict[str, str],
    ) -> tuple[IO[bytes], MultiDict[str, Any], MultiDict[str, Any]]:
        boundary = options.get("boundary", "").encode("ascii", "replace")
        if not boundary:
            raise ValueError("Missing boundary")
        delimiter = b"\r\n--" + boundary
        # A leading line break makes the first delimiter look like every other one.
        pieces = (b"\r\n" + stream.read()).split(delimiter)
        parts: list[bytes] = []
        closed = False
        for piece in pieces[1:]:  # pieces[0] is the preamble
            if piece.startswith(b"--"):
                closed = True  # the close delimiter; what follows is the epilogue
                break
            if piece.lstrip(b" \t").startswith(b"\r\n"):
                parts.append(piece)
            elif parts:
                # The boundary followed by something else is not a delimiter: content.
                parts[-1] += delimiter + piece
        if not closed:
            raise ValueError("The body ends before its close delimiter")
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, FileStorage]] = []
        for part in parts:
            if self.max_form_parts is not None and len(fields) + len(files) >= self.max_form_parts:
                raise RequestEntityTooLarge()
            head, separator, content = part.partition(b"\r\n\r\n")
            if not separator:
                raise ValueError("A part has no end of headers")
            headers = _headers(head.partition(b"\r\n")[2])
            name, filename = _disposition(headers.get("content-disposition", ""))
            if filename is not None:
                stored = FileStorage(io.BytesIO(content), filename, name, headers=headers)
                files.append((name, stored))
                continue
            if self.max_form_memory_size is not None and len(content) > self.max_form_memory_size:
                raise RequestEntityTooLarge()
            charset = "utf-8"
            content_type = headers.get("content-type")
            if content_type and "charset" in content_type:
                given = parse_options_header(content_type)[1].get("charset", "").lower()
                charset = given if given in _CHARSETS else "utf-8"
            fields.append((name, content.decode(charset, "replace")))
        return stream, self.cls(fields), self.cls(files)
