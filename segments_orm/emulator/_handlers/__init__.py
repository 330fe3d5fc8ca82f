"""The endpoint handlers of WIRE.md section 2, and the one permission check they share.

A handler takes the request's `Ctx` and returns ``(status, json_body)``; ``None`` as the body
means an empty answer (the 204s of DELETE). It raises `ApiError` for anything else. Handlers
run inside the request's transaction, so raising after a write undoes the write.

One module per resource; this package re-exports the handlers the route table names.
"""

from __future__ import annotations

from segments_orm.emulator._handlers._common import (
    ADMIN,
    LABELER,
    MANAGER,
    OWNER,
    READER,
    Reply,
    authorize,
)
from segments_orm.emulator._handlers.assets import (
    AWS_FIELDS,
    add_asset,
    content_type_for,
    get_object,
    upload_object,
)
from segments_orm.emulator._handlers.collaborators import (
    add_collaborator,
    delete_collaborator,
    get_collaborator,
    update_collaborator,
)
from segments_orm.emulator._handlers.datasets import (
    DATASET_DEFAULTS,
    add_my_dataset,
    add_org_dataset,
    clone_dataset,
    delete_dataset,
    get_dataset,
    list_my_datasets,
    list_user_datasets,
    update_dataset,
)
from segments_orm.emulator._handlers.issues import (
    add_issue,
    delete_issue,
    get_issue,
    list_issues,
    update_issue,
)
from segments_orm.emulator._handlers.labels import delete_label, get_label, patch_label, put_label
from segments_orm.emulator._handlers.labelsets import (
    add_labelset,
    delete_labelset,
    get_labelset,
    list_labelsets,
)
from segments_orm.emulator._handlers.releases import (
    add_release,
    delete_release,
    get_release,
    list_releases,
    release_file,
)
from segments_orm.emulator._handlers.samples import (
    add_sample,
    add_samples,
    delete_sample,
    delete_samples,
    get_sample,
    list_samples,
    update_sample,
)
from segments_orm.emulator._handlers.users import api_status, get_me, get_user
from segments_orm.emulator._handlers.workunits import list_workunits

__all__ = [
    "ADMIN",
    "AWS_FIELDS",
    "DATASET_DEFAULTS",
    "LABELER",
    "MANAGER",
    "OWNER",
    "READER",
    "Reply",
    "add_asset",
    "add_collaborator",
    "add_issue",
    "add_labelset",
    "add_my_dataset",
    "add_org_dataset",
    "add_release",
    "add_sample",
    "add_samples",
    "api_status",
    "authorize",
    "clone_dataset",
    "content_type_for",
    "delete_collaborator",
    "delete_dataset",
    "delete_issue",
    "delete_label",
    "delete_labelset",
    "delete_release",
    "delete_sample",
    "delete_samples",
    "get_collaborator",
    "get_dataset",
    "get_issue",
    "get_label",
    "get_labelset",
    "get_me",
    "get_object",
    "get_release",
    "get_sample",
    "get_user",
    "list_issues",
    "list_labelsets",
    "list_my_datasets",
    "list_releases",
    "list_samples",
    "list_user_datasets",
    "list_workunits",
    "patch_label",
    "put_label",
    "release_file",
    "update_collaborator",
    "update_dataset",
    "update_issue",
    "update_sample",
    "upload_object",
]
