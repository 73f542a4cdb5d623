"""tftune's records as Optuna's: directions, states, distributions and trials.

optuna-dashboard reads Optuna's objects, so each tftune object is translated field by field.
The two libraries share the meaning of every field (a parameter's external value, the
``fail_reason`` and ``fixed_params`` system attrs, naive local datetimes), so the translation
only changes the classes.
"""

from __future__ import annotations

import warnings
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution as OptunaDistribution,
)
from optuna.distributions import (
    CategoricalDistribution as OptunaCategorical,
)
from optuna.distributions import (
    FloatDistribution as OptunaFloat,
)
from optuna.distributions import (
    IntDistribution as OptunaInt,
)

from tftune._direction import StudyDirection
from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

_DIRECTIONS = {
    StudyDirection.NOT_SET: optuna.study.StudyDirection.NOT_SET,
    StudyDirection.MINIMIZE: optuna.study.StudyDirection.MINIMIZE,
    StudyDirection.MAXIMIZE: optuna.study.StudyDirection.MAXIMIZE,
}
_STATES = {state: optuna.trial.TrialState[state.name] for state in TrialState}


def to_optuna_direction(direction: StudyDirection) -> optuna.study.StudyDirection:
    """Optuna's direction of the same name."""
    return _DIRECTIONS[direction]


def from_optuna_direction(direction: Any) -> StudyDirection:
    """tftune's direction of the same name as an Optuna one (ValueError for another value)."""
    for ours, theirs in _DIRECTIONS.items():
        if direction == theirs:
            return ours
    raise ValueError(f"`direction` must be an Optuna StudyDirection, got {direction!r}.")


def to_optuna_state(state: TrialState) -> optuna.trial.TrialState:
    """Optuna's trial state of the same name."""
    return _STATES[state]


def from_optuna_state(state: Any) -> TrialState:
    """tftune's trial state of the same name as an Optuna one (ValueError for another value)."""
    if not isinstance(state, optuna.trial.TrialState) or state.name not in TrialState.__members__:
        raise ValueError(f"`state` must be an Optuna TrialState, got {state!r}.")
    return TrialState[state.name]


def to_optuna_distribution(distribution: BaseDistribution) -> OptunaDistribution:
    """Optuna's Float/Int/CategoricalDistribution with the same range, log scale and step."""
    if isinstance(distribution, FloatDistribution):
        with warnings.catch_warnings():  # tftune has already snapped `high` onto the step grid
            warnings.simplefilter("ignore")
            return OptunaFloat(
                distribution.low, distribution.high, log=distribution.log, step=distribution.step
            )
    if isinstance(distribution, IntDistribution):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return OptunaInt(
                distribution.low, distribution.high, log=distribution.log, step=distribution.step
            )
    if isinstance(distribution, CategoricalDistribution):
        return OptunaCategorical(list(distribution.choices))
    raise TypeError(
        f"`distribution` must be a tftune Float, Int or CategoricalDistribution, "
        f"got {distribution!r} ({type(distribution).__name__})."
    )


class TrialConverter:
    """Turns tftune trials into Optuna ones, converting each distinct distribution once
    (not thread-safe: lock outside)."""

    def __init__(self) -> None:
        self._distributions: dict[BaseDistribution, OptunaDistribution] = {}

    def distribution(self, distribution: BaseDistribution) -> OptunaDistribution:
        """The Optuna distribution of ``distribution``, made once per distinct one."""
        found = self._distributions.get(distribution)
        if found is None:
            found = to_optuna_distribution(distribution)
            self._distributions[distribution] = found
        return found

    def trial(self, trial: FrozenTrial) -> optuna.trial.FrozenTrial:
        """An Optuna FrozenTrial with every field of ``trial`` (its dicts copied)."""
        return optuna.trial.FrozenTrial(
            number=trial.number,
            state=_STATES[trial.state],
            value=None,
            values=list(trial.values) if trial.values is not None else None,
            datetime_start=trial.datetime_start,
            datetime_complete=trial.datetime_complete,
            params=dict(trial.params),
            distributions={
                name: self.distribution(distribution)
                for name, distribution in trial.distributions.items()
            },
            user_attrs=dict(trial.user_attrs),
            system_attrs=dict(trial.system_attrs),
            intermediate_values=dict(trial.intermediate_values),
            trial_id=trial._trial_id,
        )
