"""Files that belong to a trial or a study (a trained Keras model, a plot), with Optuna's API.

The file goes to an artifact store (``FileSystemArtifactStore`` here; ``Boto3ArtifactStore``
and ``GCSArtifactStore`` when boto3 or google-cloud-storage is installed; ``Backoff`` retries
any of them); its record (id, file name, MIME type, encoding) is a system attribute of the
trial or study, so it lives in the study's storage (SQLite, PostgreSQL, journal) and survives
restarts. Keep the store's location yourself: the storage does not record it.
"""

from tftune.artifacts._backoff import Backoff
from tftune.artifacts._cloud import Boto3ArtifactStore, GCSArtifactStore
from tftune.artifacts._filesystem import FileSystemArtifactStore
from tftune.artifacts._meta import (
    ArtifactMeta,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from tftune.artifacts._protocol import ArtifactStore

__all__ = [
    "ArtifactMeta",
    "ArtifactStore",
    "Backoff",
    "Boto3ArtifactStore",
    "FileSystemArtifactStore",
    "GCSArtifactStore",
    "download_artifact",
    "get_all_artifact_meta",
    "upload_artifact",
]
