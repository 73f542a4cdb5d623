"""upload_artifact / get_all_artifact_meta / download_artifact over every storage kind: the
records are system attributes of the trial or study, so they outlive the process."""

from __future__ import annotations

import json

import pytest

import tftune
from tftune.artifacts import (
    ArtifactMeta,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from tftune.artifacts.exceptions import ArtifactNotFound
from tftune.exceptions import UpdateFinishedTrialError
from tftune.storages import JournalStorage
from tftune.storages.journal import JournalFileBackend


@pytest.fixture(params=["sqlite", "postgres", "journal"])
def reopen(request, tmp_path):
    """A function that opens the same persistent storage afresh (as a new process would)."""
    if request.param == "journal":
        path = str(tmp_path / "journal.log")
        return lambda: JournalStorage(JournalFileBackend(path))
    url = request.getfixturevalue(f"{request.param}_url")
    return lambda: tftune.storages.RDBStorage(url)


def test_records_survive_a_restart(reopen, tmp_path):
    store = FileSystemArtifactStore(tmp_path / "artifacts")
    model = tmp_path / "model.json"
    model.write_text('{"layers": 3}')
    study = tftune.create_study(study_name="s", storage=reopen())
    trial = study.ask()
    trial_artifact = upload_artifact(artifact_store=store, file_path=model, study_or_trial=trial)
    study.tell(trial, 0.5)
    study_artifact = upload_artifact(
        artifact_store=store, file_path=str(model), study_or_trial=study, mimetype="text/x-model"
    )

    again = tftune.load_study(study_name="s", storage=reopen())
    best = again.best_trial
    assert get_all_artifact_meta(best, storage=again.storage) == [
        ArtifactMeta(trial_artifact, "model.json", "application/json", None)
    ]
    assert get_all_artifact_meta(again) == [
        ArtifactMeta(study_artifact, "model.json", "text/x-model", None)
    ]
    # stored as Optuna stores it: a JSON string under "artifacts:<id>"
    record = json.loads(best.system_attrs[f"artifacts:{trial_artifact}"])
    assert record["filename"] == "model.json"
    out = tmp_path / "downloaded.json"
    download_artifact(artifact_store=store, file_path=str(out), artifact_id=trial_artifact)
    assert out.read_text() == '{"layers": 3}'


def test_encoding_and_type_are_guessed_unless_given(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "a")
    (tmp_path / "log.txt.gz").write_bytes(b"\x1f\x8b")
    (tmp_path / "blob").write_bytes(b"?")
    trial = tftune.create_study().ask()
    upload_artifact(artifact_store=store, file_path=tmp_path / "log.txt.gz", study_or_trial=trial)
    upload_artifact(
        artifact_store=store, file_path=tmp_path / "blob", study_or_trial=trial, encoding="br"
    )
    metas = get_all_artifact_meta(trial)
    assert [(m.mimetype, m.encoding) for m in metas] == [
        ("text/plain", "gzip"),
        ("application/octet-stream", "br"),
    ]


def test_a_frozen_trial_needs_its_storage(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "a")
    (tmp_path / "f").write_bytes(b"x")
    study = tftune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(ValueError, match="`storage` is required when `study_or_trial` is a "):
        get_all_artifact_meta(study.best_trial)
    with pytest.raises(ValueError, match="`storage` is required"):
        upload_artifact(
            artifact_store=store, file_path=tmp_path / "f", study_or_trial=study.best_trial
        )
    with pytest.raises(
        TypeError, match=r"`study_or_trial` must be a Study, Trial or FrozenTrial, got 'x'\."
    ):
        get_all_artifact_meta("x")  # type: ignore[arg-type]


def test_a_refused_record_leaves_no_orphan_file(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "a")
    (tmp_path / "f").write_bytes(b"x")
    study = tftune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(UpdateFinishedTrialError):
        upload_artifact(
            artifact_store=store,
            file_path=tmp_path / "f",
            study_or_trial=study.best_trial,
            storage=study.storage,
        )
    assert list((tmp_path / "a").iterdir()) == []


def test_download_never_overwrites_and_reports_missing_ids(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "a")
    (tmp_path / "f").write_bytes(b"x")
    artifact = upload_artifact(
        artifact_store=store, file_path=tmp_path / "f", study_or_trial=tftune.create_study()
    )
    with pytest.raises(FileExistsError, match="`file_path` already exists"):
        download_artifact(artifact_store=store, file_path=tmp_path / "f", artifact_id=artifact)
    with pytest.raises(ArtifactNotFound, match="'0000'"):
        download_artifact(artifact_store=store, file_path=tmp_path / "g", artifact_id="0000")
    assert not (tmp_path / "g").exists()
