"""The resources of the API, one module each, and their managers."""

from segments_orm.resources.asset import Asset, AssetManager
from segments_orm.resources.collaborator import Collaborator, CollaboratorManager
from segments_orm.resources.dataset import Dataset, DatasetManager, Owner
from segments_orm.resources.issue import DatasetIssueManager, Issue, SampleIssueManager
from segments_orm.resources.label import DatasetLabelManager, Label, LabelManager
from segments_orm.resources.labelset import Labelset, LabelsetManager
from segments_orm.resources.release import Release, ReleaseFailedError, ReleaseManager
from segments_orm.resources.sample import (
    LabelSummary,
    Sample,
    SampleLookup,
    SampleManager,
    SampleQuerySet,
)
from segments_orm.resources.user import User, UserManager
from segments_orm.resources.workunit import Workunit, WorkunitManager

__all__ = [
    "Asset",
    "AssetManager",
    "Collaborator",
    "CollaboratorManager",
    "Dataset",
    "DatasetIssueManager",
    "DatasetLabelManager",
    "DatasetManager",
    "Issue",
    "Label",
    "LabelManager",
    "LabelSummary",
    "Labelset",
    "LabelsetManager",
    "Owner",
    "Release",
    "ReleaseFailedError",
    "ReleaseManager",
    "Sample",
    "SampleIssueManager",
    "SampleLookup",
    "SampleManager",
    "SampleQuerySet",
    "User",
    "UserManager",
    "Workunit",
    "WorkunitManager",
]
