"""Several objectives in GP search: log expected hypervolume improvement (log EHVI).

As Optuna's GPSampler does for a multi-objective study: one independent GP per objective, fitted
on that objective's standardized losses; the region that the (feasible) observed front leaves free
is split into disjoint boxes (``tftune.hypervolume.non_dominated_box_bounds``) against a reference
point a tenth beyond the worst observed loss of each objective; EHVI is the mean over fixed
quasi-random draws of the posterior (scrambled Sobol points mapped to normal ones, the same for
every candidate, so the acquisition is a deterministic function of the candidate) of the
hypervolume each draw adds, summed box by box (each factor clamped away from 0, as Optuna
does, so that the log stays finite where no draw improves).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri
from scipy.stats import qmc

from tftune.hypervolume import non_dominated_box_bounds
from tftune.samplers._gp._model import GaussianProcess
from tftune.study._multi_objective import nondominated_mask

#: Posterior draws per candidate (Optuna's GPSampler uses 128 too).
N_QMC_SAMPLES = 128
#: The smallest extent of an improvement along one objective: keeps the log finite.
_EPS = 1e-12
#: Cells (candidates x draws x boxes) evaluated at once, bounding memory (~32 MB a temporary).
_CHUNK_CELLS = 4_000_000


def normal_qmc_samples(n_objectives: int, n_samples: int, seed: int) -> np.ndarray:
    """``(n_samples, n_objectives)`` standard normal draws from a scrambled Sobol sequence."""
    sobol = qmc.Sobol(d=n_objectives, scramble=True, seed=seed).random(n_samples)
    draws: np.ndarray = ndtri(np.clip(sobol, 1e-10, 1.0 - 1e-10))
    return draws


def reference_point(loss: np.ndarray) -> np.ndarray:
    """A tenth beyond the worst of each (standardized) objective among ``loss``."""
    worst = loss.max(axis=0)
    point: np.ndarray = np.nextafter(np.maximum(1.1 * worst, 0.9 * worst), np.inf)
    return point


def log_ehvi(
    mean: np.ndarray,
    std: np.ndarray,
    samples: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """log of the mean over ``samples`` of the hypervolume that ``mean + std * sample`` adds.

    ``mean``, ``std``: (m, k) posterior of m candidates' (minimized) objectives; ``samples``:
    (s, k) standard normal draws; ``lower``, ``upper``: (b, k) disjoint boxes of the free region.
    A draw's improvement in a box is ``prod(upper - max(y, lower))`` with each factor clamped to
    ``[1e-12, upper - lower]`` (so a draw that improves nothing scores a tiny positive amount).
    """
    m, k = mean.shape
    n_samples, n_boxes = len(samples), len(lower)
    width = np.maximum(upper - lower, _EPS)  # inf where the box is open below
    out = np.empty(m)
    chunk = max(1, _CHUNK_CELLS // max(n_samples * n_boxes, 1))
    for start in range(0, m, chunk):
        stop = min(m, start + chunk)
        y = mean[start:stop, None, :] + std[start:stop, None, :] * samples[None, :, :]
        # The product of the clamped extents is >= 1e-12 ** k: no underflow in linear space.
        volume = np.ones((stop - start, n_samples, n_boxes))
        for j in range(k):
            extent = np.maximum(y[:, :, j, None], lower[None, None, :, j])
            np.subtract(upper[None, None, :, j], extent, out=extent)
            np.clip(extent, _EPS, width[None, None, :, j], out=extent)
            volume *= extent
        out[start:stop] = np.log(volume.sum(axis=(1, 2)) / n_samples)
    return out


class HypervolumeImprovement:
    """log EHVI of candidates under one GP per objective, against a study's observed front.

    Args:
        models: one fitted GP per objective (on standardized losses).
        front_loss: the standardized losses the free region is computed from (the feasible
            observations in a constrained study), shape (n, k).
        samples: the fixed normal draws, shape (s, k).
    """

    def __init__(
        self, models: list[GaussianProcess], front_loss: np.ndarray, samples: np.ndarray
    ) -> None:
        self.models = models
        self.samples = samples
        front = front_loss[nondominated_mask(front_loss)]
        self.lower, self.upper = non_dominated_box_bounds(front, reference_point(front_loss))

    def __call__(self, cand_num: np.ndarray, cand_cat: np.ndarray) -> np.ndarray:
        posterior = [model.predict(cand_num, cand_cat) for model in self.models]
        mean = np.stack([p[0] for p in posterior], axis=1)
        std = np.stack([p[1] for p in posterior], axis=1)
        return log_ehvi(mean, std, self.samples, self.lower, self.upper)
