"""The random forest that fANOVA and mean decrease in impurity read (scikit-learn, loaded here
only: ``pip install 'tftune[sklearn]'``), and the feature matrix it is fitted on.

Every parameter is one column scaled to [0, 1]: numbers from their declared range (log10 for
log-scale ones), categories as the centres of equal cells.

Which parameters and trials, as Optuna's forest evaluators: with ``params=None`` the
parameters every complete trial has with the same distribution (the intersection search space;
conditional parameters are left out, PED-ANOVA judges those); with ``params`` the trials that
have all of them, which must agree on their distributions (ValueError on a dynamic space).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.importance._base import (
    BaseImportanceEvaluator,
    prepared_trials,
    sorted_importances,
    warn_too_few,
)
from tftune.importance._columns import ParamColumn, param_column
from tftune.search_space import intersection_search_space
from tftune.study._target import Target
from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.study._study import Study


@dataclasses.dataclass(frozen=True)
class Features:
    """The matrix ``x`` (trials by parameters) and each column's domain ``[low, high]``."""

    names: list[str]
    x: np.ndarray
    low: np.ndarray
    high: np.ndarray
    varies: np.ndarray  # whether the column takes more than one value


def shared_space(
    trials: list[FrozenTrial],
    names: list[str],
    values: np.ndarray,
    params: Sequence[str] | None,
) -> tuple[list[FrozenTrial], list[str], np.ndarray]:
    """The trials and parameters a forest is fitted on (module docstring), with their targets."""
    if params is None:
        return trials, list(intersection_search_space(trials)), values
    keep = np.array([all(name in t.distributions for name in names) for t in trials], dtype=bool)
    kept = [t for t, k in zip(trials, keep, strict=True) if k]
    if not kept:
        raise ValueError(
            f"`params` {names!r}: no complete trial has all of them; pass parameters that "
            "appear together in at least one complete trial."
        )
    first = kept[0].distributions
    for trial in kept[1:]:
        changed = [name for name in names if trial.distributions[name] != first[name]]
        if changed:
            raise ValueError(
                "Parameter importances cannot be assessed on a dynamic search space when "
                f"`params` is given: {changed[0]!r} is {first[changed[0]]!r} in trial "
                f"#{kept[0].number} but {trial.distributions[changed[0]]!r} in trial "
                f"#{trial.number}."
            )
    return kept, names, values[keep]


def encode(column: ParamColumn) -> np.ndarray:
    """The column in [0, 1] (every trial kept by :func:`shared_space` has the parameter)."""
    if column.categorical:
        return (column.values + 0.5) / column.n_choices
    width = column.high - column.low
    if width > 0:
        return (column.values - column.low) / width
    return np.full_like(column.values, 0.5)


def features(trials: Sequence[FrozenTrial], names: Sequence[str]) -> Features:
    """The feature matrix of ``names`` over ``trials``, which all have every one of them."""
    columns = [encode(param_column(trials, name)) for name in names]
    x = np.column_stack(columns) if columns else np.empty((len(trials), 0))
    varies = np.array([np.ptp(col) > 0 for col in columns], dtype=bool)
    return Features(list(names), x, np.zeros(len(columns)), np.ones(len(columns)), varies)


def fit_forest(
    x: np.ndarray, y: np.ndarray, *, n_trees: int, max_depth: int, seed: int | None
) -> Any:
    """A scikit-learn ``RandomForestRegressor`` fitted on ``x``, ``y``."""
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError:
        raise ImportError(
            "This importance evaluator needs scikit-learn: pip install 'tftune[sklearn]' "
            "(PedAnovaImportanceEvaluator, the default, does not)."
        ) from None
    forest = RandomForestRegressor(
        n_estimators=n_trees,
        max_depth=max_depth,
        min_samples_split=2,
        min_samples_leaf=1,
        random_state=seed,
    )
    forest.fit(x, y)
    return forest


def check_forest_arguments(n_trees: int, max_depth: int, seed: int | None) -> None:
    """ValueError/TypeError naming the argument that is not a positive int (or an int seed)."""
    for name, value in (("n_trees", n_trees), ("max_depth", max_depth)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be a positive int, got {value!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"`seed` must be an int or None, got {seed!r}.")


class ForestImportanceEvaluator(BaseImportanceEvaluator):
    """An evaluator that reads a random forest fitted on the complete trials (``n_trees`` trees
    of depth up to ``max_depth``, seeded by ``seed``): subclasses say how (``importances``)."""

    #: The evaluator's name in warnings.
    label = "forest"

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        check_forest_arguments(n_trees, max_depth, seed)
        self.n_trees, self.max_depth, self.seed = n_trees, max_depth, seed

    def evaluate(
        self,
        study: Study,
        params: Sequence[str] | None = None,
        *,
        target: Target | None = None,
    ) -> dict[str, float]:
        trials, names, values = prepared_trials(study, params, target, self.label)
        trials, names, values = shared_space(trials, names, values, params)
        if len(trials) < 2:
            warn_too_few(study, len(trials), 2, self.label)
            return dict.fromkeys(names, 0.0)
        data = features(trials, names)
        importances = np.zeros(len(names))
        if data.varies.any():
            forest = fit_forest(
                data.x, values, n_trees=self.n_trees, max_depth=self.max_depth, seed=self.seed
            )
            importances = np.asarray(self.importances(forest, data))
        return sorted_importances(dict(zip(names, importances.tolist(), strict=True)))

    @abc.abstractmethod
    def importances(self, forest: Any, data: Features) -> np.ndarray:
        """One importance per column of ``data`` from the fitted ``forest``."""
