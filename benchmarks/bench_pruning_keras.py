"""Pruning with model-based search on Keras tasks (issue 17): best test accuracy against epochs.

  PYTHONPATH=src python benchmarks/bench_pruning_keras.py --seeds 3 [--trials 20 --epochs 12]

Tasks (``_pruning/keras_tasks.py``): digits (MLP), breast cancer (the recipe model) and
digits_cnn (a one-layer CNN on the 8x8 digits); objective val_accuracy, held-out: test accuracy.
Contenders, side by side in one run, same seeds:

* ``tftune_tpe_nop``: tftune's TPE, no pruning (the unpruned search);
* ``tftune_tpe_asha``: tftune's TPE + ASHA (min 1, factor 3; its defaults: the optimistic bound
  of the predicted final value and the "cannot beat the best" rule);
* ``tftune_tpe_hyperband`` and ``optuna_tpe_hyperband``: each library's TPE + Hyperband (min 1,
  max ``--epochs``, factor 3);
* ``kerastuner_hyperband``: KerasTuner's Hyperband (max_epochs ``--epochs``, factor 3, its own
  random draws), stopped once it has trained a third of the unpruned search's epochs;
* ``one_epoch_top_k``: ``--trials`` random configurations for one epoch, the best ``TOP_K`` (by
  val_accuracy) trained on to ``--epochs``.

Every tftune/Optuna contender runs ``--trials`` trials through the same objective (one Keras
model per trial, seeded from its configuration); a candidate is a trial that trained to the
last epoch, scored by its last val_accuracy (KerasTuner: its best epoch's, as
``get_best_models`` chooses). Measured: epochs trained (load-independent) and, at every
candidate, (epochs so far, val, test accuracy of that model); reported: the test accuracy of
the best-val candidate within a third of the unpruned search's epochs and at the end. Writes
results/pruning_keras_tpe.{md,json} (the JSON after every job).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

RESULTS = Path(__file__).resolve().parent / "results"
TASKS = ("digits", "breast_cancer", "digits_cnn")
CONTENDERS = (
    "tftune_tpe_nop",
    "tftune_tpe_asha",
    "tftune_tpe_hyperband",
    "optuna_tpe_hyperband",
    "kerastuner_hyperband",
    "one_epoch_top_k",
)
TOP_K = 4


def _silence() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    warnings.filterwarnings("ignore")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    for name in ("optuna", "tftune"):
        try:
            lib = __import__(name)
        except ImportError:
            continue
        lib.logging.set_verbosity(lib.logging.ERROR if name == "optuna" else logging.WARNING)


def _search(contender: str, task: str, seed: int, trials: int, epochs: int) -> dict[str, Any]:
    import keras

    from _pruning import keras_tasks as kt_tasks

    lib_name, _, pruner_name = contender.split("_")
    lib = __import__(lib_name)
    data = kt_tasks.load_task(task)
    ledger = kt_tasks.Ledger()
    tracker = kt_tasks.make_tracker(task, data, ledger, "final")
    suggest = kt_tasks.suggest(task)
    pruner = {
        "nop": lambda: lib.pruners.NopPruner(),
        "asha": lambda: lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
        "hyperband": lambda: lib.pruners.HyperbandPruner(
            min_resource=1, max_resource=epochs, reduction_factor=3
        ),
    }[pruner_name]()
    study = lib.create_study(
        direction="maximize", sampler=lib.samplers.TPESampler(seed=seed), pruner=pruner
    )

    class Report(keras.callbacks.Callback):
        def __init__(self, trial: Any) -> None:
            super().__init__()
            self.trial = trial

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.trial.report(float(logs["val_accuracy"]), epoch + 1)
            if epoch + 1 < epochs and self.trial.should_prune():
                raise lib.TrialPruned()

    def objective(trial: Any) -> float:
        params = suggest(trial)
        keras.backend.clear_session()
        keras.utils.set_random_seed(kt_tasks.config_seed(seed, params))
        model = kt_tasks.build_model(task, params)
        history = model.fit(
            data["x_train"],
            data["y_train"],
            validation_data=(data["x_val"], data["y_val"]),
            epochs=epochs,
            batch_size=kt_tasks.batch_size_of(params),
            verbose=0,
            callbacks=[tracker, Report(trial)],
        )
        return float(history.history["val_accuracy"][-1])

    study.optimize(objective, n_trials=trials)
    states = [t.state.name for t in study.get_trials(deepcopy=False)]
    return {
        "epochs": ledger.epochs,
        "events": ledger.events,
        "complete": states.count("COMPLETE"),
        "pruned": states.count("PRUNED"),
    }


def _one_epoch(task: str, seed: int, trials: int, epochs: int) -> dict[str, Any]:
    import keras

    import tftune
    from _pruning import keras_tasks as kt_tasks

    data = kt_tasks.load_task(task)
    ledger = kt_tasks.Ledger()
    tracker = kt_tasks.make_tracker(task, data, ledger, "final")
    suggest = kt_tasks.suggest(task)
    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=seed))
    drawn = []
    fit = {"validation_data": (data["x_val"], data["y_val"]), "verbose": 0}
    for _ in range(trials):
        trial = study.ask()
        params = suggest(trial)
        keras.utils.set_random_seed(kt_tasks.config_seed(seed, params))
        model = kt_tasks.build_model(task, params)
        history = model.fit(
            data["x_train"], data["y_train"], epochs=1,
            batch_size=kt_tasks.batch_size_of(params), **fit,
        )  # fmt: skip
        ledger.epochs += 1  # no tracker on the first epoch: not a candidate
        drawn.append((float(history.history["val_accuracy"][-1]), len(drawn), model, params))
        study.tell(trial, drawn[-1][0])
    for _, _, model, params in sorted(drawn, key=lambda d: (-d[0], d[1]))[:TOP_K]:
        model.fit(
            data["x_train"], data["y_train"], epochs=epochs, initial_epoch=1,
            batch_size=kt_tasks.batch_size_of(params), callbacks=[tracker], **fit,
        )  # fmt: skip
    return {"epochs": ledger.epochs, "events": ledger.events, "complete": TOP_K, "pruned": 0}


def run(job: tuple[str, str, int, int, int]) -> dict[str, Any]:
    task, contender, seed, trials, epochs = job
    _silence()
    from _pruning import keras_tasks as kt_tasks

    began = time.perf_counter()
    try:
        if contender == "kerastuner_hyperband":
            with tempfile.TemporaryDirectory(prefix="tftune-bench-") as workdir:
                out = kt_tasks.run_kerastuner(task, seed, epochs, trials * epochs // 3, workdir)
            out = {k: out[k] for k in ("epochs", "events", "n_complete", "n_trials")}
        elif contender == "one_epoch_top_k":
            out = _one_epoch(task, seed, trials, epochs)
        else:
            out = _search(contender, task, seed, trials, epochs)
    except Exception as error:  # noqa: BLE001 - recorded, the run goes on
        out = {"error": f"{type(error).__name__}: {error}"}
    return {"task": task, "contender": contender, "seed": seed, **out,
            "seconds": time.perf_counter() - began}  # fmt: skip


def best_test(events: list[list[float]], budget: int | None) -> float | None:
    """The test accuracy of the best-val candidate within ``budget`` epochs (the earliest of
    equal ones), None if there is none."""
    within = [e for e in events if budget is None or e[0] <= budget]
    if not within:
        return None
    return max(within, key=lambda e: (e[1], -e[0]))[2]


def _p(a: list[float], b: list[float]) -> float | None:
    from scipy.stats import wilcoxon

    pairs = [(x, y) for x, y in zip(a, b, strict=True)]
    if len(pairs) < 2 or all(x == y for x, y in pairs):
        return None
    return float(wilcoxon([x for x, _ in pairs], [y for _, y in pairs]).pvalue)


def render(payload: dict[str, Any], trials: int, epochs: int) -> str:
    results = [r for r in payload["results"] if "error" not in r]
    budget = trials * epochs // 3
    lines = [
        "# Pruning with model-based search on Keras tasks (issue 17)",
        "",
        f"Written by `benchmarks/bench_pruning_keras.py`: {trials} trials of up to {epochs} "
        f"epochs per tftune/Optuna contender, budget {budget} epochs (a third of the unpruned "
        "search's). Test accuracy of the best-val candidate (trained to the last epoch), mean "
        "over seeds; p: Wilcoxon signed-rank against tftune_tpe_asha, paired by seed (None: "
        "fewer than 2 seeds or all tied).",
        "",
        f"Load average at start {payload['load_start']}, at end {payload.get('load_end')} (2 "
        "shared cores, `nice -n 19`); epochs do not depend on the load.",
        "",
        "| task | contender | seeds | mean epochs | test acc within budget | p | "
        "test acc at the end | p |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in TASKS:
        rows = {c: [r for r in results if r["task"] == task and r["contender"] == c]
                for c in CONTENDERS}  # fmt: skip
        ref = {r["seed"]: r for r in rows["tftune_tpe_asha"]}
        for c, rs in rows.items():
            if not rs:
                continue
            cells = []
            for b in (budget, None):
                values = [best_test(r["events"], b) for r in rs]
                known = [v for v in values if v is not None]
                paired = [
                    (best_test(r["events"], b), best_test(ref[r["seed"]]["events"], b))
                    for r in rs
                    if r["seed"] in ref
                ]
                paired = [(x, y) for x, y in paired if x is not None and y is not None]
                p = None if c == "tftune_tpe_asha" else _p(*map(list, zip(*paired, strict=True)))
                missing = len(values) - len(known)
                cells.append(
                    (f"{statistics.fmean(known):.4f}" if known else "none")
                    + (f" ({missing} without)" if missing else "")
                )
                cells.append("-" if p is None else f"{p:.3g}")
            mean_epochs = statistics.fmean(r["epochs"] for r in rs)
            head = f"| {task} | {c} | {len(rs)} | {mean_epochs:.0f} | "
            lines.append(head + " | ".join(cells) + " |")
    lines += _goal_lines(results, budget)
    errors = [r for r in payload["results"] if "error" in r]
    if errors:
        lines += ["", "Errors: " + "; ".join(f"{r['task']}/{r['contender']}/{r['seed']}: "
                                             f"{r['error'][:200]}" for r in errors)]  # fmt: skip
    return "\n".join(lines) + "\n"


def _mean(by: dict[Any, dict[str, Any]], seeds: list[int], c: str, b: int | None) -> float:
    """Mean best test accuracy of contender ``c`` over ``seeds`` (0 where it has none)."""
    values = [best_test(by[c, s]["events"], b) for s in seeds]
    return statistics.fmean(v if v is not None else 0.0 for v in values)


def _goal_lines(results: list[dict[str, Any]], budget: int) -> list[str]:
    """Issue 17's Keras goal per task, on the seeds every needed contender has: tftune's TPE +
    ASHA within one validation row (1 / validation rows of accuracy) of the unpruned search's
    final test accuracy at no more than a third of its epochs, and no worse than Optuna's TPE +
    Hyperband within the budget."""
    from _pruning import keras_tasks as kt_tasks

    lines = ["", "| task | seeds | one val row | asha - nop (end) | asha epochs / nop | "
             "asha - optuna_tpe_hyperband (budget) |", "|---|---|---|---|---|---|"]  # fmt: skip
    for task in TASKS:
        by = {(r["contender"], r["seed"]): r for r in results if r["task"] == task}
        need = ("tftune_tpe_asha", "tftune_tpe_nop", "optuna_tpe_hyperband")
        seeds = sorted({s for _, s in by if all((c, s) in by for c in need)})
        if not seeds:
            continue
        row = 1.0 / kt_tasks.load_task(task)["sizes"]["y_val"]

        share = statistics.fmean(by["tftune_tpe_asha", s]["epochs"] for s in seeds) / (
            statistics.fmean(by["tftune_tpe_nop", s]["epochs"] for s in seeds)
        )
        gap = _mean(by, seeds, "tftune_tpe_asha", None) - _mean(by, seeds, "tftune_tpe_nop", None)
        vs = _mean(by, seeds, "tftune_tpe_asha", budget) - _mean(
            by, seeds, "optuna_tpe_hyperband", budget
        )
        lines.append(f"| {task} | {len(seeds)} | {row:.4f} | {gap:+.4f} | {share:.2f} | "
                     f"{vs:+.4f} |")  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument("--workers", type=int, default=2, help="parallel jobs (processes)")
    args = parser.parse_args(argv)
    jobs = [
        (task, c, seed, args.trials, args.epochs)
        for seed in range(args.seeds)
        for task in args.tasks.split(",")
        for c in args.contenders.split(",")
    ]
    payload: dict[str, Any] = {
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "trials": args.trials,
        "epochs": args.epochs,
        "results": [],
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    out = args.output_dir / "pruning_keras_tpe"
    began = time.perf_counter()
    env = {"OMP_NUM_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}
    os.environ.update(env)
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for result in pool.imap_unordered(run, jobs):
            payload["results"].append(result)
            payload["load_end"] = [round(x, 2) for x in os.getloadavg()]
            payload["elapsed_s"] = time.perf_counter() - began
            out.with_suffix(".json").write_text(json.dumps(payload, indent=1))
            try:
                out.with_suffix(".md").write_text(render(payload, args.trials, args.epochs))
            except Exception as error:  # noqa: BLE001 - the JSON is kept; render it later
                print(f"render failed: {error!r}", flush=True)
            print(result["task"], result["contender"], result["seed"], result.get("epochs"),
                  result.get("error", ""), f"{result['seconds']:.0f}s", flush=True)  # fmt: skip
    print(render(payload, args.trials, args.epochs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
