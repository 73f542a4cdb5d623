"""Search spaces declared up front, the way scikit-learn users write them.

``{"lr": [0.001, 0.01], "dropout": [0.2, 0.3]}`` is a grid (``ParameterGrid``);
``{"lr": scipy.stats.loguniform(1e-4, 1e-1), "units": [32, 64]}`` is a set of distributions
(``ParameterSampler``). Both map onto tftune's distribution objects, so every sampler serves them.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._warn import build_named
from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

if TYPE_CHECKING:
    from tftune.study._study import Study
    from tftune.trial._frozen import FrozenTrial

SUPPORTED_SCIPY = "uniform, loguniform (reciprocal) and randint"


def to_distribution(name: str, spec: Any) -> BaseDistribution:
    """Map one entry of a scikit-learn style space onto a distribution.

    Accepts a tftune distribution, a list/tuple of choices, or a frozen ``scipy.stats``
    ``uniform``, ``loguniform``/``reciprocal`` or ``randint``.
    """
    if isinstance(spec, BaseDistribution):
        return spec
    if isinstance(spec, (list, tuple)):
        return build_named(f"Parameter {name!r}", lambda: CategoricalDistribution(spec))
    if hasattr(spec, "dist") and hasattr(spec, "rvs"):
        try:
            return _from_scipy(name, spec)
        except (TypeError, ValueError) as error:
            if str(error).startswith(f"Parameter {name!r}"):
                raise
            raise type(error)(f"Parameter {name!r}: {error}") from None
    raise TypeError(
        f"Parameter {name!r} must be a list of choices, a frozen scipy.stats distribution "
        f"({SUPPORTED_SCIPY}) or a tftune distribution, got {spec!r}."
    )


def _from_scipy(name: str, frozen: Any) -> BaseDistribution:
    kind = frozen.dist.name
    low, high = (float(x) for x in frozen.support())
    if kind == "uniform":
        return FloatDistribution(low, high)
    if kind in ("loguniform", "reciprocal"):
        return FloatDistribution(low, high, log=True)
    if kind == "randint":
        # scipy's support is [low, high - 1]: integers, the upper bound excluded when declared.
        return IntDistribution(int(low), int(high))
    detail = "it is unbounded" if math.isinf(low) or math.isinf(high) else "it is not supported"
    raise ValueError(
        f"Parameter {name!r}: scipy.stats.{kind} cannot be used as a search space ({detail}); "
        f"use {SUPPORTED_SCIPY}, or a list of values."
    )


def to_distributions(space: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    """Map a whole scikit-learn style space (a dict) onto distributions."""
    if not isinstance(space, Mapping):
        raise TypeError(
            f"A search space must be a dict of parameter name to values, got {space!r}."
        )
    return {name: to_distribution(name, spec) for name, spec in space.items()}


def iter_grid(
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]],
) -> Iterator[dict[str, Any]]:
    """Every cell of a grid (a dict of lists, or a list of such dicts), as ``ParameterGrid``
    does."""
    for sub_grid in validate_grid(grid):
        names = sorted(
            sub_grid
        )  # ParameterGrid's order: names sorted, the last one varies fastest
        for values in itertools.product(*(sub_grid[n] for n in names)):
            yield dict(zip(names, values, strict=True))


def _plain_values(values: Any) -> Any:
    """A 1-D NumPy array, or a sequence holding NumPy scalars, as a list of Python values."""
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise TypeError(
                f"Grid values given as an array must be 1-D, got an array of shape {values.shape}."
            )
        return values.tolist()
    if isinstance(values, (list, tuple)) and any(isinstance(v, np.generic) for v in values):
        return [v.item() if isinstance(v, np.generic) else v for v in values]
    return values


def validate_grid(
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]],
) -> list[dict[str, list[Any]]]:
    """Check a grid and return it as a list of dicts of lists."""
    sub_grids = [grid] if isinstance(grid, Mapping) else grid
    if isinstance(sub_grids, (str, bytes)) or not isinstance(sub_grids, Sequence) or not sub_grids:
        raise TypeError(
            "`search_space` must be a dict of lists, or a non-empty list of such dicts, "
            f"got {grid!r}."
        )
    checked = []
    for sub_grid in sub_grids:
        if not isinstance(sub_grid, Mapping):
            raise TypeError(f"`search_space` must be a dict of lists, got {sub_grid!r}.")
        plain = {}
        for name, given in sub_grid.items():
            values = _plain_values(given)
            if not isinstance(name, str):
                raise TypeError(f"Grid parameter names must be strings, got {name!r}.")
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                raise TypeError(
                    f"Grid parameter {name!r} must be a list of values, got {values!r}."
                )
            # the same rules: non-empty (odd values warn)
            build_named(
                f"Grid parameter {name!r}", functools.partial(CategoricalDistribution, values)
            )
            plain[name] = list(values)
        checked.append(plain)
    return checked


def intersection_search_space(
    trials: Sequence[FrozenTrial], include_pruned: bool = False
) -> dict[str, BaseDistribution]:
    """The parameters every COMPLETE trial (and PRUNED one, with ``include_pruned``) has,
    with the same distribution in all of them, sorted by name (Optuna's function)."""
    from tftune.trial._state import TrialState

    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)
    space: dict[str, BaseDistribution] | None = None
    for trial in trials:
        if trial.state not in states:
            continue
        if space is None:
            space = dict(trial.distributions)
            continue
        space = {
            name: distribution
            for name, distribution in space.items()
            if trial.distributions.get(name) == distribution
        }
    return dict(sorted((space or {}).items()))


class IntersectionSearchSpace:
    """Optuna's object form of :func:`intersection_search_space`: ``calculate(study)`` gives
    the search space the study's trials share (recomputed each call). One object serves one
    study: ``calculate`` of another study raises ValueError, as in Optuna."""

    def __init__(self, include_pruned: bool = False) -> None:
        self._include_pruned = include_pruned
        self._study_name: str | None = None

    def calculate(self, study: Study) -> dict[str, BaseDistribution]:
        if self._study_name is None:
            self._study_name = study.study_name
        elif study.study_name != self._study_name:
            raise ValueError(
                "An IntersectionSearchSpace serves one study: it was used with study "
                f"{self._study_name!r}, got study {study.study_name!r}. Create one per study."
            )
        return intersection_search_space(study.get_trials(deepcopy=False), self._include_pruned)
