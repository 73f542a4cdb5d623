"""The Keras task of the multi-objective benchmark: a digits MLP, trained in fused packs.

Data: scikit-learn's ``load_digits`` (1,797 8x8 images) scaled to [0, 1], a stratified 80/20
train/validation split with ``random_state=0``. Model: ``Dense(units1, relu) -> Dense(units2,
relu) -> Dense(10, softmax)``, Adam, sparse categorical cross-entropy, batch size 64, ``EPOCHS``
epochs, shuffled alike. Space: units1 and units2 ints 4..128 (log), learning rate 1e-3..1e-1
(log). No dropout: its masks would depend on the pack a configuration lands in. Objectives
(both minimized): the last epoch's validation error (1 - accuracy) and the parameter count.

Every contender's trials go through the same ``evaluate_pack``: ``PACK_SIZE`` trials are asked
(tftune and Optuna studies alike, ask/tell), their models are built with weights seeded from the
configuration (so a configuration trains the same way whichever sampler proposed it and
whichever pack it lands in) and trained
together as one ``tftune`` fused pack; only the sampler differs.
"""

from __future__ import annotations

import zlib
from typing import Any

EPOCHS = 3
BATCH_SIZE = 64
PACK_SIZE = 25
UNITS = (4, 128)
LR = (1e-3, 1e-1)
#: The HV reference point: error 1 (a useless model), a tenth beyond the largest model.
MAX_PARAMS = 64 * UNITS[1] + UNITS[1] + UNITS[1] * UNITS[1] + UNITS[1] + UNITS[1] * 10 + 10
REFERENCE = [1.0, 1.1 * MAX_PARAMS]

_DATA: dict[str, Any] = {}


def data() -> tuple[Any, Any, Any, Any]:
    """(x_train, y_train, x_val, y_val), loaded once per process."""
    if not _DATA:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        x, y = load_digits(return_X_y=True)
        x_train, x_val, y_train, y_val = train_test_split(
            x / 16.0, y, test_size=0.2, random_state=0, stratify=y
        )
        _DATA.update(
            x_train=x_train.astype("float32"),
            y_train=y_train.astype("int32"),
            x_val=x_val.astype("float32"),
            y_val=y_val.astype("int32"),
        )
    return _DATA["x_train"], _DATA["y_train"], _DATA["x_val"], _DATA["y_val"]


def suggest(trial: Any) -> dict[str, Any]:
    """The space on a tftune or Optuna trial."""
    return {
        "units1": trial.suggest_int("units1", *UNITS, log=True),
        "units2": trial.suggest_int("units2", *UNITS, log=True),
        "lr": trial.suggest_float("lr", *LR, log=True),
    }


def config_seed(params: dict[str, Any]) -> int:
    """A seed from the configuration alone."""
    text = ",".join(f"{k}={params[k]!r}" for k in sorted(params))
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def build_model(params: dict[str, Any]) -> Any:
    import keras

    keras.utils.set_random_seed(config_seed(params))
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(int(params["units1"]), activation="relu"),
            keras.layers.Dense(int(params["units2"]), activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(params["lr"])),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def evaluate_pack(configs: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(validation error, parameter count) of each configuration, trained as one fused pack."""
    import keras

    from tftune.keras._fusion import FusedPack, fit

    keras.backend.clear_session()
    x, y, x_val, y_val = data()
    models = [build_model(p) for p in configs]
    pack = FusedPack(models, seed=config_seed(configs[0]))
    history = fit(
        pack,
        x,
        y,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        validation_data=(x_val, y_val),
        seed=0,
    )
    out = []
    for k, model in enumerate(models):
        accuracy = history[-1][k].get("val_accuracy", float("nan"))
        error = 1.0 if accuracy != accuracy else 1.0 - float(accuracy)  # diverged: no better
        out.append((error, float(model.count_params())))
    return out


def run_study(study: Any, n_trials: int) -> None:
    """``n_trials`` trials of ``study`` (tftune or Optuna), asked and told ``PACK_SIZE`` at a
    time."""
    done = 0
    while done < n_trials:
        trials = [study.ask() for _ in range(min(PACK_SIZE, n_trials - done))]
        configs = [suggest(t) for t in trials]
        for trial, values in zip(trials, evaluate_pack(configs), strict=True):
            study.tell(trial, list(values))
        done += len(trials)
