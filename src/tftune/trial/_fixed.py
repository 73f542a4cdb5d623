"""A trial with known parameters: rebuild a model from a stored trial's params."""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Callable
from typing import Any

from tftune.distributions import BaseDistribution
from tftune.trial._suggest import SuggestMethods, make_named
from tftune.trial._constraints import constraints_from_attrs, set_constraint


class FixedTrial(SuggestMethods):
    """Answers every suggestion from ``params``, so a build function can be replayed.

    ``FixedTrial(study.best_params)`` gives the best trial's model back from the same code.
    A suggestion whose name is missing from ``params`` raises ValueError naming it.
    """

    def __init__(self, params: dict[str, Any], number: int = 0) -> None:
        self._params = dict(params)
        self._suggested: dict[str, Any] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self.number = number
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.datetime_start: datetime.datetime | None = datetime.datetime.now()

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._suggested)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    def _suggest(self, name: str, make_distribution: Callable[[], BaseDistribution]) -> Any:
        distribution = make_named(name, make_distribution)
        if name not in self._params:
            raise ValueError(
                f"FixedTrial has no value for parameter {name!r}; it knows {sorted(self._params)}."
            )
        value = self._params[name]
        try:
            internal = distribution.to_internal_repr(value)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"FixedTrial's value {value!r} of parameter {name!r} is not one of "
                f"{distribution!r}: {error}"
            ) from None
        if not distribution.contains(internal):
            warnings.warn(
                f"FixedTrial's value {value!r} of parameter {name!r} is out of the range of "
                f"{distribution!r}; it is used as given.",
                UserWarning,
                stacklevel=4,
            )
        self._suggested[name] = value
        self._distributions[name] = distribution
        return value

    def report(self, value: float, step: int) -> None:
        """Reports are ignored: a fixed trial is not part of a study."""

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        self.system_attrs[key] = value

    def set_constraint(self, key: str, value: float) -> None:
        """Set the named constraint ``key`` (feasible when every value is <= 0)."""
        set_constraint(self, key, value)

    @property
    def constraints(self) -> dict[str, float]:
        """The constraint values set so far, by name (``set_constraint``)."""
        return constraints_from_attrs(self.system_attrs)
