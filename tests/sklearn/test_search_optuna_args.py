"""StudySearchCV with Optuna's OptunaSearchCV arguments: study=, enable_pruning/max_iter,
subsample, callbacks and catch, and the attributes Optuna's estimator has."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.neighbors import KNeighborsClassifier

import tftune
from tftune.sklearn import StudySearchCV
from tftune.trial import TrialState


@pytest.fixture(scope="module")
def binary():
    """Two separable blobs: SGD learns them at a small alpha, not at a huge one."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(-2.0, 1.0, (30, 2)), rng.normal(2.0, 1.0, (30, 2))])
    y = np.array([0] * 30 + [1] * 30)
    return x, y


def _sgd():
    return SGDClassifier(random_state=0)


def test_candidates_run_in_the_given_study(binary):
    study = tftune.create_study(direction="maximize", study_name="given")
    search = StudySearchCV(
        LogisticRegression(), {"C": [0.1, 1.0]}, n_trials=3, cv=2, study=study
    ).fit(*binary)
    assert search.study_ is study and len(study.trials) == 3
    assert search.n_trials_ == 3 and search.trials_[0].number == 0
    assert search.best_trial_.params == search.best_params_
    assert search.best_trial_.value == pytest.approx(search.best_score_)


def test_the_given_study_must_maximize_and_stand_alone(binary):
    minimizing = tftune.create_study(direction="minimize")
    with pytest.raises(
        ValueError,
        match=r"`study` must have the single direction 'maximize'.*"
        r"\['minimize'\]",
    ):
        StudySearchCV(LogisticRegression(), {"C": [1.0]}, study=minimizing).fit(*binary)
    study = tftune.create_study(direction="maximize")
    with pytest.raises(ValueError, match=r"\['study_name'\] would be ignored"):
        StudySearchCV(LogisticRegression(), {"C": [1.0]}, study=study, study_name="other").fit(
            *binary
        )
    with pytest.raises(TypeError, match=r"`study` must be a tftune Study or None, got 'x'"):
        StudySearchCV(LogisticRegression(), {"C": [1.0]}, study="x").fit(*binary)


def test_pruning_stops_bad_candidates_after_their_first_step(binary):
    study = tftune.create_study(
        direction="maximize",
        sampler=tftune.samplers.GridSampler({"alpha": [1e-4, 30.0]}, seed=0),
        pruner=tftune.pruners.ThresholdPruner(lower=0.8),
    )
    search = StudySearchCV(
        _sgd(),
        {"alpha": [1e-4, 30.0]},
        n_trials=2,
        cv=3,
        study=study,
        enable_pruning=True,
        max_iter=4,
    ).fit(*binary)
    by_alpha = {t.params["alpha"]: t for t in study.trials}
    good, bad = by_alpha[1e-4], by_alpha[30.0]
    assert good.state == TrialState.COMPLETE and sorted(good.intermediate_values) == [0, 1, 2, 3]
    assert good.value == pytest.approx(good.intermediate_values[3])
    assert bad.state == TrialState.PRUNED and sorted(bad.intermediate_values) == [0]
    assert bad.intermediate_values[0] < 0.8
    # Only finished candidates are ranked; the refit trains on all rows with fit().
    assert search.cv_results_["params"] == [{"alpha": 1e-4}]
    assert search.best_estimator_.score(*binary) > 0.9


def test_pruning_reports_the_mean_of_the_refit_metric(binary):
    study = tftune.create_study(direction="maximize")
    StudySearchCV(
        _sgd(),
        {"alpha": [1e-4]},
        n_trials=1,
        cv=2,
        study=study,
        enable_pruning=True,
        max_iter=2,
        scoring={"acc": "accuracy", "bal": "balanced_accuracy"},
        refit="bal",
        return_train_score=True,
    ).fit(*binary)
    trial = study.trials[0]
    stored = trial.user_attrs["cv_results"]
    assert set(stored) == {
        "fit_time",
        "score_time",
        "test_acc",
        "test_bal",
        "train_acc",
        "train_bal",
    }
    assert trial.value == pytest.approx(np.mean(stored["test_bal"]))
    assert trial.intermediate_values[1] == pytest.approx(trial.value)


def test_pruning_needs_partial_fit(binary):
    with pytest.raises(ValueError, match=r"LogisticRegression has no partial_fit method"):
        StudySearchCV(LogisticRegression(), {"C": [1.0]}, enable_pruning=True).fit(*binary)
    with pytest.raises(ValueError, match=r"`max_iter` must be a positive int, got 0"):
        StudySearchCV(_sgd(), {"alpha": [1.0]}, enable_pruning=True, max_iter=0).fit(*binary)
    with pytest.raises(TypeError, match=r"`enable_pruning` must be True or False, got 'yes'"):
        StudySearchCV(_sgd(), {"alpha": [1.0]}, enable_pruning="yes").fit(*binary)


def test_a_failing_partial_fit_scores_error_score(binary):
    with pytest.warns(FitFailedWarning, match=r"partial_fit failed.*error_score=-1.0"):
        search = StudySearchCV(
            _sgd(),
            {"loss": ["no-such-loss"]},
            n_trials=1,
            cv=2,
            enable_pruning=True,
            max_iter=2,
            error_score=-1.0,
            refit=False,
        ).fit(*binary)
    assert search.best_score_ == -1.0
    with pytest.raises(ValueError, match=r"loss"):
        StudySearchCV(
            _sgd(),
            {"loss": ["no-such-loss"]},
            n_trials=1,
            cv=2,
            enable_pruning=True,
            error_score="raise",
        ).fit(*binary)


def test_subsample_searches_on_some_rows_and_refits_on_all():
    x, y = load_iris(return_X_y=True)
    search = StudySearchCV(
        KNeighborsClassifier(),
        {"n_neighbors": [1, 3]},
        n_trials=2,
        cv=5,
        subsample=0.2,
        random_state=0,
    ).fit(x, y)
    assert len(search.sample_indices_) == 30
    assert len(set(search.sample_indices_)) == 30
    assert list(search.sample_indices_) == sorted(search.sample_indices_)
    # Five folds of 30 rows: six test rows each, so every fold score is a multiple of 1/6.
    scores = np.array([search.cv_results_[f"split{k}_test_score"] for k in range(5)])
    assert np.allclose(np.round(scores * 6), scores * 6)
    assert search.best_estimator_.n_samples_fit_ == 150
    counted = StudySearchCV(
        KNeighborsClassifier(), {"n_neighbors": [1]}, n_trials=1, cv=2, subsample=10
    ).fit(x, y)
    assert len(counted.sample_indices_) == 10


def test_subsample_cuts_per_row_fit_parameters():
    x, y = load_iris(return_X_y=True)
    weights = np.linspace(0.5, 1.5, len(y))
    search = StudySearchCV(
        _sgd(), {"alpha": [1e-3]}, n_trials=1, cv=2, subsample=40, random_state=1
    ).fit(x, y, sample_weight=weights)
    assert len(search.sample_indices_) == 40 and search.best_estimator_.n_features_in_ == 4


@pytest.mark.parametrize(
    ("subsample", "error", "message"),
    [
        (0.0, ValueError, r"`subsample` as a fraction must be in \(0, 1\], got 0.0"),
        (1.5, ValueError, r"`subsample` as a fraction must be in \(0, 1\], got 1.5"),
        (0, ValueError, r"`subsample` as a number of rows must be in \[1, 60\].*got 0"),
        (61, ValueError, r"`subsample` as a number of rows must be in \[1, 60\].*got 61"),
        ("half", TypeError, r"`subsample` must be a float in \(0, 1\] or an int, got 'half'"),
    ],
)
def test_bad_subsample_is_explained(binary, subsample, error, message):
    with pytest.raises(error, match=message):
        StudySearchCV(LogisticRegression(), {"C": [1.0]}, subsample=subsample).fit(*binary)


def test_callbacks_catch_and_the_study_attributes(binary):
    seen = []

    def boom(trial):
        raise RuntimeError("fold failed")

    class Exploding(LogisticRegression):
        def fit(self, X, y, **kwargs):
            if self.C > 5:
                raise KeyError("too big")
            return super().fit(X, y, **kwargs)

    search = StudySearchCV(
        Exploding(),
        {"C": [0.5, 10.0]},
        n_trials=6,
        cv=2,
        random_state=0,
        error_score="raise",
        callbacks=[lambda study, trial: seen.append(trial.state)],
        catch=(KeyError,),
    ).fit(*binary)
    assert len(seen) == 6
    assert TrialState.FAIL in seen and TrialState.COMPLETE in seen
    assert all(t.params["C"] == 0.5 for t in search.trials_ if t.state == TrialState.COMPLETE)
    search.set_user_attr("note", "first run")
    assert search.user_attrs_ == {"note": "first run"}
    frame = search.trials_dataframe()
    assert len(frame) == 6 and "params_C" in frame.columns
    del boom


def test_fold_scores_feed_the_terminators_cross_validation_error(binary):
    from tftune.terminator import CrossValidationErrorEvaluator

    search = StudySearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_trials=3, cv=3)
    search.fit(*binary)
    trials = search.study_.get_trials(states=(TrialState.COMPLETE,))
    error = CrossValidationErrorEvaluator().evaluate(trials, search.study_.direction)
    assert np.isfinite(error) and error >= 0.0
    nan_scores = StudySearchCV(
        LogisticRegression(), {"C": [1.0]}, n_trials=1, cv=2, scoring=lambda e, x, y: np.nan
    )
    with (
        pytest.warns(UserWarning, match=r"Failed to report cross validation scores"),
        pytest.raises(ValueError, match=r"No candidate finished"),
    ):
        nan_scores.fit(*binary)
