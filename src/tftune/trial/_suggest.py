"""The ``suggest_*`` methods every kind of trial offers, in terms of one ``_suggest``.

``Trial`` samples, ``FixedTrial`` answers from a dict, ``FrozenTrial`` answers from its stored
params (for replaying an objective on a finished trial): each says only how it finds a value.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tftune._warn import build_named
from tftune.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)


class SuggestMethods:
    """Optuna's suggestion methods, current and legacy; subclasses define ``_suggest``."""

    __slots__ = ()

    def _suggest(self, name: str, make_distribution: Callable[[], BaseDistribution]) -> Any:
        raise NotImplementedError

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """A float in ``[low, high]``; on a log scale with ``log=True``, or every ``step``."""
        value: float = self._suggest(
            name, lambda: FloatDistribution(low, high, log=log, step=step)
        )
        return value

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """An integer in ``[low, high]``; on a log scale with ``log=True``, or every ``step``."""
        value: int = self._suggest(name, lambda: IntDistribution(low, high, log=log, step=step))
        return value

    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoiceType]) -> Any:
        """One of ``choices`` (None, bool, int, float or str)."""
        return self._suggest(name, lambda: CategoricalDistribution(choices))

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high)``."""
        _deprecated("suggest_uniform", "suggest_float(name, low, high)")
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high, log=True)``."""
        _deprecated("suggest_loguniform", "suggest_float(name, low, high, log=True)")
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high, step=q)``."""
        _deprecated("suggest_discrete_uniform", "suggest_float(name, low, high, step=q)")
        return self.suggest_float(name, low, high, step=q)


def make_named(name: str, make_distribution: Callable[[], BaseDistribution]) -> BaseDistribution:
    """The distribution, with an error or a warning about its arguments reported under the
    parameter's name (the warning at the user's line)."""
    return build_named(f"Parameter {name!r}", make_distribution)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"Trial.{old} is deprecated; use {new} instead.", FutureWarning, stacklevel=3)
