"""A rung of ASHA with the final horizon ranks a trial twice: by its predicted final value and
by the value it reported there (Optuna's record); it stops only a trial behind on both, so a
noisy prediction cannot throw away a curve that leads where it stands."""

from __future__ import annotations

import pytest
from asha_curves import STEPS, asha, exponential, run

import tftune
from tftune.pruners import HyperbandPruner


SLOW = exponential(0.05, 0.2)  # 0.571 at epoch 3, predicted to end near 0.05
# Flat from epoch 2: its prediction is its value (0.30), behind SLOW's, its value ahead of it.
FLAT = [0.35] + [0.30] * (STEPS - 1)
FLAT_BEHIND = [0.85] + [0.80] * (STEPS - 1)  # behind SLOW by both


def test_a_trial_ahead_by_its_reported_value_passes_the_rung():
    study = tftune.create_study(pruner=asha())
    assert [run(study, SLOW), run(study, SLOW)] == [None, None]
    # rung at epoch 3 holds 3 values: only the best goes on. FLAT's prediction (0.30) is
    # behind SLOW's, its value there (0.30 < 0.571) ahead: it goes on, and "cannot beat the
    # best" (0.30 against SLOW's 0.05) stops it at its next report instead.
    assert run(study, FLAT) == 4
    flat = study.trials[-1]
    assert flat.system_attrs["completed_rung_1"] == pytest.approx(0.30, abs=1e-3)
    assert flat.system_attrs["completed_reported_rung_1"] == 0.30
    slow_predicted = study.trials[0].system_attrs["completed_rung_1"]
    assert slow_predicted < 0.29 < 0.30 < study.trials[0].system_attrs["completed_reported_rung_1"]
    assert study.trials[0].system_attrs["completed_reported_rung_1"] == SLOW[2]


def test_without_beat_best_the_reported_value_alone_carries_the_trial_to_the_next_rung():
    study = tftune.create_study(pruner=asha(beat_best=False))
    run(study, SLOW)
    run(study, SLOW)
    assert run(study, FLAT) == 9  # kept at 3 by its value; at 9 SLOW's values lead too


def test_a_trial_behind_on_both_rankings_is_stopped_at_the_rung():
    study = tftune.create_study(pruner=asha(beat_best=False))
    run(study, SLOW)
    run(study, SLOW)
    assert run(study, FLAT_BEHIND) == 3


def test_a_paused_trial_ahead_by_its_reported_value_is_promoted():
    study = tftune.create_study(pruner=asha(beat_best=False))
    run(study, SLOW)
    assert run(study, FLAT_BEHIND, pause=True) == 3  # behind SLOW on both (2 at the rung)
    assert study.pruner.promotions(study) == []
    # four very slow learners: predicted ahead of FLAT_BEHIND, their values behind it
    for _ in range(4):
        run(study, exponential(0.0, 0.03))
    very_slow = study.trials[-1].system_attrs
    assert very_slow["completed_rung_1"] < 0.79 and very_slow["completed_reported_rung_1"] > 0.9
    # 6 at the rung: its top two. FLAT_BEHIND's prediction (0.80) is last, its value second.
    flat_predicted = study.trials[1].system_attrs["completed_rung_1"]
    assert study.pruner.rung_values(study, 1)[-1] == flat_predicted
    (promoted,) = study.pruner.promotions(study)
    assert promoted.number == 1


def test_only_the_final_horizon_records_the_reported_value():
    assert asha().reported_key(1) == "completed_reported_rung_1"
    assert asha(curve_horizon="next_rung").reported_key(1) is None
    assert asha(extrapolate_curves=False).reported_key(1) is None
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    study = tftune.create_study(pruner=pruner)
    brackets = pruner.brackets(study)
    assert brackets is not None and len(brackets) == 4  # log3(27) + 1
    assert all(b.reported_key(0) is None for b in brackets)
