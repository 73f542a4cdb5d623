"""Pruning on slow starters (issue 17): small learning rates learn slowly but end best.

  PYTHONPATH=src python benchmarks/bench_pruning_slow.py --seeds 40 [--curves steady]
  PYTHONPATH=src python benchmarks/bench_pruning_slow.py --seeds 10 --curves mf_hartmann6
  python benchmarks/bench_pruning_slow.py --curves steady \
      --report-only benchmarks/results/pruning_slow_starters_steady.json  # .md from the json

60 trials of up to 27 epochs per contender and seed, Hyperband min 1 / max 27 / factor 3 (ASHA
min 1 / factor 3; ``asharung``: tftune's ASHA with ``curve_horizon="next_rung"``, its rule
before issue 17), curves from _pruning/slow_starters.py. Measured: the true final loss of the
complete trial with the best reported final value, and the epochs trained; also, for equal
steps, the same measure over the trials complete within ``BUDGET`` epochs (a third of the
unpruned search's, the issue's compute budget). The one-epoch top-k
baseline ("Is One Epoch All You Need", arXiv 2307.15422) trains ``N_TRIALS`` random
configurations for one epoch and the best ``TOP_K`` to the end. ``ashapoint``: tftune's ASHA
on the point prediction of the final value without the "cannot beat the best" rule
(``curve_confidence=None, beat_best=False``), its default before the optimistic bound (but
with the rung's second ranking, by the reported value, as every final-horizon ASHA).
``--curves mf_hartmann3|mf_hartmann6``: the same search on MF-Hartmann (_pruning/mf_hartmann.py,
fidelity k/27 at epoch k; best final: the noise-free f(x, 1) of the chosen trial). Writes
results/pruning_slow_starters{,_steady,_mf_hartmann3,_mf_hartmann6}.json (after every job, so a
stopped run keeps its seeds; with the load, niceness and CPU count) and .md; p: Wilcoxon
signed-rank, paired by seed, against tftune_tpe_asha.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import re
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pruning import slow_starters  # noqa: E402
from _pruning.mf_hartmann import TASKS as MF_TASKS  # noqa: E402
from _pruning.slow_starters import MAX_STEPS  # noqa: E402

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
    "tftune_tpe_ashapoint",
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
        # tftune's ASHA on the point prediction, no "cannot beat the best" rule
        "ashapoint": lambda: pruners.SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3, curve_confidence=None, beat_best=False
        ),
        # tftune's ASHA before issue 17's change: extrapolation to the next rung only
        "asharung": lambda: pruners.SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3, curve_horizon="next_rung"
        ),
    }[pruner_name]()
    return lib, lib.create_study(sampler=sampler, pruner=pruner, direction="minimize")


class Curves:
    """The objective's curves: ``suggest(trial)``, ``curve(params, seed, number)`` (MAX_STEPS
    reports) and ``final(params)`` (the noise-free final, lower is better)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.task = MF_TASKS.get(name)

    def suggest(self, trial: Any) -> dict[str, Any]:
        if self.task is None:
            return slow_starters.suggest(trial)
        return {f"x{i}": trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(self.task.dim)}

    def _x(self, params: dict[str, Any]) -> list[float]:
        assert self.task is not None
        return [params[f"x{i}"] for i in range(self.task.dim)]

    def curve(self, params: dict[str, Any], seed: int, number: int) -> list[float]:
        if self.task is None:
            return slow_starters.noisy_curve(params, np.random.default_rng([seed, number]))
        x = self._x(params)
        return [self.task.observe(seed, x, k, MAX_STEPS) for k in range(MAX_STEPS)]

    def final(self, params: dict[str, Any]) -> float:
        if self.task is None:
            return slow_starters.final_loss(params)
        return self.task.true_value(self._x(params), 1.0)


def run(job: tuple[str, int, str]) -> dict[str, Any]:
    contender, seed, curves_name = job
    curves = Curves(curves_name)
    began = time.perf_counter()
    if contender == "one_epoch_top_k":
        return {**_one_epoch(seed, curves), "contender": contender, "seed": seed}
    lib, study = _study(contender, seed)
    epochs = 0
    finals: list[tuple[float, float, int]] = []  # (reported final, true final, epochs so far)

    def objective(trial: Any) -> float:
        nonlocal epochs
        params = curves.suggest(trial)
        curve = curves.curve(params, seed, trial.number)
        for epoch, value in enumerate(curve, 1):
            epochs += 1
            trial.report(value, epoch)
            if epoch < MAX_STEPS and trial.should_prune():
                raise lib.TrialPruned()
        finals.append((curve[-1], curves.final(params), epochs))
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


def _one_epoch(seed: int, curves: Curves) -> dict[str, Any]:
    import tftune

    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=seed))
    drawn = []
    for _ in range(N_TRIALS):
        trial = study.ask()
        params = curves.suggest(trial)
        curve = curves.curve(params, seed, trial.number)
        drawn.append((curve[0], curve, params))
        study.tell(trial, curve[0])
    top = sorted(drawn, key=lambda item: item[0])[:TOP_K]
    best = min((curve[-1], curves.final(params)) for _, curve, params in top)
    return {
        "best_true_final": best[1],
        "best_true_final_at_budget": best[1],  # within the budget (268 epochs)
        "epochs": N_TRIALS + TOP_K * (MAX_STEPS - 1),
        "complete": TOP_K,
    }


def _paired_p(
    results: list[dict[str, Any]], a: str, b: str, key: str = "best_true_final"
) -> float | None:
    """Two-sided Wilcoxon signed-rank p of ``a`` against ``b``, paired by seed (None if
    either is missing, a == b or every pair ties)."""
    from scipy.stats import wilcoxon

    by_seed = {(r["contender"], r["seed"]): r[key] for r in results}
    seeds = sorted({r["seed"] for r in results})
    pairs = [
        (by_seed[a, s], by_seed[b, s]) for s in seeds if (a, s) in by_seed and (b, s) in by_seed
    ]
    if a == b or not pairs or all(x == y for x, y in pairs):
        return None
    return float(wilcoxon([x for x, _ in pairs], [y for _, y in pairs]).pvalue)


def _fmt_p(p: float | None) -> str:
    return "-" if p is None else f"{p:.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument(
        "--curves",
        choices=("slow", "steady", *MF_TASKS),
        default="slow",
        help="steady: the control where every configuration learns at one speed",
    )
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="JSON",
        help="rewrite the .md next to this finished run's json from it, running nothing",
    )
    args = parser.parse_args(argv)
    if args.report_only is not None:
        return _report_only(args.report_only, args.curves)
    os.environ["SLOW_STARTER_CURVES"] = args.curves  # read by the workers' curve module
    contenders = args.contenders.split(",")
    # seed-major: a stopped run has every contender of its first seeds
    jobs = [(c, s, args.curves) for s in range(args.seeds) for c in contenders]
    load_start = [round(x, 2) for x in os.getloadavg()]
    began = time.perf_counter()
    suffix = "" if args.curves == "slow" else f"_{args.curves}"
    args.output_dir.mkdir(parents=True, exist_ok=True)
    partial = args.output_dir / f"pruning_slow_starters{suffix}.json"
    results = []
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        for result in pool.imap_unordered(run, jobs):
            results.append(result)
            partial.write_text(json.dumps({"partial": True, "results": results}, indent=1))
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
            "p_vs_tftune_tpe_asha": _paired_p(results, c, "tftune_tpe_asha"),
            "p_vs_tftune_tpe_asha_at_budget": _paired_p(
                results, c, "tftune_tpe_asha", "best_true_final_at_budget"
            ),
        }
    payload = {
        "curves": args.curves,
        "seeds": args.seeds,
        "run_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "results": results,
        "summary": summary,
        "load_start": load_start,
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "niceness": os.nice(0),
        "cpu_count": os.cpu_count(),
        "elapsed_s": time.perf_counter() - began,
    }
    partial.write_text(json.dumps(payload, indent=1))
    _write_report(payload, args.curves, args.seeds, args.output_dir / f"{partial.stem}.md")
    return 0


def _curves_text(curves: str) -> str:
    """Where the curves come from and their optimum, for the table's header."""
    task = MF_TASKS.get(curves)
    if task is not None:
        return (
            f"curves {task.name} of `_pruning/mf_hartmann.py` (fidelity k/27 at epoch k). Best "
            "final: the noise-free f(x, 1) of the complete trial with the best reported final "
            f"value; lower is better (the optimum is f* = {task.f_star})"
        )
    kind = (
        "every configuration learns at one speed, the control"
        if curves == "steady"
        else "small learning rates learn slowly but end best"
    )
    return (
        f"curves `{curves}` of `_pruning/slow_starters.py` ({kind}). Best final: the noise-free "
        "final loss of the complete trial with the best reported final value; lower is better "
        "(the optimum is -0.05)"
    )


def _machine_text(payload: dict[str, Any]) -> str:
    """The recorded niceness and CPU count, or that they were not recorded."""
    if "niceness" not in payload:
        return "niceness and CPU count not recorded by this run"
    return f"niceness {payload['niceness']}, {payload['cpu_count']} CPUs"


def _write_report(payload: dict[str, Any], curves: str, seeds: int, path: Path) -> None:
    """Write the .md table of ``payload`` (a finished run's json) to ``path`` and print it."""
    summary = payload["summary"]
    nop = summary.get("tftune_tpe_nop")
    lines = [
        "# Pruning on slow starters",
        "",
        "Written by `benchmarks/bench_pruning_slow.py`: 60 trials of up to 27 epochs, Hyperband "
        f"min 1 / max 27 / factor 3, ASHA min 1 / factor 3, {_curves_text(curves)}; {seeds} "
        'seeds. `asharung`: tftune\'s ASHA with `curve_horizon="next_rung"`, its rule before '
        "issue 17.",
        "",
        f"Run {payload['run_utc']}. Load average at start {payload['load_start']}, at end "
        f"{payload['load_end']} ({_machine_text(payload)}); epochs do not depend on the load.",
        "",
        f"Equal steps: the same measure over the trials complete within {BUDGET} epochs (a third "
        "of the unpruned search's).",
        "",
        "| contender | mean best final | median | mean epochs | epochs vs unpruned | "
        f"mean best final within {BUDGET} epochs | p vs tftune_tpe_asha (final; within) |",
        "|---|---|---|---|---|---|---|",
    ]
    for c, row in summary.items():
        share = f"{row['mean_epochs'] / nop['mean_epochs']:.2f}" if nop else "-"
        lines.append(
            f"| {c} | {row['mean_best_final']:.4f} | {row['median_best_final']:.4f} | "
            f"{row['mean_epochs']:.0f} | {share} | {row['mean_best_final_at_budget']:.4f} | "
            f"{_fmt_p(row['p_vs_tftune_tpe_asha'])}; "
            f"{_fmt_p(row['p_vs_tftune_tpe_asha_at_budget'])} |"
        )
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _report_only(json_path: Path, curves: str) -> int:
    """Rewrite the .md next to ``json_path`` from it, without running anything. Runs before
    the json recorded its curves, seeds and time: ``curves`` from ``--curves``, seeds from the
    summary, the time from the .md being replaced."""
    payload = json.loads(json_path.read_text())
    if payload.get("partial"):
        raise SystemExit(f"--report-only: {json_path} is a partial run (no summary)")
    md = json_path.with_suffix(".md")
    if "run_utc" not in payload:
        found = re.search(r"^Run (.+? UTC)\.", md.read_text(), re.M) if md.exists() else None
        payload["run_utc"] = found.group(1) if found else "(time not recorded)"
    seeds = payload.get("seeds") or max(row["seeds"] for row in payload["summary"].values())
    _write_report(payload, payload.get("curves", curves), seeds, md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
