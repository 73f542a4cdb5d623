"""StudySearchCV: the scikit-learn search contract, driven by tftune samplers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RandomizedSearchCV

import tftune
from tftune.sklearn import StudySearchCV
from tftune.trial import TrialState

SPACE = {"C": loguniform(1e-3, 1e2), "fit_intercept": [True, False]}


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_cv_results_have_scikit_learns_format(iris):
    x, y = iris
    ours = StudySearchCV(
        LogisticRegression(max_iter=300),
        SPACE,
        n_trials=5,
        cv=3,
        random_state=0,
        return_train_score=True,
    ).fit(x, y)
    theirs = RandomizedSearchCV(
        LogisticRegression(max_iter=300),
        SPACE,
        n_iter=5,
        cv=3,
        random_state=0,
        return_train_score=True,
    ).fit(x, y)
    assert set(theirs.cv_results_) <= set(ours.cv_results_)
    results = ours.cv_results_
    assert len(results["params"]) == 5
    assert results["rank_test_score"][ours.best_index_] == 1
    assert ours.best_score_ == pytest.approx(max(results["mean_test_score"]))
    assert ours.best_params_ == results["params"][ours.best_index_]
    split_means = np.mean([results[f"split{k}_test_score"] for k in range(3)], axis=0)
    np.testing.assert_allclose(split_means, results["mean_test_score"])
    assert ours.n_splits_ == 3
    assert ours.best_params_["C"] == ours.best_estimator_.C
    assert ours.score(x, y) == ours.best_estimator_.score(x, y)
    assert ours.predict(x).shape == (150,) and ours.predict_proba(x).shape == (150, 3)


def test_several_metrics_rank_by_refit(iris):
    x, y = iris
    search = StudySearchCV(
        LogisticRegression(max_iter=300),
        {"C": loguniform(1e-3, 1e2)},
        n_trials=3,
        cv=2,
        scoring=["accuracy", "f1_macro"],
        refit="f1_macro",
        random_state=0,
    ).fit(x, y)
    assert search.best_score_ == pytest.approx(max(search.cv_results_["mean_test_f1_macro"]))
    assert "rank_test_accuracy" in search.cv_results_
    with pytest.raises(
        ValueError,
        match=(
            r"`refit` must name the one that ranks candidates "
            r"\(one of \['accuracy', 'f1_macro'\]\), got True"
        ),
    ):
        StudySearchCV(LogisticRegression(), {"C": [1.0]}, scoring=["accuracy", "f1_macro"]).fit(
            x, y
        )


def test_grid_sampler_searches_exhaustively(iris):
    x, y = iris
    grid = {"C": [0.01, 0.1, 1.0], "fit_intercept": [True, False]}
    search = StudySearchCV(
        LogisticRegression(max_iter=300),
        grid,
        sampler=tftune.samplers.GridSampler(grid),
        n_trials=100,
        cv=2,
    ).fit(x, y)
    assert sorted((p["C"], p["fit_intercept"]) for p in search.cv_results_["params"]) == sorted(
        (c, f) for c in grid["C"] for f in grid["fit_intercept"]
    )


class CountingLogisticRegression(LogisticRegression):
    fits = 0

    def fit(self, X, y, sample_weight=None):
        CountingLogisticRegression.fits += 1
        return super().fit(X, y, sample_weight)


def test_a_stored_search_resumes_without_refitting_finished_candidates(iris, sqlite_url):
    x, y = iris
    first = StudySearchCV(
        CountingLogisticRegression(max_iter=300),
        SPACE,
        n_trials=3,
        cv=2,
        random_state=0,
        storage=sqlite_url,
        study_name="resume",
        refit=False,
    ).fit(x, y)
    CountingLogisticRegression.fits = 0
    second = StudySearchCV(
        CountingLogisticRegression(max_iter=300),
        SPACE,
        n_trials=5,
        cv=2,
        random_state=0,
        storage=sqlite_url,
        study_name="resume",
        refit=False,
    ).fit(x, y)
    assert CountingLogisticRegression.fits == 2 * 2  # two new candidates, two folds each
    assert second.cv_results_["params"][:3] == first.cv_results_["params"]
    assert list(second.cv_results_["trial_number"]) == [0, 1, 2, 3, 4]
    study = tftune.load_study("resume", sqlite_url)
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_trials": 0}, r"`n_trials` must be a positive int, got 0"),
        ({"param_distributions": {}}, r"`param_distributions` must be a non-empty dict"),
        (
            {"param_distributions": {"C": "big"}},
            r"Parameter 'C' must be a list of choices, a frozen scipy.stats",
        ),
    ],
)
def test_bad_arguments_are_explained(iris, kwargs, message):
    x, y = iris
    arguments = {"param_distributions": SPACE} | kwargs
    with pytest.raises((ValueError, TypeError), match=message):
        StudySearchCV(LogisticRegression(), **arguments).fit(x, y)
