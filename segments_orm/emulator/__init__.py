"""A faithful, stateful, local implementation of the Segments.ai REST API.

The emulator serves every endpoint of the API (:ref:`protocol-endpoints`) at the root of a
local URL, keeps its state in SQLite (``:memory:`` or a file) and answers with the
platform's shapes and DRF-style error bodies, so the platform's own client and segments_orm
both run against it with no account and no network::

    from segments_orm.emulator import EmulatorServer, Faults

    with EmulatorServer() as server:             # 127.0.0.1, a free port
        server.url, server.api_key               # root URL; the demo user's key
        john_key = server.emulator.add_user("john")
        server.emulator.add_organization("acme")
        server.emulator.add_member("acme", "john", role="admin")
        server.emulator.faults = Faults(error_rates={429: 0.1}, seed=7)

Accounts: a ``demo`` user and its key exist from the start; `Emulator.add_user`,
`Emulator.add_organization`, `Emulator.add_member` and `Emulator.issue_api_key` add more
(or a JSON seed file, see `Emulator.load_seed`). Requests authenticate with
``Authorization: APIKey <key>``: no key answers 401 "Authentication credentials were not
provided.", an unknown key 401 "Invalid token.".

Permissions on a dataset, by the caller's relation to it:

======================  ==========================================================
caller                  may
======================  ==========================================================
owner                   everything
organization admin      everything on the organization's datasets, and create them
collaborator ``admin``  everything except deleting the dataset
``manager``             read; update the dataset but not its ``public`` flag;
                        samples, labels, labelsets, releases and issues (create,
                        change, delete); read collaborators
``reviewer``            read; write labels, any status; create and update issues
``labeler``             as a reviewer, but no review status (REVIEWING_IN_PROGRESS,
                        REVIEWED, REJECTED, VERIFIED)
other org member        read the organization's datasets
anyone else             read public datasets; a private one is 404 Not found
no or unknown key       401
======================  ==========================================================

Cloning a public dataset is open to anyone who may read it; cloning a private one needs
the rank that may publish it (owner, organization admin, collaborator ``admin``). A
dataset's ``owner`` shows a user's email only to that user, as ``/users/{u}`` does.

A visible dataset the caller may not change answers 403 "You do not have permission to
perform this action.". Creating a dataset under an organization, directly or as a clone,
needs the organization admin role. Every authenticated user may read any user.

Releases are snapshotted when created and answered PENDING with no URL; the first read after
`Emulator.release_delay` seconds shows them SUCCEEDED, with ``attributes.url`` serving the
release file (:ref:`protocol-releases`) without auth (FAILED for point-cloud segmentation datasets).
Assets are uploaded through a presigned-style multipart POST to the emulator itself and
served back, without auth, at the asset URL.

Where the platform's behaviour is only inferred (:ref:`protocol-inferred`), the emulator
chooses:

- Creates answer 201, PUT of a label 201, reads and PATCHes 200, deletes 204 with no body,
  bulk delete 200 ``{"deleted_count": n}``; ``/api_status/`` answers 200 ``{}``.
- Pages: ``per_page`` up to 1000 (over it: 400 ``{"per_page": [...]}``; not a positive
  integer: the default 1000, as DRF does); a page past the end, below 1 or not a number is
  404 "Invalid page."; page 1 of nothing is ``[]``. Ties in any sort keep creation order.
- Sample filters: ``name__contains`` is case-sensitive; ``filters`` pairs are ANDed and
  compared as text, numbers or booleans, an item without a colon is ignored; ``label_status``
  values are ORed (case-insensitive) and ``UNLABELED`` means no label in the labelset asked
  for (ground-truth by default); an unknown status is a field-level 400, an unknown labelset
  has no labels, and an unknown sort key gives the default order.
- Labels are checked against their task type's shape: unknown top-level keys, missing
  required keys and wrong types are a 400 naming the path (``{"attributes": ["annotations[0]
  .points: ..."]}``); integers past 64 bits are refused in any stored document.
- Samples: names are unique per dataset (``add_sample`` of a taken name: 400 "Sample with this
  name already exists."; ``samples_bulk`` returns the existing sample unchanged, validates the
  whole batch first and writes all or nothing); attributes must carry the key of the
  dataset's task type (``image``, ``frames``, ``pcd`` or ``sensors``); assignees must exist.
- Labels: PUT replaces everything but ``created_at``/``created_by``; PATCH sets only the keys
  sent (``attributes`` as a whole); ``UNLABELED`` cannot be written; setting a review status
  records ``reviewed_at``/``reviewed_by``. Each PUT or PATCH records one workunit by the
  writer (``work_type`` "reviewing" for review statuses, else "labeling"; times are 0).
- The ground-truth labelset cannot be deleted; deleting a labelset deletes its labels.
- Clones copy settings, labelsets, samples (new uuids) and, when asked, labels; not
  collaborators, issues or releases. ``cloned_from`` is the source's full name.
- Collaborators: an unknown user is 400 ``{"user": ["Object with username=... does not
  exist."]}``; the owner or an organization "cannot be added as collaborator".
- NaN and Infinity in bodies are refused (400 "JSON parse error - ..."), as are bodies over
  32 MiB before or after gunzipping. Every request's cost is bounded (query parameters,
  JSON values and depth, bulk items, stored field and answer sizes, time holding the
  store); past a bound the 4xx body's ``"limit"`` names it.
- Injected errors answer 500 "A server error occurred.", 502 "502 Bad Gateway", 503 with
  ``Retry-After``, 504 "504 Gateway Time-out" and 429 with DRF's throttle phrase and
  ``Retry-After``.
"""

from __future__ import annotations

try:
    import waitress  # noqa: F401
    import werkzeug  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        f"The Segments.ai emulator needs {error.name}: pip install 'segments-orm[emulator]'"
    ) from error

from segments_orm.emulator._app import Emulator, StatsSnapshot
from segments_orm.emulator._faults import Faults
from segments_orm.emulator._inprocess import InProcessBackend
from segments_orm.emulator._server import EmulatorServer

__all__ = ["Emulator", "EmulatorServer", "Faults", "InProcessBackend", "StatsSnapshot"]
