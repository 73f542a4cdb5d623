"""A snapshot of one trial, as storages return it."""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tftune.distributions import BaseDistribution
from tftune.trial._constraints import constraints_from_attrs
from tftune.trial._state import TrialState
from tftune.trial._suggest import SuggestMethods, make_named
from tftune.trial._constraints import set_constraint


class FrozenTrial(SuggestMethods):
    """An immutable-by-convention record of a trial: its state, parameters, values and reports.

    ``params`` hold the values the objective saw; ``distributions`` the declared ranges.
    ``value`` is the single objective's value (use ``values`` for several objectives).
    """

    __slots__ = (
        "number",
        "state",
        "_values",
        "datetime_start",
        "datetime_complete",
        "params",
        "distributions",
        "user_attrs",
        "system_attrs",
        "intermediate_values",
        "_trial_id",
    )

    def __init__(
        self,
        number: int,
        state: TrialState,
        value: float | None = None,
        datetime_start: datetime.datetime | None = None,
        datetime_complete: datetime.datetime | None = None,
        params: dict[str, Any] | None = None,
        distributions: dict[str, BaseDistribution] | None = None,
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
        intermediate_values: dict[int, float] | None = None,
        trial_id: int = -1,
        *,
        values: Sequence[float] | None = None,
    ) -> None:
        if value is not None and values is not None:
            raise ValueError(
                f"Give either `value` or `values`, not both, got value={value!r} and "
                f"values={values!r}."
            )
        self.number = number
        self.state = state
        self.values = [value] if value is not None else None
        if values is not None:
            self.values = list(values)
        self.datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self.params = params if params is not None else {}
        self.distributions = distributions if distributions is not None else {}
        self.user_attrs = user_attrs if user_attrs is not None else {}
        self.system_attrs = system_attrs if system_attrs is not None else {}
        self.intermediate_values = intermediate_values if intermediate_values is not None else {}
        self._trial_id = trial_id

    @property
    def trial_id(self) -> int:
        """The trial's id in its storage (unique across the storage's studies)."""
        return self._trial_id

    @property
    def value(self) -> float | None:
        """The objective value of a single-objective trial (``None`` until it completes)."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise RuntimeError(
                f"Trial #{self.number} has {len(self.values)} objective values; "
                "`value` is for single-objective studies, use `values` instead."
            )
        return self.values[0]

    @value.setter
    def value(self, value: float | None) -> None:
        if self._values is not None and len(self._values) > 1:
            raise RuntimeError(
                f"Trial #{self.number} has {len(self._values)} objective values; "
                "set `values` instead of `value`."
            )
        self.values = None if value is None else [value]

    @property
    def values(self) -> list[float] | None:
        """The objective values (one per objective), ``None`` until the trial completes; a
        sequence assigned is kept as a list."""
        return self._values

    @values.setter
    def values(self, values: Sequence[float] | None) -> None:
        self._values = values if values is None or type(values) is list else list(values)

    @property
    def constraints(self) -> dict[str, float]:
        """Constraint values by name, as Optuna 5 shows them (a value > 0 is a violation; see
        ``tftune.trial._constraints``); empty when the study is not constrained."""
        return constraints_from_attrs(self.system_attrs)

    @property
    def duration(self) -> datetime.timedelta | None:
        """Wall time from start to completion, or ``None`` while it runs."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        """The highest step reported with ``trial.report``, or ``None``."""
        return max(self.intermediate_values) if self.intermediate_values else None

    def copy(self) -> FrozenTrial:
        """A copy whose dicts can be changed without touching this one."""
        return FrozenTrial(
            number=self.number,
            state=self.state,
            values=list(self.values) if self.values is not None else None,
            datetime_start=self.datetime_start,
            datetime_complete=self.datetime_complete,
            params=dict(self.params),
            distributions=dict(self.distributions),
            user_attrs=dict(self.user_attrs),
            system_attrs=dict(self.system_attrs),
            intermediate_values=dict(self.intermediate_values),
            trial_id=self._trial_id,
        )

    # --- used as a trial: replay an objective on a stored trial (as Optuna allows) -------
    def _suggest(self, name: str, make_distribution: Callable[[], BaseDistribution]) -> Any:
        """The stored value of ``name``; ValueError if the trial has none. A value outside the
        asked-for range warns (and is returned); a different kind of distribution raises."""
        distribution = make_named(name, make_distribution)
        if name not in self.params:
            raise ValueError(
                f"Trial #{self.number} has no value for parameter {name!r}; it has "
                f"{sorted(self.params)}. Give it in the FrozenTrial's `params`."
            )
        value = self.params[name]
        if not distribution.contains(distribution.to_internal_repr(value)):
            warnings.warn(
                f"The value {value!r} of parameter {name!r} lies outside {distribution!r}.",
                UserWarning,
                stacklevel=4,
            )
        old = self.distributions.get(name)
        if old is not None and type(old) is not type(distribution):
            raise ValueError(
                f"Parameter {name!r} is stored as {old!r}; it cannot be asked for as "
                f"{distribution!r} (another kind of distribution)."
            )
        self.distributions[name] = distribution
        return value

    def report(self, value: float, step: int) -> None:
        """Does nothing: a stored trial takes no reports (and is never pruned)."""

    def should_prune(self) -> bool:
        """Always ``False``: a stored trial is never pruned."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        self.system_attrs[key] = value

    def set_constraint(self, key: str, value: float) -> None:
        """Set the named constraint ``key`` (feasible when every value is <= 0)."""
        set_constraint(self, key, value)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number < other.number

    def __le__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number <= other.number

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state!r}, values={self.values!r}, "
            f"params={self.params!r})"
        )
