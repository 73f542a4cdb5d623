import pytest

from tftune.trial import TrialState


@pytest.mark.parametrize("state", list(TrialState))
def test_str_and_repr_name_the_state_as_optuna_does(state):
    assert str(state) == f"TrialState.{state.name}"
    assert repr(state) == f"TrialState.{state.name}"
    assert f"{state}" == f"TrialState.{state.name}"


def test_the_state_is_still_its_int():
    assert TrialState.COMPLETE == 1 and int(TrialState.FAIL) == 3
