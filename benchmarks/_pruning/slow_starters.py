"""Simulated learning curves where small learning rates learn slowly but end best (issue 17).

One configuration: ``learning_rate`` (log, 1e-4 .. 1), ``width`` (log int, 16 .. 512) and
``dropout`` (0 .. 0.5). Its validation loss after ``t`` of ``MAX_STEPS`` epochs is

    final + (start - final) * exp(-speed * t)  (+ Gaussian noise of ``NOISE`` per report)

with ``speed`` growing with the learning rate (lr 1e-1 is near its final value after 2 epochs,
lr 3e-4 needs all 27) and ``final`` best near lr 3e-4 (large learning rates settle higher, as
they do with a fixed schedule). So an early rung favours large learning rates, and the last
rung small ones: exactly the configurations that rung decisions on the current value throw
away. Loss values are a "validation loss minus a constant": the best final is about -0.05.
``SLOW_STARTER_CURVES=steady`` (bench_pruning_slow.py --curves steady) is the control: every
configuration learns at one speed, so early values rank configurations as their finals do.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

MAX_STEPS = 27
NOISE = 0.005
BEST_LOG_LR = math.log10(3e-4)
CURVES = os.environ.get("SLOW_STARTER_CURVES", "slow")


def final_loss(params: dict[str, Any]) -> float:
    """The loss the configuration ends at (epoch ``MAX_STEPS``), noise-free."""
    lr = math.log10(params["learning_rate"])
    width = math.log2(params["width"])
    return (
        -0.05
        + 0.04 * (lr - BEST_LOG_LR) ** 2
        + 0.01 * (width - 7.0) ** 2
        + 0.2 * (params["dropout"] - 0.15) ** 2
    )


def speed(params: dict[str, Any]) -> float:
    """Per-epoch rate at which the loss approaches its final value."""
    return 2.0 * (params["learning_rate"] / 0.1) ** 0.5


def loss_at(params: dict[str, Any], epoch: int) -> float:
    """Noise-free validation loss after ``epoch`` (1-based) epochs."""
    start = 1.0
    final = final_loss(params)
    # Whatever the speed, a run has learnt most of the way by its last epoch: the slowest
    # configurations (lr 1e-4) get to within 1 % of their final value at epoch 27 through a
    # floor on the effective rate.
    rate = max(speed(params), 5.0 / MAX_STEPS)
    if CURVES == "steady":  # the control: every configuration learns at one speed
        rate = 0.3
    return final + (start - final) * math.exp(-rate * epoch)


def suggest(trial: Any) -> dict[str, Any]:
    return {
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1.0, log=True),
        "width": trial.suggest_int("width", 16, 512, log=True),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
    }


def noisy_curve(params: dict[str, Any], rng: np.random.Generator) -> list[float]:
    """The ``MAX_STEPS`` reports of one run (epochs 1..MAX_STEPS), with report noise."""
    return [loss_at(params, t) + float(rng.normal(0.0, NOISE)) for t in range(1, MAX_STEPS + 1)]
