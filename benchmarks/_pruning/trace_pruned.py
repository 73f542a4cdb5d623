"""Per-seed traces of tftune's ASHA: which good configurations it stopped, where and by which rule.

  PYTHONPATH=src python benchmarks/_pruning/trace_pruned.py --curves steady --seeds 20 \
      --variants tpe:default,tpe:raw,random:default,random:raw

The search of bench_pruning_slow.py (60 trials of up to 27 epochs, ASHA min 1 / factor 3) with
a pruner that records, for every stopped trial, the rule that stopped it: ``hopeless@<step>``
("cannot beat the best" at a rung), ``between@<step>`` (the same rule between rungs) or
``rank@<step>``: every other stop at a rung, i.e. behind the rung's top third on both its
rankings, and also a NaN at the rung or a stop under ``bootstrap_count`` (not told apart).
Per variant
(``sampler:pruner``; pruners: ``default``, ``raw`` = Optuna's rule on the value at the rung,
``extrapolate_curves=False``, or a JSON object of SuccessiveHalvingPruner arguments), means
over seeds of: the chosen trial's true final, the best true final of every configuration
sampled, the epochs, and the *lost* trials (stopped although their true final beat the chosen
one), counted by rule, and the *missed* trials (stopped although their own last report
would have beaten the best complete trial's: a decision wrong on what the pruner sees,
whatever the noise). ``--json`` writes every trial's record.

A diagnostic, not API: it instruments tftune's private code on purpose. Its pruner subclasses
SuccessiveHalvingPruner and overrides the private ``_hopeless`` and ``_between_rungs`` to see
which rule decided; it breaks when those change, which nothing else may rely on.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_TRIALS = 60


def _pruner(spec: str) -> Any:
    import tftune

    base = tftune.pruners.SuccessiveHalvingPruner
    kwargs: dict[str, Any] = {}
    if spec == "raw":
        kwargs = {"extrapolate_curves": False}
    elif spec != "default":
        kwargs = json.loads(spec)
    reasons: dict[int, str] = {}

    class Traced(base):  # type: ignore[misc, valid-type]
        def prune(self, study: Any, trial: Any) -> bool:
            self._why = "rank"
            self._rung_hit = False
            stop = bool(super().prune(study, trial))
            if stop:
                reasons[trial.number] = f"{self._why}@{trial.last_step}"
            return stop

        def _hopeless(self, *args: Any) -> bool:
            out = bool(super()._hopeless(*args))
            self._why = "hopeless" if out else "rank"
            return out

        def _between_rungs(self, *args: Any) -> bool:
            self._why = "between"
            return bool(super()._between_rungs(*args))

    return Traced(min_resource=1, reduction_factor=3, **kwargs), reasons


def run(job: tuple[str, int, str]) -> dict[str, Any]:
    variant, seed, curves_name = job
    os.environ["SLOW_STARTER_CURVES"] = curves_name
    import tftune
    from bench_pruning_slow import MAX_STEPS, Curves

    tftune.logging.set_verbosity(tftune.logging.WARNING)
    sampler_name, pruner_spec = variant.split(":", 1)
    sampler = (
        tftune.samplers.TPESampler(seed=seed)
        if sampler_name == "tpe"
        else tftune.samplers.RandomSampler(seed=seed)
    )
    pruner, reasons = _pruner(pruner_spec)
    study = tftune.create_study(sampler=sampler, pruner=pruner)
    curves = Curves(curves_name)
    rows: list[dict[str, Any]] = []
    epochs = 0

    def objective(trial: Any) -> float:
        nonlocal epochs
        params = curves.suggest(trial)
        curve = curves.curve(params, seed, trial.number)
        row = {"number": trial.number, "true": curves.final(params), "stopped": None}
        row["params"] = params
        row["observed_final"] = curve[-1]  # what it would have reported at the end
        rows.append(row)
        for epoch, value in enumerate(curve, 1):
            epochs += 1
            trial.report(value, epoch)
            if epoch < MAX_STEPS and trial.should_prune():
                row["stopped"] = epoch
                raise tftune.TrialPruned()
        row["reported"] = curve[-1]
        return curve[-1]

    study.optimize(objective, n_trials=N_TRIALS)
    for row in rows:
        row["rule"] = reasons.get(row["number"])
    complete = [r for r in rows if r["stopped"] is None]
    chosen = min(complete, key=lambda r: r["reported"])["true"]
    lost = [r for r in rows if r["stopped"] is not None and r["true"] < chosen]
    best_reported = min(r["reported"] for r in complete)
    # stopped although their own final report would have won the search
    missed = [r for r in rows if r["stopped"] is not None and r["observed_final"] < best_reported]
    return {
        "variant": variant,
        "seed": seed,
        "chosen": chosen,
        "best_sampled": min(r["true"] for r in rows),
        "epochs": epochs,
        "complete": len(complete),
        "lost": [r["rule"] for r in lost],
        "missed": [r["rule"] for r in missed],
        "missed_gain": [best_reported - r["observed_final"] for r in missed],
        "rows": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--curves", default="steady")
    parser.add_argument("--variants", default="tpe:default,tpe:raw,random:default,random:raw")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    variants = args.variants.split(",")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(v, s, args.curves) for s in seeds for v in variants]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(run, jobs)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(f"curves {args.curves}, seeds {seeds.start}-{seeds.stop - 1}")
    print(
        "| variant | chosen true final | best sampled | epochs | complete | lost (by rule) "
        "| missed (by rule) |"
    )
    print("|---|---|---|---|---|---|---|")
    for v in variants:
        rs = [r for r in results if r["variant"] == v]
        rules: collections.Counter[str] = collections.Counter()
        for r in rs:
            rules.update(rule.split("@")[0] + "@" + rule.split("@")[1] for rule in r["lost"])
        by_rule = ", ".join(f"{k} {n / len(rs):.2f}" for k, n in sorted(rules.items()))
        missed: collections.Counter[str] = collections.Counter()
        for r in rs:
            missed.update(r["missed"])
        by_missed = ", ".join(f"{k} {n / len(rs):.2f}" for k, n in sorted(missed.items()))
        print(
            f"| {v} | {statistics.fmean(r['chosen'] for r in rs):.4f} | "
            f"{statistics.fmean(r['best_sampled'] for r in rs):.4f} | "
            f"{statistics.fmean(r['epochs'] for r in rs):.0f} | "
            f"{statistics.fmean(r['complete'] for r in rs):.1f} | "
            f"{statistics.fmean(len(r['lost']) for r in rs):.2f}: {by_rule} | "
            f"{statistics.fmean(len(r['missed']) for r in rs):.2f}: {by_missed} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
