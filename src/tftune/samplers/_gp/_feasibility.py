"""Constraints in GP search: a Gaussian process per constraint and a feasible incumbent.

As Optuna's GPSampler does, a constrained proposal maximises log EI over the best *feasible*
value plus the log probability that every constraint is <= 0 there (each constraint's GP,
fitted on its standardized values); while no trial is feasible, the probability alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import log_ndtr

from tftune.samplers._gp._model import GaussianProcess


class Feasibility:
    """What the GP's acquisition needs from a constrained study's observations.

    Args:
        u_num, x_cat: the observations' numeric (unit cube) and categorical coordinates.
        y: their standardized objective values (minimized).
        constraints: their constraint values, shape (n, c); a value > 0 is a violation.
        category_sizes: the categorical kernel of the objective's GP (see ``GaussianProcess``;
            None: the Hamming one), used by the constraints' GPs too.
    """

    def __init__(
        self,
        u_num: np.ndarray,
        x_cat: np.ndarray,
        y: np.ndarray,
        constraints: np.ndarray,
        category_sizes: Sequence[int] | None = None,
    ) -> None:
        feasible = np.all(constraints <= 0.0, axis=1)
        violation = np.sum(np.maximum(constraints, 0.0), axis=1)
        #: The best feasible value, or None while no observation is feasible.
        self.incumbent: float | None = float(y[feasible].min()) if feasible.any() else None
        #: The observations from the best on: feasible ones by value, then by violation.
        self.order = np.lexsort((y, violation))
        self._models: list[tuple[GaussianProcess, float]] = []
        n_inputs = u_num.shape[1] + x_cat.shape[1]
        for j in range(constraints.shape[1]):
            values = constraints[:, j]
            scale = float(values.std()) or 1.0
            centred = (values - values.mean()) / scale
            model = GaussianProcess(n_inputs, category_sizes=category_sizes)
            model.fit(u_num, x_cat, centred, max_iterations=20)
            self._models.append((model, float(-values.mean() / scale)))

    @property
    def constraint_models(self) -> list[GaussianProcess]:
        """The constraints' GPs, in the constraints' order."""
        return [model for model, _ in self._models]

    def log_probability(self, cand_num: np.ndarray, cand_cat: np.ndarray) -> np.ndarray:
        """log P(every constraint <= 0) at the candidates, the constraints taken independent."""
        total = np.zeros(len(cand_num))
        for model, threshold in self._models:
            mean, std = model.predict(cand_num, cand_cat)
            total += log_ndtr((threshold - mean) / std)
        return total
