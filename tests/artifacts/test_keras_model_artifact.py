"""The README's recipe: each trial saves its Keras model as an artifact; afterwards the best
trial's model is downloaded and loaded, and predicts as it did in its trial."""

from __future__ import annotations

import numpy as np

import tftune
from tftune.artifacts import (
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)


def test_best_trials_keras_model_round_trips(tmp_path):
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32"))[:, None]
    probe = x[:3]
    store = FileSystemArtifactStore(tmp_path / "artifacts")

    def objective(trial):
        keras.utils.set_random_seed(trial.number)
        model = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(trial.suggest_int("units", 2, 8)),
                keras.layers.Dense(1),
            ]
        )
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
        history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
        path = tmp_path / f"trial-{trial.number}.keras"
        model.save(path)
        upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial)
        trial.set_user_attr("probe", model.predict(probe, verbose=0).ravel().tolist())
        return history.history["loss"][-1]

    study = tftune.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")
    study.optimize(objective, n_trials=2)

    best = study.best_trial
    (meta,) = get_all_artifact_meta(best, storage=study.storage)
    assert meta.filename == f"trial-{best.number}.keras"
    local = tmp_path / "best.keras"
    download_artifact(artifact_store=store, file_path=local, artifact_id=meta.artifact_id)
    loaded = keras.models.load_model(local)
    np.testing.assert_allclose(
        loaded.predict(probe, verbose=0).ravel(), best.user_attrs["probe"], rtol=1e-5, atol=1e-6
    )
