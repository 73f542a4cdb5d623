"""Rung decisions on extrapolated learning curves: a slow but steady learner is kept."""

from __future__ import annotations

import math

import pytest

import tftune
from tftune.pruners import HyperbandPruner, SuccessiveHalvingPruner
from tftune.pruners._curves import extrapolate


def exponential(final: float, rate: float, steps: int) -> dict[int, float]:
    return {s: final + (1.0 - final) * math.exp(-rate * s) for s in range(steps)}


def test_an_exponential_curve_is_extrapolated_towards_its_future_value():
    curve = exponential(0.1, 0.2, 40)
    predicted = extrapolate({s: curve[s] for s in range(6)}, 5, 20, minimize=True)
    assert abs(predicted - curve[20]) < 0.1 * abs(curve[5] - curve[20])


def test_flat_worsening_or_short_curves_keep_their_current_value():
    assert extrapolate({0: 0.5, 1: 0.5, 2: 0.5}, 2, 9, minimize=True) == 0.5
    assert extrapolate({0: 0.5, 1: 0.6, 2: 0.7}, 2, 9, minimize=True) == 0.7  # overfitting
    assert extrapolate({0: 0.9, 1: 0.8}, 1, 9, minimize=True) == 0.8  # too few reports
    assert extrapolate({0: 0.9, 1: 0.8, 2: 0.7}, 2, 2, minimize=True) == 0.7  # no horizon


def test_maximised_curves_are_extrapolated_upwards():
    accuracy = {s: 1.0 - v for s, v in exponential(0.1, 0.2, 6).items()}
    assert extrapolate(accuracy, 5, 20, minimize=False) > accuracy[5]


def rung_decisions(pruner, curves):
    """Report each curve (steps 1..) on a new trial; whether each one was pruned."""
    study = tftune.create_study(pruner=pruner)
    pruned = []
    for curve in curves:
        trial = study.ask()
        for step, value in enumerate(curve, 1):
            trial.report(value, step)
            if trial.should_prune():
                pruned.append(True)
                study.tell(trial, state=tftune.TrialState.PRUNED)
                break
        else:
            pruned.append(False)
            study.tell(trial, curve[-1])
    return pruned


# Rung 0 at step 3 (min_resource 3), the next at step 9. The fast learner leads at step 3 and
# then stalls at 0.30; the slow one is behind at step 3 but heads for 0.05.
FAST = [0.40, 0.32, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30]
SLOW = [0.90, 0.72, 0.58, 0.47, 0.38, 0.31, 0.26, 0.22, 0.19]


@pytest.mark.parametrize("extrapolate_curves", [True, False])
def test_successive_halving_keeps_the_slow_starter_only_when_extrapolating(extrapolate_curves):
    pruner = SuccessiveHalvingPruner(
        min_resource=3, reduction_factor=3, extrapolate_curves=extrapolate_curves
    )
    assert rung_decisions(pruner, [FAST, SLOW]) == [False, not extrapolate_curves]


def test_hyperband_brackets_extrapolate_no_further_than_max_resource():
    pruner = HyperbandPruner(min_resource=3, max_resource=9, reduction_factor=3)
    study = tftune.create_study(pruner=pruner)
    brackets = pruner.brackets(study)
    assert brackets is not None
    assert all(b.extrapolate_curves and b.max_step == 9 for b in brackets)
    assert not any(
        b.extrapolate_curves
        for b in HyperbandPruner(1, 9, 3, extrapolate_curves=False).brackets(study) or []
    )


@pytest.mark.parametrize("make", [SuccessiveHalvingPruner, HyperbandPruner])
def test_extrapolate_curves_is_checked(make):
    with pytest.raises(ValueError, match=r"`extrapolate_curves` must be a bool, got 'yes'"):
        make(extrapolate_curves="yes")
