"""Crossovers: how NSGA-II makes a child's numeric parameters from its parents'.

Each works on the parameters' model axes (log ones in log space, ints and stepped floats on
the continuous line over their grid bins) and gets the axes' bounds; a child that falls
outside them is drawn again by the sampler. Categorical parameters always take a uniform
crossover of the first and the last parent.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import numpy as np

from tftune._experimental import experimental_class

_EPS = 1e-10


def _check_probability(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"`{name}` must be a float in [0, 1], got {value!r}.")
    return float(value)


def _check_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"`{name}` must be a float > 0, got {value!r}.")
    return float(value)


def _check_positive_or_none(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"`{name}` must be None or a float > 0, got {value!r}.")
    return float(value)


class BaseCrossover(abc.ABC):
    """A crossover of ``n_parents`` parents' numeric parameters into one child."""

    @property
    @abc.abstractmethod
    def n_parents(self) -> int:
        """How many parents the crossover takes."""

    @abc.abstractmethod
    def crossover(
        self,
        parents_params: np.ndarray,
        rng: Any,
        study: Any,
        bounds: np.ndarray,
    ) -> np.ndarray:
        """A child, shape (d,), from ``parents_params`` (shape (n_parents, d)).

        Optuna's signature: ``rng`` is a ``numpy.random.RandomState`` (the sampler's), ``study``
        the study (or a bool: whether it has several objectives), ``bounds`` (shape (d, 2))
        each axis's low and high."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class UniformCrossover(BaseCrossover):
    """Each parameter from the second parent with probability ``swapping_prob``, else from the
    first (Syswerda 1989)."""

    def __init__(self, swapping_prob: float = 0.5) -> None:
        self.swapping_prob = _check_probability(swapping_prob, "swapping_prob")

    @property
    def n_parents(self) -> int:
        return 2

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: Any,
        study: Any,
        bounds: np.ndarray,
    ) -> np.ndarray:
        swap = rng.random(parents_params.shape[1]) < self.swapping_prob
        child: np.ndarray = np.where(swap, parents_params[1], parents_params[0])
        return child


@experimental_class("3.0.0")
class BLXAlphaCrossover(BaseCrossover):
    """Blend crossover (Eshelman and Schaffer 1993): uniform in the parents' box widened by
    ``alpha`` times its width on each side."""

    def __init__(self, alpha: float = 0.5) -> None:
        self.alpha = _check_positive(alpha, "alpha")

    @property
    def n_parents(self) -> int:
        return 2

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: Any,
        study: Any,
        bounds: np.ndarray,
    ) -> np.ndarray:
        low, high = parents_params.min(axis=0), parents_params.max(axis=0)
        widen = self.alpha * (high - low)
        child: np.ndarray = rng.uniform(low - widen, high + widen)
        return child


def is_multi_objective(study: Any) -> bool:
    """Whether ``study`` (a study, or a bool saying so) has several objectives."""
    if isinstance(study, bool):
        return study
    return len(study.directions) > 1


def _default_eta(eta: float | None, study: Any) -> float:
    """SBX's and VSBX's distribution index: ``eta`` if given, else 20 with several objectives
    (children close to their parents) and 2 with one (Optuna's defaults)."""
    if eta is not None:
        return eta
    return 20.0 if is_multi_objective(study) else 2.0


def _mix_genes(
    children: tuple[np.ndarray, np.ndarray],
    parents: np.ndarray,
    rng: Any,
    use_child_gene_prob: float,
    uniform_crossover_prob: float,
) -> np.ndarray:
    """One of the two children of a simulated binary crossover, with each gene taken from the
    children (probability ``use_child_gene_prob``) or else from the parents, and the pair
    swapped per gene with probability ``uniform_crossover_prob``."""
    d = parents.shape[1]
    use_child = rng.random(d) < use_child_gene_prob
    first = np.where(use_child, children[0], parents[0])
    second = np.where(use_child, children[1], parents[1])
    swap = rng.random(d) < uniform_crossover_prob
    first, second = np.where(swap, second, first), np.where(swap, first, second)
    child: np.ndarray = first if rng.random() < 0.5 else second
    return child


class _PolynomialSpreadCrossover(BaseCrossover):
    """Two parents, two children spread by a polynomial of index ``eta``, genes mixed after."""

    def __init__(
        self,
        eta: float | None = None,
        uniform_crossover_prob: float = 0.5,
        use_child_gene_prob: float = 0.5,
    ) -> None:
        self.eta = _check_positive_or_none(eta, "eta")
        self.uniform_crossover_prob = _check_probability(
            uniform_crossover_prob, "uniform_crossover_prob"
        )
        self.use_child_gene_prob = _check_probability(use_child_gene_prob, "use_child_gene_prob")

    @property
    def n_parents(self) -> int:
        return 2


@experimental_class("3.0.0")
class SBXCrossover(_PolynomialSpreadCrossover):
    """Simulated binary crossover (Deb and Agrawal 1995), bounded: the children's spread around
    the parents follows a polynomial of index ``eta`` (larger: closer to the parents), scaled
    so that they stay inside the bounds.

    Args:
        eta: the distribution index; None: 20 with several objectives, 2 with one.
        uniform_crossover_prob: probability of swapping the two children's genes, per gene.
        use_child_gene_prob: probability of taking a gene from the children, not the parents.
    """

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: Any,
        study: Any,
        bounds: np.ndarray,
    ) -> np.ndarray:
        eta = _default_eta(self.eta, study)
        low, high = parents_params.min(axis=0), parents_params.max(axis=0)
        gap = np.maximum(high - low, _EPS)
        u = rng.random(parents_params.shape[1])

        def spread(room: np.ndarray) -> np.ndarray:
            beta = 1.0 + 2.0 * np.maximum(room, 0.0) / gap
            alpha = 2.0 - beta ** -(eta + 1.0)
            inner = (u * alpha) ** (1.0 / (eta + 1.0))
            outer = (1.0 / np.maximum(2.0 - u * alpha, _EPS)) ** (1.0 / (eta + 1.0))
            result: np.ndarray = np.where(u <= 1.0 / alpha, inner, outer)
            return result

        middle = 0.5 * (low + high)
        below = middle - 0.5 * spread(low - bounds[:, 0]) * gap
        above = middle + 0.5 * spread(bounds[:, 1] - high) * gap
        return _mix_genes(
            (below, above),
            parents_params,
            rng,
            self.use_child_gene_prob,
            self.uniform_crossover_prob,
        )


@experimental_class("3.0.0")
class VSBXCrossover(_PolynomialSpreadCrossover):
    """Modified simulated binary crossover (Pan et al. 2021): SBX's polynomial spread without
    the bounds' scaling, each child drawn on either side of its parent.

    Args:
        eta: the distribution index; None: 20 with several objectives, 2 with one.
        uniform_crossover_prob: probability of swapping the two children's genes, per gene.
        use_child_gene_prob: probability of taking a gene from the children, not the parents.
    """

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: Any,
        study: Any,
        bounds: np.ndarray,
    ) -> np.ndarray:
        eta = _default_eta(self.eta, study)
        x1, x2 = parents_params[0], parents_params[1]
        u = rng.random(len(x1))
        beta1 = (1.0 / np.maximum(2.0 * u, _EPS)) ** (1.0 / (eta + 1.0))
        beta2 = (1.0 / np.maximum(2.0 * (1.0 - u), _EPS)) ** (1.0 / (eta + 1.0))
        if rng.random() <= 0.5:
            first = 0.5 * ((1.0 + beta1) * x1 + (1.0 - beta2) * x2)
        else:
            first = 0.5 * ((1.0 - beta1) * x1 + (1.0 + beta2) * x2)
        if rng.random() <= 0.5:
            second = 0.5 * ((3.0 - beta1) * x1 - (1.0 - beta2) * x2)
        else:
            second = 0.5 * (-(1.0 - beta1) * x1 + (3.0 - beta2) * x2)
        return _mix_genes(
            (first, second),
            parents_params,
            rng,
            self.use_child_gene_prob,
            self.uniform_crossover_prob,
        )


@experimental_class("3.0.0")
class SPXCrossover(BaseCrossover):
    """Simplex crossover (Tsutsui et al. 1999): uniform in the simplex of the three parents,
    expanded by ``epsilon`` around their centre (None: ``sqrt(d + 2)``)."""

    def __init__(self, epsilon: float | None = None) -> None:
        self.epsilon = _check_positive_or_none(epsilon, "epsilon")

    @property
    def n_parents(self) -> int:
        return 3

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: Any,
        study: Any,
        bounds: np.ndarray,
    ) -> np.ndarray:
        n = len(parents_params)
        epsilon = self.epsilon if self.epsilon is not None else math.sqrt(len(bounds) + 2)
        centre = parents_params.mean(axis=0)
        vertices = centre + epsilon * (parents_params - centre)
        shrink = rng.random(n - 1) ** (1.0 / np.arange(1, n))
        offset = np.zeros(parents_params.shape[1])
        for k in range(1, n):
            offset = shrink[k - 1] * (vertices[k - 1] - vertices[k] + offset)
        child: np.ndarray = vertices[-1] + offset
        return child


@experimental_class("3.0.0")
class UNDXCrossover(BaseCrossover):
    """Unimodal normal distribution crossover (Ono et al. 1997): normal around the midpoint of
    the first two parents, with spread ``sigma_xi`` along the line through them and
    ``sigma_eta`` (None: ``0.35 / sqrt(d)``) across it, scaled by the third parent's distance
    from that line."""

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None) -> None:
        self.sigma_xi = _check_positive(sigma_xi, "sigma_xi")
        self.sigma_eta = _check_positive_or_none(sigma_eta, "sigma_eta")

    @property
    def n_parents(self) -> int:
        return 3

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: Any,
        study: Any,
        bounds: np.ndarray,
    ) -> np.ndarray:
        first, second, third = parents_params
        d = len(first)
        middle, direction = 0.5 * (first + second), first - second
        child: np.ndarray = middle + rng.normal(0.0, self.sigma_xi) * direction
        if d == 1:
            return child
        sigma_eta = self.sigma_eta if self.sigma_eta is not None else 0.35 / math.sqrt(d)
        length = float(np.linalg.norm(direction))
        unit = direction / length if length > _EPS else np.zeros(d)
        off_line = (third - first) - float(np.dot(third - first, unit)) * unit
        distance = float(np.linalg.norm(off_line))
        across = np.asarray(rng.normal(0.0, sigma_eta, d), dtype=float)
        across -= float(np.dot(across, unit)) * unit  # only the part orthogonal to the line
        return child + distance * across
