"""Keras front-door benchmark: tftune.keras.Tuner against plain ``model.fit``, Optuna and
KerasTuner.

Measures
  1. wall seconds per trial of one small recipe model (10 epochs) for four contenders run side
     by side: a plain build + compile + fit loop (the baseline), ``tftune.keras.Tuner`` (default
     SQLite storage), Optuna 5.0 with a hand-written objective (in-memory storage) and KerasTuner
     ``RandomSearch``; overhead of each relative to plain fit;
  2. resident memory (``VmRSS``) over many sequential trials (2 epochs each) of tftune's Tuner,
     of the Optuna objective and of the plain fit loop, each in its own process.

Recipe: ``keras.Sequential([Dense(64, relu), Dropout(rate), Dense(1, sigmoid)])``, ``Adam(lr)``,
binary cross-entropy, ``metrics=["accuracy"]``, batch 32, on scikit-learn's breast-cancer data
(standardised, 80/20 stratified train/validation split); objective ``val_accuracy``; search space
``lr`` log-uniform in [1e-4, 1e-1] and ``dropout`` uniform in [0, 0.5].

Each timing contender lives in its own long-lived worker process (its own imports and TensorFlow
runtime, nothing shared with the others); the parent sends it one block at a time, rotating the
order every repeat, so the contenders are interleaved in time. Every block starts with one
untimed warm-up trial. Results go to ``benchmarks/results/keras_front_door.{md,json}``
(``--quick``: ``keras_front_door.quick.{md,json}``, so a quick run never replaces the full
results).

Run:  .venv/bin/python benchmarks/bench_keras.py [--quick] [--only timing|memory]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import gc
import json
import logging
import math
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _environment import cpu_model, git as _git, dist_version as _dist_version  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
REPO = HERE.parent
STEM = "keras_front_door"

CONTENDERS = ("plain_fit", "tftune", "optuna", "kerastuner")
LABELS = {
    "plain_fit": "plain `model.fit` loop (baseline)",
    "tftune": "tftune.keras.Tuner (SQLite)",
    "optuna": "Optuna objective (in-memory)",
    "kerastuner": "KerasTuner RandomSearch",
}
MEMORY_CONTENDERS = ("tftune", "optuna", "plain_fit")
MEMORY_LABELS = {
    "tftune": "tftune.keras.Tuner (SQLite)",
    "optuna": "Optuna objective, no clear_session",
    "plain_fit": "plain `model.fit` loop, no clear_session",
}

# The goals (tftune) and the numbers measured earlier on this machine.
GOAL_OVERHEAD_PCT = 5.0
GOAL_MEMORY_MB = 100.0
GOAL_MEMORY_TRIALS = 200
EARLIER_S_PER_TRIAL = {"plain_fit": 2.35, "optuna": 2.04, "kerastuner": 2.05}

# Environment of every worker process (set before they start; spawn copies os.environ).
WORKER_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "KERAS_BACKEND": "tensorflow",
    "PYTHONWARNINGS": "ignore",
}


@dataclasses.dataclass(frozen=True)
class Config:
    quick: bool
    trials: int  # benchmark 1: timed trials per block
    repeats: int
    warmup_trials: int
    epochs: int
    batch_size: int
    memory_trials: int  # benchmark 2
    memory_epochs: int
    memory_warm_trial: int  # RSS "warm" reading after this trial
    memory_sample_every: int
    memory_jobs: int  # memory processes run at the same time (RSS is per process)
    block_timeout_s: float
    memory_timeout_s: float
    seed: int = 0

    @classmethod
    def make(cls, quick: bool, memory_jobs: int) -> Config:
        return cls(
            quick=quick,
            trials=4 if quick else 12,
            repeats=1 if quick else 3,
            warmup_trials=1,
            epochs=10,
            batch_size=32,
            memory_trials=30 if quick else 200,
            memory_epochs=2,
            memory_warm_trial=10,
            memory_sample_every=10,
            memory_jobs=memory_jobs,
            block_timeout_s=600.0 if quick else 900.0,
            memory_timeout_s=900.0 if quick else 2400.0,
        )


# --- the recipe (imported in worker processes only) ------------------------------------------
def load_data(seed: int = 0) -> tuple[Any, Any, Any, Any]:
    """Breast cancer, stratified 80/20 split, standardised with the training rows' statistics."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=0.2, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(x_train)
    return (
        scaler.transform(x_train).astype("float32"),
        y_train.astype("float32"),
        scaler.transform(x_val).astype("float32"),
        y_val.astype("float32"),
    )


def build_model(lr: float, dropout: float) -> Any:
    import keras

    model = keras.Sequential(
        [
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


LR_RANGE = (1e-4, 1e-1)
DROPOUT_RANGE = (0.0, 0.5)


def silence_libraries() -> None:
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    try:
        import tftune

        tftune.logging.set_verbosity(logging.WARNING)
    except ImportError:
        pass


def rss_mb() -> float:
    return _proc_status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    return _proc_status_kb("VmHWM") / 1024


def _proc_status_kb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return float("nan")


def error_record(error: BaseException) -> dict[str, str]:
    return {
        "type": type(error).__name__,
        "message": str(error)[:2000],
        "traceback": "".join(traceback.format_exception(error))[-6000:],
    }


class Clock:
    """Marks: when each trial's user code (the build function) starts, and when each fit runs.

    ``fit_clock()`` is a Keras callback recording ``on_train_begin`` / ``on_train_end``; every
    contender passes one to ``fit`` (a callback without batch hooks costs nothing measurable).
    """

    def __init__(self) -> None:
        self.build_starts: list[float] = []
        self.fit_seconds: list[float] = []

    def mark_build(self) -> None:
        self.build_starts.append(time.perf_counter())

    def fit_clock(self) -> Any:
        import keras

        clock = self

        class FitClock(keras.callbacks.Callback):
            def on_train_begin(self, logs: Any = None) -> None:
                self._begin = time.perf_counter()

            def on_train_end(self, logs: Any = None) -> None:
                clock.fit_seconds.append(time.perf_counter() - self._begin)

        return FitClock()


# --- contenders: one search of n trials each; ``run(n)`` returns how many trials completed ------
class PlainFit:
    """The baseline: draw lr and dropout, build, compile, fit with validation data; no cleanup."""

    def __init__(
        self, data: tuple[Any, ...], epochs: int, batch_size: int, seed: int, clock: Clock
    ) -> None:
        import numpy as np

        self.data, self.epochs, self.batch_size, self.clock = data, epochs, batch_size, clock
        self.rng = np.random.default_rng(seed)
        self.values: list[float] = []

    def run(self, n: int) -> int:
        x, y, x_val, y_val = self.data
        for _ in range(n):
            self.clock.mark_build()
            lr = float(10 ** self.rng.uniform(math.log10(LR_RANGE[0]), math.log10(LR_RANGE[1])))
            model = build_model(lr, float(self.rng.uniform(*DROPOUT_RANGE)))
            history = model.fit(
                x,
                y,
                validation_data=(x_val, y_val),
                epochs=self.epochs,
                batch_size=self.batch_size,
                verbose=0,
                callbacks=[self.clock.fit_clock()],
            )
            self.values.append(float(history.history["val_accuracy"][-1]))
        return n

    def close(self) -> dict[str, Any]:
        return {"best_value": max(self.values) if self.values else None}


SESSION_RESETS: list[float] = []  # seconds of every tftune per-trial session reset in this process


def time_tftune_session_resets() -> bool:
    """Time tftune's per-trial session reset (``tftune.keras._tuner._fresh_session``:
    clear_session, garbage collection, seeding) where the Tuner calls it; False if tftune has no
    such function."""
    from tftune.keras import _tuner

    original = getattr(_tuner, "_fresh_session", None)
    if original is None:
        return False
    if getattr(original, "_bench_timed", False):
        return True

    def fresh_session(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SESSION_RESETS.append(time.perf_counter() - start)

    fresh_session._bench_timed = True  # type: ignore[attr-defined]
    _tuner._fresh_session = fresh_session
    return True


class TftuneSearch:
    """``tftune.keras.Tuner`` with its defaults (SQLite under ``directory``, random sampler,
    seed)."""

    def __init__(
        self,
        data: tuple[Any, ...],
        epochs: int,
        batch_size: int,
        seed: int,
        clock: Clock,
        directory: str,
        project_name: str,
    ) -> None:
        import tftune.keras

        self.data, self.epochs, self.batch_size, self.clock = data, epochs, batch_size, clock

        def build(trial: Any) -> Any:
            clock.mark_build()
            return build_model(
                trial.suggest_float("lr", *LR_RANGE, log=True),
                trial.suggest_float("dropout", *DROPOUT_RANGE),
            )

        self.build = build
        self.tuner = tftune.keras.Tuner(
            build,
            objective="val_accuracy",
            directory=directory,
            project_name=project_name,
            seed=seed,
        )

    def run(self, n: int) -> int:
        x, y, x_val, y_val = self.data
        before = self._complete()
        self.tuner.search(
            x,
            y,
            validation_data=(x_val, y_val),
            epochs=self.epochs,
            batch_size=self.batch_size,
            n_trials=n,
            callbacks=[self.clock.fit_clock()],
        )
        return self._complete() - before

    def _complete(self) -> int:
        return sum(t.state.name == "COMPLETE" for t in self.tuner.study.get_trials(deepcopy=False))

    def failures(self) -> list[str]:
        return [
            f"trial {t.number}: {(t.system_attrs.get('fail_reason') or '').strip()[-1500:]}"
            for t in self.tuner.study.get_trials(deepcopy=False)
            if t.state.name == "FAIL"
        ]

    def close(self) -> dict[str, Any]:
        """Check the front door's promise: ``best_model()`` reproduces the best trial's
        val_accuracy."""
        out: dict[str, Any] = {"failures": self.failures()}
        try:
            best = self.tuner.best_trial
            model = self.tuner.best_model()
            _, accuracy = model.evaluate(self.data[2], self.data[3], verbose=0)
            out.update(
                best_value=best.value,
                best_model_val_accuracy=float(accuracy),
                best_model_matches=abs(float(accuracy) - best.value) < 1e-6,
            )
        except Exception as error:  # noqa: BLE001 - reported as a problem of tftune.keras
            out["best_model_error"] = error_record(error)
        storage = getattr(
            self.tuner.study, "_storage", None
        )  # Tuner has no close(); stop the heartbeat thread
        if storage is not None:
            storage.close()
        return out


class OptunaSearch:
    """Optuna the usual way: an objective that builds and fits the model, in-memory study,
    ``RandomSampler(seed)`` (random search, like the other two tuners), no ``clear_session``."""

    def __init__(
        self, data: tuple[Any, ...], epochs: int, batch_size: int, seed: int, clock: Clock
    ) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        x, y, x_val, y_val = data

        def objective(trial: Any) -> float:
            clock.mark_build()
            model = build_model(
                trial.suggest_float("lr", *LR_RANGE, log=True),
                trial.suggest_float("dropout", *DROPOUT_RANGE),
            )
            history = model.fit(
                x,
                y,
                validation_data=(x_val, y_val),
                epochs=epochs,
                batch_size=batch_size,
                verbose=0,
                callbacks=[clock.fit_clock()],
            )
            return float(history.history["val_accuracy"][-1])

        self.objective = objective
        self.study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed)
        )

    def run(self, n: int) -> int:
        before = self._complete()
        self.study.optimize(self.objective, n_trials=n)
        return self._complete() - before

    def _complete(self) -> int:
        return sum(t.state.name == "COMPLETE" for t in self.study.get_trials(deepcopy=False))

    def close(self) -> dict[str, Any]:
        return {"best_value": self.study.best_value if self._complete() else None}


class KerasTunerSearch:
    """KerasTuner ``RandomSearch`` with the same space; ``max_trials=n``, one execution per
    trial."""

    def __init__(
        self,
        data: tuple[Any, ...],
        epochs: int,
        batch_size: int,
        seed: int,
        clock: Clock,
        directory: str,
        project_name: str,
        max_trials: int,
    ) -> None:
        import keras_tuner

        self.data, self.epochs, self.batch_size, self.clock = data, epochs, batch_size, clock

        def build(hp: Any) -> Any:
            clock.mark_build()
            return build_model(
                hp.Float("lr", *LR_RANGE, sampling="log"), hp.Float("dropout", *DROPOUT_RANGE)
            )

        self.tuner = keras_tuner.RandomSearch(
            build,
            objective="val_accuracy",
            max_trials=max_trials,
            executions_per_trial=1,
            seed=seed,
            directory=directory,
            project_name=project_name,
            overwrite=True,
        )

    def run(self, n: int) -> int:
        x, y, x_val, y_val = self.data
        before = self._complete()
        self.tuner.search(
            x,
            y,
            validation_data=(x_val, y_val),
            epochs=self.epochs,
            batch_size=self.batch_size,
            verbose=0,
            callbacks=[self.clock.fit_clock()],
        )
        return self._complete() - before

    def _complete(self) -> int:
        return sum(t.status == "COMPLETED" for t in self.tuner.oracle.trials.values())

    def close(self) -> dict[str, Any]:
        best = self.tuner.oracle.get_best_trials(1)
        return {"best_value": best[0].score if best else None}


def make_contender(
    name: str,
    data: tuple[Any, ...],
    epochs: int,
    batch_size: int,
    seed: int,
    clock: Clock,
    directory: str,
    project_name: str,
    n_trials: int,
) -> Any:
    if name == "plain_fit":
        return PlainFit(data, epochs, batch_size, seed, clock)
    if name == "tftune":
        return TftuneSearch(data, epochs, batch_size, seed, clock, directory, project_name)
    if name == "optuna":
        return OptunaSearch(data, epochs, batch_size, seed, clock)
    if name == "kerastuner":
        return KerasTunerSearch(
            data, epochs, batch_size, seed, clock, directory, project_name, n_trials
        )
    raise ValueError(name)


def import_contender(name: str) -> dict[str, Any]:
    """Import what ``name`` needs; its versions. Raises if it does not import."""
    import keras
    import tensorflow as tf

    versions = {"tensorflow": tf.__version__, "keras": keras.__version__}
    if name == "tftune":
        import tftune
        import tftune.keras  # noqa: F401

        versions["tftune"] = tftune.__version__
        versions["session_reset_timed"] = time_tftune_session_resets()
    elif name == "optuna":
        import optuna

        versions["optuna"] = optuna.__version__
    elif name == "kerastuner":
        import keras_tuner

        versions["keras_tuner"] = keras_tuner.__version__
        versions["patch"] = patch_kerastuner_tensorboard()
    silence_libraries()
    return versions


def patch_kerastuner_tensorboard() -> str | None:
    """Let KerasTuner run without TensorBoard installed; None when no patch was needed.

    KerasTuner 1.4.8's ``Tuner.run_trial`` calls ``_configure_tensorboard_dir``, which on the
    TensorFlow backend imports ``tensorboard.plugins.hparams`` in every trial even when no
    ``TensorBoard`` callback is given. TensorFlow 2.21 no longer installs TensorBoard, so every
    trial fails with ``ModuleNotFoundError: No module named 'tensorboard'`` (and the search stops
    after 3 failures). Without a ``TensorBoard`` callback the method does nothing else, so the
    patch skips it in that case only.
    """
    try:
        import tensorboard  # noqa: F401

        return None
    except ImportError:
        pass
    from keras_tuner.src.engine import tuner as kt_tuner

    original = kt_tuner.Tuner._configure_tensorboard_dir

    def configure_tensorboard_dir(
        self: Any, callbacks: Any, trial: Any, execution: int = 0
    ) -> None:
        if any(type(callback).__name__ == "TensorBoard" for callback in callbacks):
            original(self, callbacks, trial, execution)

    kt_tuner.Tuner._configure_tensorboard_dir = configure_tensorboard_dir
    return (
        "tensorboard is not installed (TensorFlow 2.21 does not depend on it) and KerasTuner "
        "1.4.8 imports it in every trial on the TensorFlow backend "
        "(Tuner._configure_tensorboard_dir), so every trial fails with ModuleNotFoundError; the "
        "benchmark skips that method when no TensorBoard callback is given"
    )


# --- 1. per-trial time: one block = warm-up + timed search, in the contender's worker process --
def time_block(name: str, cfg: Config, seed: int, data: tuple[Any, ...]) -> dict[str, Any]:
    """Untimed warm-up search of ``cfg.warmup_trials`` trials, then ``cfg.trials`` timed trials
    in a new search (new study / tuner / project; setup is timed separately)."""
    with tempfile.TemporaryDirectory(prefix="tftune-bench-keras-") as tmp:
        warm = make_contender(
            name,
            data,
            cfg.epochs,
            cfg.batch_size,
            seed + 10_000,
            Clock(),
            tmp,
            "warmup",
            cfg.warmup_trials,
        )
        warm_start = time.perf_counter()
        warm_done = warm.run(cfg.warmup_trials)
        warm_s = time.perf_counter() - warm_start
        warm.close()
        del warm
        gc.collect()
        clock = Clock()
        setup_start = time.perf_counter()
        search = make_contender(
            name, data, cfg.epochs, cfg.batch_size, seed, clock, tmp, "timed", cfg.trials
        )
        setup_s = time.perf_counter() - setup_start
        gc.collect()
        resets_before = len(SESSION_RESETS)
        cpu_start, start = time.process_time(), time.perf_counter()
        completed = search.run(cfg.trials)
        end = time.perf_counter()
        resets = SESSION_RESETS[resets_before:]
        elapsed, cpu = end - start, time.process_time() - cpu_start
        extra = search.close()
    laps = [b - a for a, b in zip(clock.build_starts, clock.build_starts[1:] + [end], strict=True)]
    fit_s = sum(clock.fit_seconds)
    result = {
        "seconds": elapsed,
        "s_per_trial": elapsed / cfg.trials,
        "cpu_s_per_trial": cpu / cfg.trials,
        "fit_s_per_trial": fit_s / cfg.trials,
        "outside_fit_s_per_trial": (elapsed - fit_s) / cfg.trials,
        "laps_s": laps,
        "median_lap_s": statistics.median(laps) if laps else None,
        "completed": completed,
        "expected": cfg.trials,
        "warmup_completed": warm_done,
        "warmup_s": warm_s,
        "setup_s": setup_s,
        "rss_mb_after": rss_mb(),
        "loadavg_1m": os.getloadavg()[0],
        "session_reset_s_per_trial": sum(resets) / len(resets) if resets else None,
        **extra,
    }
    if completed != cfg.trials:
        raise RuntimeError(
            f"{name}: {completed} of {cfg.trials} trials completed; {json.dumps(extra)[:3000]}"
        )
    return result


def timing_worker(name: str, cfg: Config, conn: Any, log_path: str) -> None:
    """A contender's process: import, then run the blocks the parent asks for, one at a time."""
    _redirect_output(log_path)
    try:
        start = time.perf_counter()
        versions = import_contender(name)
        data = load_data(cfg.seed)
        conn.send({"ready": True, "import_s": time.perf_counter() - start, "versions": versions})
    except BaseException as error:  # noqa: BLE001 - e.g. KerasTuner not importable on this Keras
        conn.send({"ready": False, "error": error_record(error)})
        return
    while True:
        command = conn.recv()
        if command[0] == "stop":
            return
        try:
            if command[0] == "block":
                conn.send({"ok": True, "result": time_block(name, cfg, command[1], data)})
        except Exception as error:  # noqa: BLE001 - recorded by the parent, never fatal
            conn.send({"ok": False, "error": error_record(error)})


def _redirect_output(log_path: str) -> None:
    """Send this process's stdout/stderr (TensorFlow's C++ start-up lines included) to a log
    file."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _log_tail(path: str, chars: int = 3000) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    lines = [
        line
        for line in text.splitlines()
        if not line.startswith(("WARNING: All log messages before absl", "I0000 "))
    ]
    return "\n".join(lines)[-chars:]


def contender_order(repeat: int) -> tuple[str, ...]:
    """The contenders rotated by one each repeat (repeat 0 starts with plain fit)."""
    k = repeat % len(CONTENDERS)
    return CONTENDERS[k:] + CONTENDERS[:k]


def bench_timing(cfg: Config, log_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Seconds per trial of every contender: ``cfg.repeats`` blocks each, interleaved."""
    ctx = multiprocessing.get_context("spawn")
    workers: dict[str, Any] = {}
    result: dict[str, Any] = {
        "trials": cfg.trials,
        "repeats": cfg.repeats,
        "warmup_trials": cfg.warmup_trials,
        "epochs": cfg.epochs,
        "batch_size": cfg.batch_size,
        "orders": [],
    }
    for name in CONTENDERS:
        result[name] = {"runs": [], "errors": [], "skipped": None}
    try:
        for name in CONTENDERS:  # start them one after another, so imports do not compete
            parent, child = ctx.Pipe()
            log_path = str(log_dir / f"timing_{name}.log")
            proc = ctx.Process(
                target=timing_worker, args=(name, cfg, child, log_path), daemon=True
            )
            proc.start()
            child.close()
            hello = _receive(parent, 300.0)
            if hello is None or not hello.get("ready"):
                why = (
                    hello["error"]
                    if hello
                    else {"type": "Timeout", "message": "no answer in 300 s", "traceback": ""}
                )
                result[name]["skipped"] = (
                    f"does not import: {why['type']}: {why['message'].splitlines()[0][:300]}"
                )
                result[name]["errors"].append({**why, "log_tail": _log_tail(log_path)})
                log(f"[bench_keras] {name} skipped: {result[name]['skipped']}")
                proc.join(timeout=10)
                continue
            result[name].update(import_s=hello["import_s"], versions=hello["versions"])
            workers[name] = (proc, parent, log_path)
        for repeat in range(cfg.repeats):
            order = [name for name in contender_order(repeat) if name in workers]
            result["orders"].append(order)
            for name in order:
                proc, conn, log_path = workers[name]
                conn.send(("block", cfg.seed + 100 * repeat))
                answer = _receive(conn, cfg.block_timeout_s)
                if answer is None:
                    result[name]["errors"].append(
                        {
                            "type": "Timeout",
                            "repeat": repeat,
                            "log_tail": _log_tail(log_path),
                            "message": f"no answer in {cfg.block_timeout_s:.0f} s",
                            "traceback": "",
                        }
                    )
                elif answer["ok"]:
                    result[name]["runs"].append(
                        {"repeat": repeat, "position": order.index(name), **answer["result"]}
                    )
                    log(
                        f"[bench_keras]   repeat {repeat + 1}/{cfg.repeats} {name}: "
                        f"{answer['result']['s_per_trial']:.3f} s/trial"
                    )
                else:
                    result[name]["errors"].append({**answer["error"], "repeat": repeat})
                    log(
                        f"[bench_keras]   repeat {repeat + 1}/{cfg.repeats} {name} failed: "
                        f"{answer['error']['type']}: "
                        f"{answer['error']['message'].splitlines()[0][:200]}"
                    )
    finally:
        for _proc, conn, _ in workers.values():
            with contextlib.suppress(OSError):
                conn.send(("stop",))
        for proc, _, _ in workers.values():
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
                proc.join()
    return aggregate_timing(result)


def aggregate_timing(result: dict[str, Any]) -> dict[str, Any]:
    """Medians over repeats, pooled trial laps and overheads against plain fit (in place)."""
    for name in CONTENDERS:
        per_trial = [run["s_per_trial"] for run in result[name]["runs"]]
        if per_trial:
            result[name]["summary"] = summary(per_trial)
            for key in (
                "cpu_s_per_trial",
                "fit_s_per_trial",
                "outside_fit_s_per_trial",
                "median_lap_s",
                "setup_s",
            ):
                result[name][f"median_{key}"] = statistics.median(
                    run[key] for run in result[name]["runs"]
                )
    resets = [
        run["session_reset_s_per_trial"]
        for run in result["tftune"]["runs"]
        if run.get("session_reset_s_per_trial") is not None
    ]
    result["tftune"]["median_session_reset_s_per_trial"] = (
        statistics.median(resets) if resets else None
    )
    for name in CONTENDERS:
        laps = [lap for run in result[name]["runs"] for lap in run["laps_s"]]
        result[name]["pooled_median_lap_s"] = statistics.median(laps) if laps else None
    base = result["plain_fit"]
    for name in CONTENDERS:
        part = result[name]
        part["overhead_pct"] = _overhead(_median_of(result, name), _median_of(result, "plain_fit"))
        part["paired_overhead_pct"] = _paired_overheads(result, name)
        part["cpu_overhead_pct"] = _overhead(
            part.get("median_cpu_s_per_trial"), base.get("median_cpu_s_per_trial")
        )
        part["lap_overhead_pct"] = _overhead(
            part["pooled_median_lap_s"], base["pooled_median_lap_s"]
        )
    return result


def _receive(conn: Any, timeout: float) -> Any:
    try:
        return conn.recv() if conn.poll(timeout) else None
    except (EOFError, OSError):  # the worker died
        return None


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _median_of(result: dict[str, Any], name: str) -> float | None:
    return result[name].get("summary", {}).get("median")


def _overhead(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return (value / base - 1) * 100


def _paired_overheads(result: dict[str, Any], name: str) -> list[float]:
    """Per repeat: this contender's s/trial against plain fit's in the same repeat."""
    base = {run["repeat"]: run["s_per_trial"] for run in result["plain_fit"]["runs"]}
    return [
        (run["s_per_trial"] / base[run["repeat"]] - 1) * 100
        for run in result[name]["runs"]
        if run["repeat"] in base
    ]


# --- 2. memory: each contender alone in its own process ---------------------------------------
def memory_worker(name: str, cfg: Config, queue: Any, log_path: str) -> None:
    """Run ``cfg.memory_trials`` sequential trials, reading VmRSS every ``memory_sample_every``."""
    _redirect_output(log_path)
    report: dict[str, Any] = {"name": name, "samples": [], "error": None}
    try:
        report["rss_mb_start"] = rss_mb()
        import_contender(name)
        data = load_data(cfg.seed)
        report["rss_mb_after_import"] = rss_mb()
        with tempfile.TemporaryDirectory(prefix="tftune-bench-keras-mem-") as tmp:
            search = make_contender(
                name,
                data,
                cfg.memory_epochs,
                cfg.batch_size,
                cfg.seed,
                Clock(),
                tmp,
                "memory",
                cfg.memory_trials,
            )
            done, start = 0, time.perf_counter()
            while done < cfg.memory_trials:
                step = min(cfg.memory_sample_every, cfg.memory_trials - done)
                completed = search.run(step)
                if completed != step:
                    failures = search.failures() if hasattr(search, "failures") else []
                    raise RuntimeError(f"{completed} of {step} trials completed; {failures[-3:]}")
                done += step
                sample = {"trial": done, "rss_mb": rss_mb(), "s": time.perf_counter() - start}
                report["samples"].append({**sample, **leak_indicators()})
            report["seconds"] = time.perf_counter() - start
            report["extra"] = search.close()
    except BaseException as error:  # noqa: BLE001 - sent to the parent
        report["error"] = error_record(error)
    report["peak_rss_mb"] = peak_rss_mb()
    queue.put(report)


def leak_indicators() -> dict[str, int | None]:
    """Objects the cyclic GC tracks, and the ``CustomGradient-*`` entries in TensorFlow's global
    gradient registry (read after the RSS sample; ``gc.get_objects()`` builds a temporary list).

    Every ``fit`` of a new model adds such entries (Keras's TF optimizer all-reduces the gradients
    through ``tf.custom_gradient`` even under the default strategy) and they keep the traced
    training graph alive; ``keras.backend.clear_session()`` does not remove them.
    """
    try:
        from tensorflow.python.framework import ops

        registered = sum(
            key.startswith("CustomGradient-") for key in list(ops.gradient_registry._registry)
        )
    except Exception:  # noqa: BLE001 - private TensorFlow API, may move
        registered = None
    return {"gc_objects": len(gc.get_objects()), "custom_gradients": registered}


def bench_memory(cfg: Config, log_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """RSS growth over ``cfg.memory_trials`` trials; ``cfg.memory_jobs`` processes at a time."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    pending = list(MEMORY_CONTENDERS)
    running: dict[str, tuple[Any, float, str]] = {}
    reports: dict[str, dict[str, Any]] = {}
    while pending or running:
        while pending and len(running) < cfg.memory_jobs:
            name = pending.pop(0)
            log_path = str(log_dir / f"memory_{name}.log")
            proc = ctx.Process(
                target=memory_worker, args=(name, cfg, queue, log_path), daemon=True
            )
            proc.start()
            running[name] = (proc, time.monotonic(), log_path)
        try:
            report = queue.get(timeout=5.0)
        except Exception:  # noqa: BLE001 - queue.Empty: check for dead or overdue workers
            for name, (proc, started, log_path) in list(running.items()):
                overdue = time.monotonic() - started > cfg.memory_timeout_s
                if not proc.is_alive() or overdue:
                    if overdue:
                        proc.terminate()
                    proc.join(timeout=10)
                    reports[name] = {
                        "name": name,
                        "samples": [],
                        "error": {
                            "type": "Timeout" if overdue else "WorkerDied",
                            "message": (
                                "memory worker "
                                f"{'ran past its time limit' if overdue else 'exited'} "
                                f"(exit code {proc.exitcode})"
                            ),
                            "traceback": "",
                            "log_tail": _log_tail(log_path),
                        },
                    }
                    del running[name]
            continue
        name = report["name"]
        proc, started, log_path = running.pop(name)
        proc.join(timeout=30)
        report["wall_s"] = time.monotonic() - started
        if report["error"]:
            report["error"]["log_tail"] = _log_tail(log_path)
        reports[name] = report
        log(
            f"[bench_keras]   memory {name}: "
            + (
                f"{_memory_summary(report, cfg)['growth_mb']:.1f} MB growth"
                if not report["error"]
                else (
                    f"failed: {report['error']['type']}: "
                    f"{report['error']['message'].splitlines()[0][:200]}"
                )
            )
        )
    result: dict[str, Any] = {
        "trials": cfg.memory_trials,
        "epochs": cfg.memory_epochs,
        "warm_trial": cfg.memory_warm_trial,
        "jobs": cfg.memory_jobs,
    }
    for name in MEMORY_CONTENDERS:
        report = reports.get(
            name,
            {"samples": [], "error": {"type": "Missing", "message": "no report", "traceback": ""}},
        )
        result[name] = {
            **report,
            **(_memory_summary(report, cfg) if not report.get("error") else {}),
        }
    return result


def _memory_summary(report: dict[str, Any], cfg: Config) -> dict[str, Any]:
    by_trial = {s["trial"]: s for s in report["samples"]}
    warm, last = by_trial[cfg.memory_warm_trial], report["samples"][-1]
    growth = last["rss_mb"] - warm["rss_mb"]
    per_trial = growth / (last["trial"] - warm["trial"])
    later = [s for s in report["samples"] if s["trial"] >= cfg.memory_warm_trial]
    slope = (
        _slope([s["trial"] for s in later], [s["rss_mb"] for s in later])
        if len(later) > 2
        else per_trial
    )
    return {
        "rss_mb_warm": warm["rss_mb"],
        "rss_mb_last": last["rss_mb"],
        "last_trial": last["trial"],
        "growth_mb": growth,
        "mb_per_trial": per_trial,
        "slope_mb_per_trial": slope,
        "projected_growth_mb_200": per_trial * (GOAL_MEMORY_TRIALS - cfg.memory_warm_trial),
        "s_per_trial": last["s"] / last["trial"],
        "s_per_trial_first_chunk": report["samples"][0]["s"] / report["samples"][0]["trial"],
        "s_per_trial_last_chunk": (last["s"] - report["samples"][-2]["s"])
        / (last["trial"] - report["samples"][-2]["trial"])
        if len(report["samples"]) > 1
        else None,
        "gc_objects_per_trial": _per_trial(warm, last, "gc_objects"),
        "custom_gradients_per_trial": _per_trial(warm, last, "custom_gradients"),
    }


def _per_trial(first: dict[str, Any], last: dict[str, Any], key: str) -> float | None:
    if first.get(key) is None or last.get(key) is None or last["trial"] == first["trial"]:
        return None
    return (last[key] - first[key]) / (last["trial"] - first["trial"])


def _slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys on xs."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    covariance = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return covariance / sum((x - mx) ** 2 for x in xs)


# --- environment -----------------------------------------------------------------------------
def source_state() -> dict[str, Any]:
    """The git commit and whether src/ has uncommitted changes."""
    dirty = _git("status", "--porcelain", "--", "src")
    return {
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "src_uncommitted_changes": None if dirty is None else bool(dirty),
    }


def environment(cfg: Config) -> dict[str, Any]:
    dirty = _git("status", "--porcelain", "--", "src")
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "loadavg_start": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        **{
            key: _dist_version(dist)
            for key, dist in (
                ("tftune", "tftune"),
                ("tensorflow", "tensorflow"),
                ("keras", "keras"),
                ("optuna", "optuna"),
                ("keras_tuner", "keras-tuner"),
                ("scikit_learn", "scikit-learn"),
                ("numpy", "numpy"),
                ("sqlalchemy", "SQLAlchemy"),
                ("h5py", "h5py"),
            )
        },
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "src_uncommitted_changes": None if dirty is None else bool(dirty),
        "tmp_dir": tempfile.gettempdir(),
        "worker_env": WORKER_ENV,
        "mode": "quick" if cfg.quick else "full",
    }


# --- the Markdown report ---------------------------------------------------------------------
def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "—" if value is None else f"{value:,.{digits}f}{suffix}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f} %"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def timing_rows(res: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name in CONTENDERS:
        part = res[name]
        if part.get("skipped") or "summary" not in part:
            why = part.get("skipped") or "no successful repeat (see errors)"
            rows.append([LABELS[name], why] + ["—"] * 9)
            continue
        goal = "—"
        if name == "tftune":
            met = (
                "n/a"
                if part["overhead_pct"] is None
                else ("met" if part["overhead_pct"] <= GOAL_OVERHEAD_PCT else "**missed**")
            )
            goal = f"≤ +{GOAL_OVERHEAD_PCT:.0f} %: {met}"
        base = name == "plain_fit"
        rows.append(
            [
                LABELS[name],
                f"**{part['summary']['median']:.3f}**",
                "baseline" if base else f"**{_pct(part['overhead_pct'])}**",
                _fmt(part["pooled_median_lap_s"], 3),
                "baseline" if base else _pct(part["lap_overhead_pct"]),
                _fmt(part["median_cpu_s_per_trial"], 3),
                "baseline" if base else _pct(part["cpu_overhead_pct"]),
                _fmt(part["median_fit_s_per_trial"], 3),
                _fmt(part["median_outside_fit_s_per_trial"], 3),
                goal,
                _fmt(EARLIER_S_PER_TRIAL.get(name), 2),
            ]
        )
    return rows


def repeat_rows(res: dict[str, Any]) -> list[list[str]]:
    rows = []
    for repeat, order in enumerate(res["orders"]):
        cells = [str(repeat + 1), " → ".join(order)]
        for name in CONTENDERS:
            run = next((r for r in res[name]["runs"] if r["repeat"] == repeat), None)
            if run is None:
                cells.append("—")
                continue
            base = next((r for r in res["plain_fit"]["runs"] if r["repeat"] == repeat), None)
            rel = (
                ""
                if name == "plain_fit" or base is None
                else f" ({_pct((run['s_per_trial'] / base['s_per_trial'] - 1) * 100)})"
            )
            cells.append(f"{run['s_per_trial']:.3f}{rel}")
        load = [
            r["loadavg_1m"]
            for name in CONTENDERS
            for r in res[name]["runs"]
            if r["repeat"] == repeat
        ]
        cells.append(_fmt(max(load) if load else None, 2))
        rows.append(cells)
    return rows


def memory_rows(res: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name in MEMORY_CONTENDERS:
        part = res[name]
        if part.get("error"):
            err = part["error"]
            rows.append(
                [MEMORY_LABELS[name], f"failed: {err['type']}", "—", "—", "—", "—", "—", "—", "—"]
            )
            continue
        goal, met = "—", "—"
        if name == "tftune":
            value = (
                part["growth_mb"]
                if part["last_trial"] >= GOAL_MEMORY_TRIALS
                else part["projected_growth_mb_200"]
            )
            goal = f"≤ {GOAL_MEMORY_MB:.0f} MB / {GOAL_MEMORY_TRIALS} trials"
            met = "met" if value <= GOAL_MEMORY_MB else "**missed**"
            if part["last_trial"] < GOAL_MEMORY_TRIALS:
                met += " (projected)"
        rows.append(
            [
                MEMORY_LABELS[name],
                _fmt(part["rss_mb_warm"], 0),
                f"{_fmt(part['rss_mb_last'], 0)} (trial {part['last_trial']})",
                f"**{part['growth_mb']:+.1f}**",
                f"{part['mb_per_trial']:+.3f}",
                f"{part['slope_mb_per_trial']:+.3f}",
                _fmt(part["projected_growth_mb_200"], 0),
                _fmt(part.get("peak_rss_mb"), 0),
                f"{goal} {met}" if goal != "—" else "—",
            ]
        )
    return rows


def memory_curve_rows(res: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name in MEMORY_CONTENDERS:
        samples = res[name].get("samples") or []
        step = max(1, len(samples) // 10)
        shown = samples[::step] + (
            [samples[-1]] if samples and samples[-1] not in samples[::step] else []
        )
        part = res[name]
        rows.append(
            [
                MEMORY_LABELS[name],
                _fmt(part.get("rss_mb_after_import"), 0),
                ", ".join(f"{s['trial']}: {s['rss_mb']:.0f}" for s in shown) or "—",
                _fmt(part.get("gc_objects_per_trial"), 0),
                _fmt(part.get("custom_gradients_per_trial"), 1),
                f"{_fmt(part.get('s_per_trial_first_chunk'), 2)} → "
                f"{_fmt(part.get('s_per_trial_last_chunk'), 2)}",
            ]
        )
    return rows


def problem_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    timing = results.get("timing")
    if timing:
        for name in CONTENDERS:
            part = timing[name]
            if part.get("skipped"):
                lines.append(f"- timing, {name}: skipped, {part['skipped']}")
            for err in part["errors"]:
                where = f"repeat {err['repeat'] + 1}" if "repeat" in err else "start-up"
                lines.append(
                    f"- timing, {name}, {where}: {err['type']}: "
                    f"{err['message'].splitlines()[0][:300]}"
                    if err["message"]
                    else f"- timing, {name}, {where}: {err['type']}"
                )
            for run in part["runs"]:
                if run.get("failures"):
                    lines.append(
                        f"- timing, {name}, repeat {run['repeat'] + 1}: failed trials: "
                        f"{run['failures'][:2]}"
                    )
                if "best_model_error" in run:
                    err = run["best_model_error"]
                    lines.append(
                        f"- timing, {name}, repeat {run['repeat'] + 1}: `best_model()` raised "
                        f"{err['type']}: {err['message'].splitlines()[0][:300]}"
                    )
                elif name == "tftune" and run.get("best_model_matches") is False:
                    lines.append(
                        f"- timing, tftune, repeat {run['repeat'] + 1}: `best_model()` "
                        f"val_accuracy {run['best_model_val_accuracy']:.6f} ≠ best trial's "
                        f"{run['best_value']:.6f}"
                    )
    memory = results.get("memory")
    if memory:
        for name in MEMORY_CONTENDERS:
            err = memory[name].get("error")
            if err:
                lines.append(
                    f"- memory, {name}: {err['type']}: {err['message'].splitlines()[0][:300]}"
                )
    return lines


def render_markdown(env: dict[str, Any], results: dict[str, Any], cfg: Config) -> str:
    mode = "quick" if cfg.quick else "full"
    parts = [
        f"# Keras front door: tftune.keras.Tuner vs plain fit, Optuna and KerasTuner ({mode} run)",
        "",
        f"- Date: {env['date']}",
        f"- Machine: {env['nproc']} CPUs ({env['cpus_usable']} usable), {env['cpu_model']}; load "
        f"average at start {', '.join(f'{x:.2f}' for x in env['loadavg_start'])}"
        + (
            f", at end {', '.join(f'{x:.2f}' for x in env['loadavg_end'])}"
            if env.get("loadavg_end")
            else ""
        )
        + " (shared machine: other jobs ran during the benchmark)",
        f"- Python {env['python']} ({env['platform']})",
        f"- tftune {env['tftune']} (git {env['git_commit']}"
        + (", with uncommitted changes in src/" if env["src_uncommitted_changes"] else "")
        + (
            f"), TensorFlow {env['tensorflow']}, Keras {env['keras']}, Optuna {env['optuna']}, "
            f"KerasTuner {env['keras_tuner'] or 'not installed'}, scikit-learn "
            f"{env['scikit_learn']}, NumPy {env['numpy']}, SQLAlchemy {env['sqlalchemy']}, h5py "
            f"{env['h5py']}"
        ),
        *_source_lines(env, results),
        f"- Total benchmark time: {env.get('total_s', float('nan')):.0f} s",
        "",
        "Recipe: `keras.Sequential([Dense(64, relu), Dropout(rate), Dense(1, sigmoid)])`, "
        '`Adam(lr)`, binary cross-entropy, `metrics=["accuracy"]`, batch 32, on scikit-learn\'s '
        "breast-cancer data (standardised, stratified 80/20 train/validation split: 455/114 "
        "rows); objective `val_accuracy`; space `lr` log-uniform 1e-4…1e-1, `dropout` uniform "
        "0…0.5; TensorFlow on CPU, `verbose=0`, TensorFlow/tftune/Optuna logging silenced. "
        "Contenders:",
        "",
        "- **plain fit**: a loop that draws lr and dropout with NumPy, builds, compiles and fits "
        "with `validation_data` (no `clear_session`): the baseline.",
        '- **tftune**: `tftune.keras.Tuner(build, objective="val_accuracy", directory=<temp dir>, '
        "seed=...)`, defaults otherwise (SQLite study in the directory, random sampler, per-trial "
        "`clear_session` + seed, per-epoch reports, best weights saved); `tuner.search(x, y, "
        "validation_data=..., epochs, batch_size, n_trials)`.",
        "- **Optuna**: the objective as users usually write it (suggest, build, fit, return the "
        "last `val_accuracy`; no `clear_session`, no pruning callback), in-memory storage "
        "(Optuna's default) and `RandomSampler(seed)` (random search like the other two; with 12 "
        "trials the default TPE sampler would sample at random too).",
        '- **KerasTuner**: `keras_tuner.RandomSearch(build, objective="val_accuracy", '
        "max_trials=N, executions_per_trial=1, overwrite=True)` in a temp dir, defaults otherwise "
        "(it saves the best epoch's weights and the trial JSON each trial).",
        "",
        *_kerastuner_note(results),
        "Every contender runs in its own long-lived process (own imports and TensorFlow runtime). "
        "Each repeat sends every contender one block, the order rotated by one each repeat; a "
        f"block is an untimed warm-up search of {cfg.warmup_trials} trial, then a new search "
        "(study / tuner; setup not timed) of N trials, timed from the call to its return. s/trial "
        "= that time ÷ N. A `FitClock` callback (on_train_begin → on_train_end) given to every "
        "contender splits it into time inside `fit` (tftune's per-epoch reporting happens there) "
        "and outside (build, compile, `fit`'s set-up, and the tuner's own work).",
        "",
    ]
    timing = results.get("timing")
    if timing:
        parts += [
            f"## 1. Seconds per trial ({timing['epochs']} epochs, N={timing['trials']} trials, "
            f"median of {timing['repeats']} repeat{'s' if timing['repeats'] > 1 else ''})",
            "",
            _table(
                [
                    "Contender",
                    "s/trial (median of repeats)",
                    "overhead vs plain fit",
                    f"median single trial (all {timing['trials'] * timing['repeats']})",
                    "overhead",
                    "CPU s/trial",
                    "CPU overhead",
                    "in fit s/trial",
                    "outside fit s/trial",
                    "Goal (tftune)",
                    "earlier s/trial",
                ],
                timing_rows(timing),
            ),
            "",
            "s/trial: each block's wall time ÷ N, median over the repeats; overhead = that ÷ "
            "plain fit's − 1 (the issue's measure). Median single trial: the median of every "
            "timed trial of every repeat (from one build call to the next; robust to a burst of "
            "load from other jobs). CPU s/trial: the contender process's CPU time (all threads) ÷ "
            "N, median over repeats; it moves less than wall time when other jobs compete for the "
            'CPUs. "Earlier" are the numbers measured before this benchmark existed (not '
            "interleaved, no warm-up).",
            "",
            *_session_reset_note(timing),
            "### Every repeat (s/trial, overhead vs plain fit in the same repeat)",
            "",
            _table(
                ["Repeat", "Order", *[name for name in CONTENDERS], "max load (1 min)"],
                repeat_rows(timing),
            ),
            "",
        ]
    memory = results.get("memory")
    if memory:
        parts += [
            f"## 2. Memory over {memory['trials']} sequential trials "
            f"({memory['epochs']} epochs each)",
            "",
            f"Each contender in its own process ({memory['jobs']} at a time; RSS is per process), "
            f"RSS read from `/proc/self/status` (VmRSS) every {cfg.memory_sample_every} trials. "
            f"Growth = RSS after the last trial − RSS after trial {memory['warm_trial']} (warm). "
            "Same recipe and search space as above, each library's search object created once and "
            f"run in chunks of {cfg.memory_sample_every} trials.",
            "",
            _table(
                [
                    "Contender",
                    f"RSS after trial {memory['warm_trial']} (MB)",
                    "RSS at the end (MB)",
                    "growth (MB)",
                    "MB/trial",
                    "slope MB/trial (fit)",
                    f"projected growth over {GOAL_MEMORY_TRIALS}",
                    "peak RSS (MB)",
                    "Goal",
                ],
                memory_rows(memory),
            ),
            "",
            "### RSS curve (trial: MB)",
            "",
            _table(
                [
                    "Contender",
                    "RSS after imports (MB)",
                    "trial: RSS MB",
                    "GC-tracked objects added per trial",
                    "`CustomGradient-*` registry entries added per trial",
                    f"s/trial, first → last {cfg.memory_sample_every} trials",
                ],
                memory_curve_rows(memory),
            ),
            "",
            "The s/trial column is for information only: the memory processes ran at the same "
            "time on a shared machine. Objects and registry entries are counted from the warm "
            "trial to the last one. TensorFlow's global gradient registry "
            "(`tensorflow.python.framework.ops.gradient_registry`) gains `CustomGradient-N` "
            "entries on every `fit` of a new model: Keras 3's TensorFlow optimizer sums the "
            "gradients with `tf.distribute.get_replica_context().all_reduce`, which wraps them in "
            "`tf.custom_gradient`; in graph mode that registers a gradient function that closes "
            "over the traced train step's tensors, so the whole `FuncGraph` (about 9,400 Python "
            "objects and 5–7 MB here) stays alive. `keras.backend.clear_session()` does not "
            "remove these entries, so a per-trial `clear_session` alone does not stop the growth; "
            "a tuner has to drop them once a trial is over (the registry column shows which "
            "contenders do).",
            "",
        ]
    problems = problem_lines(results)
    parts += ["## Errors, failed trials and skipped contenders", ""] + (problems or ["None."])
    return "\n".join(parts) + "\n"


def _source_lines(env: dict[str, Any], results: dict[str, Any]) -> list[str]:
    """A line when the source the workers imported differs from the one at the start."""
    parts = []
    for name in ("timing", "memory"):
        source = results.get(name, {}).get("source_at_start")
        if source and (
            source["git_commit"] != env["git_commit"]
            or source["src_uncommitted_changes"] != env["src_uncommitted_changes"]
        ):
            parts.append(
                f"{name} started on git {source['git_commit']}"
                + (
                    " with uncommitted changes in src/"
                    if source["src_uncommitted_changes"]
                    else ""
                )
            )
    return [f"- Source changed during the run: {'; '.join(parts)}"] if parts else []


def _session_reset_note(timing: dict[str, Any]) -> list[str]:
    part = timing["tftune"]
    reset, outside, base = (
        part.get("median_session_reset_s_per_trial"),
        part.get("median_outside_fit_s_per_trial"),
        timing["plain_fit"].get("median_outside_fit_s_per_trial"),
    )
    if reset is None:
        return []
    extra = (
        ""
        if outside is None or base is None
        else (
            f" Outside `fit`, tftune spends {outside - base:+.3f} s/trial more than plain fit "
            "(median of repeats)."
        )
    )
    return [
        "tftune's per-trial session reset (`tftune.keras._tuner._fresh_session`: `clear_session`, "
        f"garbage collection, seeding), timed where the Tuner calls it: {reset * 1000:.0f} "
        f'ms/trial (median of repeats; part of "outside fit").{extra}',
        "",
    ]


def _kerastuner_note(results: dict[str, Any]) -> list[str]:
    patch = results.get("timing", {}).get("kerastuner", {}).get("versions", {}).get("patch")
    return [f"KerasTuner note: {patch}.", ""] if patch else []


# --- main ------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="4 trials x 1 repeat, 30 memory trials (~5 minutes)"
    )
    parser.add_argument(
        "--only",
        choices=("timing", "memory"),
        action="append",
        help="run only this part (repeatable)",
    )
    parser.add_argument(
        "--memory-jobs",
        type=int,
        default=3,
        help="memory processes running at the same time (default: %(default)s)",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=RESULTS_DIR, help="where to write the results"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.update(WORKER_ENV)  # inherited by the spawned workers
    cfg = Config.make(args.quick, max(1, args.memory_jobs))
    only = set(args.only) if args.only else {"timing", "memory"}

    def log(line: str) -> None:
        print(line, flush=True)

    began = time.perf_counter()
    env = environment(cfg)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tftune-bench-keras-logs-") as log_dir:
        for part, bench in (("timing", bench_timing), ("memory", bench_memory)):
            if part not in only:
                continue
            started = time.perf_counter()
            log(f"[bench_keras] {part} ...")
            source = (
                source_state()
            )  # other people may commit while this runs: record what the workers import
            results[part] = bench(cfg, Path(log_dir), log)
            results[part].update(elapsed_s=time.perf_counter() - started, source_at_start=source)
            log(f"[bench_keras] {part} done in {results[part]['elapsed_s']:.0f} s")
    env["total_s"] = time.perf_counter() - began
    env["loadavg_end"] = list(os.getloadavg())
    stem = f"{STEM}.quick" if cfg.quick else STEM
    args.output_dir.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(env, results, cfg)
    (args.output_dir / f"{stem}.md").write_text(markdown)
    payload = {"environment": env, "config": dataclasses.asdict(cfg), "results": results}
    (args.output_dir / f"{stem}.json").write_text(
        json.dumps(payload, indent=2, default=str) + "\n"
    )
    print(markdown)
    print(
        f"[bench_keras] wrote {args.output_dir / stem}.md and .json in {env['total_s']:.0f} s",
        flush=True,
    )
    timing_ok = "timing" not in results or "summary" in results["timing"]["tftune"]
    memory_ok = "memory" not in results or not results["memory"]["tftune"].get("error")
    return 0 if timing_ok and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
