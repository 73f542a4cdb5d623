"""``create_trial``: a finished trial made by hand, to add to a study with ``add_trial``."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from typing import Any

from tftune.distributions import BaseDistribution, convert_legacy
from tftune.trial._constraints import constraint_attrs
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: dict[str, Any] | None = None,
    distributions: dict[str, BaseDistribution] | None = None,
    user_attrs: dict[str, Any] | None = None,
    system_attrs: dict[str, Any] | None = None,
    intermediate_values: dict[int, float] | None = None,
    constraints: Mapping[str, float] | None = None,
) -> FrozenTrial:
    """A trial with the given results, checked as :func:`check_trial` does, for
    :meth:`Study.add_trial`: results from earlier runs or other tools warm-start a study.

    Start and completion times are now (none for a WAITING trial); the number is given when
    the study adds it. ``constraints`` (name to value, > 0 a violation) become the trial's
    :attr:`FrozenTrial.constraints`; NaN is a ValueError, a value that is not a number a
    TypeError.
    """
    now = datetime.datetime.now()
    attrs = dict(system_attrs or {})
    attrs.update(constraint_attrs(constraints or {}))
    trial = FrozenTrial(
        number=-1,
        state=state,
        value=value,
        values=values,
        datetime_start=None if state == TrialState.WAITING else now,
        datetime_complete=now if state.is_finished() else None,
        params=dict(params or {}),
        distributions={n: convert_legacy(d) for n, d in (distributions or {}).items()},
        user_attrs=dict(user_attrs or {}),
        system_attrs=attrs,
        intermediate_values=dict(intermediate_values or {}),
    )
    check_trial(trial)
    return trial


def check_trial(trial: FrozenTrial) -> None:
    """Raise ValueError unless ``trial`` is consistent enough to store.

    The rules (Optuna's): only a WAITING trial lacks a start time; a finished one has a
    completion time; a FAIL one has no values; a COMPLETE one has values, none NaN; params
    and distributions name the same parameters, and each value lies in its distribution.
    """
    if not isinstance(trial.state, TrialState):
        raise ValueError(f"`state` must be a TrialState, got {trial.state!r}.")
    if trial.datetime_start is None and trial.state != TrialState.WAITING:
        raise ValueError(f"A {trial.state.name} trial needs `datetime_start`, got None.")
    if trial.state.is_finished() and trial.datetime_complete is None:
        raise ValueError(f"A {trial.state.name} trial needs `datetime_complete`, got None.")
    if trial.state == TrialState.FAIL and trial.values is not None:
        raise ValueError(f"A FAIL trial has no values, got values={trial.values!r}.")
    if trial.state == TrialState.COMPLETE:
        if trial.values is None:
            raise ValueError("A COMPLETE trial needs `value` or `values`, got neither.")
        if any(math.isnan(float(v)) for v in trial.values):
            raise ValueError(f"A COMPLETE trial's values cannot be NaN, got {trial.values!r}.")
    if set(trial.params) != set(trial.distributions):
        raise ValueError(
            "`params` and `distributions` must name the same parameters, got params "
            f"{sorted(trial.params)} and distributions {sorted(trial.distributions)}."
        )
    for name, value in trial.params.items():
        distribution = trial.distributions[name]
        if not distribution.contains(distribution.to_internal_repr(value)):
            raise ValueError(
                f"The value {value!r} of parameter {name!r} lies outside {distribution!r}."
            )
