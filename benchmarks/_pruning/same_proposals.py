"""Seeded proposals of the samplers a change to TPE's use of pruned trials must leave alone.

  PYTHONPATH=src python benchmarks/_pruning/same_proposals.py before.json  # on the old commit
  PYTHONPATH=src python benchmarks/_pruning/same_proposals.py after.json   # on the new one
  cmp before.json after.json

Writes every trial's parameters of four seeded studies without pruned trials: MOTPE (two
objectives, 80 trials), single-objective TPE (80 trials, multivariate), TPE maximizing
(60 trials, independent) and the GP (25 trials), on a mixed space (float, log float, int,
categorical). Identical files: the change did not alter these samplers' proposals.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any


def _space(trial: Any) -> tuple[float, float, int, str]:
    x = trial.suggest_float("x", -2, 2)
    y = trial.suggest_float("y", 1e-3, 1.0, log=True)
    n = trial.suggest_int("n", 1, 9)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return x, y, n, c


def _single(trial: Any) -> float:
    x, y, n, c = _space(trial)
    return (x - 0.3) ** 2 + math.log(y) ** 2 / 10 + abs(n - 4) + {"a": 0.0, "b": 0.5, "c": 1}[c]


def _multi(trial: Any) -> tuple[float, float]:
    x, y, n, c = _space(trial)
    return (x - 0.3) ** 2 + n / 10, (x + 0.5) ** 2 + math.log(y) ** 2 / 10 + (c == "b")


def main(path: str) -> None:
    import tftune

    tftune.logging.set_verbosity(tftune.logging.WARNING)
    samplers = tftune.samplers
    runs = [
        ("motpe", samplers.TPESampler(seed=3), ["minimize", "minimize"], _multi, 80),
        ("tpe", samplers.TPESampler(seed=3), ["minimize"], _single, 80),
        (
            "tpe_max",
            samplers.TPESampler(seed=5, multivariate=False),
            ["maximize"],
            lambda t: -_single(t),
            60,
        ),
        ("gp", samplers.GPSampler(seed=3), ["minimize"], _single, 25),
    ]
    out = {}
    for name, sampler, directions, objective, n_trials in runs:
        study = tftune.create_study(sampler=sampler, directions=directions)
        study.optimize(objective, n_trials=n_trials)
        out[name] = [t.params for t in study.trials]
    with open(path, "w") as f:
        json.dump(out, f, sort_keys=True)
    print({name: len(trials) for name, trials in out.items()})


if __name__ == "__main__":
    main(sys.argv[1])
