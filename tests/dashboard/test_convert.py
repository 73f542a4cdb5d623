"""tftune's records as Optuna's: every field, state, direction and distribution kind."""

from __future__ import annotations

import math

import optuna
import pytest

import tftune
from tftune.dashboard import _convert
from tftune.dashboard._adapter import OptunaView
from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tftune.storages import RDBStorage
from tftune.trial import TrialState


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (FloatDistribution(1e-4, 1e-1, log=True), optuna.distributions.FloatDistribution),
        (FloatDistribution(0.0, 0.5, step=0.1), optuna.distributions.FloatDistribution),
        (FloatDistribution(-2.0, 3.0), optuna.distributions.FloatDistribution),
        (IntDistribution(8, 256, log=True), optuna.distributions.IntDistribution),
        (IntDistribution(1, 8, step=2), optuna.distributions.IntDistribution),
        (IntDistribution(0, 9), optuna.distributions.IntDistribution),
    ],
)
def test_numeric_distributions_keep_range_log_and_step(ours, theirs):
    converted = _convert.to_optuna_distribution(ours)
    assert type(converted) is theirs
    assert (converted.low, converted.high, converted.log, converted.step) == (
        ours.low,
        ours.high,
        ours.log,
        ours.step,
    )
    for internal in (ours.low, ours.high):
        assert converted.to_external_repr(internal) == ours.to_external_repr(internal)


def test_int_step_keeps_tftunes_snapped_high():
    converted = _convert.to_optuna_distribution(IntDistribution(1, 8, step=2))
    assert (converted.low, converted.high, converted.step) == (1, 7, 2)


def test_mixed_categorical_keeps_every_choice_with_its_type_and_index():
    choices = [None, True, 3, 2.5, "relu"]
    ours = CategoricalDistribution(choices)
    converted = _convert.to_optuna_distribution(ours)
    assert isinstance(converted, optuna.distributions.CategoricalDistribution)
    assert [type(c) for c in converted.choices] == [type(c) for c in choices]
    for choice in choices:
        assert converted.to_internal_repr(choice) == ours.to_internal_repr(choice)


def test_unknown_distribution_is_refused_with_its_name():
    class Odd(BaseDistribution):
        def to_internal_repr(self, external):
            return float(external)

        def to_external_repr(self, internal):
            return internal

        def single(self):
            return False

        def contains(self, internal):
            return True

    with pytest.raises(TypeError, match=r"`distribution` must be a tftune .* got .*Odd"):
        _convert.to_optuna_distribution(Odd())


def test_every_direction_and_state_maps_by_name_both_ways():
    for direction in tftune.StudyDirection:
        theirs = _convert.to_optuna_direction(direction)
        assert theirs.name == direction.name
        assert _convert.from_optuna_direction(theirs) is direction
    for state in TrialState:
        theirs = _convert.to_optuna_state(state)
        assert theirs.name == state.name
        assert _convert.from_optuna_state(theirs) is state


def test_values_that_are_not_optuna_enums_are_refused():
    with pytest.raises(ValueError, match=r"`direction` must be an Optuna StudyDirection, got 7"):
        _convert.from_optuna_direction(7)
    with pytest.raises(ValueError, match=r"`state` must be an Optuna TrialState, got 'done'"):
        _convert.from_optuna_state("done")


def _same_number(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_every_field_of_every_trial_matches(studies_file):
    storage = RDBStorage(f"sqlite:///{studies_file}", heartbeat_interval=None)
    view = OptunaView(storage)
    seen_states = set()
    try:
        for summary in storage.get_all_studies():
            ours = storage.get_all_trials(summary.study_id)
            theirs = view.get_all_trials(summary.study_id)
            assert len(theirs) == len(ours) > 0
            for a, b in zip(ours, theirs, strict=True):
                seen_states.add(a.state)
                assert b.number == a.number and b._trial_id == a._trial_id
                assert b.state.name == a.state.name
                assert b.values == a.values
                assert (b.datetime_start, b.datetime_complete) == (
                    a.datetime_start,
                    a.datetime_complete,
                )
                assert b.params == a.params
                assert {type(v) for v in b.params.values()} == {type(v) for v in a.params.values()}
                assert b.distributions == {
                    name: _convert.to_optuna_distribution(d) for name, d in a.distributions.items()
                }
                assert b.user_attrs == a.user_attrs
                assert b.system_attrs == a.system_attrs
                assert b.intermediate_values.keys() == a.intermediate_values.keys()
                assert all(
                    _same_number(b.intermediate_values[k], v)
                    for k, v in a.intermediate_values.items()
                )
    finally:
        storage.close()
    assert seen_states == set(TrialState)


def test_keras_history_fail_reason_and_objectives_survive(studies_file):
    storage = RDBStorage(f"sqlite:///{studies_file}", heartbeat_interval=None)
    view = OptunaView(storage)
    try:
        mixed = view.get_all_trials(view.get_study_id_from_name("mixed"))
        complete = [t for t in mixed if t.state == optuna.trial.TrialState.COMPLETE]
        assert set(complete[0].user_attrs["history"]) == {"loss", "val_loss"}
        failed = [t for t in mixed if t.state == optuna.trial.TrialState.FAIL]
        assert len(failed) == 2
        assert all("diverged at trial" in t.system_attrs["fail_reason"] for t in failed)
        two_id = view.get_study_id_from_name("two-goals")
        assert [d.name for d in view.get_study_directions(two_id)] == ["MINIMIZE", "MAXIMIZE"]
        done = view.get_all_trials(two_id, states=(optuna.trial.TrialState.COMPLETE,))
        assert len(done) == 5 and all(len(t.values) == 2 for t in done)
    finally:
        storage.close()
