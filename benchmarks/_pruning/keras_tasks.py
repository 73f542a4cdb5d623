"""The pruners on two Keras tasks: one run = one contender, one task, one seed.

Tasks (scikit-learn data, stratified 60/20/20 train/validation/test split with ``random_state=0``,
standardised with the training rows' mean and deviation):

* ``breast_cancer``: the recipe model ``Dense(units, relu) -> Dropout(rate) -> Dense(1, sigmoid)``,
  Adam, binary cross-entropy; space: learning rate log-uniform 1e-4..1e-1, dropout 0..0.5,
  units 16..128 (log int), batch size in {16, 32, 64}.
* ``digits``: an MLP ``Dense(units, relu) -> Dropout -> Dense(units, relu) -> Dropout ->
  Dense(10, softmax)``, Adam, sparse categorical cross-entropy; space: units 16..256 (log int),
  learning rate 1e-4..1e-1 (log), dropout 0..0.5; batch size 32.
* ``digits_cnn`` (bench_pruning_keras.py only): the digits as 8x8x1 images, ``Conv2D(filters, 3,
  relu) -> MaxPooling2D(2) -> Flatten -> Dropout -> Dense(10, softmax)``; space: filters 4..32
  (log int), learning rate 1e-4..1e-1 (log), dropout 0..0.5; batch size 32.

Objective: ``val_accuracy`` (maximize). Held-out metric: test accuracy of the model a tool hands
back. Every trial's weights are seeded from its configuration (``config_seed``), so the same
configuration trains the same way in every tftune and Optuna contender.

Counting: a ``Tracker`` callback in every ``fit`` counts the epochs actually trained (a resumed
tftune trial or a continued KerasTuner trial counts only the epochs it adds) and records a
candidate whenever a trial ends normally: (cumulative epochs, its score, the test accuracy of the
model the tool would hand back for it). tftune and Optuna: the trial's last-epoch
``val_accuracy`` and final weights (pruned trials are never candidates); KerasTuner: the trial's
best-epoch ``val_accuracy`` and the weights of that epoch (``SaveBestEpoch``), for every trial of
every round, as ``get_best_models`` chooses. The test accuracy is computed with one forward pass;
its time is measured and taken out of the wall and CPU times.
"""

from __future__ import annotations

import gc
import json
import math
import tempfile
import time
import zlib
from typing import Any

from _pruning.synthetic import (
    Feeder,
    budget_stop,
    configs_for,
    optuna_pruner,
    tftune_pruner,
    waiting_count,
)

KERAS_CONTENDERS = (
    "tftune_nop",
    "tftune_median",
    "tftune_asha",
    "tftune_hyperband",
    "optuna_median",
    "optuna_hyperband",
    "kerastuner_hyperband",
)
KERAS_TASKS = ("breast_cancer", "digits")
DIGITS_BATCH_SIZE = 32

_DATA: dict[str, Any] = {}


def load_task(task: str) -> dict[str, Any]:
    if task in _DATA:
        return _DATA[task]
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = (load_breast_cancer if task == "breast_cancer" else load_digits)(return_X_y=True)
    # digits_cnn: the same rows as digits, standardised the same way, reshaped in the model
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, test_size=0.4, random_state=0, stratify=y
    )
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, test_size=0.5, random_state=0, stratify=y_rest
    )
    scaler = StandardScaler().fit(x_train)
    label_type = "float32" if task == "breast_cancer" else "int32"
    data = {
        "x_train": scaler.transform(x_train).astype("float32"),
        "y_train": y_train.astype(label_type),
        "x_val": scaler.transform(x_val).astype("float32"),
        "y_val": y_val.astype(label_type),
        "x_test": scaler.transform(x_test).astype("float32"),
        "y_test": y_test.astype(label_type),
    }
    data["sizes"] = {k: int(len(v)) for k, v in data.items() if k.startswith("y_")}
    _DATA[task] = data
    return data


# --- the search space, the same in the three libraries -----------------------------------------
def suggest(task: str):  # -> Callable[[trial], dict]
    def suggest_params(trial: Any) -> dict[str, Any]:
        if task == "breast_cancer":
            return {
                "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True),
                "dropout": trial.suggest_float("dropout", 0.0, 0.5),
                "units": trial.suggest_int("units", 16, 128, log=True),
                "batch_size": trial.suggest_categorical("batch_size", [16, 32, 64]),
            }
        if task == "digits_cnn":
            return {
                "filters": trial.suggest_int("filters", 4, 32, log=True),
                "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True),
                "dropout": trial.suggest_float("dropout", 0.0, 0.5),
            }
        return {
            "units": trial.suggest_int("units", 16, 256, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True),
            "dropout": trial.suggest_float("dropout", 0.0, 0.5),
        }

    return suggest_params


def kerastuner_params(task: str, hp: Any) -> dict[str, Any]:
    if task == "breast_cancer":
        return {
            "learning_rate": hp.Float("learning_rate", 1e-4, 1e-1, sampling="log"),
            "dropout": hp.Float("dropout", 0.0, 0.5),
            "units": hp.Int("units", 16, 128, sampling="log"),
            "batch_size": hp.Choice("batch_size", [16, 32, 64]),
        }
    if task == "digits_cnn":
        return {
            "filters": hp.Int("filters", 4, 32, sampling="log"),
            "learning_rate": hp.Float("learning_rate", 1e-4, 1e-1, sampling="log"),
            "dropout": hp.Float("dropout", 0.0, 0.5),
        }
    return {
        "units": hp.Int("units", 16, 256, sampling="log"),
        "learning_rate": hp.Float("learning_rate", 1e-4, 1e-1, sampling="log"),
        "dropout": hp.Float("dropout", 0.0, 0.5),
    }


def batch_size_of(params: dict[str, Any]) -> int:
    return int(params.get("batch_size", DIGITS_BATCH_SIZE))


def config_seed(seed: int, params: dict[str, Any]) -> int:
    """The Keras seed of a configuration: the same configuration trains the same way everywhere."""
    key = json.dumps({k: params[k] for k in sorted(params)}, sort_keys=True)
    return (seed * 1_000_003 + zlib.crc32(key.encode())) % (2**31 - 1)


def build_model(task: str, params: dict[str, Any]) -> Any:
    import keras

    if task == "digits_cnn":
        model = keras.Sequential(
            [
                keras.layers.Reshape((8, 8, 1)),
                keras.layers.Conv2D(int(params["filters"]), 3, activation="relu"),
                keras.layers.MaxPooling2D(2),
                keras.layers.Flatten(),
                keras.layers.Dropout(params["dropout"]),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=params["learning_rate"]),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model
    layers = [
        keras.layers.Dense(int(params["units"]), activation="relu"),
        keras.layers.Dropout(params["dropout"]),
    ]
    if task == "breast_cancer":
        layers.append(keras.layers.Dense(1, activation="sigmoid"))
        loss = "binary_crossentropy"
    else:
        layers += [
            keras.layers.Dense(int(params["units"]), activation="relu"),
            keras.layers.Dropout(params["dropout"]),
            keras.layers.Dense(10, activation="softmax"),
        ]
        loss = "sparse_categorical_crossentropy"
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=params["learning_rate"]),
        loss=loss,
        metrics=["accuracy"],
    )
    return model


def test_accuracy(task: str, model: Any, data: dict[str, Any]) -> float:
    """Accuracy on the test rows from one forward pass (what Keras' "accuracy" metric computes)."""
    import numpy as np

    out = np.asarray(model(data["x_test"], training=False))
    predicted = (
        (out[:, 0] > 0.5).astype("float32") if task == "breast_cancer" else out.argmax(axis=1)
    )
    return float(np.mean(predicted == data["y_test"]))


def with_batch_size(model: Any, batch_size: int) -> Any:
    """Make ``model.fit`` use ``batch_size`` whatever its caller passes: ``tftune.keras.Tuner``
    passes one fixed ``batch_size`` from ``search()`` to every trial's ``fit`` and has no hook
    to tune it per trial, so the build function wraps ``fit`` instead."""
    fit = model.fit

    def fit_with_batch_size(*args: Any, **kwargs: Any) -> Any:
        kwargs["batch_size"] = batch_size
        return fit(*args, **kwargs)

    object.__setattr__(model, "fit", fit_with_batch_size)
    return model


# --- counting epochs and candidates ------------------------------------------------------------
class Ledger:
    def __init__(self) -> None:
        self.epochs = 0
        self.events: list[list[float]] = []  # [cumulative epochs, score, test accuracy]
        self.eval_s = 0.0
        self.eval_cpu_s = 0.0
        self.fits = 0
        self.reused_epochs = 0  # epochs a resumed/continued trial did not retrain


def make_tracker(task: str, data: dict[str, Any], ledger: Ledger, mode: str) -> Any:
    """``mode``: "final" (tftune, Optuna) or "best_epoch" (KerasTuner)."""
    import keras

    class Tracker(keras.callbacks.Callback):
        def __deepcopy__(self, memo: Any) -> Any:  # KerasTuner deep-copies callbacks per trial
            return self

        def on_train_begin(self, logs: Any = None) -> None:
            ledger.fits += 1
            self.best_val, self.best_test, self.last_val = -math.inf, None, math.nan

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            ledger.epochs += 1
            value = float((logs or {}).get("val_accuracy", math.nan))
            self.last_val = value
            if mode == "best_epoch" and value > self.best_val:
                self.best_val, self.best_test = value, self._test()

        def on_train_end(self, logs: Any = None) -> None:
            if mode == "final":
                ledger.events.append([ledger.epochs, self.last_val, self._test()])
            elif self.best_test is not None:
                ledger.events.append([ledger.epochs, self.best_val, self.best_test])

        def _test(self) -> float:
            wall, cpu = time.perf_counter(), time.process_time()
            value = test_accuracy(task, self.model, data)
            ledger.eval_s += time.perf_counter() - wall
            ledger.eval_cpu_s += time.process_time() - cpu
            return value

    return Tracker()


class Clock:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> dict[str, float]:
        return {
            "wall_s": time.perf_counter() - self.wall - self.ledger.eval_s,
            "cpu_s": time.process_time() - self.cpu - self.ledger.eval_cpu_s,
            "test_eval_s": self.ledger.eval_s,
        }


def _fit_arguments(data: dict[str, Any], epochs: int) -> dict[str, Any]:
    return {
        "x": data["x_train"],
        "y": data["y_train"],
        "validation_data": (data["x_val"], data["y_val"]),
        "epochs": epochs,
        "verbose": 0,
    }


# --- tftune.keras.Tuner ------------------------------------------------------------------------
def run_tftune(
    task: str,
    pruner_name: str,
    seed: int,
    configs: list[dict[str, Any]],
    max_epochs: int,
    workdir: str,
    budget: int | None = None,
) -> dict[str, Any]:
    import keras
    import tftune
    from tftune.keras import Tuner
    from tftune.pruners._successive_halving import RESUME_OF_KEY

    data = load_task(task)
    ledger = Ledger()
    suggest_params = suggest(task)

    def build(trial: Any) -> Any:
        params = suggest_params(trial)
        keras.utils.set_random_seed(config_seed(seed, params))
        return with_batch_size(build_model(task, params), batch_size_of(params))

    tuner = Tuner(
        build,
        objective="val_accuracy",
        sampler=tftune.samplers.RandomSampler(seed=seed),
        pruner=tftune_pruner(pruner_name, max_epochs),
        directory=workdir,
        project_name=f"{task}_{pruner_name}_seed{seed}",
        seed=seed,
        resume_promoted=True,
    )
    study = tuner.study
    feeder = Feeder(
        configs,
        study.enqueue_trial,
        lambda: waiting_count(study),
        study.stop,
        spent=lambda: budget is not None and ledger.epochs >= budget,
    )
    tracker = make_tracker(task, data, ledger, "final")
    arguments = _fit_arguments(data, max_epochs)
    fit_args = {k: v for k, v in arguments.items() if k not in ("x", "y", "epochs")}
    clock = Clock(ledger)
    if hasattr(tuner, "_promote"):
        # One search() call; after each trial the tuner queues its promotions, then the feeder
        # queues the next configuration if nothing is waiting, or stops the study when done.
        promote = tuner._promote

        def promote_then_feed(study_: Any, trial: Any = None) -> None:
            promote(study_, trial)
            feeder(study_, trial) if trial is not None else feeder()

        tuner._promote = promote_then_feed
        tuner.search(
            data["x_train"],
            data["y_train"],
            n_trials=len(configs) * 20,
            epochs=max_epochs,
            callbacks=[tracker],
            **fit_args,
        )
    else:  # fallback: one trial per search() call
        while True:
            feeder()
            if not waiting_count(study):
                break
            tuner.search(
                data["x_train"],
                data["y_train"],
                n_trials=1,
                epochs=max_epochs,
                callbacks=[tracker],
                **fit_args,
            )
    times = clock.stop()
    trials = study.get_trials(deepcopy=False)
    states = [t.state.name for t in trials]
    history_epochs = 0
    for t in trials:
        hist = t.user_attrs.get("history", {}).get("val_accuracy", [])
        resumed = t.system_attrs.get("resumed_intermediate_values", [])
        history_epochs += len(hist) - len(resumed)
        if RESUME_OF_KEY in t.system_attrs:
            ledger.reused_epochs += len(resumed)
    final: dict[str, Any] = {}
    try:
        best = study.best_trial
        model = tuner.best_model()
        final = {
            "val": best.value,
            "test": test_accuracy(task, model, data),
            "params": best.params,
            "how": "tuner.best_model()",
            "trial": best.number,
        }
    except Exception as error:  # noqa: BLE001
        final = {"error": f"{type(error).__name__}: {error}"}
    failures = [
        t.system_attrs.get("fail_reason", "")[-300:] for t in trials if t.state.name == "FAIL"
    ]
    del tuner
    gc.collect()
    return {
        "epochs": ledger.epochs,
        "epochs_check": history_epochs,
        "events": ledger.events,
        **times,
        "n_configs": feeder.next,
        "n_trials": len(trials),
        "n_complete": states.count("COMPLETE"),
        "n_pruned": states.count("PRUNED"),
        "n_failed": states.count("FAIL"),
        "failures": failures,
        "n_resumed": sum(RESUME_OF_KEY in t.system_attrs for t in trials),
        "reused_epochs": ledger.reused_epochs,
        "final": final,
    }


# --- Optuna ------------------------------------------------------------------------------------
def run_optuna(
    task: str,
    pruner_name: str,
    seed: int,
    configs: list[dict[str, Any]],
    max_epochs: int,
    workdir: str,
    budget: int | None = None,
) -> dict[str, Any]:
    import keras
    import optuna

    data = load_task(task)
    ledger = Ledger()
    suggest_params = suggest(task)

    class PruningCallback(keras.callbacks.Callback):
        """Report val_accuracy every epoch; raise TrialPruned when the pruner says so."""

        def __init__(self, trial: Any) -> None:
            super().__init__()
            self.trial = trial

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.trial.report(float(logs["val_accuracy"]), epoch)
            if self.trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch}")

    tracker = make_tracker(task, data, ledger, "final")

    def train(params: dict[str, Any], callbacks: list[Any]) -> Any:
        keras.backend.clear_session()
        keras.utils.set_random_seed(config_seed(seed, params))
        model = build_model(task, params)
        history = model.fit(
            **_fit_arguments(data, max_epochs),
            batch_size=batch_size_of(params),
            callbacks=callbacks,
        )
        return model, history

    def objective(trial: Any) -> float:
        _, history = train(suggest_params(trial), [tracker, PruningCallback(trial)])
        return float(history.history["val_accuracy"][-1])

    study = optuna.create_study(
        study_name=f"{task}-optuna-{pruner_name}-seed{seed}",
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=seed),
        pruner=optuna_pruner(pruner_name, max_epochs),
    )
    for config in configs:
        study.enqueue_trial(config)
    clock = Clock(ledger)
    study.optimize(
        objective, n_trials=len(configs), callbacks=[budget_stop(budget, lambda: ledger.epochs)]
    )
    times = clock.stop()
    states = [
        t.state.name for t in study.get_trials(deepcopy=False) if t.state.name != "WAITING"
    ]  # not the unused queue
    epochs_check = sum(len(t.intermediate_values) for t in study.get_trials(deepcopy=False))
    final: dict[str, Any] = {}
    try:
        best = study.best_trial
        retrain_start = time.perf_counter()
        model, _ = train(best.params, [])  # Optuna keeps no model: retrain the best parameters
        final = {
            "val": best.value,
            "test": test_accuracy(task, model, data),
            "params": best.params,
            "how": f"retrained the best parameters for {max_epochs} epochs (same seed)",
            "retrain_s": time.perf_counter() - retrain_start,
            "trial": best.number,
        }
    except Exception as error:  # noqa: BLE001
        final = {"error": f"{type(error).__name__}: {error}"}
    return {
        "epochs": ledger.epochs,
        "epochs_check": epochs_check,
        "events": ledger.events,
        **times,
        "n_configs": len(states),
        "n_trials": len(states),
        "n_complete": states.count("COMPLETE"),
        "n_pruned": states.count("PRUNED"),
        "n_failed": states.count("FAIL"),
        "failures": [],
        "n_resumed": 0,
        "reused_epochs": 0,
        "final": final,
    }


# --- KerasTuner Hyperband ----------------------------------------------------------------------
def patch_kerastuner_tensorboard() -> str | None:
    """KerasTuner 1.4.8 imports ``tensorboard`` in every trial on the TensorFlow backend
    (``Tuner._configure_tensorboard_dir``) and TensorFlow 2.21 no longer installs it, so every
    trial fails. Without a ``TensorBoard`` callback the method does nothing else: skip it then.
    (The same patch as bench_keras.py.) Returns None when no patch was needed."""
    try:
        import tensorboard  # noqa: F401

        return None
    except ImportError:
        pass
    from keras_tuner.src.engine import tuner as kt_tuner

    original = kt_tuner.Tuner._configure_tensorboard_dir
    if getattr(original, "_bench_patched", False):
        return "patched"

    def configure_tensorboard_dir(
        self: Any, callbacks: Any, trial: Any, execution: int = 0
    ) -> None:
        if any(type(callback).__name__ == "TensorBoard" for callback in callbacks):
            original(self, callbacks, trial, execution)

    configure_tensorboard_dir._bench_patched = True  # type: ignore[attr-defined]
    kt_tuner.Tuner._configure_tensorboard_dir = configure_tensorboard_dir
    return "patched"


def run_kerastuner(
    task: str, seed: int, max_epochs: int, epoch_cap: int, workdir: str
) -> dict[str, Any]:
    import keras
    import keras_tuner as kt

    patched = patch_kerastuner_tensorboard()
    data = load_task(task)
    ledger = Ledger()

    class HyperModel(kt.HyperModel):
        def build(self, hp: Any) -> Any:
            params = kerastuner_params(task, hp)
            keras.backend.clear_session()
            keras.utils.set_random_seed(config_seed(seed, params))
            return build_model(task, params)

        def fit(self, hp: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
            kwargs["batch_size"] = batch_size_of(kerastuner_params(task, hp))
            return model.fit(*args, **kwargs)

    tuner = kt.Hyperband(
        HyperModel(),
        objective="val_accuracy",
        max_epochs=max_epochs,
        factor=3,
        hyperband_iterations=1000,
        seed=seed,
        directory=workdir,
        project_name=f"{task}_kt",
        overwrite=True,
    )
    populate = tuner.oracle.populate_space

    def populate_until_cap(trial_id: str) -> dict[str, Any]:
        if ledger.epochs >= epoch_cap:
            return {"status": "STOPPED"}
        return populate(trial_id)

    tuner.oracle.populate_space = populate_until_cap
    tracker = make_tracker(task, data, ledger, "best_epoch")
    arguments = _fit_arguments(data, max_epochs)
    clock = Clock(ledger)
    tuner.search(arguments.pop("x"), arguments.pop("y"), callbacks=[tracker], **arguments)
    times = clock.stop()
    trials = list(tuner.oracle.trials.values())
    statuses = [t.status for t in trials]
    reused = 0
    for t in trials:
        values = t.hyperparameters.values
        if "tuner/trial_id" in values:
            reused += int(values.get("tuner/initial_epoch", 0))
    final: dict[str, Any] = {}
    try:
        best = tuner.oracle.get_best_trials(1)[0]
        model = tuner.get_best_models(1)[0]
        final = {
            "val": best.score,
            "test": test_accuracy(task, model, data),
            "params": {
                k: v for k, v in best.hyperparameters.values.items() if not k.startswith("tuner/")
            },
            "how": "tuner.get_best_models(1) (weights of the best epoch of the best trial)",
            "trial_epochs": best.hyperparameters.values.get("tuner/epochs"),
        }
    except Exception as error:  # noqa: BLE001
        final = {"error": f"{type(error).__name__}: {error}"}
    return {
        "epochs": ledger.epochs,
        "epochs_check": None,
        "events": ledger.events,
        **times,
        "n_configs": sum("tuner/trial_id" not in t.hyperparameters.values for t in trials),
        "n_trials": len(trials),
        "n_complete": statuses.count("COMPLETED"),
        "n_pruned": 0,
        "n_failed": statuses.count("FAILED") + statuses.count("INVALID"),
        "failures": [str(t.message)[-300:] for t in trials if t.status in ("FAILED", "INVALID")],
        "n_resumed": sum("tuner/trial_id" in t.hyperparameters.values for t in trials),
        "reused_epochs": reused,
        "epoch_cap": epoch_cap,
        "tensorboard_patch": patched,
        "final": final,
    }


def run_keras(
    task: str,
    contender: str,
    seed: int,
    n_configs: int,
    max_epochs: int,
    epoch_cap: int | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tftune-bench-pruning-") as workdir:
        if contender == "kerastuner_hyperband":
            return run_kerastuner(
                task, seed, max_epochs, epoch_cap or n_configs * max_epochs, workdir
            )
        configs, budget = configs_for(contender, n_configs, seed, suggest(task), max_epochs)
        library, _, pruner = contender.partition("_")
        if library == "tftune":
            return run_tftune(task, pruner, seed, configs, max_epochs, workdir, budget)
        return run_optuna(task, pruner, seed, configs, max_epochs, workdir, budget)
