"""Rung decisions on an optimistic bound of the predicted final value (curve_confidence) and the
"cannot beat the best" rule (beat_best): slow starters survive, flat bad curves are stopped."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tftune
from tftune.pruners import SuccessiveHalvingPruner, extrapolate, optimistic_bound
from tftune.trial import TrialState

STEPS = 27  # epochs 1..27; rungs (min_resource 1, factor 3) at epochs 1, 3, 9 and 27


def exponential(final: float, rate: float, noise: float = 0.0, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    return [
        final + (1.0 - final) * math.exp(-rate * t) + float(rng.normal(0.0, noise))
        for t in range(1, STEPS + 1)
    ]


def reports(curve: list[float], upto: int) -> dict[int, float]:
    return {t: curve[t - 1] for t in range(1, upto + 1)}


def test_the_bound_is_optimistic_and_widens_with_the_confidence():
    curve = reports(exponential(0.1, 0.2, noise=0.01, seed=3), 8)
    point = extrapolate(curve, 8, STEPS, minimize=True)
    bounds = [optimistic_bound(curve, 8, STEPS, True, q) for q in (0.6, 0.9, 0.99)]
    assert bounds[0] <= point and bounds[0] >= bounds[1] >= bounds[2]
    assert bounds[2] < point  # noisy reports leave room below the point prediction
    scores = {t: 1.0 - v for t, v in curve.items()}
    assert optimistic_bound(scores, 8, STEPS, False, 0.9) == pytest.approx(1.0 - bounds[1])


def test_the_bound_is_the_point_or_the_current_value_where_nothing_can_be_measured():
    three = reports(exponential(0.1, 0.2), 3)
    assert optimistic_bound(three, 3, STEPS, True, 0.9) == extrapolate(three, 3, STEPS, True)
    flat = {t: 0.5 for t in range(1, 9)}
    assert optimistic_bound(flat, 8, STEPS, True, 0.9) == 0.5
    worse = {t: 0.5 + 0.01 * t for t in range(1, 9)}
    assert optimistic_bound(worse, 8, STEPS, True, 0.9) == worse[8]
    assert optimistic_bound({1: 0.9, 2: 0.8}, 2, STEPS, True, 0.9) == 0.8


def run(study: tftune.Study, curve: list[float]) -> int | None:
    """Report ``curve`` on a new trial; the epoch it was pruned at, or None if it completed
    (no decision after the last epoch)."""
    trial = study.ask()
    for epoch, value in enumerate(curve, 1):
        trial.report(value, epoch)
        if epoch < len(curve) and trial.should_prune():
            study.tell(trial, state=TrialState.PRUNED)
            return epoch
    study.tell(trial, curve[-1])
    return None


FAST = exponential(0.30, 1.5, noise=0.003, seed=1)  # fast, then stalls at 0.30
SLOW = exponential(0.05, 0.2, noise=0.003, seed=2)  # slow, heads for 0.05
FLAT_BAD = exponential(0.80, 1.5, noise=0.003, seed=4)  # settles at once, far behind


def test_a_slow_starter_that_the_current_value_rule_prunes_survives():
    for extrapolate_curves, expected in ((False, 1), (True, None)):  # False: stopped at epoch 1
        pruner = SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3, extrapolate_curves=extrapolate_curves
        )
        assert (pruner.curve_confidence, pruner.beat_best) == (0.99, True)  # the defaults
        study = tftune.create_study(pruner=pruner)
        for _ in range(3):
            run(study, FAST)
        assert run(study, SLOW) == expected


def test_a_flat_bad_curve_is_stopped_once_it_cannot_beat_the_best():
    # Flat and worse than the flat bad curve at every rung, then best at its last epoch: the
    # flat bad curve leads every rung, so only "cannot beat the best final" can stop it.
    late = [0.99] * (STEPS - 1) + [0.01]

    def study_with(beat_best: bool) -> tftune.Study:
        pruner = SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3, curve_confidence=0.9, beat_best=beat_best
        )
        study = tftune.create_study(pruner=pruner)
        assert run(study, late) is None
        return study

    assert run(study_with(beat_best=False), FLAT_BAD) is None
    # at epoch 4: the first report past three, so a measured uncertainty (the rule needs no
    # rung: it runs at every report)
    assert run(study_with(beat_best=True), FLAT_BAD) == 4


def test_beat_best_keeps_everything_while_no_trial_is_complete():
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    study = tftune.create_study(pruner=pruner)
    trial = study.ask()
    for epoch, value in enumerate(FLAT_BAD[:9], 1):
        trial.report(value, epoch)
        assert not trial.should_prune()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"curve_confidence": 1.5},
            r"`curve_confidence` must be None or a float in \(0, 1\), got 1\.5",
        ),
        ({"curve_confidence": True}, r"`curve_confidence` must be None or a float.*got True"),
        ({"beat_best": "yes"}, r"`beat_best` must be a bool, got 'yes'"),
    ],
)
def test_bad_bound_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SuccessiveHalvingPruner(min_resource=1, **kwargs)
