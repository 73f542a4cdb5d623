"""The fast log EHVI paths equal the plain clamped box formula (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

from tftune.hypervolume import non_dominated_box_bounds
from tftune.samplers._gp import _multi_objective as mo


def _plain_log_ehvi(mean, std, samples, lower, upper):  # type: ignore[no-untyped-def]
    """The formula as written: prod over objectives of upper - max(y, lower), each factor
    clamped to [1e-12, max(upper - lower, 1e-12)], summed over boxes, averaged over draws."""
    y = mean[:, None, None, :] + std[:, None, None, :] * samples[None, :, None, :]
    extent = upper[None, None] - np.maximum(y, lower[None, None])
    extent = np.clip(extent, 1e-12, np.maximum(upper - lower, 1e-12)[None, None])
    return np.log(np.prod(extent, axis=3).sum(axis=2).mean(axis=1))


def _front(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    points = rng.random((n, k))
    return points / np.maximum(np.linalg.norm(points, axis=1, keepdims=True), 1e-9)


def _candidates(rng: np.random.Generator, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    # Means around and beyond the front and the reference, deviations from ~0 to ~1.
    return rng.normal(0.6, 0.6, (m, k)), rng.random((m, k)) ** 3


@pytest.mark.parametrize("n", [0, 1, 7, 60])
def test_two_objective_strips_equal_the_plain_formula(n: int) -> None:
    rng = np.random.default_rng(n)
    lower, upper = non_dominated_box_bounds(_front(rng, n, 2), [1.1, 1.1])
    assert mo._Strips.of(lower, upper) is not None  # the decomposition's 2-D layout
    mean, std = _candidates(rng, 64, 2)
    samples = mo.normal_qmc_samples(2, 32, seed=n)
    fast = mo.log_ehvi(mean, std, samples, lower, upper)
    plain = _plain_log_ehvi(mean, std, samples, lower, upper)
    np.testing.assert_allclose(fast, plain, rtol=0, atol=1e-9)
    assert np.argmax(fast) == np.argmax(plain)


def test_strips_score_a_draw_that_improves_nothing_by_the_clamp_alone() -> None:
    lower, upper = non_dominated_box_bounds(np.array([[0.2, 0.5], [0.5, 0.2]]), [1.0, 1.0])
    strips = mo._Strips.of(lower, upper)
    assert strips is not None
    # Above the reference in both objectives: every factor is clamped.
    worst = strips.mean_improvement(np.array([2.0]), np.array([2.0]))
    assert 0.0 < worst[0] < 1e-11
    # A certain point's improvement is exact: [0.1, 0.1] adds 0.9^2 - 0.5^2 - 0.3^2 + ...
    gain = strips.mean_improvement(np.array([0.1]), np.array([0.1]))
    exact = 0.9 * 0.9 - (0.8 * 0.5 + 0.5 * 0.3)  # box [0.1, 1]^2 minus what the front holds
    assert gain[0] == pytest.approx(exact, abs=1e-9)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_box_by_box_path_equals_the_plain_formula(k: int) -> None:
    rng = np.random.default_rng(10 + k)
    lower, upper = non_dominated_box_bounds(_front(rng, 15, k), np.full(k, 1.1))
    mean, std = _candidates(rng, 40, k)
    samples = mo.normal_qmc_samples(k, 16, seed=k)
    fast = mo._log_ehvi_boxes(mean, std, samples, lower, upper)
    np.testing.assert_allclose(fast, _plain_log_ehvi(mean, std, samples, lower, upper), atol=1e-12)


def test_box_by_box_path_does_not_depend_on_the_chunk_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    lower, upper = non_dominated_box_bounds(_front(rng, 20, 3), np.full(3, 1.1))
    mean, std = _candidates(rng, 50, 3)
    samples = mo.normal_qmc_samples(3, 16, seed=1)
    whole = mo._log_ehvi_boxes(mean, std, samples, lower, upper)
    monkeypatch.setattr(mo, "_CHUNK_CELLS", 1)  # one candidate per chunk
    np.testing.assert_array_equal(mo._log_ehvi_boxes(mean, std, samples, lower, upper), whole)


def test_boxes_not_in_the_strip_layout_take_the_box_by_box_path() -> None:
    rng = np.random.default_rng(5)
    lower, upper = non_dominated_box_bounds(_front(rng, 9, 2), [1.1, 1.1])
    order = rng.permutation(len(lower))
    shuffled = lower[order], upper[order]
    assert mo._Strips.of(*shuffled) is None
    three = non_dominated_box_bounds(_front(rng, 9, 3), np.full(3, 1.1))
    assert mo._Strips.of(*three) is None
    mean, std = _candidates(rng, 30, 2)
    samples = mo.normal_qmc_samples(2, 16, seed=2)
    # The same sum whichever order the boxes come in.
    np.testing.assert_allclose(
        mo.log_ehvi(mean, std, samples, *shuffled),
        mo.log_ehvi(mean, std, samples, lower, upper),
        atol=1e-9,
    )


@pytest.mark.parametrize("k", [2, 3])
def test_hypervolume_improvement_scores_candidates_by_the_plain_formula(k: int) -> None:
    from tftune.samplers._gp._model import GaussianProcess

    rng = np.random.default_rng(20 + k)
    x = rng.random((25, 3))
    loss = np.column_stack([np.sin(3 * x[:, j]) + x[:, (j + 1) % 3] for j in range(k)])
    y = (loss - loss.mean(axis=0)) / loss.std(axis=0)
    models = []
    for j in range(k):
        model = GaussianProcess(3)
        model.fit(x, np.empty((25, 0), np.int64), y[:, j], max_iterations=10)
        models.append(model)
    samples = mo.normal_qmc_samples(k, 32, seed=k)
    ehvi = mo.HypervolumeImprovement(models, y, samples)
    candidates = rng.random((40, 3))
    no_cat = np.empty((40, 0), np.int64)
    posterior = [m.predict(candidates, no_cat) for m in models]
    mean = np.stack([p[0] for p in posterior], axis=1)
    std = np.stack([p[1] for p in posterior], axis=1)
    plain = _plain_log_ehvi(mean, std, samples, ehvi.lower, ehvi.upper)
    np.testing.assert_allclose(ehvi(candidates, no_cat), plain, atol=1e-9)
