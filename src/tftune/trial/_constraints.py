"""Constraints: the one home of the rule that decides whether a trial is feasible.

A constrained study gives each finished trial constraint values; a value > 0 is a violation,
and a trial is feasible only if every value is <= 0 (Optuna's convention). The values live in
the trial's system attributes, where Optuna keeps them too, so studies move between the two
packages: the list ``constraints_func`` returned under ``"constraints"`` (shown as keys "0",
"1", ...), and named ones under ``"constraints:<name>"``. A trial without any is feasible.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tftune._warn import user_stacklevel
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study
    from tftune.trial._frozen import FrozenTrial

#: The system attribute holding the values that ``constraints_func`` returned.
CONSTRAINTS_KEY = "constraints"
#: The prefix of a named constraint's system attribute (``"constraints:<name>"``).
NAMED_PREFIX = CONSTRAINTS_KEY + ":"

ConstraintsFunc = Callable[["FrozenTrial"], Sequence[float]]


def constraints_from_attrs(system_attrs: Mapping[str, Any]) -> dict[str, float]:
    """The constraint values stored in ``system_attrs``, by name ("0", "1", ... for the list)."""
    found: dict[str, float] = {}
    listed = system_attrs.get(CONSTRAINTS_KEY)
    if listed is not None:
        found.update((str(i), float(v)) for i, v in enumerate(listed))
    for key, value in system_attrs.items():
        if key.startswith(NAMED_PREFIX):
            found[key[len(NAMED_PREFIX) :]] = float(value)
    return found


def constraint_entry(key: str, value: Any) -> tuple[str, float]:
    """The system attribute and float that hold the named constraint ``key``: the value is
    anything ``float()`` takes (a TypeError otherwise), but not NaN (a ValueError)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"Constraint {key!r} must be a float, got {value!r} ({type(value).__name__})."
        ) from None
    if math.isnan(number):
        raise ValueError(f"Constraint {key!r} cannot be NaN, got {value!r}.")
    return NAMED_PREFIX + str(key), number


def constraint_attrs(constraints: Mapping[str, Any]) -> dict[str, float]:
    """The system attributes that hold named ``constraints`` (see :func:`constraint_entry`)."""
    return dict(constraint_entry(key, value) for key, value in constraints.items())


def set_constraint(trial: Any, key: str, value: Any) -> None:
    """``trial.set_constraint(key, value)`` of every kind of trial: stores the named constraint
    through ``trial.set_system_attr``; a constraint already set is kept and warns."""
    attr, number = constraint_entry(key, value)
    if attr in trial.system_attrs:
        warnings.warn(
            f"Constraint {key!r} is already set to {trial.system_attrs[attr]!r}; "
            f"the new value {number!r} is ignored.",
            UserWarning,
            stacklevel=3,
        )
        return
    trial.set_system_attr(attr, number)


def get_constraints(trial: FrozenTrial) -> dict[str, float]:
    """``trial``'s constraint values by name (empty if the study is not constrained)."""
    return constraints_from_attrs(trial.system_attrs)


def violation(trial: FrozenTrial) -> float:
    """The total violation: the sum of ``trial``'s positive constraint values (0: feasible)."""
    return sum(v for v in get_constraints(trial).values() if v > 0.0)


def is_feasible(trial: FrozenTrial) -> bool:
    """Whether every constraint value of ``trial`` is <= 0 (true without constraints)."""
    return all(v <= 0.0 for v in get_constraints(trial).values())


def is_constrained(trials: Sequence[FrozenTrial]) -> bool:
    """Whether any of ``trials`` carries constraint values."""
    return any(
        CONSTRAINTS_KEY in t.system_attrs
        or any(k.startswith(NAMED_PREFIX) for k in t.system_attrs)
        for t in trials
    )


def feasible(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The feasible ones of ``trials``, in order."""
    return [t for t in trials if is_feasible(t)]


def check_constraints_func(constraints_func: Any) -> ConstraintsFunc | None:
    """``constraints_func`` if it is None or callable, else a TypeError naming it.

    A sampler's ``constraints_func`` still works but is deprecated, as in Optuna 5.0: a
    FutureWarning points to ``Trial.set_constraint``, which names each constraint.
    """
    if constraints_func is not None and not callable(constraints_func):
        raise TypeError(
            "`constraints_func` must be None or a callable `(FrozenTrial) -> Sequence[float]`, "
            f"got {constraints_func!r}."
        )
    if constraints_func is not None:
        warnings.warn(
            "`constraints_func` of the samplers is deprecated (as in Optuna 5.0.0) and may be "
            "removed in a later version. Use `Trial.set_constraint(name, value)` in the "
            "objective instead.",
            FutureWarning,
            stacklevel=user_stacklevel(),
        )
    return constraints_func  # type: ignore[no-any-return]


def record_constraints(
    constraints_func: ConstraintsFunc, study: Study, trial: FrozenTrial, state: TrialState
) -> None:
    """Evaluate ``constraints_func`` on a trial that is finishing as COMPLETE or PRUNED and store
    the values (samplers call this from ``after_trial``, as Optuna's do). NaN is refused; when the
    function raises, ``None`` is stored and the error propagates, which fails the trial."""
    if state not in (TrialState.COMPLETE, TrialState.PRUNED):
        return
    stored: list[float] | None = None
    try:
        returned = constraints_func(trial)
        if not isinstance(returned, (tuple, list)):
            warnings.warn(
                f"Constraints should be a sequence of floats but got {type(returned).__name__}.",
                UserWarning,
                stacklevel=4,
            )
        values = [float(v) for v in returned]
        if any(math.isnan(v) for v in values):
            raise ValueError(f"Constraint values cannot be NaN, got {values!r}.")
        stored = values
    finally:
        study.storage.set_trial_attr(trial.trial_id, CONSTRAINTS_KEY, stored, system=True)
        trial.system_attrs[CONSTRAINTS_KEY] = stored
