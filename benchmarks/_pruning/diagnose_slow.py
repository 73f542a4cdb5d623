"""Why TPE + ASHA loses on the slow starters: the rung decisions or TPE's use of pruned trials?

  PYTHONPATH=src python benchmarks/_pruning/diagnose_slow.py --seeds 12

Runs the slow-starter search (bench_pruning_slow.py's objective) with variants side by side
and prints, per variant, means over seeds of: the best true final, the epochs, the complete
trials, the *lost* trials (pruned although their noise-free final beat the run's best complete
one: a rung decision that threw the winner away), and the share of TPE's proposals 20-59 in the
good region (learning rate below 10**-2.5, where the finals are best).

Variants: ``tpe_asha`` (as shipped), ``tpe_asha_norung`` (the same, but TPE compares only
complete trials: no rung comparisons of pruned trials), ``random_asha``, ``tpe_nop``.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _pruning.slow_starters import MAX_STEPS, final_loss, noisy_curve, suggest  # noqa: E402

N_TRIALS = 60
VARIANTS = ("tpe_asha", "tpe_asha_norung", "random_asha", "tpe_nop")


def run(job: tuple[str, int, str]) -> dict[str, Any]:
    variant, seed, pruner_kwargs = job
    import tftune
    from tftune.samplers._tpe import _sampler as tpe_sampler

    if variant.endswith("_norung"):  # TPE compares complete trials only
        tpe_sampler.rung_min_trials = lambda n: 10**9  # type: ignore[assignment]
    sampler = (
        tftune.samplers.RandomSampler(seed=seed)
        if variant.startswith("random")
        else tftune.samplers.TPESampler(seed=seed)
    )
    kwargs = json.loads(pruner_kwargs) if pruner_kwargs else {}
    pruner = (
        tftune.pruners.NopPruner()
        if variant.endswith("nop")
        else tftune.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, **kwargs)
    )
    study = tftune.create_study(sampler=sampler, pruner=pruner)
    epochs = 0
    rows: list[dict[str, Any]] = []

    def objective(trial: Any) -> float:
        nonlocal epochs
        params = suggest(trial)
        curve = noisy_curve(params, np.random.default_rng([seed, trial.number]))
        row = {"true": final_loss(params), "lr": params["learning_rate"], "pruned_at": None}
        rows.append(row)
        for epoch, value in enumerate(curve, 1):
            epochs += 1
            trial.report(value, epoch)
            if epoch < MAX_STEPS and trial.should_prune():
                row["pruned_at"] = epoch
                raise tftune.TrialPruned()
        row["reported"] = curve[-1]
        return curve[-1]

    tftune.logging.set_verbosity(tftune.logging.WARNING)
    study.optimize(objective, n_trials=N_TRIALS)
    complete = [r for r in rows if r["pruned_at"] is None]
    best = min(complete, key=lambda r: r["reported"])["true"]
    return {
        "variant": variant,
        "seed": seed,
        "best_true_final": best,
        "epochs": epochs,
        "complete": len(complete),
        "lost": sum(1 for r in rows if r["pruned_at"] is not None and r["true"] < best),
        "good_share_20_59": statistics.fmean(math.log10(r["lr"]) < -2.5 for r in rows[20:]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--pruner-kwargs", default="", help="extra ASHA arguments, a JSON object")
    args = parser.parse_args()
    jobs = [
        (v, s, args.pruner_kwargs) for v in args.variants.split(",") for s in range(args.seeds)
    ]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(run, jobs)
    print("| variant | best true final | epochs | complete | lost | good share 20-59 |")
    print("|---|---|---|---|---|---|")
    for variant in args.variants.split(","):
        rs = [r for r in results if r["variant"] == variant]
        m = {k: statistics.fmean(r[k] for r in rs) for k in rs[0] if k not in ("variant", "seed")}
        print(
            f"| {variant} | {m['best_true_final']:.4f} | {m['epochs']:.0f} | "
            f"{m['complete']:.1f} | {m['lost']:.2f} | {m['good_share_20_59']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
