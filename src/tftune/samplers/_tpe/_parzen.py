"""A Parzen estimator over mixed spaces: one kernel per observation, plus a prior.

Numeric dimensions use truncated Gaussians on the parameter's axis; categorical dimensions
use a kernel that puts most of its mass on the observed category. Dimensions multiply
(a product kernel per observation), so one estimator models several parameters jointly.
Everything is vectorised over candidates x observations.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

_SQRT_2PI_LOG = 0.5 * math.log(2 * math.pi)
_EPS = 1e-12


class ParzenEstimator:
    """``l(x)`` or ``g(x)`` of TPE.

    Args:
        numeric: observations on numeric axes, shape (n, d_num).
        lows, highs: each numeric axis's bounds, shape (d_num,).
        categorical: observed category indices, shape (n, d_cat).
        n_choices: categories per categorical dimension, shape (d_cat,).
        weights: observation weights, shape (n,).
        prior_weight: weight of the prior component (a wide kernel at the centre).
    """

    def __init__(
        self,
        numeric: np.ndarray,
        lows: np.ndarray,
        highs: np.ndarray,
        categorical: np.ndarray,
        n_choices: np.ndarray,
        weights: np.ndarray,
        prior_weight: float = 1.0,
    ) -> None:
        n, d_num = numeric.shape
        d_cat = categorical.shape[1]
        spans = highs - lows
        if d_num + d_cat == 1 and d_num == 1:
            sigma = _neighbour_bandwidths(numeric[:, 0], lows[0], highs[0])[:, None]
        else:  # Scott's rule, shrinking with n and with the number of jointly modelled dimensions
            sigma = np.broadcast_to(0.2 * spans * max(n, 1) ** (-1.0 / (d_num + d_cat + 4)), (n, d_num))
        # Clipped so that no kernel collapses onto a point or outgrows the range.
        sigma = np.clip(sigma, spans / min(100.0, 1.0 + n), spans)
        self.mus = np.vstack([numeric, ((lows + highs) / 2)[None, :]])  # (n+1, d_num)
        self.sigmas = np.vstack([sigma, spans[None, :]])
        self.lows, self.highs = lows, highs
        component = np.append(weights, prior_weight)
        self.log_weights = np.log(component / component.sum())
        self.n_choices = n_choices
        # Categorical kernels: the observed category gets weight n_choices, each other 1.
        self.categorical = np.vstack([categorical, np.full((1, d_cat), -1, dtype=int)]) if d_cat else categorical
        # The probability mass of each truncated Gaussian inside its bounds.
        upper = ndtr((highs - self.mus) / self.sigmas)
        lower = ndtr((lows - self.mus) / self.sigmas)
        log_mass = np.log(np.maximum(upper - lower, _EPS))  # (n+1, d_num)
        # log N(x; mu, sigma) summed over dimensions is -0.5 * quad + const, and quad expands
        # into three matrix products: no (candidates x components x dims) array is ever built.
        self._w = 1.0 / self.sigmas**2
        self._mu_w = self.mus * self._w
        self._mu2_w = (self.mus**2 * self._w).sum(axis=1)
        self._log_const = -(np.log(self.sigmas) + log_mass + _SQRT_2PI_LOG).sum(axis=1)

    @property
    def n_components(self) -> int:
        return len(self.log_weights)

    def sample(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """``size`` draws: (numeric values (size, d_num), category indices (size, d_cat))."""
        chosen = rng.choice(self.n_components, size=size, p=np.exp(self.log_weights))
        mus, sigmas = self.mus[chosen], self.sigmas[chosen]
        # Inverse-CDF sampling of the truncated normal, all dimensions at once.
        lower = ndtr((self.lows - mus) / sigmas)
        upper = ndtr((self.highs - mus) / sigmas)
        u = lower + rng.random(mus.shape) * (upper - lower)
        numeric = mus + sigmas * ndtri(np.clip(u, _EPS, 1 - _EPS))
        numeric = np.clip(numeric, self.lows, self.highs)
        categories = np.empty((size, len(self.n_choices)), dtype=int)
        for j, k in enumerate(self.n_choices):
            observed = self.categorical[chosen, j]
            probs = np.ones((size, k))
            has_obs = observed >= 0
            probs[has_obs, observed[has_obs]] = k
            probs /= probs.sum(axis=1, keepdims=True)
            categories[:, j] = (probs.cumsum(axis=1) > rng.random((size, 1))).argmax(axis=1)
        return numeric, categories

    def log_pdf(self, numeric: np.ndarray, categories: np.ndarray) -> np.ndarray:
        """log density of each candidate, shape (m,)."""
        quad = (numeric**2) @ self._w.T - 2.0 * (numeric @ self._mu_w.T) + self._mu2_w[None, :]
        log_kernel = -0.5 * np.maximum(quad, 0.0) + self._log_const[None, :]  # (m, n+1)
        for j, k in enumerate(self.n_choices):
            observed = self.categorical[:, j]  # (n+1,)
            match = categories[:, j][:, None] == observed[None, :]  # (m, n+1)
            prior = observed[None, :] < 0
            p = np.where(prior, 1.0 / k, np.where(match, k / (2.0 * k - 1.0), 1.0 / (2.0 * k - 1.0)))
            log_kernel += np.log(p)
        total = log_kernel + self.log_weights[None, :]
        peak = total.max(axis=1, keepdims=True)
        return (peak + np.log(np.exp(total - peak).sum(axis=1, keepdims=True)))[:, 0]



def _neighbour_bandwidths(mus: np.ndarray, low: float, high: float) -> np.ndarray:
    """One dimension: each kernel as wide as the larger gap to its neighbours (the prior's
    centre counts as a neighbour, the range's ends do not)."""
    points = np.append(mus, (low + high) / 2)
    order = np.argsort(points)
    ordered = points[order]
    gaps = np.diff(ordered)
    left = np.concatenate([[gaps[0] if len(gaps) else high - low], gaps])
    right = np.concatenate([gaps, [gaps[-1] if len(gaps) else high - low]])
    widths = np.empty_like(points)
    widths[order] = np.maximum(left, right)
    return widths[:-1]
