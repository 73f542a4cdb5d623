"""Pruning on slow starters (issue 17): small learning rates learn slowly but end best.

  PYTHONPATH=src python benchmarks/bench_pruning_slow.py --seeds 40 [--curves steady]

60 trials of up to 27 epochs per contender and seed, Hyperband min 1 / max 27 / factor 3 (ASHA
min 1 / factor 3; ``asharung``: tftune's ASHA with ``curve_horizon="next_rung"``, its rule
before issue 17), curves from _pruning/slow_starters.py. Measured: the true final loss of the
complete trial with the best reported final value, and the epochs trained; also, for equal
steps, the same measure over the trials complete within ``BUDGET`` epochs (a third of the
unpruned search's, the issue's compute budget). The one-epoch top-k
baseline ("Is One Epoch All You Need", arXiv 2307.15422) trains ``N_TRIALS`` random
configurations for one epoch and the best ``TOP_K`` to the end. Writes
results/pruning_slow_starters.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pruning.slow_starters import MAX_STEPS, final_loss, noisy_curve, suggest  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
N_TRIALS = 60
TOP_K = 8
BUDGET = N_TRIALS * MAX_STEPS // 3  # a third of the unpruned search's epochs
CONTENDERS = (
    "tftune_tpe_nop",
    "tftune_tpe_hyperband",
    "optuna_tpe_hyperband",
    "tftune_random_hyperband",
    "optuna_random_hyperband",
    "tftune_tpe_asha",
    "tftune_tpe_asharung",
    "optuna_tpe_asha",
    "tftune_random_asha",
    "optuna_random_asha",
    "one_epoch_top_k",
)


def _lib(name: str) -> Any:
    import importlib

    lib = importlib.import_module(name)
    if name == "optuna":
        lib.logging.set_verbosity(lib.logging.ERROR)
    else:
        lib.logging.set_verbosity(logging.WARNING)
    warnings.filterwarnings("ignore")
    return lib


def _study(contender: str, seed: int) -> Any:
    lib_name, sampler_name, pruner_name = contender.split("_")
    lib = _lib(lib_name)
    sampler = (
        lib.samplers.TPESampler(seed=seed)
        if sampler_name == "tpe"
        else lib.samplers.RandomSampler(seed=seed)
    )
    pruners = lib.pruners
    pruner = {
        "nop": lambda: pruners.NopPruner(),
        "hyperband": lambda: pruners.HyperbandPruner(
            min_resource=1, max_resource=MAX_STEPS, reduction_factor=3
        ),
        "asha": lambda: pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
        # tftune's ASHA before issue 17's change: extrapolation to the next rung only
        "asharung": lambda: pruners.SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3, curve_horizon="next_rung"
        ),
    }[pruner_name]()
    return lib, lib.create_study(sampler=sampler, pruner=pruner, direction="minimize")


def run(job: tuple[str, int]) -> dict[str, Any]:
    contender, seed = job
    began = time.perf_counter()
    if contender == "one_epoch_top_k":
        return {**_one_epoch(seed), "contender": contender, "seed": seed}
    lib, study = _study(contender, seed)
    epochs = 0
    finals: list[tuple[float, float, int]] = []  # (reported final, true final, epochs so far)

    def objective(trial: Any) -> float:
        nonlocal epochs
        params = suggest(trial)
        curve = noisy_curve(params, np.random.default_rng([seed, trial.number]))
        for epoch, value in enumerate(curve, 1):
            epochs += 1
            trial.report(value, epoch)
            if epoch < MAX_STEPS and trial.should_prune():
                raise lib.TrialPruned()
        finals.append((curve[-1], final_loss(params), epochs))
        return curve[-1]

    study.optimize(objective, n_trials=N_TRIALS)
    return {
        "contender": contender,
        "seed": seed,
        "best_true_final": _best(finals, None),
        "best_true_final_at_budget": _best(finals, BUDGET),
        "epochs": epochs,
        "complete": len(finals),
        "seconds": time.perf_counter() - began,
    }


def _best(finals: list[tuple[float, float, int]], budget: int | None) -> float:
    """The true final of the best reported final among trials complete within ``budget``."""
    within = [f for f in finals if budget is None or f[2] <= budget]
    return min(within)[1] if within else float("inf")


def _one_epoch(seed: int) -> dict[str, Any]:
    import tftune

    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=seed))
    drawn = []
    for _ in range(N_TRIALS):
        trial = study.ask()
        params = suggest(trial)
        curve = noisy_curve(params, np.random.default_rng([seed, trial.number]))
        drawn.append((curve[0], curve, params))
        study.tell(trial, curve[0])
    top = sorted(drawn, key=lambda item: item[0])[:TOP_K]
    best = min((curve[-1], final_loss(params)) for _, curve, params in top)
    return {
        "best_true_final": best[1],
        "best_true_final_at_budget": best[1],  # within the budget (268 epochs)
        "epochs": N_TRIALS + TOP_K * (MAX_STEPS - 1),
        "complete": TOP_K,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument(
        "--curves",
        choices=("slow", "steady"),
        default="slow",
        help="steady: the control where every configuration learns at one speed",
    )
    args = parser.parse_args(argv)
    os.environ["SLOW_STARTER_CURVES"] = args.curves  # read by the workers' curve module
    contenders = args.contenders.split(",")
    jobs = [(c, s) for c in contenders for s in range(args.seeds)]
    load_start = [round(x, 2) for x in os.getloadavg()]
    began = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(run, jobs)
    summary = {}
    for c in contenders:
        rows = [r for r in results if r["contender"] == c]
        finals = [r["best_true_final"] for r in rows]
        summary[c] = {
            "mean_best_final": statistics.fmean(finals),
            "median_best_final": statistics.median(finals),
            "mean_best_final_at_budget": statistics.fmean(
                r["best_true_final_at_budget"] for r in rows
            ),
            "mean_epochs": statistics.fmean(r["epochs"] for r in rows),
            "seeds": len(rows),
        }
    payload = {
        "results": results,
        "summary": summary,
        "load_start": load_start,
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "elapsed_s": time.perf_counter() - began,
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "pruning_slow_starters.json").write_text(json.dumps(payload, indent=1))
    nop = summary.get("tftune_tpe_nop")
    lines = [
        "# Pruning on slow starters",
        "",
        "Written by `benchmarks/bench_pruning_slow.py`: 60 trials of up to 27 epochs, Hyperband "
        "min 1 / max 27 / factor 3, ASHA min 1 / factor 3, curves of "
        "`_pruning/slow_starters.py` (small learning rates learn slowly but end best). Best "
        "final: the noise-free final loss of the complete trial with the best reported final "
        f"value; {args.seeds} seeds; lower is better (the optimum is -0.05). `asharung`: "
        'tftune\'s ASHA with `curve_horizon="next_rung"`, its rule before issue 17.',
        "",
        f"Load average at start {load_start}, at end {payload['load_end']} (2 shared cores, "
        "`nice -n 5`); epochs do not depend on the load.",
        "",
        f"Equal steps: the same measure over the trials complete within {BUDGET} epochs (a third "
        "of the unpruned search's).",
        "",
        "| contender | mean best final | median | mean epochs | epochs vs unpruned | "
        f"mean best final within {BUDGET} epochs |",
        "|---|---|---|---|---|---|",
    ]
    for c, row in summary.items():
        share = f"{row['mean_epochs'] / nop['mean_epochs']:.2f}" if nop else "-"
        lines.append(
            f"| {c} | {row['mean_best_final']:.4f} | {row['median_best_final']:.4f} | "
            f"{row['mean_epochs']:.0f} | {share} | {row['mean_best_final_at_budget']:.4f} |"
        )
    (args.output_dir / "pruning_slow_starters.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
