"""What an artifact store offers: read, write and remove a file under an id."""

from __future__ import annotations

from typing import BinaryIO, Protocol


class ArtifactStore(Protocol):
    """An artifact store: any object with these three methods (Optuna's protocol)."""

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """A binary file object with the artifact's content (raise ``ArtifactNotFound``)."""
        ...

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store the content of ``content_body`` under ``artifact_id``."""
        ...

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact (raise ``ArtifactNotFound`` if there is none)."""
        ...
