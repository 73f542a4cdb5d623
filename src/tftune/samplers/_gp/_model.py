"""A Gaussian process on [0, 1]^d x categories, in NumPy and SciPy.

Kernel: Matern 5/2 with one lengthscale per dimension; a categorical dimension contributes
``[c != c'] / lengthscale^2`` to the squared distance (a Hamming kernel), or, with
``category_sizes``, a categorical of 3 or more choices contributes ``1 / l_c^2 + 1 / l_c'^2``
with one lengthscale per choice (one-hot inputs with ARD: one choice may differ from the rest
more than the others do). With 2 choices the two forms are the same kernel, so those keep the
Hamming form (one lengthscale, not two). Hyperparameters
(log lengthscales, log signal variance, log noise variance) maximise the log marginal
likelihood plus weak log-normal priors, with analytic gradients and L-BFGS-B, warm-started from
the previous fit.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.optimize import minimize

from tftune.distributions import BaseDistribution, CategoricalDistribution
from tftune.samplers._tpe._transform import NumericAxis, as_numeric

_SQRT5 = math.sqrt(5.0)
_LOG_2PI = math.log(2 * math.pi)
# Bounds and weak priors of the hyperparameters, on the log scale.
_LOG_LENGTH = (math.log(1e-2), math.log(1e2))
_LOG_SIGNAL = (math.log(1e-2), math.log(1e2))
_LOG_NOISE = (math.log(1e-6), math.log(1.0))
_PRIOR_LOG_LENGTH = (math.log(0.5), 1.5)  # mean, std
_PRIOR_LOG_SIGNAL = (0.0, 1.5)
_PRIOR_LOG_NOISE = (math.log(1e-3), 2.5)


def squared_distances(
    a_num: np.ndarray, a_cat: np.ndarray, b_num: np.ndarray, b_cat: np.ndarray
) -> np.ndarray:
    """Per-dimension squared differences, shape (len(a), len(b), d_num + d_cat)."""
    numeric = (a_num[:, None, :] - b_num[None, :, :]) ** 2
    categorical = (a_cat[:, None, :] != b_cat[None, :, :]).astype(float)
    return np.concatenate([numeric, categorical], axis=2)


class GaussianProcess:
    """Fit on (inputs, standardised targets); predict means and standard deviations."""

    def __init__(
        self,
        n_inputs: int,
        theta: np.ndarray | None = None,
        deterministic: bool = False,
        category_sizes: Sequence[int] | None = None,
    ) -> None:
        """``n_inputs``: numeric plus categorical inputs (the columns of ``u_num`` and
        ``x_cat``). ``category_sizes`` (the number of choices of each categorical input, in
        order): those of 3 or more choices become one-hot inputs, one lengthscale each, placed
        after the numeric ones (then the other categoricals); ``n_kernel_dims`` is then the
        expanded width, the number of lengthscales (``n_inputs`` without one-hot inputs)."""
        #: Numeric plus categorical inputs, as given.
        self.n_inputs = n_inputs
        self.sizes = None if category_sizes is None else tuple(int(k) for k in category_sizes)
        self._onehot = [j for j, k in enumerate(self.sizes or ()) if k >= 3]
        n_onehot = sum(self.sizes[j] for j in self._onehot) if self.sizes else 0
        n_dims = n_inputs + n_onehot - len(self._onehot)
        #: The kernel's dimensions (one lengthscale each): one-hot inputs expanded.
        self.n_kernel_dims = n_dims
        # A mismatch costs 1/l_c^2 + 1/l_c'^2: each one-hot prior at sqrt(2) x the Hamming one.
        self._prior_means = np.full(n_dims, _PRIOR_LOG_LENGTH[0])
        n_rest = len(self.sizes or ()) - len(self._onehot)
        first = n_dims - n_rest - n_onehot
        self._prior_means[first : first + n_onehot] += 0.5 * math.log(2.0)
        self.deterministic = deterministic  # noise pinned at its floor: exact observations
        if theta is None or len(theta) != n_dims + 2:
            theta = np.concatenate([self._prior_means, [0.0, math.log(1e-3)]])
        if deterministic:
            theta = np.concatenate([theta[:-1], [_LOG_NOISE[0]]])
        self.theta = theta

    def unconditioned(self) -> GaussianProcess:
        """A GP with this one's inputs, kernel and hyperparameters, conditioned on nothing
        (to condition on other data with the same fit)."""
        return GaussianProcess(self.n_inputs, self.theta, self.deterministic, self.sizes)

    # --- hyperparameters -------------------------------------------------------------------
    def _bounds(self) -> list[tuple[float, float]]:
        noise = (_LOG_NOISE[0], _LOG_NOISE[0]) if self.deterministic else _LOG_NOISE
        return [_LOG_LENGTH] * self.n_kernel_dims + [_LOG_SIGNAL, noise]

    def _objective(
        self, theta: np.ndarray, d2: np.ndarray, y: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Negative (log marginal likelihood + log prior) and its gradient."""
        n = len(y)
        inv_l2 = np.exp(-2.0 * theta[: self.n_kernel_dims])
        signal, noise = math.exp(theta[-2]), math.exp(theta[-1])
        scaled = d2 * inv_l2  # (n, n, d)
        r2 = scaled.sum(axis=2)
        r = np.sqrt(r2)
        e = np.exp(-_SQRT5 * r)
        k0 = (1.0 + _SQRT5 * r + 5.0 / 3.0 * r2) * e
        kernel = signal * k0 + (noise + 1e-9) * np.eye(n)
        try:
            lower = np.linalg.cholesky(kernel)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(theta)
        alpha = cho_solve((lower, True), y)
        nll = 0.5 * y @ alpha + np.log(np.diag(lower)).sum() + 0.5 * n * _LOG_2PI
        inner = np.outer(alpha, alpha) - cho_solve((lower, True), np.eye(n))  # (a a^T - K^-1)
        dk_dr2 = -(5.0 / 6.0) * signal * (1.0 + _SQRT5 * r) * e
        grad = np.empty_like(theta)
        # dK/dlog(l_j) = dk/d(r^2) * (-2 * scaled_j)
        grad[: self.n_kernel_dims] = -0.5 * np.einsum("ij,ijk->k", inner * dk_dr2, -2.0 * scaled)
        grad[-2] = -0.5 * np.sum(inner * (signal * k0))
        grad[-1] = -0.5 * noise * np.trace(inner)
        for index, (mean, std) in self._priors():
            nll += 0.5 * float(np.sum(((theta[index] - mean) / std) ** 2))
            grad[index] += (theta[index] - mean) / std**2
        return float(nll), grad

    def _priors(self) -> Iterator[tuple[slice, tuple[Any, float]]]:
        yield slice(0, self.n_kernel_dims), (self._prior_means, _PRIOR_LOG_LENGTH[1])
        yield slice(self.n_kernel_dims, self.n_kernel_dims + 1), _PRIOR_LOG_SIGNAL
        yield slice(self.n_kernel_dims + 1, self.n_kernel_dims + 2), _PRIOR_LOG_NOISE

    def fit(
        self, x_num: np.ndarray, x_cat: np.ndarray, y: np.ndarray, max_iterations: int = 50
    ) -> None:
        """Choose hyperparameters for the data, then condition on it."""
        x_num, x_cat = self._inputs(x_num, x_cat)
        d2 = squared_distances(x_num, x_cat, x_num, x_cat)
        result = minimize(
            self._objective,
            self.theta,
            args=(d2, y),
            jac=True,
            method="L-BFGS-B",
            bounds=self._bounds(),
            options={"maxiter": max_iterations},
        )
        if np.all(np.isfinite(result.x)):
            self.theta = result.x
        self._condition(x_num, x_cat, y)

    def _inputs(self, x_num: np.ndarray, x_cat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The kernel's inputs: with ``category_sizes``, the categoricals of 3 or more choices
        become one-hot columns after the numeric ones."""
        if not self._onehot:
            return x_num, x_cat
        assert self.sizes is not None
        columns = [x_num] + [
            (x_cat[:, j][:, None] == np.arange(self.sizes[j])[None, :]).astype(float)
            for j in self._onehot
        ]
        rest = [j for j in range(x_cat.shape[1]) if j not in self._onehot]
        return np.concatenate(columns, axis=1), x_cat[:, rest]

    def condition(self, x_num: np.ndarray, x_cat: np.ndarray, y: np.ndarray) -> None:
        """Condition on data with the current hyperparameters (no refit)."""
        self._condition(*self._inputs(x_num, x_cat), y)

    def _condition(self, x_num: np.ndarray, x_cat: np.ndarray, y: np.ndarray) -> None:
        self.x_num, self.x_cat = x_num, x_cat
        kernel = self._kernel(x_num, x_cat, x_num, x_cat) + (self.noise + 1e-9) * np.eye(len(y))
        self._lower = np.linalg.cholesky(kernel)
        self._alpha = cho_solve((self._lower, True), y)

    @property
    def signal(self) -> float:
        return math.exp(self.theta[-2])

    @property
    def noise(self) -> float:
        return math.exp(self.theta[-1])

    def _kernel(
        self, a_num: np.ndarray, a_cat: np.ndarray, b_num: np.ndarray, b_cat: np.ndarray
    ) -> np.ndarray:
        inv_l2 = np.exp(-2.0 * self.theta[: self.n_kernel_dims])
        n_num = a_num.shape[1]
        r2 = np.zeros((len(a_num), len(b_num)))
        if n_num:  # expanded squares: no (n, m, d) array
            w = inv_l2[:n_num]
            r2 += (
                (a_num**2 * w).sum(1)[:, None]
                + (b_num**2 * w).sum(1)[None, :]
                - 2.0 * (a_num * w) @ b_num.T
            )
            np.maximum(r2, 0.0, out=r2)
        for j in range(a_cat.shape[1]):
            r2 += (a_cat[:, j][:, None] != b_cat[:, j][None, :]) * inv_l2[n_num + j]
        r = np.sqrt(r2)
        return self.signal * (1.0 + _SQRT5 * r + 5.0 / 3.0 * r2) * np.exp(-_SQRT5 * r)

    # --- predictions -----------------------------------------------------------------------
    def predict(self, x_num: np.ndarray, x_cat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation (of the latent function) at the points."""
        x_num, x_cat = self._inputs(x_num, x_cat)
        cross = self._kernel(x_num, x_cat, self.x_num, self.x_cat)  # (m, n)
        mean = cross @ self._alpha
        v = solve_triangular(self._lower, cross.T, lower=True)
        variance = np.maximum(self.signal - (v**2).sum(axis=0), 1e-12)
        return mean, np.sqrt(variance)


def unit_inputs(
    search_space: Mapping[str, BaseDistribution], params: Sequence[Mapping[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """Parameter sets as this GP's inputs, in the space's order: numbers on [0, 1] of their
    (log) axis, shape (n, d_num), and categories as choice indices, shape (n, d_cat)."""
    numeric = [n for n, d in search_space.items() if not isinstance(d, CategoricalDistribution)]
    categorical = [n for n in search_space if n not in numeric]
    axes = [NumericAxis(as_numeric(search_space[n])) for n in numeric]
    pairs = list(zip(numeric, axes, strict=True))
    u_num = np.array(
        [[(a.to_model(p[n]) - a.low) / (a.high - a.low) for n, a in pairs] for p in params],
        dtype=float,
    ).reshape(len(params), len(numeric))
    x_cat = np.array(
        [[search_space[n].to_internal_repr(p[n]) for n in categorical] for p in params],
        dtype=np.int64,
    ).reshape(len(params), len(categorical))
    return u_num, x_cat
