"""optuna.artifacts: the names and calls of Optuna's artifact tutorial, with the import changed."""

from __future__ import annotations

import inspect
import os

import pytest

import tftune as optuna
from tftune.artifacts import (
    ArtifactMeta,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)

OPTUNA_NAMES = [
    "ArtifactMeta",
    "Backoff",
    "Boto3ArtifactStore",
    "FileSystemArtifactStore",
    "GCSArtifactStore",
    "download_artifact",
    "get_all_artifact_meta",
    "upload_artifact",
]


def test_public_names_and_exception():
    assert set(OPTUNA_NAMES) <= set(optuna.artifacts.__all__)
    from tftune.artifacts.exceptions import ArtifactNotFound

    assert issubclass(ArtifactNotFound, optuna.exceptions.OptunaError)


def test_keyword_only_signatures_as_documented():
    def keywords(function):
        return [
            (p.name, p.default)
            for p in inspect.signature(function).parameters.values()
            if p.kind == p.KEYWORD_ONLY
        ]

    assert keywords(upload_artifact) == [
        ("artifact_store", inspect.Parameter.empty),
        ("file_path", inspect.Parameter.empty),
        ("study_or_trial", inspect.Parameter.empty),
        ("storage", None),
        ("mimetype", None),
        ("encoding", None),
    ]
    assert [name for name, _ in keywords(download_artifact)] == [
        "artifact_store",
        "file_path",
        "artifact_id",
    ]
    assert keywords(get_all_artifact_meta) == [("storage", None)]
    assert list(inspect.signature(optuna.artifacts.Backoff).parameters) == [
        "backend",
        "max_retries",
        "multiplier",
        "min_delay",
        "max_delay",
    ]
    assert [f.name for f in __import__("dataclasses").fields(ArtifactMeta)] == [
        "artifact_id",
        "filename",
        "mimetype",
        "encoding",
    ]


def test_the_tutorials_flow(tmp_path):
    # Optuna's tutorial: upload from the objective, then fetch the best trial's artifacts.
    base_path = str(tmp_path / "artifacts")
    os.makedirs(base_path, exist_ok=True)
    artifact_store = FileSystemArtifactStore(base_path=base_path)
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'db.sqlite3'}")

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        file_path = str(tmp_path / f"x-{trial.number}.txt")
        with open(file_path, "w") as f:
            f.write(f"x = {x}")
        upload_artifact(artifact_store=artifact_store, file_path=file_path, study_or_trial=trial)
        return x**2

    study = optuna.create_study(study_name="tutorial", storage=storage)
    study.optimize(objective, n_trials=3)
    best = optuna.load_study(study_name="tutorial", storage=storage).best_trial
    (meta,) = get_all_artifact_meta(best, storage=storage)
    assert (meta.filename, meta.mimetype, meta.encoding) == (
        f"x-{best.number}.txt",
        "text/plain",
        None,
    )
    download_file_path = str(tmp_path / "best.txt")
    download_artifact(
        artifact_store=artifact_store,
        artifact_id=meta.artifact_id,
        file_path=download_file_path,
    )
    with open(download_file_path) as f:
        assert f.read() == f"x = {best.params['x']}"
    with artifact_store.open_reader(meta.artifact_id) as reader:
        assert reader.read() == f"x = {best.params['x']}".encode()
    artifact_store.remove(meta.artifact_id)
    with pytest.raises(optuna.artifacts.exceptions.ArtifactNotFound):
        artifact_store.open_reader(meta.artifact_id)


def test_loaded_lazily():
    import subprocess
    import sys

    code = (
        "import sys, tftune as optuna; before = 'tftune.artifacts' in sys.modules; "
        "optuna.artifacts.upload_artifact; print(before, 'tftune.artifacts' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
