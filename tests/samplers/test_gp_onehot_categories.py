"""The GP's one-hot categorical kernel (one lengthscale per choice) beside the Hamming one."""

from __future__ import annotations

import numpy as np
import pytest

import tftune
from tftune.samplers import GPSampler
from tftune.samplers._gp._model import GaussianProcess


def _data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One 4-way categorical: choice 0 is far worse than choices 1-3, which are alike."""
    x_cat = rng.integers(4, size=(n, 1))
    x_num = rng.uniform(size=(n, 1))
    y = np.where(x_cat[:, 0] == 0, 3.0, 0.0) + 0.1 * x_cat[:, 0] + 0.2 * x_num[:, 0]
    return x_num, x_cat, (y - y.mean()) / y.std()


def test_onehot_inputs_have_one_lengthscale_per_choice_of_3_or_more():
    # 1 number, a 4-way categorical (4 one-hot inputs), a 2-way one (stays Hamming), a 3-way
    model = GaussianProcess(4, category_sizes=[4, 2, 3])
    assert model.n_kernel_dims == 1 + 4 + 3 + 1
    assert len(model.theta) == model.n_kernel_dims + 2
    x_num = np.array([[0.5], [0.25]])
    x_cat = np.array([[2, 1, 0], [0, 0, 2]])
    onehot, rest = model._inputs(x_num, x_cat)
    assert onehot.tolist() == [[0.5, 0, 0, 1, 0, 1, 0, 0], [0.25, 1, 0, 0, 0, 0, 0, 1]]
    assert rest.tolist() == [[1], [0]]  # the 2-way categorical, as a choice index
    # the one-hot lengthscales start sqrt(2) longer: a mismatch costs what Hamming's does
    assert np.allclose(np.exp(model.theta[1:8]), 0.5 * np.sqrt(2))
    assert np.allclose(np.exp(model.theta[[0, 8]]), 0.5)


def test_two_choice_categoricals_keep_the_hamming_model():
    model = GaussianProcess(3, category_sizes=[2, 2])
    x_num, x_cat = np.array([[0.1]]), np.array([[1, 0]])
    same_num, same_cat = model._inputs(x_num, x_cat)
    assert model.n_kernel_dims == 3 and same_num is x_num and same_cat is x_cat


def test_without_sizes_the_model_is_the_hamming_one():
    rng = np.random.default_rng(0)
    x_num, x_cat, y = _data(rng, 30)
    hamming = GaussianProcess(2)
    hamming.fit(x_num, x_cat, y)
    again = GaussianProcess(2, category_sizes=None)
    again.fit(x_num, x_cat, y)
    assert np.array_equal(hamming.theta, again.theta)
    assert len(hamming.theta) == 4


def test_onehot_learns_which_choice_stands_apart():
    rng = np.random.default_rng(1)
    x_num, x_cat, y = _data(rng, 40)
    model = GaussianProcess(2, category_sizes=[4])
    model.fit(x_num, x_cat, y)
    log_l = model.theta[1:5]  # lengthscales of choices 0..3
    assert log_l[0] < log_l[1:].min()  # the odd choice has the shortest lengthscale
    mean, sd = model.predict(np.full((4, 1), 0.5), np.arange(4)[:, None])
    assert np.argmax(mean) == 0
    assert np.all(sd > 0)


def test_gp_sampler_with_onehot_kernel_finds_the_good_choice():
    def objective(trial: tftune.Trial) -> float:
        c = trial.suggest_categorical("c", ["bad", "ok", "good", "fine"])
        x = trial.suggest_float("x", -1.0, 1.0)
        return {"bad": 5.0, "ok": 1.0, "good": 0.0, "fine": 0.5}[c] + x * x

    sampler = GPSampler(seed=0, n_startup_trials=5)  # "onehot" is the default
    assert sampler.categorical_kernel == "onehot"
    study = tftune.create_study(sampler=sampler)
    study.optimize(objective, n_trials=25)
    assert study.best_params["c"] == "good"
    late = [t.params["c"] for t in study.trials[15:]]
    assert late.count("bad") <= 1


def test_unknown_categorical_kernel_is_refused():
    expected = r"`categorical_kernel` must be 'hamming' or 'onehot', got 'rbf'"
    with pytest.raises(ValueError, match=expected):
        GPSampler(categorical_kernel="rbf")


def test_an_unconditioned_copy_keeps_the_onehot_kernel_and_its_fit():
    rng = np.random.default_rng(2)
    x_num, x_cat, y = _data(rng, 30)
    model = GaussianProcess(2, category_sizes=[4])
    model.fit(x_num, x_cat, y)
    copy = model.unconditioned()
    assert (copy.n_inputs, copy.n_kernel_dims, copy.sizes) == (2, 5, (4,))
    assert np.array_equal(copy.theta, model.theta)
    copy.condition(x_num, x_cat, y)
    assert np.allclose(copy.predict(x_num, x_cat)[0], model.predict(x_num, x_cat)[0])


def test_constraint_gps_use_the_objectives_categorical_kernel():
    from tftune.samplers._gp._feasibility import Feasibility

    rng = np.random.default_rng(3)
    x_num, x_cat, y = _data(rng, 20)
    constraints = (x_cat == 0).astype(float) - 0.5
    onehot = Feasibility(x_num, x_cat, y, constraints, category_sizes=[4])
    hamming = Feasibility(x_num, x_cat, y, constraints)
    assert [m.n_kernel_dims for m in onehot.constraint_models] == [5]
    assert [m.n_kernel_dims for m in hamming.constraint_models] == [2]
