"""A short RSS check of tftune's Keras tuner: growth over N sequential trials (default 40).

Used to confirm the fix of TensorFlow's per-model gradient registry entries (see
src/tftune/keras/_memory.py) after the full memory run in results/keras_front_door.md.
Run: .venv/bin/python benchmarks/keras_memory_check.py [N]
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import tftune  # noqa: E402
from tftune.keras import Tuner  # noqa: E402


def build(trial):
    model = keras.Sequential(
        [
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(trial.suggest_float("dropout", 0, 0.5)),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        keras.optimizers.Adam(trial.suggest_float("lr", 1e-4, 1e-1, log=True)),
        "binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def main() -> None:
    n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    tftune.logging.set_verbosity(logging.WARNING)
    x, y = load_breast_cancer(return_X_y=True)
    x = StandardScaler().fit_transform(x).astype("float32")
    tuner = Tuner(build, objective="val_accuracy", directory=tempfile.mkdtemp())
    fit = dict(validation_data=(x[455:], y[455:]), epochs=2)
    tuner.search(x[:455], y[:455], n_trials=10, **fit)  # warm
    before = rss_mb()
    tuner.search(x[:455], y[:455], n_trials=n_trials, **fit)
    growth = rss_mb() - before
    print(
        f"RSS growth over {n_trials} trials after 10 warm ones: {growth:.1f} MB "
        f"({growth / n_trials:.2f} MB/trial)"
    )


if __name__ == "__main__":
    main()
