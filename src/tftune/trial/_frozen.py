"""A snapshot of one trial, as storages return it."""

from __future__ import annotations

import datetime
from typing import Any

from tftune.distributions import BaseDistribution
from tftune.trial._constraints import constraints_from_attrs
from tftune.trial._state import TrialState


class FrozenTrial:
    """An immutable-by-convention record of a trial: its state, parameters, values and reports.

    ``params`` hold the values the objective saw; ``distributions`` the declared ranges.
    ``value`` is the single objective's value (use ``values`` for several objectives).
    """

    __slots__ = (
        "number",
        "state",
        "values",
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
        *,
        number: int,
        state: TrialState,
        values: list[float] | None = None,
        datetime_start: datetime.datetime | None = None,
        datetime_complete: datetime.datetime | None = None,
        params: dict[str, Any] | None = None,
        distributions: dict[str, BaseDistribution] | None = None,
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
        intermediate_values: dict[int, float] | None = None,
        trial_id: int = -1,
    ) -> None:
        self.number = number
        self.state = state
        self.values = values
        self.datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self.params = params if params is not None else {}
        self.distributions = distributions if distributions is not None else {}
        self.user_attrs = user_attrs if user_attrs is not None else {}
        self.system_attrs = system_attrs if system_attrs is not None else {}
        self.intermediate_values = intermediate_values if intermediate_values is not None else {}
        self._trial_id = trial_id

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

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state!r}, values={self.values!r}, "
            f"params={self.params!r})"
        )
