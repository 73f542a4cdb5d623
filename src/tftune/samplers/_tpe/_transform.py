"""Where TPE models parameters: numbers on a (log) line, categories as indices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)


class NumericAxis:
    """A number parameter on the line TPE models it on: ``log(x)`` for log ranges, ``x`` else.

    Stepped floats and ints are continuous here, over the bins of their grid points, and
    rounded back to the grid when a value is returned.
    """

    __slots__ = ("distribution", "log", "step", "low", "high")

    def __init__(self, distribution: FloatDistribution | IntDistribution) -> None:
        self.distribution = distribution
        self.log = distribution.log
        step = (
            distribution.step if isinstance(distribution, IntDistribution) else distribution.step
        )
        self.step = step
        half = 0.5 * step if step is not None else 0.0
        low, high = distribution.low - half, distribution.high + half
        if self.log:  # low > 0: a log int starts at 1, so its lowest bin starts at 0.5
            low, high = math.log(low), math.log(high)
        self.low, self.high = float(low), float(high)

    def to_model(self, value: float) -> float:
        return math.log(value) if self.log else float(value)

    def from_model(self, x: float) -> Any:
        d = self.distribution
        value = math.exp(x) if self.log else x
        if self.step is not None:
            value = d.low + round((value - d.low) / self.step) * self.step
        value = min(max(value, d.low), d.high)
        return int(round(value)) if isinstance(d, IntDistribution) else float(value)


def is_numeric(distribution: BaseDistribution) -> bool:
    return isinstance(distribution, (FloatDistribution, IntDistribution))


def as_numeric(distribution: BaseDistribution) -> FloatDistribution | IntDistribution:
    """A distribution known to be numeric (a numeric column's), with its type."""
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    return distribution


def as_categorical(distribution: BaseDistribution) -> CategoricalDistribution:
    """A distribution known to be categorical (a categorical column's), with its type."""
    assert isinstance(distribution, CategoricalDistribution)
    return distribution


def to_model_value(distribution: BaseDistribution, value: Any) -> float:
    """A parameter's value on TPE's axis (a category's index for categoricals)."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.to_internal_repr(value)
    return math.log(value) if as_numeric(distribution).log else float(value)


def column(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=float)
