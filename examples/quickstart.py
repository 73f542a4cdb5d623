"""Quickstart: tune a Keras network on scikit-learn's bundled breast-cancer data, stored in SQLite.

The search runs in ``tftune.db`` (the embedded default): run it again and it continues the same
study; inspect it with ``tftune trials quickstart``. Each trial trains on 80% of the training
data and is judged on the other 20% (validation accuracy); the best model is then scored once
on a held-out test set that no trial saw. The trials train in packs of 32 models fused into one
(the tuner's default for small models), so 64 trials take about as long as a few trained alone.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter out

import keras  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import tftune  # noqa: E402
from tftune.keras import Tuner  # noqa: E402

from _data import QUICK, breast_cancer  # noqa: E402


def build(trial: tftune.Trial) -> keras.Model:
    """The recipe's network, with its hyperparameters suggested by the trial."""
    model = keras.Sequential(
        [
            keras.layers.Dense(trial.suggest_int("units", 16, 128, log=True), activation="relu"),
            keras.layers.Dropout(trial.suggest_float("dropout_rate", 0.0, 0.5)),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(
            trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)
        ),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-trials", type=int, default=4 if QUICK else 64)
    parser.add_argument("--epochs", type=int, default=3 if QUICK else 10)
    parser.add_argument(
        "--storage", default=os.environ.get("TFTUNE_STORAGE", "sqlite:///tftune.db")
    )
    args = parser.parse_args()

    x, y, x_test, y_test = breast_cancer()
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=1
    )

    tftune.logging.set_verbosity(tftune.logging.WARNING)  # the progress bar says it all
    tuner = Tuner(
        build,
        objective="val_accuracy",
        storage=args.storage,
        directory="tftune_results",
        project_name="quickstart",
        sampler=tftune.samplers.RandomSampler(seed=0),
    )
    tuner.search(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=args.epochs,
        batch_size=32,
        n_trials=args.n_trials,
        show_progress_bar=True,
    )

    best = tuner.best_trial
    _, test_accuracy = tuner.best_model().evaluate(x_test, y_test, verbose=0)
    print(f"Study 'quickstart' in {args.storage}: {len(tuner.study.trials)} trials")
    print(f"Best trial #{best.number}: validation accuracy {best.value:.4f}")
    print(f"Best parameters: {best.params}")
    print(f"Held-out test accuracy of the best model: {test_accuracy:.4f}")


if __name__ == "__main__":
    main()
