"""MF-Hartmann-3 and MF-Hartmann-6: Hartmann functions with a continuous fidelity.

Definition (Kandasamy et al., "Multi-fidelity Bayesian Optimisation with Continuous
Approximations", ICML 2017, appendix; the same form as Dragonfly's ``hartmann3_2_mf`` /
``hartmann6_4_mf`` and the ``MFHartmann`` of Watanabe's mfhpo-benchmark-api)::

    f(x, z) = - sum_i (alpha_i - delta * (1 - z)) * exp(- sum_j A_ij (x_j - P_ij)^2)

with the usual Hartmann ``alpha = (1.0, 1.2, 3.0, 3.2)``, ``A`` and ``P``, one scalar fidelity
``z`` in (0, 1] (z = 1 is the true function) and the bias ``delta = 0.1`` of those references.
Lowering ``z`` lowers every alpha by the same amount, so the four bumps lose different shares of
their height and the ranking of configurations changes with ``delta`` (with 0.1 the noise-free
ranking barely changes; ``delta = 1.0`` makes the first bump vanish at z -> 0).

Observations add Gaussian noise of variance 0.01 (3-D) or 0.05 (6-D), the variances of
mfhpo-benchmark-api's ``MFHartmann``, but drawn once per (seed, configuration) and added at every
step: like a training run's luck, it does not average out over the epochs. (KerasTuner scores a
trial by its best epoch, tftune and Optuna by their last report; with independent noise per step
the best of many draws would denoise KerasTuner's scores, and the benchmark would compare scoring
rules instead of pruners.) Every contender sees the same noisy curve for the same configuration.
f(x, z) decreases in z, so a curve improves with every step. The held-out value of a
configuration is the noise-free f(x, z).

The benchmark trains "epochs": after step k of K (k = 1..K) the observed f(x, k/K) is reported
at step index k - 1, as Keras reports epoch k at index k - 1.
"""

from __future__ import annotations

import dataclasses
import math
import struct
import zlib

import numpy as np

ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
A3 = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
P3 = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
A6 = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
P6 = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


@dataclasses.dataclass(frozen=True)
class MFHartmann:
    name: str
    dim: int
    delta: float = 0.1
    noise_std: float = 0.1
    f_star: float = 0.0
    x_star: tuple[float, ...] = ()

    @property
    def a(self) -> np.ndarray:
        return A3 if self.dim == 3 else A6

    @property
    def p(self) -> np.ndarray:
        return P3 if self.dim == 3 else P6

    def true_value(self, x: np.ndarray | list[float], z: float) -> float:
        """Noise-free f(x, z)."""
        x = np.asarray(x, dtype=float)
        alphas = ALPHA - self.delta * (1.0 - z)
        return float(-alphas @ np.exp(-np.sum(self.a * (x - self.p) ** 2, axis=1)))

    def noise(self, seed: int, x: np.ndarray | list[float]) -> float:
        """The observation noise of (seed, configuration): the same at every step and in every
        contender."""
        key = zlib.crc32(struct.pack(f"{len(x)}d", *(round(float(v), 12) for v in x)))
        return float(self.noise_std * np.random.default_rng([seed, key]).standard_normal())

    def observe(self, seed: int, x: np.ndarray | list[float], step: int, max_steps: int) -> float:
        """The value reported after step index ``step`` (0-based) of ``max_steps``."""
        return self.true_value(x, (step + 1) / max_steps) + self.noise(seed, x)


TASKS = {
    "mf_hartmann3": MFHartmann(
        "mf_hartmann3",
        3,
        noise_std=math.sqrt(0.01),
        f_star=-3.86278,
        x_star=(0.114614, 0.555649, 0.852547),
    ),
    "mf_hartmann6": MFHartmann(
        "mf_hartmann6",
        6,
        noise_std=math.sqrt(0.05),
        f_star=-3.32237,
        x_star=(0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573),
    ),
}


def fidelity_correlation(
    task: MFHartmann, max_steps: int, steps: list[int], n: int = 2000, seed: int = 12345
) -> dict[str, dict[str, float]]:
    """Spearman rank correlations over ``n`` uniform random configurations, per step index:
    ``noise_free``: f(x, z) against f(x, 1), the fidelity's own effect; ``observed``: the noisy
    value reported at the step against the noise-free f(x, 1) (the held-out value), i.e. how
    well what a pruner sees at that step predicts the final ranking."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(seed)
    xs = rng.random((n, task.dim))
    final = np.array([task.true_value(x, 1.0) for x in xs])
    out: dict[str, dict[str, float]] = {"noise_free": {}, "observed": {}}
    for step in steps:
        z = (step + 1) / max_steps
        clean = np.array([task.true_value(x, z) for x in xs])
        observed = np.array([task.observe(seed, x, step, max_steps) for x in xs])
        out["noise_free"][str(step)] = float(spearmanr(clean, final).statistic)
        out["observed"][str(step)] = float(spearmanr(observed, final).statistic)
    return out


def self_check() -> None:
    for task in TASKS.values():
        value = task.true_value(task.x_star, 1.0)
        assert abs(value - task.f_star) < 1e-4, (task.name, value)
