"""scikit-learn style search spaces: scipy.stats and lists onto distributions, grids onto cells."""

from __future__ import annotations

import math

import pytest
import scipy.stats as stats

import tftune
from tftune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tftune.search_space import iter_grid, to_distribution, to_distributions, validate_grid

try:
    from sklearn.model_selection import ParameterGrid
except ImportError:  # pragma: no cover - scikit-learn is installed in the test environment
    ParameterGrid = None


# --- scipy.stats -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "frozen, expected",
    [
        (stats.uniform(0, 1), FloatDistribution(0.0, 1.0)),
        (stats.uniform(loc=-2, scale=5), FloatDistribution(-2.0, 3.0)),
        (stats.uniform(0.25, 0.5), FloatDistribution(0.25, 0.75)),
        (stats.loguniform(1e-4, 1e-1), FloatDistribution(1e-4, 1e-1, log=True)),
        (stats.reciprocal(0.5, 8), FloatDistribution(0.5, 8.0, log=True)),
        (stats.randint(1, 10), IntDistribution(1, 9)),
        (stats.randint(low=-3, high=4), IntDistribution(-3, 3)),
        (stats.randint(0, 1), IntDistribution(0, 0)),
    ],
    ids=[
        "uniform01",
        "uniform-loc-scale",
        "uniform-frac",
        "loguniform",
        "reciprocal",
        "randint",
        "randint-negative",
        "randint-single",
    ],
)
def test_scipy_distributions_map_onto_tftune_distributions(frozen, expected):
    got = to_distribution("p", frozen)
    assert got == expected
    assert type(got.low) is type(expected.low) and type(got.high) is type(expected.high)


def test_randint_excludes_its_high_like_scipy():
    frozen = stats.randint(2, 6)
    d = to_distribution("n", frozen)
    scipy_values = set(frozen.rvs(size=2000, random_state=0).tolist())
    assert scipy_values == {2, 3, 4, 5}
    assert {v for v in range(0, 10) if d.contains(float(v))} == scipy_values


@pytest.mark.parametrize(
    "frozen, kind, detail",
    [
        (stats.norm(0, 1), "norm", "it is unbounded"),
        (stats.expon(), "expon", "it is unbounded"),
        (stats.poisson(3), "poisson", "it is unbounded"),
        (stats.beta(2, 2), "beta", "it is not supported"),
    ],
)
def test_unsupported_scipy_distributions_name_the_parameter(frozen, kind, detail):
    with pytest.raises(
        ValueError,
        match=(
            rf"Parameter 'lr': scipy\.stats\.{kind} cannot be used as a search space "
            rf"\({detail}\)"
        ),
    ):
        to_distribution("lr", frozen)


def test_unsupported_scipy_distribution_in_a_space_names_its_parameter():
    with pytest.raises(ValueError, match=r"Parameter 'noise': scipy\.stats\.norm"):
        to_distributions({"lr": stats.loguniform(1e-3, 1), "noise": stats.norm()})


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_scipy_bounds_tftune_rejects_name_the_parameter():
    with pytest.raises(ValueError, match=r"Parameter 'n': `high` must lie within \+-2\*\*53"):
        to_distribution("n", stats.randint(0, 2**60))
    with pytest.raises(ValueError, match=r"Parameter 'x': `low` must be finite, got nan"):
        to_distribution("x", stats.uniform(-1.7e308, 3.4e308))  # scipy's support: nan to nan


def test_lists_and_tuples_become_categorical():
    assert to_distribution("act", ["relu", "tanh"]) == CategoricalDistribution(["relu", "tanh"])
    assert to_distribution("units", (32, 64, 128)) == CategoricalDistribution([32, 64, 128])
    d = FloatDistribution(0, 1)
    assert to_distribution("x", d) is d


@pytest.mark.parametrize(
    "spec, error, message",
    [
        ([], ValueError, r"Parameter 'x': `choices` must contain at least one element"),
        (
            5,
            TypeError,
            r"Parameter 'x' must be a list of choices, a frozen scipy\.stats distribution "
            r".* got 5",
        ),
        ("abc", TypeError, r"Parameter 'x' must be a list of choices.* got 'abc'"),
        (stats.norm, TypeError, r"Parameter 'x' must be a list of choices"),  # not frozen
    ],
)
def test_bad_specs_name_the_parameter(spec, error, message):
    with pytest.raises(error, match=message):
        to_distribution("x", spec)


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


def test_a_non_primitive_choice_in_a_space_warns_and_is_kept():
    with pytest.warns(
        UserWarning, match=r"^Parameter 'x': .*got \[1, 2\] of type list\. It is used as given"
    ) as record:
        assert to_distribution("x", [[1, 2]]).choices == ([1, 2],)
    assert [w.filename for w in record] == [__file__]


@pytest.mark.parametrize(
    "values",
    [[{"name": "adam"}], [[1, 2]], [_Opaque(), "relu"]],
    ids=["dict", "list", "opaque"],
)
def test_a_non_primitive_grid_value_warns_and_is_kept(values):
    with pytest.warns(
        UserWarning,
        match=r"^Grid parameter 'opt': `choices` should hold only None.*It is used as given",
    ) as record:
        assert validate_grid({"opt": values}) == [{"opt": values}]
    assert {w.filename for w in record} == {__file__}


def test_to_distributions_needs_a_dict():
    with pytest.raises(
        TypeError, match=r"A search space must be a dict of parameter name to values, got \[1, 2\]"
    ):
        to_distributions([1, 2])
    space = {"lr": stats.loguniform(1e-3, 1), "units": [32, 64], "layers": stats.randint(1, 4)}
    assert to_distributions(space) == {
        "lr": FloatDistribution(1e-3, 1.0, log=True),
        "units": CategoricalDistribution([32, 64]),
        "layers": IntDistribution(1, 3),
    }


# --- grids -----------------------------------------------------------------------------------
GRIDS = [
    {"a": [1, 2, 3], "b": ["x", "y"]},
    {"b": [True, False], "a": [0.1, 0.2], "c": [None]},  # keys not in sorted order
    [
        {"kernel": ["linear"], "C": [1, 10]},
        {"kernel": ["rbf"], "gamma": [0.1, 0.01], "C": [1, 10, 100]},
    ],
    [{"z": [1]}, {}],
    {"only": ["one"]},
]


@pytest.mark.parametrize("grid", GRIDS)
def test_iter_grid_matches_sklearn_parameter_grid(grid):
    if ParameterGrid is None:  # pragma: no cover
        pytest.skip("scikit-learn is not installed")
    cells = list(iter_grid(grid))
    expected = list(ParameterGrid(grid))
    assert len(cells) == len(expected)
    assert cells == expected  # same cells, in the same order


@pytest.mark.parametrize("grid", GRIDS)
def test_iter_grid_count_is_the_product_of_the_lengths(grid):
    sub_grids = [grid] if isinstance(grid, dict) else grid
    expected = sum(math.prod(len(v) for v in sub.values()) for sub in sub_grids)
    cells = list(iter_grid(grid))
    assert len(cells) == expected
    for cell in cells:
        assert any(
            set(cell) == set(sub) and all(cell[k] in sub[k] for k in sub) for sub in sub_grids
        )


def test_validate_grid_returns_a_list_of_dicts_of_lists():
    assert validate_grid({"a": (1, 2)}) == [{"a": [1, 2]}]
    assert validate_grid([{"a": [1]}, {"b": ("x",)}]) == [{"a": [1]}, {"b": ["x"]}]


@pytest.mark.parametrize(
    "grid, error, message",
    [
        (
            5,
            TypeError,
            r"`search_space` must be a dict of lists, or a non-empty list of such dicts, got 5",
        ),
        (
            "ab",
            TypeError,
            r"`search_space` must be a dict of lists, or a non-empty list of such dicts, got 'ab'",
        ),
        (
            [],
            TypeError,
            r"`search_space` must be a dict of lists, or a non-empty list of such dicts, got \[\]",
        ),
        ([{"a": [1]}, 3], TypeError, r"`search_space` must be a dict of lists, got 3"),
        ({"lr": "0.1"}, TypeError, r"Grid parameter 'lr' must be a list of values, got '0\.1'"),
        ({"lr": 0.1}, TypeError, r"Grid parameter 'lr' must be a list of values, got 0\.1"),
        (
            {"lr": []},
            ValueError,
            r"Grid parameter 'lr': `choices` must contain at least one element",
        ),
        (
            {"opt": {"name": ["adam"]}},
            TypeError,
            r"Grid parameter 'opt' must be a list of values, got \{'name': \['adam'\]\}",
        ),
        ({1: [1, 2]}, TypeError, r"Grid parameter names must be strings, got 1"),
        ([{"ok": [1]}, {"bad": []}], ValueError, r"Grid parameter 'bad'"),
    ],
)
def test_bad_grids_raise_clear_errors(grid, error, message):
    with pytest.raises(error, match=message):
        validate_grid(grid)
    with pytest.raises(error, match=message):
        list(iter_grid(grid))


# --- trial.suggest_params in a study ---------------------------------------------------------
def test_suggest_params_with_a_mixed_space_in_a_study():
    space = {
        "lr": stats.loguniform(1e-4, 1e-1),
        "dropout": stats.uniform(0.1, 0.4),
        "layers": stats.randint(1, 4),
        "activation": ["relu", "tanh", None],
        "fixed": FloatDistribution(2.0, 2.0),
    }
    seen = []

    def objective(trial):
        params = trial.suggest_params(space)
        seen.append(params)
        assert trial.params == params
        return params["lr"] + params["dropout"]

    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=3))
    study.optimize(objective, n_trials=40)

    assert len(seen) == 40
    for params in seen:
        assert set(params) == set(space)
        assert 1e-4 <= params["lr"] <= 1e-1 and isinstance(params["lr"], float)
        assert 0.1 <= params["dropout"] <= 0.5
        assert params["layers"] in (1, 2, 3) and type(params["layers"]) is int
        assert params["activation"] in ("relu", "tanh", None)
        assert params["fixed"] == 2.0
    assert {p["layers"] for p in seen} == {1, 2, 3}
    assert {p["activation"] for p in seen} == {"relu", "tanh", None}

    stored = study.trials[0]
    assert stored.distributions == {
        "lr": FloatDistribution(1e-4, 1e-1, log=True),
        "dropout": FloatDistribution(0.1, 0.5),
        "layers": IntDistribution(1, 3),
        "activation": CategoricalDistribution(["relu", "tanh", None]),
        "fixed": FloatDistribution(2.0, 2.0),
    }
    assert stored.params == seen[0]


def test_suggest_params_error_names_the_parameter():
    study = tftune.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"Parameter 'noise': scipy\.stats\.norm"):
        trial.suggest_params({"noise": stats.norm()})
    with pytest.raises(TypeError, match=r"Parameter 'units' must be a list of choices"):
        trial.suggest_params({"units": 32})


def test_suggest_params_twice_returns_the_same_values():
    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=0))
    trial = study.ask()
    space = {"lr": stats.loguniform(1e-3, 1), "units": [16, 32]}
    assert trial.suggest_params(space) == trial.suggest_params(space)


def test_grids_take_numpy_arrays_and_scalars_as_plain_values():
    import numpy as np

    grid = {"x": np.linspace(0.0, 1.0, 3), "n": [np.int64(2), 3]}
    cells = list(iter_grid(grid))
    assert cells[0] == {"x": 0.0, "n": 2} and len(cells) == 6
    assert all(type(cell["x"]) is float and type(cell["n"]) is int for cell in cells)
    with pytest.raises(TypeError, match=r"must be 1-D, got an array of shape \(2, 2\)"):
        validate_grid({"x": np.zeros((2, 2))})
