"""The "cannot beat the best" rule at three reports: an exact fit measures no noise, so the point
prediction is widened by the margin the study's complete trials needed at that rung."""

from __future__ import annotations

import math

import pytest

import tftune
from tftune.pruners import SuccessiveHalvingPruner
from tftune.pruners._curves import MIN_CALIBRATION, calibrated_margin
from tftune.trial import TrialState

STEPS = 27  # rungs (min_resource 1, factor 3) at epochs 1, 3, 9 and 27


def exponential(final: float, rate: float = 1.5) -> list[float]:
    return [final + (1.0 - final) * math.exp(-rate * t) for t in range(1, STEPS + 1)]


def run(study: tftune.Study, curve: list[float], obey: bool = True) -> int | None:
    """The epoch ``curve`` was pruned at, or None if it completed (``obey=False``: asks the
    pruner at every epoch, so its rungs note the trial, but completes anyway)."""
    trial = study.ask()
    for epoch, value in enumerate(curve, 1):
        trial.report(value, epoch)
        if trial.should_prune() and obey:
            study.tell(trial, state=TrialState.PRUNED)
            return epoch
    study.tell(trial, curve[-1])
    return None


def study_with(n_complete: int, beat_best: bool = True) -> tftune.Study:
    """One complete trial heading for 0.05, then ``n_complete - 1`` heading for 0.85: fast
    exponential curves, which three reports predict well."""
    study = tftune.create_study(
        pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, beat_best=beat_best)
    )
    assert run(study, exponential(0.05)) is None
    for _ in range(n_complete - 1):
        assert run(study, exponential(0.85), obey=False) is None
    return study


def test_the_margin_is_a_quantile_of_the_errors_and_never_negative():
    errors = [0.01 * i for i in range(MIN_CALIBRATION)]
    assert calibrated_margin(errors, 0.5) == pytest.approx(0.045)
    assert calibrated_margin(errors, 0.99) == pytest.approx(0.0891)
    assert calibrated_margin([-1.0] * MIN_CALIBRATION, 0.99) == 0.0


def test_no_margin_until_enough_finite_errors():
    assert MIN_CALIBRATION == 10
    short = [0.1] * (MIN_CALIBRATION - 1)
    assert calibrated_margin(short, 0.99) is None
    assert calibrated_margin([*short, math.nan, math.inf], 0.99) is None
    assert calibrated_margin([*short, 0.2], 0.99) == pytest.approx(0.191)


def test_a_curve_in_the_rungs_top_third_that_cannot_beat_the_best_stops_at_three_reports():
    fast = exponential(0.30)  # in the rung's top third at epoch 3, but behind 0.05 at the end
    assert run(study_with(MIN_CALIBRATION), fast) == 3


def test_with_too_few_complete_trials_three_reports_do_not_stop_it():
    # no margin yet: the rule waits for the fourth report, and the curve is stopped at epoch 4
    assert run(study_with(MIN_CALIBRATION - 1), exponential(0.30)) == 4


def test_without_beat_best_the_rung_ranking_alone_keeps_it():
    assert run(study_with(MIN_CALIBRATION, beat_best=False), exponential(0.30)) is None


def test_a_margin_measured_on_pessimistic_predictions_keeps_a_curve_that_may_still_win():
    # the complete trials seemed to settle near 0.8 after three epochs, then dropped to 0.2:
    # their three-report predictions were 0.6 too pessimistic, so one predicted at 0.30 may
    # still beat 0.05 and goes on to epoch 4 (where its flat curve is measured and stopped)
    study = tftune.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
    assert run(study, exponential(0.05)) is None
    late_drop = [1.0, 0.9, 0.85] + [0.2] * (STEPS - 3)
    for _ in range(MIN_CALIBRATION - 1):
        assert run(study, late_drop, obey=False) is None
    assert run(study, exponential(0.30)) == 4
