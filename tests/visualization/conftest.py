"""Studies the plot tests share: a conditional mixed space, two objectives, empty, one trial."""

from __future__ import annotations

import pytest

import tftune
from tftune.trial import TrialState

#: Choices of mixed types: 1 and "1" must stay two categories.
KINDS = ["a", 1, "1", 2.5, None, True]


def mixed(trial):
    x = trial.suggest_float("x", -2, 2)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    kind = trial.suggest_categorical("kind", KINDS)
    if kind == "a":
        trial.suggest_int("depth", 1, 8)  # conditional: only trials of kind "a" have it
    return x * x + lr


@pytest.fixture(scope="package")
def study():
    """40 complete trials of ``mixed``, plus one pruned and one failed trial."""
    study = tftune.create_study(study_name="mixed", sampler=tftune.samplers.RandomSampler(seed=3))
    study.enqueue_trial({"kind": "a"})  # at least a few trials have the conditional `depth`
    study.enqueue_trial({"kind": "a"})
    study.enqueue_trial({"kind": "a"})
    study.optimize(mixed, n_trials=40)
    pruned = study.ask()
    pruned.suggest_float("x", -2, 2)
    study.tell(pruned, state=TrialState.PRUNED)
    failed = study.ask()
    study.tell(failed, state=TrialState.FAIL)
    return study


@pytest.fixture(scope="package")
def multi_study():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        return x, (1 - x) ** 2 + y

    study = tftune.create_study(
        study_name="two",
        directions=["minimize", "minimize"],
        sampler=tftune.samplers.RandomSampler(seed=4),
    )
    study.optimize(objective, n_trials=30)
    return study


@pytest.fixture
def empty_study():
    return tftune.create_study(study_name="empty")


@pytest.fixture
def one_trial_study():
    study = tftune.create_study(study_name="one")
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=1)
    return study
