"""Synthetic test functions with known global minima (all minimised).

Domains follow the usual definitions (Surjanovic & Bingham's library of test functions) except
Ackley's, which is shifted so that the optimum is not at the centre of the box (a sampler whose
prior is centred — TPE's prior kernel is — would otherwise get it for free):

  branin          x1 ∈ [-5, 10], x2 ∈ [0, 15]          f* = 0.397887357729739 (three minimisers)
  hartmann3       [0, 1]^3                              f* = -3.862779787332659
  hartmann6       [0, 1]^6                              f* = -3.322368011415514
  rosenbrock{d}   [-5, 10]^d                            f* = 0 at (1, ..., 1)
  levy{d}         [-10, 10]^d                           f* = 0 at (1, ..., 1)
  ackley{d}       [-15, 30]^d (shifted; usual ±32.768)  f* = 0 at (0, ..., 0)
  mixed           see ``mixed`` below                   f* = 0

The Hartmann optima were refined with L-BFGS-B from the published minimisers (the often quoted
-3.86278 for Hartmann-3 is slightly below what the function reaches); ``tasks.self_check()``,
run at the start of every ``bench_samplers.py`` run, re-evaluates every function at its minimiser.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

BRANIN_OPT = 0.397887357729739
HARTMANN3_OPT = -3.862779787332659
HARTMANN6_OPT = -3.322368011415514

_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ],
    dtype=float,
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])

H3_ARGMIN = (0.114614, 0.555649, 0.852547)
H6_ARGMIN = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)


def branin(x: np.ndarray) -> float:
    x1, x2 = float(x[0]), float(x[1])
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def _hartmann(x: np.ndarray, a: np.ndarray, p: np.ndarray) -> float:
    return float(
        -np.sum(_H_ALPHA * np.exp(-np.sum(a * (np.asarray(x)[None, :] - p) ** 2, axis=1)))
    )


def hartmann3(x: np.ndarray) -> float:
    return _hartmann(x, _H3_A, _H3_P)


def hartmann6(x: np.ndarray) -> float:
    return _hartmann(x, _H6_A, _H6_P)


def rosenbrock(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1.0) ** 2))


def levy(x: np.ndarray) -> float:
    w = 1.0 + (np.asarray(x, dtype=float) - 1.0) / 4.0
    head = math.sin(math.pi * w[0]) ** 2
    middle = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + middle + tail)


def ackley(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    d = len(x)
    return float(
        -20 * math.exp(-0.2 * math.sqrt(np.sum(x**2) / d))
        - math.exp(np.sum(np.cos(2 * math.pi * x)) / d)
        + 20
        + math.e
    )


# --- the mixed categorical / conditional function -------------------------------------------
MIXED_DOC = """\
`mixed` (designed for this suite; 5 to 6 active parameters out of 8, minimised, f* = 0):

    x ∈ [-5, 5], y ∈ [-5, 5]                 floats, always active
    n ∈ {1, ..., 20}                         int, always active
    color ∈ {red, green, blue, yellow}       categorical, always active
    kernel ∈ {quad, abs, sin}                categorical, always active; it decides \
which child exists:
      a ∈ [0.01, 100] log   if kernel = quad
      b ∈ {0, ..., 10}      if kernel = abs
      c ∈ [0, 1]            if kernel = sin

    f = (x - 1.5)^2 + (y + 2)^2 + 0.3 (x - 1.5)(y + 2) + 0.05 (n - 7)^2     \
(a tilted bowl, an integer)
        + [color != green] · 0.75
        + quad: 2 (log10 a - 1)^2           (best a = 10,   branch minimum 0)
          abs:  0.5 + 0.3 |b - 3|           (best b = 3,    branch minimum 0.5)
          sin:  1.0 + 4 (c - 0.25)^2        (best c = 0.25, branch minimum 1.0)

Global minimum f* = 0 at x = 1.5, y = -2, n = 7, color = green, kernel = quad, a = 10. The other
two branches are local optima (0.5 and 1.0 above it), the bowl is rotated so that the two floats
interact, and the colour matters by a fixed step, so a sampler must learn the categoricals,
the branch and the conditional child's own optimum."""


def mixed(params: dict[str, Any]) -> float:
    dx, dy = params["x"] - 1.5, params["y"] + 2.0
    value = dx * dx + dy * dy + 0.3 * dx * dy + 0.05 * (params["n"] - 7) ** 2
    value += 0.0 if params["color"] == "green" else 0.75
    kernel = params["kernel"]
    if kernel == "quad":
        value += 2.0 * (math.log10(params["a"]) - 1.0) ** 2
    elif kernel == "abs":
        value += 0.5 + 0.3 * abs(params["b"] - 3)
    else:
        value += 1.0 + 4.0 * (params["c"] - 0.25) ** 2
    return float(value)


MIXED_ARGMIN = {"x": 1.5, "y": -2.0, "n": 7, "color": "green", "kernel": "quad", "a": 10.0}
