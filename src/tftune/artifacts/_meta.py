"""Upload, list and download artifacts; their records are system attributes of the trial or
study (``"artifacts:<id>"``, a JSON string, where Optuna keeps them), in the study's storage."""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from tftune.artifacts._protocol import ArtifactStore

if TYPE_CHECKING:
    from tftune.storages import BaseStorage
    from tftune.study import Study
    from tftune.trial import FrozenTrial, Trial

    StudyOrTrial = Study | Trial | FrozenTrial

ARTIFACTS_ATTR_PREFIX = "artifacts:"
DEFAULT_MIME_TYPE = "application/octet-stream"


@dataclass
class ArtifactMeta:
    """What is known of an uploaded file: its id in the store, its file name, MIME type and
    content encoding (``"gzip"``, or None)."""

    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None


def _owner(study_or_trial: Any, storage: BaseStorage | None) -> tuple[BaseStorage, str, int]:
    """The storage, ``"trial"`` or ``"study"``, and the id of what the artifact belongs to."""
    from tftune.study import Study
    from tftune.trial import FrozenTrial, Trial

    if isinstance(study_or_trial, Study):
        return storage or study_or_trial.storage, "study", study_or_trial.study_id
    if isinstance(study_or_trial, Trial):
        return storage or study_or_trial.study.storage, "trial", study_or_trial.trial_id
    if isinstance(study_or_trial, FrozenTrial):
        if storage is None:
            raise ValueError("`storage` is required when `study_or_trial` is a FrozenTrial.")
        return storage, "trial", study_or_trial.trial_id
    raise TypeError(
        f"`study_or_trial` must be a Study, Trial or FrozenTrial, got {study_or_trial!r}."
    )


def upload_artifact(
    *,
    artifact_store: ArtifactStore,
    file_path: str | os.PathLike[str],
    study_or_trial: StudyOrTrial,
    storage: BaseStorage | None = None,
    mimetype: str | None = None,
    encoding: str | None = None,
) -> str:
    """Store the file in ``artifact_store`` and record it on the trial or study; returns the new
    artifact's id. ``storage`` is needed only for a FrozenTrial; MIME type and encoding are
    guessed from the file name unless given. The file is written before it is recorded, so a
    record never names a missing artifact. A finished trial cannot take new records (its
    storage refuses); upload to the study then, or from inside the objective."""
    target_storage, kind, target_id = _owner(study_or_trial, storage)
    filename = os.path.basename(os.fspath(file_path))
    guessed_type, guessed_encoding = mimetypes.guess_type(filename)
    meta = ArtifactMeta(
        artifact_id=str(uuid.uuid4()),
        filename=filename,
        mimetype=mimetype or guessed_type or DEFAULT_MIME_TYPE,
        encoding=encoding or guessed_encoding,
    )
    with open(file_path, "rb") as f:
        artifact_store.write(meta.artifact_id, f)
    key, record = ARTIFACTS_ATTR_PREFIX + meta.artifact_id, json.dumps(asdict(meta))
    try:
        if kind == "trial":
            target_storage.set_trial_system_attr(target_id, key, record)
        else:
            target_storage.set_study_system_attr(target_id, key, record)
    except BaseException:
        artifact_store.remove(meta.artifact_id)
        raise
    return meta.artifact_id


def get_all_artifact_meta(
    study_or_trial: StudyOrTrial, *, storage: BaseStorage | None = None
) -> list[ArtifactMeta]:
    """The artifacts recorded on the trial or study (a study's own, not its trials'), in
    upload order."""
    target_storage, kind, target_id = _owner(study_or_trial, storage)
    attrs = (
        target_storage.get_trial_system_attrs(target_id)
        if kind == "trial"
        else target_storage.get_study_system_attrs(target_id)
    )
    metas = []
    for key, value in attrs.items():
        if key.startswith(ARTIFACTS_ATTR_PREFIX):
            record = json.loads(value) if isinstance(value, str) else value
            metas.append(
                ArtifactMeta(
                    artifact_id=record["artifact_id"],
                    filename=record["filename"],
                    mimetype=record["mimetype"],
                    encoding=record["encoding"],
                )
            )
    return metas


def download_artifact(
    *, artifact_store: ArtifactStore, file_path: str | os.PathLike[str], artifact_id: str
) -> None:
    """Copy the artifact to ``file_path``, which must not exist yet (``FileExistsError``)."""
    if os.path.exists(file_path):
        raise FileExistsError(f"`file_path` already exists: {os.fspath(file_path)!r}.")
    with artifact_store.open_reader(artifact_id) as reader, open(file_path, "xb") as writer:
        shutil.copyfileobj(reader, writer)
