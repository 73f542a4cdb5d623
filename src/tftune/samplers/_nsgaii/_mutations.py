"""Mutations: how NSGA-II changes a numeric parameter of a child (``NSGAIISampler(mutation=)``).

A mutation works on the parameter's model axis (log ranges in log space, ints and stepped
floats on the continuous line over their grid bins) and gets that axis's bounds; the sampler
clips the result into them. Without a mutation, a parameter chosen for mutation is left out of
the child and drawn at random instead (Optuna's default).
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._experimental import experimental_class

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_class("5.0.0")
class BaseMutation(abc.ABC):
    """A mutation of one numeric parameter."""

    def __str__(self) -> str:
        return type(self).__name__

    @abc.abstractmethod
    def mutation(
        self,
        param: float,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> float:
        """The mutated value of ``param`` (on its model axis); ``search_space_bounds`` is the
        axis's ``[low, high]``."""


@experimental_class("5.0.0")
class PolynomialMutation(BaseMutation):
    """Deb's polynomial mutation (NSGA-II, 2002; as in his reference C code, rev. 1.1.6).

    The value moves by ``delta * (high - low)``, ``delta`` drawn from a polynomial density
    on ``[-(x - low), high - x] / (high - low)`` that peaks at 0: the larger ``eta``, the
    smaller the moves. The move never leaves the bounds.

    Args:
        eta: the distribution index, >= 0.
    """

    def __init__(self, eta: float = 20.0) -> None:
        if isinstance(eta, bool) or not isinstance(eta, (int, float)) or not eta >= 0:
            raise ValueError(f"`eta` must be a non-negative float, got {eta!r}.")
        self.eta = float(eta)

    def mutation(
        self,
        param: float,
        rng: Any,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> float:
        u = float(rng.rand()) if hasattr(rng, "rand") else float(rng.random())
        low, high = (float(b) for b in search_space_bounds)
        width = high - low
        if width <= 0.0:
            return param
        power = self.eta + 1.0
        if u <= 0.5:
            room = 1.0 - (param - low) / width  # 1 - distance to the low end
            shift = (2.0 * u + (1.0 - 2.0 * u) * room**power) ** (1.0 / power) - 1.0
        else:
            room = 1.0 - (high - param) / width
            shift = 1.0 - (2.0 * (1.0 - u) + 2.0 * (u - 0.5) * room**power) ** (1.0 / power)
        return float(param + shift * width)
