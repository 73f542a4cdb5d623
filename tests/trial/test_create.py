import pytest

import tftune
from tftune.distributions import FloatDistribution
from tftune.trial import TrialState, create_trial


def test_a_failed_trial_with_a_value_is_refused():
    with pytest.raises(ValueError, match=r"A FAIL trial has no values, got values=\[0\.2\]"):
        create_trial(
            state=TrialState.FAIL,
            value=0.2,
            params={"x": 10},
            distributions={"x": FloatDistribution(5, 12)},
        )


def test_a_failed_trial_without_values_is_created_and_added():
    trial = create_trial(
        state=TrialState.FAIL, params={"x": 6.0}, distributions={"x": FloatDistribution(5, 12)}
    )
    assert trial.state == TrialState.FAIL and trial.values is None
    study = tftune.create_study()
    study.add_trial(trial)
    assert study.trials[0].state == TrialState.FAIL
