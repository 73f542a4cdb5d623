"""Artifacts as files in one directory (local disk or a shared file system)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from tftune.artifacts.exceptions import ArtifactNotFound


class FileSystemArtifactStore:
    """Each artifact is the file ``base_path / artifact_id``.

    An id must name a file inside ``base_path`` (``"models/best.keras"`` is fine): an absolute
    path, or ``..`` or a link that leads out of it, is refused (``ValueError``), so an id read
    from a shared database cannot reach other files.
    A write goes to a temporary file first and is renamed into place, so a reader never sees a
    half-written artifact. ``base_path`` is created on the first write.
    """

    def __init__(self, base_path: str | os.PathLike[str]) -> None:
        if not isinstance(base_path, (str, os.PathLike)):
            raise TypeError(f"`base_path` must be a str or a path, got {base_path!r}.")
        self._base_path = Path(base_path)

    @property
    def base_path(self) -> Path:
        """The directory that holds the artifacts."""
        return self._base_path

    def _path(self, artifact_id: str) -> Path:
        if not isinstance(artifact_id, str) or not artifact_id or "\x00" in artifact_id:
            raise ValueError(f"`artifact_id` must be a non-empty str, got {artifact_id!r}.")
        base = os.path.realpath(self._base_path)
        path = os.path.realpath(os.path.join(base, artifact_id))
        if os.path.isabs(artifact_id) or path == base or os.path.commonpath([base, path]) != base:
            raise ValueError(
                f"`artifact_id` must name a file inside {str(self._base_path)!r}, "
                f"got {artifact_id!r}."
            )
        return Path(path)

    def open_reader(self, artifact_id: str) -> BinaryIO:
        path = self._path(artifact_id)
        try:
            return open(path, "rb")
        except FileNotFoundError as e:
            raise ArtifactNotFound(
                f"No artifact with id {artifact_id!r} in {str(path.parent)!r}."
            ) from e

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        path = self._path(artifact_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as f:
                shutil.copyfileobj(content_body, f)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise

    def remove(self, artifact_id: str) -> None:
        path = self._path(artifact_id)
        try:
            os.remove(path)
        except FileNotFoundError as e:
            raise ArtifactNotFound(
                f"No artifact with id {artifact_id!r} in {str(path.parent)!r}."
            ) from e
