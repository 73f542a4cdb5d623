"""A Parzen estimator over mixed spaces: one kernel per observation, plus a prior.

Numeric dimensions use truncated Gaussians on the parameter's axis, each kernel as wide as the
larger gap to its neighbours on that axis (a bandwidth per kernel and dimension, so it shrinks
as observations accumulate). Categorical dimensions use an Aitchison-Aitken style kernel whose
smoothing shrinks with the number of observations. Dimensions multiply (a product kernel per
observation), so one estimator models several parameters jointly. Everything is vectorised over
candidates x observations, into arrays kept from one proposal to the next (a ``Workspace``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

_SQRT_2PI_LOG = 0.5 * math.log(2 * math.pi)
_EPS = 1e-12
_EXP_UNDERFLOW = -746.0  # exp(x) is exactly 0.0 below about -745.13
# Jointly modelled kernels are narrowed: a product of d marginal gaps is wider than the gap
# between points in d dimensions (0.7 measured best of 0.7 / 1 / 1.5 on the synthetic suite).
JOINT_BANDWIDTH_FACTOR = 0.7
# Share of candidates whose dimensions come from independently chosen kernels: they combine
# good coordinates of different observations (helps separable, high-dimensional objectives).
MIXED_CANDIDATE_SHARE = 0.5


def min_bandwidth_factor(n_complete: int, n_dims: int) -> float:
    """Smallest kernel width as a share of the range: ``1 / (1 + 4 n / d)``. It shrinks with the
    complete trials ``n`` without a floor, so TPE keeps refining (a fixed floor stalled it), and
    more slowly in more dimensions ``d``, where the good trials are sparser."""
    return 1.0 / (1.0 + 4.0 * n_complete / max(n_dims, 1))


class Workspace:
    """Scratch arrays reused from one proposal to the next. Arrays of ~100 KB or more allocated
    afresh come from new memory pages, and faulting those in cost more than the arithmetic on
    them (~4x at 5,000 trials). Not thread-safe: one per thread and estimator role."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type = float) -> np.ndarray:
        """An uninitialised C-contiguous array of ``shape``: the one last handed out as ``name``,
        overwritten (so valid until ``name`` is asked for again)."""
        size = math.prod(shape)
        array = self._arrays.get(name)
        if array is None or len(array) < size:
            array = self._arrays[name] = np.empty(
                size + size // 4, dtype
            )  # room for the growing study
        return array[:size].reshape(shape)


class ParzenEstimator:
    """``l(x)`` or ``g(x)`` of TPE.

    Args:
        numeric: observations on numeric axes, shape (n, d_num).
        lows, highs: each numeric axis's bounds, shape (d_num,).
        categorical: observed category indices, shape (n, d_cat).
        n_choices: categories per categorical dimension, shape (d_cat,).
        weights: observation weights, shape (n,).
        prior_weight: weight of the prior component (a wide kernel at the centre).
        min_sigma: smallest kernel width per numeric axis, shape (d_num,).
        workspace: where the arrays that grow with ``n`` live (overwritten by the next
            estimator given the same workspace); a fresh one if None.
    """

    def __init__(
        self,
        numeric: np.ndarray,
        lows: np.ndarray,
        highs: np.ndarray,
        categorical: np.ndarray,
        n_choices: np.ndarray,
        weights: np.ndarray,
        prior_weight: float,
        min_sigma: np.ndarray,
        workspace: Workspace | None = None,
    ) -> None:
        n, d_num = numeric.shape
        d_cat = categorical.shape[1]
        spans = highs - lows
        self._workspace = ws = workspace if workspace is not None else Workspace()
        self.mus = ws.get("mus", (n + 1, d_num))
        self.mus[:n], self.mus[n] = numeric, (lows + highs) / 2
        self.sigmas = ws.get("sigmas", (n + 1, d_num))
        sigma = self.sigmas[:n]
        sigma[...] = neighbour_bandwidths(numeric, lows, highs, ws)
        if d_num + d_cat > 1:
            sigma *= JOINT_BANDWIDTH_FACTOR
        np.minimum(
            np.maximum(sigma, min_sigma, out=sigma), spans, out=sigma
        )  # np.clip, without its overhead
        self.sigmas[n] = spans
        self.lows, self.highs = lows, highs
        component = np.append(weights, prior_weight)
        self.weights = component / component.sum()
        self.log_weights = np.log(self.weights)
        self.n_choices = n_choices
        self.categorical = (
            np.vstack([categorical, np.full((1, d_cat), -1, dtype=int)]) if d_cat else categorical
        )
        self._category_log_p = [
            _category_log_probabilities(int(k), n, prior_weight) for k in n_choices
        ]
        self._coefficients = _quadratic_coefficients(
            self.mus, self.sigmas, lows, highs, self.log_weights, ws
        )

    @property
    def n_components(self) -> int:
        return len(self.log_weights)

    def sample(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """``size`` draws: (numeric values (size, d_num), category indices (size, d_cat)).

        The first draws take every dimension from one kernel; the last ``MIXED_CANDIDATE_SHARE``
        take each dimension from its own, independently chosen kernel."""
        d_num, d_cat = self.mus.shape[1], len(self.n_choices)
        n_mixed = int(round(MIXED_CANDIDATE_SHARE * size)) if d_num + d_cat > 1 else 0
        chosen = np.empty((size, d_num + d_cat), dtype=np.int64)
        chosen[: size - n_mixed] = rng.choice(
            self.n_components, size=(size - n_mixed, 1), p=self.weights
        )
        chosen[size - n_mixed :] = rng.choice(
            self.n_components, size=(n_mixed, d_num + d_cat), p=self.weights
        )
        numeric = self._sample_numeric(rng, chosen[:, :d_num])
        categories = np.empty((size, d_cat), dtype=int)
        for j in range(d_cat):
            categories[:, j] = self._sample_category(rng, j, chosen[:, d_num + j])
        return numeric, categories

    def _sample_numeric(self, rng: np.random.Generator, chosen: np.ndarray) -> np.ndarray:
        """Inverse-CDF draws of the truncated normals ``chosen`` (size, d_num), all at once."""
        columns = np.arange(chosen.shape[1])[None, :]
        mus, sigmas = self.mus[chosen, columns], self.sigmas[chosen, columns]
        lower = ndtr((self.lows - mus) / sigmas)
        upper = ndtr((self.highs - mus) / sigmas)
        u = lower + rng.random(mus.shape) * (upper - lower)
        drawn: np.ndarray = np.clip(
            mus + sigmas * ndtri(np.clip(u, _EPS, 1 - _EPS)), self.lows, self.highs
        )
        return drawn

    def _sample_category(self, rng: np.random.Generator, j: int, chosen: np.ndarray) -> np.ndarray:
        """Draws of categorical dimension ``j`` from the kernels ``chosen`` (size,)."""
        k = int(self.n_choices[j])
        log_match, log_other = self._category_log_p[j]
        observed = self.categorical[chosen, j]
        probs = np.full((len(chosen), k), math.exp(log_other))
        has_obs = observed >= 0
        probs[~has_obs] = 1.0 / k
        probs[has_obs, observed[has_obs]] = math.exp(log_match)
        probs /= probs.sum(axis=1, keepdims=True)
        drawn: np.ndarray = (probs.cumsum(axis=1) > rng.random((len(chosen), 1))).argmax(axis=1)
        return drawn

    def log_pdf(self, numeric: np.ndarray, categories: np.ndarray) -> np.ndarray:
        """log density of each candidate, shape (m,)."""
        m, d_num = numeric.shape
        features = np.empty((m, 2 * d_num + 1))
        np.square(numeric, out=features[:, :d_num])
        features[:, d_num:-1], features[:, -1] = numeric, 1.0
        # (m, n+1): log weight + log kernel, numeric part
        total = np.matmul(
            features, self._coefficients, out=self._workspace.get("total", (m, self.n_components))
        )
        for j, k in enumerate(self.n_choices):
            observed = self.categorical[:, j]  # (n+1,)
            log_match, log_other = self._category_log_p[j]
            match = categories[:, j][:, None] == observed[None, :]  # (m, n+1)
            total += np.where(
                observed[None, :] < 0, -math.log(k), np.where(match, log_match, log_other)
            )
        peak = total.max(axis=1, keepdims=True)
        total -= peak
        log_density: np.ndarray = (
            peak + np.log(_exp_or_zero(total, self._workspace).sum(axis=1, keepdims=True))
        )[:, 0]
        return log_density


def _exp_or_zero(x: np.ndarray, ws: Workspace) -> np.ndarray:
    """``exp(x)``, skipping the entries that underflow to 0 anyway (numpy's exp is ~10x slower
    on them, and most kernels are far from most candidates)."""
    out = ws.get("exp", x.shape)
    out.fill(0.0)
    np.exp(x, out=out, where=np.greater(x, _EXP_UNDERFLOW, out=ws.get("exp_where", x.shape, bool)))
    return out


def _quadratic_coefficients(
    mus: np.ndarray,
    sigmas: np.ndarray,
    lows: np.ndarray,
    highs: np.ndarray,
    log_weights: np.ndarray,
    ws: Workspace,
) -> np.ndarray:
    """Coefficients (2 d + 1, components) of ``[x^2, x, 1]`` giving each component's weighted
    log density: log N(x; mu, sigma) summed over dimensions is -0.5 * quad + const, and quad
    expands into one matrix product, so no (candidates x components x dims) array is built."""
    n1, d = mus.shape
    w = np.square(sigmas, out=ws.get("w", mus.shape))
    np.divide(1.0, w, out=w)
    term = np.log(sigmas, out=ws.get("term", mus.shape))  # summed over dimensions per component
    term += _log_truncated_mass(mus, sigmas, lows, highs, ws)
    term += _SQRT_2PI_LOG
    log_const = -term.sum(axis=1) + log_weights
    coefficients = ws.get("coefficients", (2 * d + 1, n1))
    np.multiply(w.T, -0.5, out=coefficients[:d])
    coefficients[d:-1] = np.multiply(mus, w, out=term).T
    np.multiply(np.square(mus, out=term), w, out=term)
    np.subtract(log_const, 0.5 * term.sum(axis=1), out=coefficients[-1])
    return coefficients


def _category_log_probabilities(k: int, n: int, prior_weight: float) -> tuple[float, float]:
    """An observation's kernel over ``k`` categories: weight ``1 + a`` on the observed one and
    ``a`` on each other, ``a = prior_weight / (n + 1)`` (smoothing that fades as ``n`` grows).
    Returns (log p(observed), log p(another))."""
    a = prior_weight / (n + 1)
    total = 1.0 + k * a
    return math.log((1.0 + a) / total), math.log(a / total)


def _log_truncated_mass(
    mus: np.ndarray, sigmas: np.ndarray, lows: np.ndarray, highs: np.ndarray, ws: Workspace
) -> np.ndarray:
    """log of each kernel's mass inside the bounds; ``ndtr`` only where a bound is within 8
    sigmas (elsewhere the mass is 1 to double precision)."""
    upper_z = np.subtract(highs, mus, out=ws.get("upper_z", mus.shape))
    upper_z /= sigmas
    lower_z = np.subtract(lows, mus, out=ws.get("lower_z", mus.shape))
    lower_z /= sigmas
    log_mass = ws.get("log_mass", mus.shape)
    log_mass.fill(0.0)
    near = np.flatnonzero((upper_z < 8.0) | (lower_z > -8.0))
    if len(near):
        mass = ndtr(upper_z.ravel().take(near)) - ndtr(lower_z.ravel().take(near))
        log_mass.ravel()[near] = np.log(np.maximum(mass, _EPS))
    return log_mass


def neighbour_bandwidths(
    points: np.ndarray, lows: np.ndarray, highs: np.ndarray, workspace: Workspace | None = None
) -> np.ndarray:
    """Per observation and axis, the larger gap to its neighbours on that axis, shape (n, d).
    The prior's centre counts as a neighbour, the range's ends do not."""
    n, d = points.shape
    if n == 0:
        return np.empty((0, d))
    ws = workspace if workspace is not None else Workspace()
    rows = ws.get("rows", (d, n + 1))  # one contiguous row per axis: sorting rows is the fast way
    rows[:, :n] = points.T
    rows[:, n] = (lows + highs) / 2
    flat = np.argsort(rows, axis=1)
    flat += np.arange(0, d * (n + 1), n + 1)[:, None]  # (axis, rank) -> flat index into rows
    flat = flat.ravel()
    # mode="clip" (the indices are in range anyway): "raise" would copy through a temporary array
    ordered = np.take(
        rows.ravel(), flat, out=ws.get("ordered", (d * (n + 1),)), mode="clip"
    ).reshape(d, n + 1)
    gaps = np.subtract(ordered[:, 1:], ordered[:, :-1], out=ws.get("gaps", (d, n)))  # np.diff
    widest = ws.get("widest", (d, n + 1))
    np.maximum(gaps[:, :-1], gaps[:, 1:], out=widest[:, 1:-1])
    widest[:, 0], widest[:, -1] = gaps[:, 0], gaps[:, -1]
    widths = ws.get("widths", (d * (n + 1),))
    widths[flat] = widest.ravel()
    return widths.reshape(d, n + 1)[:, :n].T
