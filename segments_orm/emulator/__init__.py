"""A faithful, stateful, local implementation of the Segments.ai REST API.

The emulator serves every endpoint of WIRE.md section 2 at the root of a local URL, keeps its
state in SQLite (``:memory:`` or a file) and answers with the platform's shapes and
DRF-style error bodies, so the platform's own client and segments_orm both run against it
with no account and no network::

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
``manager``             read; update the dataset; samples, labels, labelsets,
                        releases and issues (create, change, delete); read
                        collaborators
``reviewer``,           read; write labels; create and update issues
``labeler``
other org member        read the organization's datasets
anyone else             read public datasets; a private one is 404 Not found
no or unknown key       401
======================  ==========================================================

A visible dataset the caller may not change answers 403 "You do not have permission to
perform this action.". Creating a dataset under an organization, directly or as a clone,
needs the organization admin role. Every authenticated user may read any user.

Releases are snapshotted when created and answered PENDING with no URL; the first read after
`Emulator.release_delay` seconds shows them SUCCEEDED, with ``attributes.url`` serving the
release file of WIRE.md 13.3 without auth (FAILED for point-cloud segmentation datasets).
Assets are uploaded through a presigned-style multipart POST to the emulator itself and
served back, without auth, at the asset URL.
"""

from __future__ import annotations

try:
    import werkzeug  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "The Segments.ai emulator needs werkzeug: pip install 'segments-orm[emulator]'"
    ) from error

from segments_orm.emulator._app import Emulator, StatsSnapshot
from segments_orm.emulator._faults import Faults
from segments_orm.emulator._server import EmulatorServer

__all__ = ["Emulator", "EmulatorServer", "Faults", "StatsSnapshot"]
