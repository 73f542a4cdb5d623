"""Optuna's rules for studies: nested optimize, tell of a finished trial or with state=COMPLETE."""

from __future__ import annotations

import pytest

import tftune
from tftune.exceptions import UpdateFinishedTrialError
from tftune.trial import TrialState


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_optimize_inside_its_own_optimize_is_refused_but_another_study_may_run(n_jobs):
    outer, other = tftune.create_study(), tftune.create_study()
    seen = []

    def objective(trial):
        with pytest.raises(RuntimeError, match="Nested optimization is not allowed"):
            trial.study.optimize(lambda t: 0.0, n_trials=1)
        other.optimize(lambda t: 2.0, n_trials=1)
        seen.append(trial.number)
        return 1.0

    outer.optimize(objective, n_trials=2, n_jobs=n_jobs)
    assert sorted(seen) == [0, 1] and len(other.trials) == 2
    assert [t.state for t in outer.trials] == [TrialState.COMPLETE] * 2
    outer.optimize(lambda t: 3.0, n_trials=1)  # the flag is cleared afterwards
    assert len(outer.trials) == 3


def test_telling_a_finished_trial_again_is_a_value_error_too():
    study = tftune.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    assert study.tell(trial, 2.0, skip_if_finished=True).values == [1.0]
    with pytest.raises(ValueError, match="skip_if_finished=True") as caught:
        study.tell(trial, 1.0)
    assert isinstance(caught.value, UpdateFinishedTrialError)


@pytest.mark.parametrize("values", [None, "a", [], float("nan")])
def test_tell_with_state_complete_refuses_values_it_cannot_store(values):
    study = tftune.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"tell\(state=COMPLETE\) needs one finite number"):
        study.tell(trial, values, state=TrialState.COMPLETE)
    assert study.trials[0].state == TrialState.RUNNING
    with pytest.warns(UserWarning, match="Trial #0 failed"):
        assert study.tell(trial, values if values != [] else None).state == TrialState.FAIL
