"""ASHA judges a trial by its predicted final value (curve_horizon="final", the default): a slow
starter heading below the rung's top third is kept; a hopeless curve is still pruned; no rung
decides on a curve too short to fit; curve_horizon="next_rung" keeps the earlier rule."""

from __future__ import annotations

import math

import pytest
from asha_curves import STEPS, asha, exponential, run

import tftune
from tftune.pruners import HyperbandPruner, SuccessiveHalvingPruner
from tftune.pruners._curves import extrapolate


# Learns fast, then stalls at 0.30; learns slowly but heads for 0.05; goes nowhere.
FAST = exponential(0.30, 1.5)
SLOW = exponential(0.05, 0.2)
HOPELESS = exponential(0.85, 1.5)


def test_a_slow_starter_heading_below_the_rungs_top_third_is_kept():
    study = tftune.create_study(pruner=asha())
    for _ in range(5):
        assert run(study, FAST) is None  # each at least as good as the rest so far
    assert run(study, SLOW) is None  # the worst at epochs 1 and 3, the best at the end
    slow = study.trials[-1]
    # epoch 1: one report, recorded as it is, no decision
    assert slow.system_attrs["completed_rung_0"] == SLOW[0]
    # epoch 3: its curve extrapolated to the longest complete trial's last epoch (27)
    values = {t: v for t, v in enumerate(SLOW[:3], 1)}
    assert slow.system_attrs["completed_rung_1"] == extrapolate(values, 3, STEPS, minimize=True)
    assert slow.system_attrs["completed_rung_1"] < 0.15 < SLOW[2]
    fast_at_rung_1 = [t.system_attrs["completed_rung_1"] for t in study.trials[1:5]]
    assert min(fast_at_rung_1) > 0.29


def test_with_curve_horizon_next_rung_the_slow_starter_is_pruned_at_the_first_rung():
    study = tftune.create_study(pruner=asha(curve_horizon="next_rung"))
    for _ in range(5):
        assert run(study, FAST) is None
    assert run(study, SLOW) == 1


def test_a_hopeless_curve_is_pruned_once_it_can_be_fitted():
    study = tftune.create_study(pruner=asha())
    for _ in range(5):
        run(study, FAST)
    assert run(study, HOPELESS) == 3  # not at epoch 1 (one report), at epoch 3
    # a diverged run stops at its next rung (epoch 3), Optuna's rule: NaN off a rung is kept
    assert run(study, [1.0, math.nan, math.nan]) == 3


def test_a_maximised_slow_starter_is_kept_and_a_hopeless_one_pruned():
    study = tftune.create_study(direction="maximize", pruner=asha())
    for _ in range(5):
        run(study, [1.0 - v for v in FAST])
    assert run(study, [1.0 - v for v in SLOW]) is None
    assert run(study, [1.0 - v for v in HOPELESS]) == 3


def test_before_any_trial_completes_curves_are_extrapolated_to_the_next_rung():
    study = tftune.create_study(pruner=asha())
    trial = study.ask()
    for epoch, value in enumerate(SLOW[:3], 1):
        trial.report(value, epoch)
        assert trial.should_prune() is False
    values = {t: v for t, v in enumerate(SLOW[:3], 1)}
    recorded = study.trials[0].system_attrs["completed_rung_1"]
    assert recorded == extrapolate(values, 3, 9, minimize=True)


def test_next_rung_keeps_the_earlier_rung_bookkeeping():
    """Each rung decides, on the value extrapolated to the next rung's epoch (the raw value
    while fewer than three reports): what ASHA recorded before curve_horizon existed."""
    study = tftune.create_study(pruner=asha(curve_horizon="next_rung"))
    curves = [FAST, SLOW, HOPELESS, FAST, exponential(0.1, 1.5)]
    pruned_at = [run(study, curve) for curve in curves]
    assert pruned_at == [None, 1, 1, None, None]  # a tie with the best goes on
    for trial, curve in zip(study.trials, curves, strict=True):
        values = {t: v for t, v in enumerate(curve, 1)}
        rungs = sorted(k for k in trial.system_attrs if k.startswith("completed_rung_"))
        for k, key in enumerate(rungs):
            step = 3**k
            expected = extrapolate(values, step, 3 ** (k + 1), minimize=True)
            assert trial.system_attrs[key] == expected
    assert study.trials[1].system_attrs["completed_rung_0"] == SLOW[0]


def test_without_extrapolation_curve_horizon_changes_nothing():
    def record(horizon: str) -> list[tuple[int | None, dict[str, float]]]:
        study = tftune.create_study(pruner=asha(extrapolate_curves=False, curve_horizon=horizon))
        out = []
        for curve in [FAST, SLOW, HOPELESS, FAST]:
            at = run(study, curve)
            rungs = {k: v for k, v in study.trials[-1].system_attrs.items() if "_rung_" in k}
            out.append((at, rungs))
        return out

    assert record("final") == record("next_rung")
    assert [at for at, _ in record("final")] == [None, 1, 1, None]


def test_paused_trials_are_promoted_from_the_rung_that_decided():
    study = tftune.create_study(pruner=asha())
    run(study, FAST)
    hopeless = [exponential(0.85 + 0.01 * i, 1.5) for i in range(5)]
    assert [run(study, curve, pause=True) for curve in hopeless[:4]] == [3, 3, 3, 3]
    assert study.pruner.promotions(study) == []  # 5 at rung 1: only the best (FAST) ranks
    assert run(study, hopeless[4], pause=True) == 3
    (promoted,) = study.pruner.promotions(study)  # 6 at rung 1: its top two
    assert promoted.number == 1
    values = [t.system_attrs["completed_rung_1"] for t in study.trials]
    assert study.pruner.rung_values(study, 1) == sorted(values)
    assert values[1] < 0.86 < values[2]


def test_hyperband_brackets_keep_extrapolating_to_the_next_rung():
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    study = tftune.create_study(pruner=pruner)
    assert all(b.curve_horizon == "next_rung" for b in pruner.brackets(study) or [])


@pytest.mark.parametrize("value", ["last", "", None, 3, True])
def test_curve_horizon_is_checked(value):
    with pytest.raises(
        ValueError,
        match=rf"`curve_horizon` must be one of 'final', 'next_rung', got {value!r}\.",
    ):
        SuccessiveHalvingPruner(curve_horizon=value)
