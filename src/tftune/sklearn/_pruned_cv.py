"""Cross-validation that a pruner can stop: ``partial_fit`` step by step, every fold at a time.

At each of ``max_iter`` steps every fold's estimator takes one ``partial_fit`` call on its
training rows and is scored on its test rows; the mean score of the ranking metric is reported
to the trial, and the trial is pruned as soon as its pruner says so. The result has the layout
of scikit-learn's ``cross_validate``, so a finished candidate is stored like any other.
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Mapping
from numbers import Number
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring

from tftune.exceptions import TrialPruned
from tftune.trial import Trial


def rows(data: Any, index: np.ndarray) -> Any:
    """The rows ``index`` of an array, sparse matrix, DataFrame/Series or list."""
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[index]
    if isinstance(data, list | tuple):
        return [data[i] for i in index]
    return data[index]


def check_partial_fit(estimator: Any) -> None:
    """ValueError unless ``estimator`` can be trained step by step (``enable_pruning=True``)."""
    if not callable(getattr(estimator, "partial_fit", None)):
        raise ValueError(
            "`enable_pruning=True` trains each candidate step by step with `partial_fit`, and "
            f"{type(estimator).__name__} has no partial_fit method; use an estimator that has "
            "one (SGDClassifier, MLPClassifier, tftune's KerasClassifier) or enable_pruning=False."
        )


class _Scorer:
    """Scores of a fitted estimator on some rows, by metric name (``"score"`` for one metric)."""

    def __init__(self, estimator: Any, scoring: Any, multimetric: bool) -> None:
        self.multimetric = multimetric
        self.function = check_scoring(estimator, scoring)

    def __call__(self, estimator: Any, x: Any, y: Any) -> dict[str, float]:
        result = self.function(estimator, x, y)
        if self.multimetric:
            assert isinstance(result, Mapping)
            return {name: float(value) for name, value in result.items()}
        return {"score": float(result)}


def cross_validate_with_pruning(
    trial: Trial,
    estimator: Any,
    x: Any,
    y: Any,
    *,
    cv: Any,
    scoring: Any,
    multimetric: bool,
    metrics: list[str],
    metric: str,
    max_iter: int,
    error_score: Any,
    return_train_score: bool,
    fit_params: Mapping[str, Any],
) -> dict[str, list[float]]:
    """``cross_validate``'s result for ``estimator`` after ``max_iter`` partial fits per fold;
    raises TrialPruned (after reporting) when the trial's pruner stops it earlier."""
    splits = list(cv.split(x, y))
    folds = [clone(estimator) for _ in splits]
    scorer = _Scorer(estimator, scoring, multimetric)
    fit_times = [0.0] * len(splits)
    score_times = [0.0] * len(splits)
    extra = _partial_fit_arguments(estimator, y)
    test: list[dict[str, float]] = []
    train: list[dict[str, float]] = []
    for step in range(max_iter):
        test, train = [], []
        for k, (train_rows, test_rows) in enumerate(splits):
            started = time.perf_counter()
            try:
                folds[k].partial_fit(
                    rows(x, train_rows), rows(y, train_rows), **extra, **fit_params
                )
            except Exception as error:
                return _failed(error, error_score, metrics, len(splits), return_train_score)
            fit_times[k] += time.perf_counter() - started
            started = time.perf_counter()
            test.append(scorer(folds[k], rows(x, test_rows), rows(y, test_rows)))
            if return_train_score:
                train.append(scorer(folds[k], rows(x, train_rows), rows(y, train_rows)))
            score_times[k] += time.perf_counter() - started
        trial.report(float(np.mean([scores[metric] for scores in test])), step)
        if trial.should_prune():
            raise TrialPruned(f"Pruned after {step + 1} of {max_iter} partial_fit steps.")
    result: dict[str, list[float]] = {"fit_time": fit_times, "score_time": score_times}
    for name in test[0]:
        result[f"test_{name}"] = [scores[name] for scores in test]
        if return_train_score:
            result[f"train_{name}"] = [scores[name] for scores in train]
    return result


def _partial_fit_arguments(estimator: Any, y: Any) -> dict[str, Any]:
    """``classes=`` for a classifier whose partial_fit takes it (every fold must know them all)."""
    if not is_classifier(estimator) or y is None:
        return {}
    parameters = inspect.signature(estimator.partial_fit).parameters
    return {"classes": np.unique(np.asarray(y))} if "classes" in parameters else {}


def _failed(
    error: Exception, error_score: Any, metrics: list[str], n_splits: int, with_train: bool
) -> dict[str, list[float]]:
    """A candidate whose partial_fit raised: ``error_score`` for every fold, as cross_validate
    does, or the error itself with ``error_score="raise"``."""
    if isinstance(error_score, str) and error_score == "raise":
        raise error
    if not isinstance(error_score, Number):
        raise ValueError(
            f"`error_score` must be a number or 'raise', got {error_score!r}."
        ) from error
    warnings.warn(
        f"partial_fit failed; the candidate's score is error_score={error_score!r}: "
        f"{type(error).__name__}: {error}",
        FitFailedWarning,
        stacklevel=3,
    )
    value = float(error_score)  # type: ignore[arg-type]
    result: dict[str, list[float]] = {"fit_time": [0.0] * n_splits, "score_time": [0.0] * n_splits}
    for name in metrics:
        result[f"test_{name}"] = [value] * n_splits
        if with_train:
            result[f"train_{name}"] = [value] * n_splits
    return result
