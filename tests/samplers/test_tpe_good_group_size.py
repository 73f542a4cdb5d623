"""TPE sizes its good group by every finished trial, complete and pruned, also while trials are
compared at a rung: the trials stopped short of the rung rank behind it, they do not vanish
(10 rung reachers of 30 trials give a good group of 3, as Optuna's TPE, not of 1)."""

from __future__ import annotations

import numpy as np

import tftune
from tftune.distributions import FloatDistribution
from tftune.samplers import TPESampler
from tftune.samplers._tpe._observations import ObservationTable, rung_min_trials
from tftune.samplers._tpe._sampler import default_gamma
from tftune.trial._state import TrialState

SPACE = {"x": FloatDistribution(0.0, 1.0)}
STEPS = 10


def run_trial(study: tftune.Study, x: float, steps: int) -> None:
    """A trial at ``x`` reporting ``steps`` steps of a curve ranked by x; pruned unless it ran
    all ``STEPS``."""
    study.enqueue_trial({"x": x})
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    for step in range(steps):
        trial.report(x + 1.0 / (step + 1), step)
    if steps < STEPS:
        study.tell(trial, state=TrialState.PRUNED)
    else:
        study.tell(trial, x)


def recording_gamma(seen: list[int]):
    def gamma(n: int) -> int:
        seen.append(n)
        return default_gamma(n)

    return gamma


def rung_study(sampler) -> tftune.Study:
    """20 trials stopped after 2 steps, 8 after 6 and 2 complete: the rung is step 5, which
    10 of the 30 finished trials reached; one failed trial, which counts nowhere."""
    rng = np.random.default_rng(7)
    study = tftune.create_study(sampler=sampler)
    for steps in [2] * 20 + [6] * 8 + [STEPS] * 2:
        run_trial(study, float(rng.random()), steps)
    failed = study.ask()
    failed.suggest_float("x", 0.0, 1.0)
    study.tell(failed, state=TrialState.FAIL)
    return study


def test_the_good_group_at_a_rung_is_sized_by_every_finished_trial():
    table = ObservationTable(SPACE)
    study = rung_study(TPESampler(seed=0))
    table.update(study.get_trials(deepcopy=False), sign=1.0)
    leaders, _ = table.leaders(rung_min_trials(1))
    assert table.rung(rung_min_trials(1)) == 5 and len(leaders) == 10
    seen: list[int] = []
    study.sampler = TPESampler(seed=0, n_startup_trials=5, gamma=recording_gamma(seen))
    study.ask().suggest_float("x", 0.0, 1.0)
    assert seen == [30]


def test_without_pruned_trials_the_good_group_is_sized_by_the_complete_trials():
    seen: list[int] = []
    study = tftune.create_study(
        sampler=TPESampler(seed=0, n_startup_trials=5, gamma=recording_gamma(seen))
    )
    for x in np.linspace(0.0, 1.0, 12):
        run_trial(study, float(x), STEPS)
    study.ask().suggest_float("x", 0.0, 1.0)
    assert seen[-1] == 12


def test_trials_short_of_the_rung_never_enter_the_good_group():
    table = ObservationTable(SPACE)
    table.update(rung_study(TPESampler(seed=0)).get_trials(deepcopy=False), sign=1.0)
    leaders, losses = table.leaders_by_loss(rung_min_trials(1))
    good, bad = table.split(leaders, losses, 15)  # more than the 10 rung reachers
    assert sorted(good.tolist()) == sorted(leaders.tolist())
    assert all(max(table.reports[row]) < 5 for row in bad)
    assert len(good) + len(bad) == len(table) == 30
