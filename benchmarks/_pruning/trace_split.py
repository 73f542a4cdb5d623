"""TPE's good group per ask under ASHA: which trials entered it, with what predicted finals.

  PYTHONPATH=src python benchmarks/_pruning/trace_split.py --curves mf_hartmann3 --seed 17
  PYTHONPATH=src python benchmarks/_pruning/trace_split.py --curves mf_hartmann3 --seeds 20

The search of bench_pruning_slow.py (60 trials of up to 27 epochs, tftune's TPE with ASHA min 1
/ factor 3, or ``--pruner nop``). With ``--seed``: per ask, the finished trials, TPE's rung (None:
compared by their finals), the trials compared there, and the good group as (number, C|P<last
step>, the loss TPE ranked it by, its true final, its last report); then every trial's state,
last step and true final. With ``--seeds N``: per seed, the asks at a rung and those whose good
group was smaller than ``gamma`` of every finished trial.

A diagnostic, not API: it instruments tftune's private code on purpose. It wraps
``tftune.samplers._tpe._observations.ObservationTable.split`` (restored after each study) to
see each split and reads the private ``default_gamma``; it breaks when those change, which
nothing else may rely on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_pruning_slow import MAX_STEPS, Curves  # noqa: E402

N_TRIALS = 60


def trace(seed: int, curves_name: str, pruner: str) -> tuple[list[dict[str, Any]], Any, dict]:
    import tftune
    from tftune.samplers._tpe._observations import ObservationTable, rung_min_trials

    tftune.logging.set_verbosity(tftune.logging.WARNING)
    curves = Curves(curves_name)
    true: dict[int, float] = {}
    asks: list[dict[str, Any]] = []
    split = ObservationTable.split

    def traced(self: Any, leaders: Any, losses: Any, n_good: int) -> Any:
        good, bad = split(self, leaders, losses, n_good)
        loss_of = {int(r): float(v) for r, v in zip(leaders, losses, strict=True)}
        group = []
        for row in good:
            number, reports = int(self.number[row]), self.reports[row]
            last = max(reports) if reports else None
            kind = "C" if self.kind[row] == 0 else f"P{last}"
            report = round(reports[last], 3) if last is not None else None
            group.append(
                (number, kind, round(loss_of[int(row)], 3), round(true[number], 3), report)
            )
        asks.append(
            {
                "finished": len(self),
                "rung": self.rung(rung_min_trials(len(self.space))),
                "compared": len(leaders),
                "n_good": n_good,
                "good": group,
            }
        )
        return good, bad

    ObservationTable.split = traced  # type: ignore[method-assign]
    try:
        if pruner == "asha":
            chosen = tftune.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
        else:
            chosen = tftune.pruners.NopPruner()
        study = tftune.create_study(sampler=tftune.samplers.TPESampler(seed=seed), pruner=chosen)

        def objective(trial: Any) -> float:
            params = curves.suggest(trial)
            true[trial.number] = curves.final(params)
            curve = curves.curve(params, seed, trial.number)
            for epoch, value in enumerate(curve, 1):
                trial.report(value, epoch)
                if epoch < MAX_STEPS and trial.should_prune():
                    raise tftune.TrialPruned()
            return curve[-1]

        study.optimize(objective, n_trials=N_TRIALS)
    finally:
        ObservationTable.split = split  # type: ignore[method-assign]
    return asks, study, true


def main(argv: list[str] | None = None) -> int:
    from tftune.samplers._tpe._sampler import default_gamma

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--curves", default="mf_hartmann3")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--pruner", choices=("asha", "nop"), default="asha")
    args = parser.parse_args(argv)
    if args.seed is not None:
        asks, study, true = trace(args.seed, args.curves, args.pruner)
        for ask in asks:
            print(ask)
        complete = [t for t in study.trials if t.state.name == "COMPLETE"]
        best = min(complete, key=lambda t: t.value)
        print(
            f"chosen trial {best.number}: reported {best.value:.4f}, true {true[best.number]:.4f}"
        )
        for t in study.trials:
            print(t.number, t.state.name, t.last_step, round(true[t.number], 3))
        return 0
    totals = [0, 0, 0]
    for seed in range(args.seeds):
        asks, _, _ = trace(seed, args.curves, args.pruner)
        at_rung = sum(a["rung"] is not None for a in asks)
        short = sum(default_gamma(a["finished"]) > a["n_good"] for a in asks)
        totals = [totals[0] + len(asks), totals[1] + at_rung, totals[2] + short]
        print(
            f"seed {seed}: {len(asks)} asks, {at_rung} at a rung, {short} with a good group "
            "smaller than gamma(finished trials)"
        )
    print(f"all: {totals[0]} asks, {totals[1]} at a rung, {totals[2]} smaller")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
