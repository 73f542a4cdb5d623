"""Several objectives in GP search: log expected hypervolume improvement (log EHVI).

As Optuna's GPSampler does for a multi-objective study: one independent GP per objective, fitted
on that objective's standardized losses; the region that the (feasible) observed front leaves free
is split into disjoint boxes (``tftune.hypervolume.non_dominated_box_bounds``) against a reference
point a tenth beyond the worst observed loss of each objective; EHVI is the mean over fixed
quasi-random draws of the posterior (scrambled Sobol points mapped to normal ones, the same for
every candidate, so the acquisition is a deterministic function of the candidate) of the
hypervolume each draw adds, summed box by box (each factor clamped away from 0, as Optuna
does, so that the log stays finite where no draw improves).

Speed: with two objectives the boxes are the staircase's strips, and each draw's sum over them
comes from two binary searches into prefix sums (``_Strips``: O(log b) a draw instead of O(b));
with more objectives the cells are evaluated in chunks that stay in the CPU's cache.
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
#: Cells (candidates x draws x boxes) evaluated at once: temporaries of ~0.5 MB stay in the
#: CPU's cache (4M-cell chunks ran at half the speed).
_CHUNK_CELLS = 65_536


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
    Two objectives' staircase (the strips ``non_dominated_box_bounds`` returns) is summed in
    ``O(log b)`` per draw from prefix sums (see ``_Strips``); other boxes cell by cell.
    """
    return _log_ehvi_of(_Strips.of(lower, upper), mean, std, samples, lower, upper)


def _log_ehvi_of(
    strips: _Strips | None,
    mean: np.ndarray,
    std: np.ndarray,
    samples: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """``log_ehvi`` with the strips of ``(lower, upper)`` already found (None: not strips)."""
    if strips is not None:
        return strips.log_ehvi(mean, std, samples)
    return _log_ehvi_boxes(mean, std, samples, lower, upper)


def _log_ehvi_boxes(
    mean: np.ndarray,
    std: np.ndarray,
    samples: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """``log_ehvi`` box by box: ``(m, s, b)`` cells, in chunks that stay in the CPU's cache.

    ``upper - max(y, lower)`` clamped to ``[eps, upper - lower]`` is ``upper - y`` clamped to
    the same range (``upper - y >= upper - lower`` where ``y < lower``): one subtraction, a
    minimum and a maximum per cell and objective.
    """
    m, k = mean.shape
    n_samples, n_boxes = len(samples), len(lower)
    width = np.ascontiguousarray(np.maximum(upper - lower, _EPS).T)  # inf where open below
    top = np.ascontiguousarray(upper.T)
    out = np.empty(m)
    chunk = max(1, _CHUNK_CELLS // max(n_samples * n_boxes, 1))
    for start in range(0, m, chunk):
        stop = min(m, start + chunk)
        y = mean[start:stop, None, :] + std[start:stop, None, :] * samples[None, :, :]
        # The product of the clamped extents is >= 1e-12 ** k: no underflow in linear space.
        volume = np.subtract(top[0][None, None, :], y[:, :, 0, None])
        np.minimum(volume, width[0], out=volume)
        np.maximum(volume, _EPS, out=volume)
        for j in range(1, k):
            extent = np.subtract(top[j][None, None, :], y[:, :, j, None])
            np.minimum(extent, width[j], out=extent)
            np.maximum(extent, _EPS, out=extent)
            volume *= extent
        out[start:stop] = np.log(volume.reshape(stop - start, -1).sum(axis=1) / n_samples)
    return out


class _Strips:
    """Two objectives' free region as horizontal strips, summed from prefix sums.

    Strip ``b`` is ``(-inf, x_b) x [z_b, z_{b+1})`` with ``x`` non-increasing and ``z``
    increasing (``z_0 = -inf``), as ``non_dominated_box_bounds`` returns them. For a draw
    ``y``, the strips below the one holding ``y_2`` contribute ``eps`` along the second
    objective, the strips above their full height; along the first objective the strips whose
    ``x_b - y_1`` exceeds ``eps`` contribute that, the others ``eps``. Two binary searches per
    draw then give the sum over all strips (the same clamped formula as box by box).
    """

    def __init__(self, x: np.ndarray, z_low: np.ndarray, z_high: np.ndarray) -> None:
        self.x, self.z_high = x, z_high
        height = np.maximum(z_high - z_low, _EPS)
        height[0] = 0.0  # the open strip 0 is never above a draw's strip
        self.height = height
        zero = np.zeros(1)
        self.cum_x = np.concatenate([zero, np.cumsum(x)])
        self.cum_h = np.concatenate([zero, np.cumsum(height)])
        self.cum_hx = np.concatenate([zero, np.cumsum(height * x)])
        self.neg_x = -x

    @classmethod
    def of(cls, lower: np.ndarray, upper: np.ndarray) -> _Strips | None:
        """The strips, if ``(lower, upper)`` are two objectives' staircase strips."""
        if lower.ndim != 2 or lower.shape[1] != 2 or not len(lower):
            return None
        x, z_low, z_high = upper[:, 0], lower[:, 1], upper[:, 1]
        if not (
            np.all(lower[:, 0] == -np.inf)
            and z_low[0] == -np.inf
            and np.all(z_low[1:] == z_high[:-1])
            and np.all(np.diff(z_high) > 0)
            and np.all(np.diff(x) <= 0)
            and np.all(np.isfinite(upper))
        ):
            return None
        return cls(x, z_low, z_high)

    def mean_improvement(self, y1: np.ndarray, y2: np.ndarray) -> np.ndarray:
        """The clamped improvement of each draw ``(y1, y2)`` (arrays of one shape)."""
        n = len(self.x)
        # j: strips with x_b - y1 > eps; i: the strip holding y2 (n above the reference).
        j = np.searchsorted(self.neg_x, -(y1 + _EPS), side="left")
        i = np.searchsorted(self.z_high, y2, side="right")
        a = np.minimum(i, j)
        below = _EPS * (np.maximum(self.cum_x[a] - y1 * a, 0.0) + _EPS * (i - a))
        inside = i < n
        at = np.minimum(i, n - 1)
        middle = np.where(
            inside,
            np.maximum(self.x[at] - y1, _EPS) * np.maximum(self.z_high[at] - y2, _EPS),
            0.0,
        )
        lo = np.minimum(i + 1, n)
        hi = np.clip(j, lo, n)
        above = np.maximum(
            self.cum_hx[hi] - self.cum_hx[lo] - y1 * (self.cum_h[hi] - self.cum_h[lo]), 0.0
        ) + _EPS * (self.cum_h[n] - self.cum_h[hi])
        total: np.ndarray = below + middle + above
        return total

    def log_ehvi(self, mean: np.ndarray, std: np.ndarray, samples: np.ndarray) -> np.ndarray:
        """``log_ehvi`` of the candidates against these strips."""
        y = mean[:, None, :] + std[:, None, :] * samples[None, :, :]
        out: np.ndarray = np.log(self.mean_improvement(y[..., 0], y[..., 1]).mean(axis=1))
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
        self._strips = _Strips.of(self.lower, self.upper)  # the prefix sums, once per ask

    def __call__(self, cand_num: np.ndarray, cand_cat: np.ndarray) -> np.ndarray:
        posterior = [model.predict(cand_num, cand_cat) for model in self.models]
        mean = np.stack([p[0] for p in posterior], axis=1)
        std = np.stack([p[1] for p in posterior], axis=1)
        return _log_ehvi_of(self._strips, mean, std, self.samples, self.lower, self.upper)
