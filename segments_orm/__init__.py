"""segments-orm: an object-style, lazy, typed SDK for the Segments.ai platform.

>>> import segments_orm as so
>>> client = so.Client()                      # doctest: +SKIP
>>> dataset = client.datasets.get("jane/flowers")  # doctest: +SKIP
"""

from segments_orm._backend import Backend, BackendRequest, BackendResponse, ConnectionFailed
from segments_orm._concurrency import BulkError, BulkResult
from segments_orm._pipeline import BulkInterrupted, BulkResults, Outcome
from segments_orm._transport import RetryPolicy
from segments_orm._version import __version__
from segments_orm.client import Client
from segments_orm.enums import (
    Category,
    IssueStatus,
    LabelStatus,
    ReleaseStatus,
    Role,
    Subscription,
    TaskType,
)
from segments_orm.exceptions import (
    AlreadyExistsError,
    APILimitError,
    AuthenticationError,
    AuthorizationError,
    BadRequestError,
    CollaboratorError,
    LabelProtectedError,
    MissingContextError,
    MissingDependencyError,
    MultipleObjectsReturned,
    NetworkError,
    NotFoundError,
    NotLoadedError,
    SegmentsError,
    ServerError,
    SubscriptionError,
    TimeoutError,
    ValidationError,
)
from segments_orm.facade import SegmentsClient
from segments_orm.query import QuerySet
from segments_orm.resources import (
    Asset,
    Collaborator,
    Dataset,
    Issue,
    Label,
    Labelset,
    LabelSummary,
    Owner,
    Release,
    ReleaseFailedError,
    Sample,
    User,
    Workunit,
)

__all__ = [
    "APILimitError",
    "AlreadyExistsError",
    "Asset",
    "AuthenticationError",
    "AuthorizationError",
    "Backend",
    "BackendRequest",
    "BackendResponse",
    "BadRequestError",
    "BulkError",
    "BulkInterrupted",
    "BulkResult",
    "BulkResults",
    "Category",
    "Client",
    "Collaborator",
    "CollaboratorError",
    "ConnectionFailed",
    "Dataset",
    "Issue",
    "IssueStatus",
    "Label",
    "LabelProtectedError",
    "LabelStatus",
    "LabelSummary",
    "Labelset",
    "MissingContextError",
    "MissingDependencyError",
    "MultipleObjectsReturned",
    "NetworkError",
    "NotFoundError",
    "NotLoadedError",
    "Outcome",
    "Owner",
    "QuerySet",
    "Release",
    "ReleaseFailedError",
    "ReleaseStatus",
    "RetryPolicy",
    "Role",
    "Sample",
    "SegmentsClient",
    "SegmentsError",
    "ServerError",
    "Subscription",
    "SubscriptionError",
    "TaskType",
    "TimeoutError",
    "User",
    "ValidationError",
    "Workunit",
    "__version__",
]
