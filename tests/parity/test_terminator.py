"""optuna.terminator: the classes, defaults and examples of Optuna's terminator documentation,
with the import changed."""

from __future__ import annotations

import inspect

import pytest

import tftune as optuna
from tftune.terminator import (
    BestValueStagnationEvaluator,
    EMMREvaluator,
    MedianErrorEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    Terminator,
    TerminatorCallback,
    report_cross_validation_scores,
)

OPTUNA_NAMES = [
    "BaseErrorEvaluator",
    "BaseImprovementEvaluator",
    "BaseTerminator",
    "BestValueStagnationEvaluator",
    "CrossValidationErrorEvaluator",
    "EMMREvaluator",
    "MedianErrorEvaluator",
    "RegretBoundEvaluator",
    "StaticErrorEvaluator",
    "Terminator",
    "TerminatorCallback",
    "report_cross_validation_scores",
]


def _defaults(callable_):
    return {n: p.default for n, p in inspect.signature(callable_).parameters.items()}


def test_public_names_and_documented_defaults():
    assert set(OPTUNA_NAMES) == set(optuna.terminator.__all__)
    assert _defaults(Terminator) == {
        "improvement_evaluator": None,
        "error_evaluator": None,
        "min_n_trials": 20,
    }
    assert _defaults(RegretBoundEvaluator) == {
        "top_trials_ratio": 0.5,
        "min_n_trials": 20,
        "seed": None,
    }
    assert _defaults(BestValueStagnationEvaluator) == {"max_stagnation_trials": 30}
    assert _defaults(EMMREvaluator) == {
        "deterministic_objective": False,
        "delta": 0.1,
        "min_n_trials": 2,
        "seed": None,
    }
    assert list(_defaults(MedianErrorEvaluator)) == [
        "paired_improvement_evaluator",
        "warm_up_trials",
        "n_initial_trials",
        "threshold_ratio",
    ]
    assert _defaults(optuna.visualization.plot_terminator_improvement) == {
        "study": inspect.Parameter.empty,
        "plot_error": False,
        "improvement_evaluator": None,
        "error_evaluator": None,
        "min_n_trials": 20,
    }


def test_the_documented_cross_validation_example():
    # Optuna's example: a random forest on the wine data, 5-fold scores reported each trial.
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import KFold, cross_val_score

    x, y = load_wine(return_X_y=True)

    def objective(trial):
        clf = RandomForestClassifier(
            n_estimators=5,
            max_depth=trial.suggest_int("max_depth", 2, 32),
            min_samples_split=trial.suggest_float("min_samples_split", 0, 1),
            criterion=trial.suggest_categorical("criterion", ("gini", "entropy")),
            random_state=0,
        )
        scores = cross_val_score(clf, x, y, cv=KFold(n_splits=5, shuffle=True, random_state=0))
        report_cross_validation_scores(trial, scores)  # a NumPy array, as in the example
        return scores.mean()

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    terminator = Terminator(RegretBoundEvaluator(seed=0))
    study.optimize(objective, n_trials=24, callbacks=[TerminatorCallback(terminator)])
    assert len(study.trials) >= 20  # never before min_n_trials
    assert all(len(t.system_attrs["terminator:cv_scores"]) == 5 for t in study.trials)
    figure = optuna.visualization.plot_terminator_improvement(study, plot_error=True)
    assert [t.name for t in figure.data][-1] == "Error"


def test_the_documented_emmr_pairing_and_stagnation_default():
    terminator = Terminator(
        improvement_evaluator=EMMREvaluator(),
        error_evaluator=MedianErrorEvaluator(EMMREvaluator()),
        min_n_trials=50,
    )
    study = optuna.create_study()
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
    assert terminator.should_terminate(study) is False  # fewer than min_n_trials
    # BestValueStagnationEvaluator's error is StaticErrorEvaluator(0): stop after 30 stagnant
    stagnation = Terminator(BestValueStagnationEvaluator(), min_n_trials=1)
    flat = optuna.create_study()
    flat.optimize(lambda t: 1.0, n_trials=31, callbacks=[TerminatorCallback(stagnation)])
    assert len(flat.trials) == 31
    flat.optimize(lambda t: 1.0, n_trials=5, callbacks=[TerminatorCallback(stagnation)])
    assert len(flat.trials) == 32  # the 31st stagnant trial after the best stops it
    assert StaticErrorEvaluator(0).evaluate(flat.trials, flat.direction) == 0


def test_min_n_trials_must_be_positive():
    with pytest.raises(ValueError, match="min_n_trials"):
        Terminator(min_n_trials=0)


def test_loaded_lazily():
    import subprocess
    import sys

    code = (
        "import sys, tftune as optuna; before = 'tftune.terminator' in sys.modules; "
        "optuna.terminator.Terminator; "
        "print(before, 'tftune.terminator' in sys.modules, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "False"]
