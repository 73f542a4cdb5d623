"""Pruners decide deterministically on scripted report sequences, on every storage."""

from __future__ import annotations

import math

import pytest

import tftune
from tftune.pruners import (
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from tftune.pruners._hyperband import BRACKET_KEY
from tftune.pruners._successive_halving import CHECKPOINT_KEY, LINEAGE_KEY, RESUME_OF_KEY
from tftune.trial import TrialState


def asha_by_rung():
    """ASHA deciding at every rung, also on one or two reports (``curve_horizon="next_rung"``):
    Optuna's rung bookkeeping, which these tests script; the default waits for a curve to fit
    (tests/pruners/test_asha_final_horizon.py)."""
    return SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, curve_horizon="next_rung")


def complete_with(study, curve, value=None):
    """A complete trial that reported ``curve`` (step i -> curve[i])."""
    trial = study.ask()
    for step, v in enumerate(curve):
        trial.report(v, step)
    study.tell(trial, curve[-1] if value is None else value)


def decisions(study, curve):
    """Report ``curve`` on a new trial; the pruner's answer after each step."""
    trial = study.ask()
    answers = []
    for step, v in enumerate(curve):
        trial.report(v, step)
        answers.append(trial.should_prune())
    return answers


def test_nop_never_prunes():
    study = tftune.create_study(pruner=NopPruner())
    complete_with(study, [0.1, 0.1])
    assert decisions(study, [9.0, 9.0]) == [False, False]


def test_median_pruner_compares_with_the_median_at_each_step(storage_url):
    study = tftune.create_study(storage=storage_url, pruner=MedianPruner(n_startup_trials=3))
    for curve in ([1.0, 0.8, 0.6], [2.0, 1.0, 0.5], [3.0, 1.2, 0.4]):
        complete_with(study, curve)
    # medians per step: 2.0, 1.0, 0.5; the trial's best so far is compared with them
    assert decisions(study, [1.5, 1.1, 0.9]) == [False, True, True]
    assert decisions(study, [2.5, 0.9, 0.45]) == [True, False, False]


def test_median_pruner_waits_for_startup_trials_and_warmup():
    study = tftune.create_study(
        pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=2, interval_steps=2)
    )
    complete_with(study, [1.0, 1.0, 1.0, 1.0, 1.0])
    assert decisions(study, [9.0] * 5) == [False] * 5  # only one complete trial
    complete_with(study, [1.0, 1.0, 1.0, 1.0, 1.0])
    assert decisions(study, [9.0] * 5) == [False, False, True, False, True]  # steps 2 and 4 only


def test_percentile_pruner_for_maximisation():
    study = tftune.create_study(
        direction="maximize", pruner=PercentilePruner(25.0, n_startup_trials=1)
    )
    for final in (0.1, 0.2, 0.3, 0.4, 0.5):
        complete_with(study, [final])
    # keep the best quarter: the 75th percentile of [0.1 .. 0.5] is 0.4
    assert decisions(study, [0.35]) == [True]
    assert decisions(study, [0.45]) == [False]


def test_a_nan_report_is_pruned_as_diverged():
    study = tftune.create_study(pruner=MedianPruner(n_startup_trials=0))
    assert decisions(study, [math.nan]) == [False]  # nothing to compare with yet
    complete_with(study, [1.0, 1.0])
    assert decisions(study, [math.nan, math.nan]) == [True, True]  # only NaN: diverged
    # NaN after a good value: judged by the best value (as Optuna's).
    assert decisions(study, [0.5, math.nan]) == [False, False]


def test_threshold_pruner():
    study = tftune.create_study(pruner=ThresholdPruner(lower=0.0, upper=10.0))
    assert decisions(study, [5.0, 11.0]) == [False, True]
    assert decisions(study, [-1.0]) == [True]
    assert decisions(study, [math.inf]) == [True]
    with pytest.raises(TypeError, match="needs `lower` or `upper`"):
        ThresholdPruner()
    with pytest.raises(ValueError, match=r"`lower` must be <= `upper`, got lower=2 and upper=1"):
        ThresholdPruner(lower=2, upper=1)


def test_patient_pruner_tolerates_a_stall_of_patience_steps():
    study = tftune.create_study(pruner=PatientPruner(None, patience=2, min_delta=0.05))
    # Optuna's rule: pruned once the best of the last three reports is worse than the best
    # before them by more than 0.05; a slow improvement or a plateau is not pruned
    assert decisions(study, [0.5, 0.49, 0.48, 0.47, 0.46]) == [False] * 5
    assert decisions(study, [0.5, 0.4, 0.6, 0.6, 0.6]) == [False, False, False, False, True]
    assert decisions(study, [1.0, 0.9, 0.8, 0.7, 0.6]) == [False] * 5


def test_successive_halving_promotes_the_top_fraction_of_each_rung(storage_url):
    study = tftune.create_study(storage=storage_url, pruner=asha_by_rung())
    # rungs at steps 1, 2, 4 ...: the first trial at a rung is the best there and goes on
    assert decisions(study, [0.5, 0.5, 0.5]) == [False, False, False]
    # a worse second trial: 2 values at rung 0, it must be the best (top half of 2): pruned
    assert decisions(study, [0.9, 0.9]) == [False, True]
    # a better third trial passes rung 0 and rung 1
    assert decisions(study, [0.2, 0.2, 0.2]) == [False, False, False]
    trials = tftune.load_study(study.study_name, study.storage).trials
    assert trials[0].system_attrs["completed_rung_0"] == 0.5
    assert trials[2].system_attrs["completed_rung_1"] == 0.2
    assert "completed_rung_1" not in trials[1].system_attrs


def test_successive_halving_is_asynchronous_across_workers(sqlite_url):
    """Two workers' trials run interleaved; each decision uses the rung as it is then."""
    pruner = asha_by_rung()
    worker_a = tftune.create_study(study_name="asha", storage=sqlite_url, pruner=pruner)
    worker_b = tftune.load_study("asha", sqlite_url, pruner=asha_by_rung())
    a, b = worker_a.ask(), worker_b.ask()
    a.report(0.3, 0), b.report(0.4, 0)
    a.report(0.3, 1)
    assert a.should_prune() is False  # alone at rung 0: the best
    b.report(0.4, 1)
    assert b.should_prune() is True  # rung 0 holds 0.3 and 0.4: only the best half goes on
    worker_b.tell(b, state=TrialState.PRUNED)
    c = worker_b.ask()
    c.report(0.1, 0), c.report(0.1, 1)
    assert c.should_prune() is False  # 3 values, top third: 0.1 is the best


def test_successive_halving_auto_min_resource_waits_for_a_complete_trial():
    study = tftune.create_study(pruner=SuccessiveHalvingPruner())
    assert decisions(study, [9.0] * 3) == [False] * 3  # nothing complete: no rungs yet
    complete_with(study, [1.0] * 300)  # min_resource = last step 299 // 100 = 2
    # rung 0 at step 2: the complete trial reported 1.0 there (without asking the pruner)
    assert decisions(study, [9.0] * 3) == [False, False, True]
    assert decisions(study, [0.5] * 3) == [False, False, False]


def test_hyperband_assigns_brackets_and_prunes_within_them():
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    # brackets are drawn from a checksum of the study name: a fixed name makes the draw fixed
    # (with a random name, 1 % of 40-trial draws give another bracket more trials than bracket 0)
    study = tftune.create_study(study_name="hyperband-brackets", pruner=pruner)
    for _ in range(40):
        decisions(study, [0.5])
    brackets = [t.system_attrs[BRACKET_KEY] for t in study.trials]
    assert set(brackets) <= {0, 1, 2, 3} and len(set(brackets)) >= 3
    # Hyperband gives the most aggressive bracket the most trials
    assert brackets.count(0) == max(brackets.count(b) for b in set(brackets))
    # a trial's rungs are recorded under its own bracket only
    for trial in study.trials:
        assert all(
            key.startswith(f"bracket{trial.system_attrs[BRACKET_KEY]}_rung_")
            for key in trial.system_attrs
            if "rung" in key
        )


@pytest.mark.parametrize(
    "factory, message",
    [
        (
            lambda: MedianPruner(n_startup_trials=-1),
            r"`n_startup_trials` must be a non-negative int, got -1",
        ),
        (
            lambda: MedianPruner(interval_steps=0),
            r"`interval_steps` must be a positive int, got 0",
        ),
        (lambda: PercentilePruner(150), r"`percentile` must be a number in \[0, 100\], got 150"),
        (
            lambda: SuccessiveHalvingPruner(reduction_factor=1),
            r"`reduction_factor` must be an int >= 2, got 1",
        ),
        (
            lambda: SuccessiveHalvingPruner(min_resource=0),
            r"`min_resource` must be 'auto' or a positive int, got 0",
        ),
        (
            lambda: HyperbandPruner(min_resource=10, max_resource=5),
            r"`max_resource` must be >= `min_resource`, got 5 < 10",
        ),
        (
            lambda: PatientPruner(None, patience=-2),
            r"`patience` must be a non-negative int, got -2",
        ),
        (
            lambda: PatientPruner("median", patience=2),
            r"`wrapped_pruner` must be a pruner or None, got 'median'",
        ),
    ],
)
def test_bad_pruner_arguments(factory, message):
    with pytest.raises((ValueError, TypeError), match=message):
        factory()


def _pause(study, curve):
    """A trial pruned at its last report, with a checkpoint on record: paused."""
    trial = study.ask()
    for step, v in enumerate(curve):
        trial.report(v, step)
    assert trial.should_prune() is True
    trial.set_system_attr(
        CHECKPOINT_KEY, {"path": f"trial_{trial.number}.weights.h5", "epoch": len(curve) - 1}
    )
    study.tell(trial, state=TrialState.PRUNED)
    return trial.number


def test_asha_promotes_a_paused_trial_once_its_rung_ranks_it_high_enough(storage_url):
    study = tftune.create_study(storage=storage_url, pruner=asha_by_rung())
    assert decisions(study, [0.5, 0.5]) == [False, False]  # alone at rung 0 (step 1): goes on
    b = _pause(study, [0.9, 0.9])
    assert study.pruner.promotions(study) == []  # 2 at rung 0: only the best (0.5) ranks
    _pause(study, [0.95, 0.95])
    assert study.pruner.promotions(study) == []  # 3: still only the best
    _pause(study, [0.99, 0.99])
    (promoted,) = study.pruner.promotions(study)  # 4 at rung 0: the top two are 0.5 and 0.9
    assert promoted.number == b
    # The trial that resumes it carries its notes; the configuration counts once at rung 0.
    template = tftune.FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        system_attrs={
            RESUME_OF_KEY: b,
            LINEAGE_KEY: b,
            "completed_rung_0": promoted.system_attrs["completed_rung_0"],
        },
    )
    study.storage.enqueue_trials(study.study_id, [template])
    resumed = study.ask()
    assert resumed.system_attrs[RESUME_OF_KEY] == b
    assert study.pruner.promotions(study) == []
    assert study.pruner.rung_values(study, 0) == [
        0.5,
        0.9,
        0.95,
        0.99,
    ]
