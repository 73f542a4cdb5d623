"""Successive halving keeps Optuna's documented rules where curve extrapolation has nothing to
say: NaN stops a trial at a rung only, ``bootstrap_count`` fills a rung before it promotes, and
before any trial completes (no final step known) every rung decides, even on one report."""

from __future__ import annotations

import math

import pytest

import tftune
from tftune.pruners import SuccessiveHalvingPruner
from tftune.trial import TrialState


def test_nan_stops_a_trial_at_a_rung_and_not_between_rungs():
    study = tftune.create_study(pruner=SuccessiveHalvingPruner(min_resource=2, reduction_factor=2))
    trial = study.ask()
    trial.report(math.nan, step=1)
    assert not trial.should_prune()
    trial.report(math.nan, step=2)
    assert trial.should_prune()


def test_a_rung_prunes_until_it_holds_more_than_bootstrap_count_values():
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, bootstrap_count=1)
    study = tftune.create_study(pruner=pruner)
    first, second = study.ask(), study.ask()
    first.report(1.0, step=1)
    assert first.should_prune()  # the rung holds one value: not more than 1
    second.report(1.0, step=1)
    assert not second.should_prune()  # two values, and it ties the best


@pytest.mark.parametrize(("direction", "worse"), [("minimize", 2.0), ("maximize", 0.5)])
def test_before_any_trial_completes_one_report_is_ranked_at_the_rung(direction, worse):
    study = tftune.create_study(
        direction=direction, pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    )
    first = study.ask()
    first.report(1.0, 1)
    assert not first.should_prune()  # alone at its rung
    second = study.ask()
    assert not second.should_prune()  # no report yet
    second.report(worse, 1)
    assert second.should_prune()  # behind the first: no final step known to extrapolate to


def test_once_a_trial_completed_one_report_is_too_short_to_rank():
    study = tftune.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    done = study.ask()
    for step, value in enumerate([1.0, 0.5, 0.4, 0.3], 1):
        done.report(value, step)
    study.tell(done, 0.3)
    trial = study.ask()
    trial.report(2.0, 1)
    assert not trial.should_prune()  # a curve heading for the final step needs three reports


def test_cannot_beat_the_best_stops_a_curve_between_rungs():
    # rungs at epochs 1, 3, 9 and 27; the complete trial is flat at 0.99, then 0.01 at its
    # last epoch, so the flat curve at 0.8 leads every rung: it is stopped at its fourth
    # report (the first with a measured noise) for its bound behind 0.01, not at epoch 9
    study = tftune.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
    late = study.ask()
    for step in range(1, 28):
        late.report(0.99 if step < 27 else 0.01, step)
    study.tell(late, 0.01)
    flat = study.ask()
    stopped = None
    for step in range(1, 10):
        flat.report(0.8 + 0.001 * (-1) ** step, step)
        if flat.should_prune():
            stopped = step
            break
    assert stopped == 4
    study.tell(flat, state=TrialState.PRUNED)
    assert "completed_rung_1" in study.trials[-1].system_attrs  # it passed the rung at 3


def test_without_beat_best_nothing_stops_a_curve_between_rungs():
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, beat_best=False)
    study = tftune.create_study(pruner=pruner)
    late = study.ask()
    for step in range(1, 28):
        late.report(0.99 if step < 27 else 0.01, step)
    study.tell(late, 0.01)
    flat = study.ask()
    for step in range(1, 10):
        flat.report(0.8 + 0.001 * (-1) ** step, step)
        assert not flat.should_prune()


def test_a_curve_at_the_final_step_is_not_stopped_between_rungs():
    # the complete trial ended at 0.062 at step 3, its last; a slower curve cannot beat it,
    # but at its own final report it has nothing left to train: stopping it then would only
    # throw its final value away (and ASHA could promote it with no epoch left to run)
    study = tftune.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    best = study.ask()
    for step, value in enumerate((0.5, 0.2, 0.1, 0.062)):
        best.report(value, step)
        best.should_prune()
    study.tell(best, 0.062)
    slow = study.ask()
    answers = []
    for step, value in enumerate((0.93, 0.75, 0.60, 0.48)):
        slow.report(value, step)
        answers.append(slow.should_prune())
    assert answers == [False, False, True, False]  # stopped before the end, not at it
