"""Parameter importances: the driving parameter wins, conditional ones as in Optuna."""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pytest

import tftune
from tftune.importance import (
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)
from tftune.importance._fanova import tree_main_effects

EVALUATORS = [
    PedAnovaImportanceEvaluator(),
    FanovaImportanceEvaluator(n_trees=16, seed=0),
    MeanDecreaseImpurityImportanceEvaluator(n_trees=16, seed=0),
]
IDS = ["ped-anova", "fanova", "mdi"]


def random_study(objective, n_trials, directions=("minimize",)):
    study = tftune.create_study(
        directions=list(directions), sampler=tftune.samplers.RandomSampler(seed=1)
    )
    study.optimize(objective, n_trials=n_trials)
    return study


def driven(trial):
    x = trial.suggest_float("x", -1, 1)
    trial.suggest_float("noise", -1, 1)
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    trial.suggest_categorical("kind", ["a", 1, 2.5, None, True])  # mixed types
    return x * x


@pytest.fixture(scope="module")
def study():
    return random_study(driven, 200)


@pytest.mark.parametrize("evaluator", EVALUATORS, ids=IDS)
def test_the_driving_parameter_is_clearly_the_most_important(study, evaluator):
    importances = get_param_importances(study, evaluator=evaluator)
    assert list(importances)[0] == "x"
    assert importances["x"] > 0.6
    assert set(importances) == {"x", "noise", "lr", "kind"}
    assert sum(importances.values()) == pytest.approx(1.0)
    assert list(importances.values()) == sorted(importances.values(), reverse=True)


@pytest.mark.parametrize("evaluator", EVALUATORS, ids=IDS)
def test_a_seed_makes_it_repeatable_and_params_restrict_it(study, evaluator):
    first = get_param_importances(study, evaluator=evaluator, normalize=False)
    assert get_param_importances(study, evaluator=evaluator, normalize=False) == first
    only = get_param_importances(study, evaluator=evaluator, params=["noise", "x"])
    assert set(only) == {"noise", "x"} and list(only)[0] == "x"


def test_maximizing_looks_at_the_largest_values():
    # PED-ANOVA compares the best trials with all: which ones are best depends on the direction
    def peaked(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.suggest_float("y", 0, 1)
        return -abs(x - 0.5)  # the largest values all have x near 0.5

    study = random_study(peaked, 200, directions=("maximize",))
    importances = get_param_importances(study)
    assert list(importances)[0] == "x" and importances["x"] > 0.8


def conditional(trial):
    if trial.suggest_categorical("model", ["linear", "tree"]) == "tree":
        depth = trial.suggest_int("depth", 1, 10)
        return depth / 10.0  # shallow trees are the best trials
    trial.suggest_float("alpha", 0, 1)  # the linear model's parameter does not matter
    return 1.0 + 0.01 * (trial.number % 3)


def test_ped_anova_judges_conditional_parameters_too():
    study = random_study(conditional, 120)
    importances = get_param_importances(study, evaluator=EVALUATORS[0])
    assert set(importances) == {"model", "depth", "alpha"}
    # the branch counts for `model`, the tree's depth within it; the linear `alpha` is noise
    assert importances["alpha"] < 0.1
    assert importances["depth"] > 0.1 and importances["model"] > 0.1


@pytest.mark.parametrize("evaluator", EVALUATORS[1:], ids=IDS[1:])
def test_forests_judge_the_shared_parameters_by_default(evaluator):
    study = random_study(conditional, 60)
    importances = get_param_importances(study, evaluator=evaluator)
    assert set(importances) == {"model"}  # as Optuna's: the intersection search space


@pytest.mark.parametrize("evaluator", EVALUATORS[1:], ids=IDS[1:])
def test_forests_judge_a_named_conditional_parameter_on_the_trials_that_have_it(evaluator):
    study = random_study(conditional, 60)
    importances = get_param_importances(study, evaluator=evaluator, params=["depth"])
    assert list(importances) == ["depth"] and importances["depth"] == pytest.approx(1.0)


@pytest.mark.parametrize("evaluator", EVALUATORS[1:], ids=IDS[1:])
def test_forests_refuse_named_parameters_of_a_dynamic_space(evaluator):
    study = random_study(lambda t: t.suggest_float("x", 0.1, t.number + 0.1) ** 2, 3)
    with pytest.raises(
        ValueError,
        match=r"cannot be assessed on a dynamic search space when `params` is given: 'x' is "
        r"FloatDistribution\(low=0\.1, high=0\.1.*in trial #0 but .*high=1\.1.* in trial #1",
    ):
        get_param_importances(study, evaluator=evaluator, params=["x"])


@pytest.mark.parametrize("evaluator", EVALUATORS[1:], ids=IDS[1:])
def test_forests_need_a_target_for_several_objectives(evaluator):
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        return x, y

    study = random_study(objective, 60, directions=("minimize", "minimize"))
    with pytest.raises(ValueError, match=r"has 2 objectives: pass `target`"):
        get_param_importances(study, evaluator=evaluator)
    second = get_param_importances(study, evaluator=evaluator, target=lambda t: t.values[1])
    assert list(second)[0] == "y"


def test_ped_anova_judges_what_reaches_the_pareto_front_without_a_target():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        trial.suggest_float("noise", 0, 1)
        return x, (1 - x) + 3 * y  # the front is y = 0, along all of x

    study = random_study(objective, 300, directions=("minimize", "minimize"))
    importances = get_param_importances(study)
    assert list(importances)[0] == "y" and importances["y"] > 0.9
    second = get_param_importances(study, target=lambda t: t.values[0])
    assert list(second)[0] == "x"


def test_empty_one_trial_and_single_valued_studies(caplog):
    empty = tftune.create_study()
    assert get_param_importances(empty) == {}  # as Optuna answers
    with pytest.raises(ValueError, match="`params` names 'x', which no complete trial has"):
        get_param_importances(empty, params=["x"])
    one = random_study(driven, 1)
    with caplog.at_level(logging.WARNING, logger="tftune"):
        for evaluator in EVALUATORS:
            assert get_param_importances(
                one, evaluator=evaluator, normalize=False
            ) == dict.fromkeys(["kind", "lr", "noise", "x"], 0.0)
            # normalized, no parameter stands out: equal shares, as Optuna's
            assert get_param_importances(one, evaluator=evaluator) == dict.fromkeys(
                ["kind", "lr", "noise", "x"], 0.25
            )
    assert "needs at least 2 complete trials" in caplog.text

    def fixed(trial):
        trial.suggest_categorical("only", ["one"])
        return trial.suggest_float("x", 0, 1)

    study = random_study(fixed, 40)
    for evaluator in EVALUATORS:
        importances = get_param_importances(study, evaluator=evaluator)
        assert importances["only"] == 0.0 and importances["x"] == pytest.approx(1.0)


def test_bad_arguments_are_named(study):
    with pytest.raises(ValueError, match=r"`params` names 'nope', which no complete trial has"):
        get_param_importances(study, params=["x", "nope"])
    with pytest.raises(ValueError, match=r"`target_quantile` must be a number in \(0, 1\], got 0"):
        PedAnovaImportanceEvaluator(target_quantile=0)
    with pytest.raises(
        ValueError, match="`target_quantile` must be smaller than `region_quantile`"
    ):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.5)
    with pytest.raises(ValueError, match="`n_trees` must be a positive int, got 0"):
        FanovaImportanceEvaluator(n_trees=0)
    with pytest.raises(TypeError, match="`seed` must be an int or None, got 'a'"):
        MeanDecreaseImpurityImportanceEvaluator(seed="a")
    with pytest.raises(TypeError, match="`evaluator` must be a BaseImportanceEvaluator"):
        get_param_importances(study, evaluator="fanova")
    assert PedAnovaImportanceEvaluator(baseline_quantile=0.2).target_quantile == 0.2


def test_fanova_splits_the_variance_of_a_tree_exactly():
    from sklearn.tree import DecisionTreeRegressor

    # f = 1 * [x > 0.5] + 2 * [y > 0.5] on the unit square: variances 1/4 and 4/4, no interaction
    grid = (np.arange(20) + 0.5) / 20
    x, y = (axis.ravel() for axis in np.meshgrid(grid, grid))
    f = (x > 0.5) + 2.0 * (y > 0.5)
    tree = DecisionTreeRegressor().fit(np.column_stack((x, y)), f).tree_
    shares = tree_main_effects(tree, np.zeros(2), np.ones(2))
    assert shares == pytest.approx([0.2, 0.8])


def test_the_default_needs_no_scikit_learn():
    code = (
        "import sys, tftune\n"
        "from tftune.importance import get_param_importances\n"
        "s = tftune.create_study()\n"
        "s.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=5)\n"
        "get_param_importances(s)\n"
        "print('sklearn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ped_anova_weights_a_branch_by_how_often_the_best_trials_take_it():
    def objective(trial):
        if trial.suggest_categorical("model", ["good", "bad"]) == "bad":
            return 10.0 + trial.suggest_float("p", 0, 1)  # matters within a branch never best
        return trial.suggest_float("x", 0, 1)

    study = random_study(objective, 200)
    importances = get_param_importances(study, normalize=False)
    assert importances["p"] == 0.0 and importances["model"] > 0 and importances["x"] > 0
    uniform = PedAnovaImportanceEvaluator(evaluate_on_local=False)
    assert list(get_param_importances(study, evaluator=uniform))[-1] == "p"
