"""The tiny Keras search the Ray scenario scripts run (keras_scenarios.py, weights_scenarios.py):
its data, its build function and its tuner, in one place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import tftune
from tftune.keras import Tuner
from tftune.samplers import RandomSampler


def data(n: int = 256, *, features: int = 6, seed: int = 0) -> tuple[np.ndarray, ...]:
    """A noisy linear regression: ``x, y, x_val, y_val`` (a quarter held out)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x @ rng.normal(size=(features, 1)) + 0.1 * rng.normal(size=(n, 1))).astype("float32")
    cut = int(0.75 * n)
    return x[:cut], y[:cut], x[cut:], y[cut:]


def build(trial: tftune.Trial) -> Any:
    """A one-hidden-layer network; records where it was built (``pid``, ``tmp``)."""
    import keras

    trial.set_user_attr("pid", os.getpid())
    trial.set_user_attr("tmp", tempfile.gettempdir())
    units = trial.suggest_int("units", 4, 16)
    rate = trial.suggest_float("lr", 1e-3, 3e-2, log=True)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="mse")
    return model


def tuner(directory: Path, project_name: str, *, seed: int, **options: Any) -> Tuner:
    """A tuner of :func:`build` minimising ``val_loss``, with a seeded random sampler."""
    options.setdefault("pack_size", 4)
    return Tuner(
        options.pop("build", build),
        objective="val_loss",
        directory=directory,
        project_name=project_name,
        sampler=RandomSampler(seed=seed),
        **options,
    )


def search_on_ray(tuned: Tuner, arrays: tuple[np.ndarray, ...], **options: Any) -> None:
    """``tuned.search`` on Ray, two packs at once, validated on the held-out quarter."""
    x, y, x_val, y_val = arrays
    options.setdefault("n_jobs", 2)
    tuned.search(x, y, validation_data=(x_val, y_val), backend="ray", **options)
