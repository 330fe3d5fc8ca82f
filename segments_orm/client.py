"""The `Client`: configuration, the shared transport, and the root managers."""

from __future__ import annotations

import os
import threading
import warnings
from types import TracebackType
from typing import Any, Optional

from segments_orm._backend import Backend
from segments_orm._transport import PROTOCOL_VERSION, RetryPolicy, Timeout, Transport
from segments_orm._urls import DEFAULT_API_URL, ApiUrl
from segments_orm.exceptions import (
    AuthenticationError,
    NetworkError,
    SegmentsError,
    ValidationError,
)
from segments_orm.resources import (
    AssetManager,
    Dataset,
    DatasetManager,
    SampleLookup,
    UserManager,
)

__all__ = ["Client"]

_DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 60.0)


def _check_api_key(api_key: object) -> str:
    # The message never repeats the key: it may be a real key pasted in the wrong place.
    if api_key is None:
        api_key = ""  # not given and not in the environment: the "No API key" message
    if not isinstance(api_key, str):
        raise AuthenticationError(
            f"api_key: expected a string, got {type(api_key).__name__}. "
            "Pass api_key=... or set the SEGMENTS_API_KEY environment variable."
        )
    if not api_key.strip():
        raise AuthenticationError(
            "No API key: pass api_key=... or set the SEGMENTS_API_KEY environment variable "
            "(find your key in the Segments.ai web app under Account > API keys)."
        )
    if any(c.isspace() or not c.isprintable() for c in api_key):
        raise AuthenticationError(
            "api_key: the key contains spaces or control characters; check for a stray "
            "newline or quote from copying it."
        )
    if not api_key.isascii():
        # An HTTP header cannot carry it; typically a "smart" quote pasted with the key.
        raise AuthenticationError(
            "api_key: the key contains a character that is not ASCII (a typographic quote "
            "copied with it?); API keys are plain letters and digits."
        )
    return api_key


class Client:
    """A connection to the Segments.ai API, and the root of every object you get from it.

    Constructing a client makes no request and prints nothing.

    Args:
        api_key: Your API key. Defaults to the ``SEGMENTS_API_KEY`` environment variable.
        api_url: The API's root URL. Defaults to ``SEGMENTS_API_URL``, then
            ``https://api.segments.ai/``. A path prefix (``http://host/api/``) is kept.
        timeout: Seconds to connect and to read, as a ``(connect, read)`` pair or one number.
        retry: When and how to retry; `RetryPolicy()` by default, `RetryPolicy.none()` to
            turn retries off.
        max_workers: Threads for bulk operations (also the size of the connection pool).
        allow_insecure_http: Permit a plain ``http://`` URL to a host other than this
            machine, sending the key unencrypted.
        backend: What carries the requests: HTTP through ``requests`` by default, or any
            object with the `segments_orm.Backend` methods, such as
            `segments_orm.emulator.InProcessBackend` (the emulator, called in-process).
            Timeouts, retries, rate-limit waits and error mapping apply to every backend.

    Raises:
        AuthenticationError: There is no API key.
        ValidationError: An argument is invalid (a malformed URL, a zero timeout, ...).

    Example:
        >>> with Client(api_key=key, api_url=url) as client:  # doctest: +SKIP
        ...     dataset = client.datasets.get("jane/flowers")
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        api_url: Optional[str] = None,
        *,
        timeout: Timeout = _DEFAULT_TIMEOUT,
        retry: Optional[RetryPolicy] = None,
        max_workers: int = 8,
        allow_insecure_http: bool = False,
        backend: Optional[Backend] = None,
    ) -> None:
        key = _check_api_key(api_key if api_key is not None else os.environ.get("SEGMENTS_API_KEY"))
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ValidationError(f"max_workers: expected an integer >= 1, got {max_workers!r}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ValidationError(f"retry: expected a RetryPolicy, got {type(retry).__name__}")
        if not isinstance(allow_insecure_http, bool):
            raise ValidationError(
                f"allow_insecure_http: expected True or False, got {allow_insecure_http!r}"
            )
        if backend is not None and not isinstance(backend, Backend):
            raise ValidationError(
                f"backend: expected an object with send() and close(), got {type(backend).__name__}"
            )
        # An explicit api_url is checked as given: api_url="" or 0 is a mistake, not a
        # request for the default URL (the key would go to the real platform).
        if api_url is None:
            api_url = os.environ.get("SEGMENTS_API_URL") or DEFAULT_API_URL
        self.api_url = ApiUrl(api_url, allow_insecure_http=allow_insecure_http)
        self.max_workers = max_workers
        self._transport = Transport(
            key,
            self.api_url,
            timeout=timeout,
            retry=retry,
            pool_size=max_workers + 2,
            backend=backend,
        )
        self._init_managers()

    def _init_managers(self) -> None:
        self.datasets = DatasetManager(self)
        """Your datasets: iterate, ``filter(owner=...)``, ``get("owner/name")``, ``create(...)``."""
        self.samples = SampleLookup(self)
        """Samples by uuid, whatever their dataset: ``get(uuid)``."""
        self.users = UserManager(self)
        """Users: ``me()``, ``get(username)``."""
        self.assets = AssetManager(self)
        """Uploads: ``upload(path_or_bytes_or_file)``."""
        self._shells: dict[str, Dataset] = {}
        self._shells_lock = threading.Lock()

    def _dataset_shell(self, full_name: str) -> Dataset:
        """Return one shared lazy `Dataset` per full name (it loads itself at most once).

        Samples fetched on their own use it to learn their dataset's task type and
        categories, which their writes are checked against.
        """
        with self._shells_lock:
            shell = self._shells.get(full_name)
            if shell is None:
                shell = self.datasets.get(full_name, lazy=True)
                self._shells[full_name] = shell
            return shell

    def _forget_dataset(self, full_name: Optional[str], fresh: Optional[Dataset] = None) -> None:
        """Drop the shared copy of a dataset that was changed, unless it is ``fresh``."""
        if full_name is None:
            return
        with self._shells_lock:
            if self._shells.get(full_name) is not fresh:
                self._shells.pop(full_name, None)

    @property
    def transport(self) -> Transport:
        """The transport every request of this client goes through (its policy, its backend)."""
        return self._transport

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.api_url.root}>"

    def __reduce__(self) -> Any:
        # A client holds a session, threads' locks and the API key: none may be pickled.
        raise SegmentsError(
            f"A {type(self).__name__} cannot be pickled; create one in each process "
            "(objects it returned can be pickled and re-attached with obj.bind(client))"
        )

    def __dir__(self) -> list[str]:
        # Tab completion shows the managers and methods, not internals.
        return sorted(n for n in object.__dir__(self) if not n.startswith("_"))

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections of this client. Objects it returned can no longer fetch."""
        self._transport.close()

    def ping(self) -> dict[str, Any]:
        """Check that the API answers and accepts the key.

        Network: one request (``GET /api_status/``).

        Returns:
            The status object the API sent (``{}`` when it sent nothing).

        Raises:
            AuthenticationError: The key was refused.
            NetworkError: The API could not be reached.
        """
        url = self.api_url.endpoint("api_status/", query={"lib_version": PROTOCOL_VERSION})
        try:
            answer = self._transport.request("GET", url, expect="optional")
        except NetworkError as error:
            if error.status_code == 426:
                warnings.warn(
                    "The API says this protocol version is outdated; upgrade segments-orm "
                    "(pip install --upgrade segments-orm).",
                    stacklevel=2,
                )
                return {}
            raise
        return answer if isinstance(answer, dict) else {}


def __getattr__(name: str) -> Any:
    # ``from segments_orm.client import SegmentsClient``, the platform's import path. The
    # facade is built on Client (it imports this module), so it is looked up on demand.
    if name == "SegmentsClient":
        from segments_orm.facade import SegmentsClient

        return SegmentsClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
