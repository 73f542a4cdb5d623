"""KerasTuner 1.4.8 against ``tftune.keras_tuner`` (the same user code, one import changed).

Measures, side by side in one run, each contender in its own fresh process:
  1. RandomSearch on the getting-started model of keras.io's "Getting started with KerasTuner"
     (Flatten, 1-3 Dense layers of 32-512 units, relu/tanh, optional dropout, Adam with a
     log-uniform learning rate) on MNIST-shaped digits (scikit-learn's 8x8 digits scaled to
     28x28; 1,200 train / 597 validation rows), 2 epochs per trial: configurations per
     minute and the best ``val_accuracy`` at equal trials;
  2. BayesianOptimization's own cost per trial (``run_trial`` returns ``(x - 0.3)**2 + ...`` at
     once, so all the time is the tuner's): the mean seconds per trial around trials 50, 100
     and 200, over a 4-dimensional space;
  3. memory: resident set size (``VmRSS``) before and after 200 RandomSearch trials of a tiny
     model (1 epoch), each contender in its own process.

Results go to ``benchmarks/results/keras_tuner.{md,json}`` (``--quick``: fewer trials, written
to ``keras_tuner.quick.{md,json}``).

``--rounds N`` repeats section 1 N times, interleaved (KerasTuner, tftune, KerasTuner, ...),
each run in a fresh process, and quotes the medians and the ratio of the medians with the load
average around each run: on a shared machine the load changes between runs.

Run:  .venv/bin/python benchmarks/bench_keras_tuner.py [--quick] [--only random] [--rounds 3]
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _environment import cpu_model, dist_version, git

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CONTENDERS = {"kerastuner": "KerasTuner 1.4.8", "tftune": "tftune.keras_tuner"}
ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", "KERAS_BACKEND": "tensorflow"}


# --- the code a KerasTuner user writes (run in the worker, with either import) -----------------
def _import(contender: str) -> Any:
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    logging.getLogger("tftune").setLevel(logging.ERROR)
    if contender == "kerastuner":
        import keras_tuner

        return keras_tuner
    import tftune.keras_tuner

    return tftune.keras_tuner


def _data() -> tuple[Any, Any, Any, Any]:
    import numpy as np
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.kron(digits.images / 16.0, np.ones((3, 3)))
    x = np.pad(images, ((0, 0), (2, 2), (2, 2))).astype("float32")
    y = np.eye(10, dtype="float32")[digits.target]
    return x[:1200], y[:1200], x[1200:], y[1200:]


def build_model(hp: Any) -> Any:
    import keras
    from keras import layers

    model = keras.Sequential()
    model.add(layers.Flatten())
    for i in range(hp.Int("num_layers", 1, 3)):
        model.add(
            layers.Dense(
                units=hp.Int(f"units_{i}", min_value=32, max_value=512, step=32),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(rate=0.25))
    model.add(layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def tiny_model(hp: Any) -> Any:
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(hp.Int("units", 4, 32, step=4)),
            keras.layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-1, sampling="log")), "mse")
    return model


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _PackCounter(logging.Handler):
    """Records the size of each pack tftune trains (its INFO line), printing nothing."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.sizes: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = re.search(r"as one pack of (\d+)\.$", record.getMessage())
        if found:
            self.sizes.append(int(found.group(1)))


def _count_packs() -> _PackCounter:
    """Count tftune's packs: its logger passes INFO records to the counter alone (its own
    handlers stay at ERROR, so it prints no more than the other contender)."""
    logger = logging.getLogger("tftune")
    for handler in logger.handlers:
        handler.setLevel(logging.ERROR)
    counter = _PackCounter()
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    return counter


def work_random_search(contender: str, trials: int, directory: str) -> dict[str, Any]:
    kt = _import(contender)
    counter = _count_packs() if contender == "tftune" else None
    x_train, y_train, x_val, y_val = _data()
    tuner = kt.RandomSearch(
        hypermodel=build_model,
        objective="val_accuracy",
        max_trials=trials,
        overwrite=True,
        directory=directory,
        project_name="random",
        seed=0,
    )
    start = time.perf_counter()
    tuner.search(x_train, y_train, epochs=2, validation_data=(x_val, y_val), verbose=0)
    seconds = time.perf_counter() - start
    best = tuner.oracle.get_best_trials(1)[0]
    result = {"seconds": seconds, "trials": trials, "best_val_accuracy": float(best.score)}
    if counter is not None:  # packs trained, their sizes, and the trials that ran alone
        result["pack_sizes"] = counter.sizes
        result["trials_alone"] = trials - sum(counter.sizes)
    return result


def work_bayesian(contender: str, trials: int, directory: str) -> dict[str, Any]:
    kt = _import(contender)
    stamps: list[float] = []

    class Black(kt.BayesianOptimization):  # type: ignore[misc, name-defined]
        def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> float:
            stamps.append(time.perf_counter())
            hp = trial.hyperparameters
            return float(
                (hp.Float("x", -1.0, 1.0) - 0.3) ** 2
                + (hp.Float("y", 1e-3, 1.0, sampling="log") - 0.1) ** 2
                + hp.Int("n", 1, 10) / 100
                + (0.0 if hp.Choice("c", ["a", "b", "c"]) == "b" else 0.05)
            )

    tuner = Black(
        max_trials=trials, overwrite=True, directory=directory, project_name="bo", seed=0
    )
    tuner.search()
    stamps.append(time.perf_counter())
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    return {"gaps": gaps, "trials": trials}


def work_memory(contender: str, trials: int, directory: str) -> dict[str, Any]:
    import gc

    import numpy as np

    kt = _import(contender)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = x[:, :1] - x[:, 1:2]
    warm = kt.RandomSearch(
        tiny_model,
        "val_loss",
        max_trials=2,
        overwrite=True,
        directory=directory,
        project_name="warm",
    )
    warm.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    gc.collect()
    before = _rss_mb()
    tuner = kt.RandomSearch(
        tiny_model,
        "val_loss",
        max_trials=trials,
        overwrite=True,
        directory=directory,
        project_name="memory",
    )
    start = time.perf_counter()
    tuner.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    seconds = time.perf_counter() - start
    gc.collect()
    return {"before_mb": before, "after_mb": _rss_mb(), "trials": trials, "seconds": seconds}


WORK = {"random": work_random_search, "bayesian": work_bayesian, "memory": work_memory}


# --- the parent: one fresh process per measurement -------------------------------------------
def run_worker(kind: str, contender: str, trials: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        code = (
            "import json, sys; sys.path.insert(0, sys.argv[1]); import bench_keras_tuner as b; "
            "print('RESULT ' + json.dumps(b.WORK[sys.argv[2]](sys.argv[3], int(sys.argv[4]), "
            "sys.argv[5])))"
        )
        command = [sys.executable, "-c", code, str(HERE), kind, contender, str(trials), directory]
        env = dict(os.environ, **ENV)
        out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{kind}/{contender} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def _around(gaps: list[float], trial: int, window: int = 10) -> float:
    part = gaps[max(0, trial - window) : trial]
    return statistics.mean(part) if part else float("nan")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _previous_date(table: Path) -> str:
    """The date line of the last results table (for the sections this run does not redo)."""
    if table.exists():
        for line in table.read_text().splitlines():
            if line.startswith("- Date: "):
                return line.removeprefix("- Date: ")
    return "an earlier run"


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median search time (the lower middle one of an even count), with the
    seconds of every round under ``runs``."""
    ordered = sorted(runs, key=lambda run: run["seconds"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["seconds"] = statistics.median(run["seconds"] for run in runs)
    keys = ("seconds", "load", "best_val_accuracy")
    median["runs"] = [{k: run[k] for k in keys} for run in runs]
    return median


def _random_tables(section: dict[str, Any]) -> list[str]:
    """Section 1's tables of one run (its contenders, its interleaved rounds) and its ratios:
    of the median runs' configurations per minute, and the median of the rounds' ratios."""
    lines = [
        "| Contender | search s | configurations / min | best val_accuracy | packs formed |",
        "|---|---|---|---|---|",
    ]
    per_minute = {}
    for contender, label in CONTENDERS.items():
        r = section[contender]
        per_minute[contender] = r["trials"] / r["seconds"] * 60
        packs = (
            f"{len(r['pack_sizes'])} (sizes {', '.join(map(str, r['pack_sizes'])) or '-'}; "
            f"{r['trials_alone']} trials alone)"
            if "pack_sizes" in r
            else "-"
        )
        lines.append(
            f"| {label} | {r['seconds']:.1f} | **{per_minute[contender]:.1f}** | "
            f"{r['best_val_accuracy']:.4f} | {packs} |"
        )
    ratio = per_minute["tftune"] / per_minute["kerastuner"]
    runs = {c: section[c].get("runs") for c in CONTENDERS}
    ratios = []
    if all(runs.values()):
        lines += [
            "",
            "| Round | KerasTuner s (load before, after) | tftune s (load before, after) "
            "| ratio |",
            "|---|---|---|---|",
        ]
        pairs = zip(runs["kerastuner"], runs["tftune"], strict=False)
        for number, (a, b) in enumerate(pairs, 1):
            ratios.append(a["seconds"] / b["seconds"])
            lines.append(
                f"| {number} | {a['seconds']:.1f} ({a['load'][0]:.1f}, {a['load'][1]:.1f}) | "
                f"{b['seconds']:.1f} ({b['load'][0]:.1f}, {b['load'][1]:.1f}) | "
                f"{ratios[-1]:.1f}x |"
            )
    return [
        *lines,
        "",
        f"tftune / KerasTuner configurations per minute: **{ratio:.1f}x** (goal: at least 10x"
        + (
            f"; the ratio of the medians; the median of the rounds' ratios "
            f"{statistics.median(ratios):.1f}x"
            if ratios
            else ""
        )
        + ").",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--only",
        choices=("random", "bayesian", "memory"),
        action="append",
        help="rerun only these parts; the others are read from the last results JSON",
    )
    parser.add_argument("--bo-trials", type=int, default=None, help="BayesianOptimization trials")
    parser.add_argument(
        "--rounds", type=int, default=1, help="interleaved repeats of section 1 (medians quoted)"
    )
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="run nothing: rewrite the markdown table from the results JSON (a stopped run's)",
    )
    args = parser.parse_args(argv)
    random_trials, bo_trials, memory_trials = (6, 50, 30) if args.quick else (24, 200, 200)
    if args.bo_trials is not None:
        bo_trials = args.bo_trials
    started = time.perf_counter()
    load_start = os.getloadavg()
    stem = "keras_tuner.quick" if args.quick else "keras_tuner"
    RESULTS.mkdir(exist_ok=True)
    results: dict[str, Any] = {"random": {}, "bayesian": {}, "memory": {}}
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    previous_date = _previous_date(RESULTS / f"{stem}.md")
    if args.only or args.table_only:  # the parts not rerun come from the last results
        results.update(json.loads((RESULTS / f"{stem}.json").read_text()))
        for kind in results:
            if kind not in (args.only or ()):
                results[kind].setdefault("date", previous_date)
    rounds: dict[str, list[dict[str, Any]]] = {contender: [] for contender in CONTENDERS}
    plan = (
        [
            ("random", contender, random_trials)
            for _ in range(args.rounds)
            for contender in CONTENDERS
        ]
        + [("bayesian", contender, bo_trials) for contender in reversed(CONTENDERS)]
        + [("memory", contender, memory_trials) for contender in CONTENDERS]
    )  # (the order alternates between the measurements)
    for kind, contender, trials in [] if args.table_only else plan:
        if args.only and kind not in args.only:
            continue
        load_before = os.getloadavg()[0]
        result = run_worker(kind, contender, trials)
        if kind == "random":  # one of the interleaved rounds; the median run stands for all
            result["load"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            rounds[contender].append(result)
            result = _median_run(rounds[contender])
        results[kind][contender] = result
        results[kind]["date"] = _now()
        print(kind, contender, "done", result.get("seconds"), os.getloadavg()[0], flush=True)
        (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    load_end = os.getloadavg()
    if args.table_only:
        runs = [r["load"] for c in CONTENDERS for r in results["random"][c].get("runs", [])]
        load_start = tuple(min(pair) for pair in zip(*runs, strict=True)) if runs else load_start
        load_end = tuple(max(pair) for pair in zip(*runs, strict=True)) if runs else load_end
        args.rounds = max(len(results["random"][c].get("runs", [1])) for c in CONTENDERS)
    bo_trials = min(len(results["bayesian"][c]["gaps"]) for c in CONTENDERS)
    checkpoints = [n for n in (50, 100, 200) if n <= bo_trials]

    lines = [
        "# KerasTuner 1.4.8 vs tftune.keras_tuner (one import changed)"
        + (" (quick)" if args.quick else ""),
        "",
        f"- Date: {results['random'].get('date', _now()) if args.table_only else _now()}",
        f"- Machine: {os.cpu_count()} CPUs, {cpu_model()}; "
        + (
            "1-minute load average over section 1's runs: lowest "
            f"{', '.join(f'{v:.2f}' for v in load_start)} (before, after a run), highest "
            f"{', '.join(f'{v:.2f}' for v in load_end)} (shared machine)"
            if args.table_only
            else f"load average at start {', '.join(f'{v:.2f}' for v in load_start)}, at end "
            f"{', '.join(f'{v:.2f}' for v in load_end)} (shared machine)"
        ),
        f"- tftune (git {git('rev-parse', '--short', 'HEAD')}), TensorFlow "
        f"{dist_version('tensorflow')}, Keras {dist_version('keras')}, KerasTuner "
        f"{dist_version('keras-tuner')}",
        (
            "- Table rewritten from the results JSON (`--table-only`) after the run was stopped"
            if args.table_only
            else f"- Total benchmark time: {time.perf_counter() - started:.0f} s"
        ),
        "",
        "Each measurement runs in a fresh process per contender, with the same user code; only "
        "the import differs (`import keras_tuner` / `import tftune.keras_tuner as keras_tuner`). "
        "TensorFlow, KerasTuner and tftune logging silenced alike, `verbose=0`, CPU only. "
        + (
            "One run of each (no repeats): read the ratios, not the last digit."
            if args.rounds == 1
            else f"Section 1: {args.rounds} interleaved rounds (KerasTuner, tftune, KerasTuner, "
            "...), medians quoted; sections 2 and 3: one run of each."
        ),
        "",
        *(
            [
                f"Rerun here: section(s) {', '.join(sorted(args.only))}; the others are the "
                "rows of the earlier run of "
                + ", ".join(
                    sorted({str(results[k].get("date")) for k in results if k not in args.only})
                )
                + " (its machine load and git revision, not this one's).",
                "",
            ]
            if args.only
            else []
        ),
        f"## 1. RandomSearch, getting-started model, {random_trials} trials of 2 epochs",
        "",
        *_random_tables(results["random"]),
    ]
    # runs kept for the record (a labelled "other_runs" entry of the results JSON, each with
    # its date, git revision, load and why it is not comparable), below the headline run
    for other in results["random"].get("other_runs", []):
        lines += [
            "",
            f"### Another run, not comparable with the one above ({other['date']}, git "
            f"{other['git']}, 1-minute load {other['load']})",
            "",
            other["note"],
            "",
            *_random_tables(other),
        ]
    lines += [
        "",
        f"## 2. BayesianOptimization: the tuner's own seconds per trial ({bo_trials} trials)",
        "",
        "Mean time between consecutive `run_trial` calls over the 10 trials before each mark "
        "(`run_trial` itself returns at once).",
        "",
        "| Contender | " + " | ".join(f"trials {n - 9}-{n}" for n in checkpoints) + " |",
        "|---|" + "---|" * len(checkpoints),
    ]
    overhead = {}
    for contender, label in CONTENDERS.items():
        gaps = results["bayesian"][contender]["gaps"]
        overhead[contender] = [_around(gaps, n) for n in checkpoints]
        lines.append(
            f"| {label} | " + " | ".join(f"{v * 1000:.1f} ms" for v in overhead[contender]) + " |"
        )
    last = overhead["kerastuner"][-1] / overhead["tftune"][-1]
    lines += [
        "",
        f"KerasTuner / tftune at trial {checkpoints[-1]}: **{last:.0f}x** "
        "(goal: tftune at most 1/50 of KerasTuner's).",
        "",
        f"## 3. Memory over {memory_trials} RandomSearch trials (tiny model, 1 epoch)",
        "",
        "| Contender | RSS before MB | RSS after MB | growth MB | search s |",
        "|---|---|---|---|---|",
    ]
    for contender, label in CONTENDERS.items():
        m = results["memory"][contender]
        lines.append(
            f"| {label} | {m['before_mb']:.0f} | {m['after_mb']:.0f} | "
            f"**{m['after_mb'] - m['before_mb']:.0f}** | {m['seconds']:.0f} |"
        )
    lines += ["", "Goal: growth under 100 MB over 200 trials."]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
