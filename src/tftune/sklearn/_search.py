"""StudySearchCV: a scikit-learn search estimator whose candidates a tftune study proposes."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import check_cv, cross_validate
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, indexable

import tftune
from tftune.samplers import BaseSampler
from tftune.search_space import to_distributions
from tftune.sklearn._pruned_cv import check_partial_fit, cross_validate_with_pruning, rows
from tftune.trial import FrozenTrial, TrialState

_RESULT_ATTR = "cv_results"
_Method = TypeVar("_Method", bound=Callable[..., Any])


def _best_estimator_has(method: str) -> Callable[[StudySearchCV], bool]:
    def check(self: StudySearchCV) -> bool:
        if hasattr(self, "best_estimator_"):
            return hasattr(self.best_estimator_, method)
        return hasattr(self.estimator, method)

    return check


def _if_best_estimator_has(method: str) -> Callable[[_Method], _Method]:
    """``available_if`` the best estimator has ``method``, typed: the method keeps its signature
    (scikit-learn has no type annotations)."""
    decorator: Callable[[_Method], _Method] = available_if(_best_estimator_has(method))
    return decorator


# scikit-learn has no type annotations, so its base classes are Any to mypy.
class StudySearchCV(MetaEstimatorMixin, BaseEstimator):  # type: ignore[misc]
    """Cross-validated search over ``param_distributions``, driven by a tftune sampler.

    Each trial of the study is one candidate: its parameters come from the sampler (random by
    default; grid, and the Bayesian samplers, plug in the same way), its value is the mean
    cross-validated score of the ``refit`` metric. With a ``storage``, every finished candidate
    is saved with its split scores, so a search that was interrupted resumes where it stopped.

    Args:
        estimator: the scikit-learn estimator to tune (e.g. a ``KerasClassifier``).
        param_distributions: ``{"name": values}``, the values of each name a list of choices,
            a scipy.stats distribution or a tftune distribution.
        n_trials: candidates in the study in total (a resumed search runs only the missing ones).
        timeout: stop starting candidates after this many seconds.
        sampler: a tftune sampler (default ``RandomSampler(seed=random_state)``).
        scoring, cv, refit, error_score, return_train_score, n_jobs, verbose: as in
            ``RandomizedSearchCV``; ``n_jobs`` runs the folds of a candidate in parallel.
        storage, study_name: keep the study in a database (``sqlite:///search.db``) to resume.
        random_state: seed of the default sampler and of ``subsample``.
        study: a study to run the candidates in (it must maximize), instead of one made from
            ``storage``/``study_name``/``sampler``.
        enable_pruning: train each candidate step by step with ``partial_fit`` (``max_iter``
            steps, all folds each step), report the mean score after each step and stop
            candidates the study's pruner prunes. The estimator needs ``partial_fit``.
        max_iter: ``partial_fit`` steps per candidate with ``enable_pruning``.
        subsample: search on this fraction (a float in (0, 1]) or number (an int) of the rows,
            drawn without replacement (``sample_indices_``); the refit uses all of them.
        callbacks, catch: passed to :meth:`Study.optimize`.

    With ``study=``, ``enable_pruning``, ``max_iter``, ``subsample``, ``callbacks`` and
    ``catch`` it takes Optuna's ``OptunaSearchCV`` arguments, and has its ``study_``,
    ``trials_``, ``best_trial_``, ``n_trials_``, ``user_attrs_``, ``sample_indices_``,
    ``trials_dataframe()`` and ``set_user_attr()``.
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, Any],
        *,
        n_trials: int = 10,
        timeout: float | None = None,
        sampler: BaseSampler | None = None,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: bool | str = True,
        cv: Any = None,
        verbose: int = 0,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        storage: str | None = None,
        study_name: str | None = None,
        random_state: int | None = None,
        study: tftune.Study | None = None,
        enable_pruning: bool = False,
        max_iter: int = 1000,
        subsample: float | int = 1.0,
        callbacks: Sequence[Callable[[tftune.Study, FrozenTrial], None]] | None = None,
        catch: Iterable[type[Exception]] | type[Exception] = (),
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.timeout = timeout
        self.sampler = sampler
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.storage = storage
        self.study_name = study_name
        self.random_state = random_state
        self.study = study
        self.enable_pruning = enable_pruning
        self.max_iter = max_iter
        self.subsample = subsample
        self.callbacks = callbacks
        self.catch = catch

    # --- fitting ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> StudySearchCV:
        """Run the search, then refit the best candidate on all the data; returns ``self``."""
        self._check_arguments()
        distributions = to_distributions(self.param_distributions)
        X, y = indexable(X, y)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self.n_splits_ = cv.get_n_splits(X, y)
        self.multimetric_ = not (
            self.scoring is None or callable(self.scoring) or isinstance(self.scoring, str)
        )
        metric = self._refit_metric()
        study = self._study()
        x_search, y_search, params_search = self._subsampled(X, y, fit_params)

        def objective(trial: tftune.Trial) -> float:
            params = trial.suggest_params(distributions)
            estimator = clone(self.estimator).set_params(**params)
            if self.enable_pruning:
                scores = cross_validate_with_pruning(
                    trial,
                    estimator,
                    x_search,
                    y_search,
                    cv=cv,
                    scoring=self.scoring,
                    multimetric=self.multimetric_,
                    metrics=self._metric_names(),
                    metric=metric,
                    max_iter=self.max_iter,
                    error_score=self.error_score,
                    return_train_score=self.return_train_score,
                    fit_params=params_search,
                )
            else:
                scores = cross_validate(
                    estimator,
                    x_search,
                    y_search,
                    cv=cv,
                    scoring=self.scoring,
                    n_jobs=self.n_jobs,
                    verbose=self.verbose,
                    params=params_search or None,
                    error_score=self.error_score,
                    return_train_score=self.return_train_score,
                )
            trial.set_user_attr(
                _RESULT_ATTR, {k: [float(v) for v in values] for k, values in scores.items()}
            )
            _report_fold_scores(trial, scores[f"test_{metric}"])
            return float(np.mean(scores[f"test_{metric}"]))

        done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        remaining = max(0, self.n_trials - len(done))
        if remaining:
            with _log_level(tftune.logging.INFO if self.verbose else tftune.logging.WARNING):
                study.optimize(
                    objective,
                    n_trials=remaining,
                    timeout=self.timeout,
                    callbacks=self.callbacks,
                    catch=self.catch,
                )
        self.study_ = study
        trials = [
            t
            for t in study.get_trials(states=(TrialState.COMPLETE,))
            if _RESULT_ATTR in t.user_attrs
        ]
        if not trials:
            raise ValueError("No candidate finished, so there is nothing to choose from.")
        self.cv_results_ = _cv_results(trials, self._metric_names(), self.return_train_score)
        self._select_and_refit(X, y, metric, fit_params)
        self.best_trial_ = trials[self.best_index_]
        return self

    def _study(self) -> tftune.Study:
        """The study the candidates run in: ``study``, or one made from the storage arguments."""
        if self.study is None:
            return tftune.create_study(
                study_name=self.study_name,
                storage=self.storage,
                direction="maximize",
                load_if_exists=True,
                sampler=self.sampler
                if self.sampler is not None
                else tftune.samplers.RandomSampler(seed=self.random_state),
            )
        if not isinstance(self.study, tftune.Study):
            raise TypeError(f"`study` must be a tftune Study or None, got {self.study!r}.")
        given = [n for n in ("storage", "study_name", "sampler") if getattr(self, n) is not None]
        if given:
            raise ValueError(
                f"`study` was given, so {given} would be ignored: give either a study or "
                "`storage`/`study_name`/`sampler`."
            )
        directions = [d.name.lower() for d in self.study.directions]
        if directions != ["maximize"]:
            raise ValueError(
                "`study` must have the single direction 'maximize' (candidates are ranked by "
                f"score, higher is better), got {directions}."
            )
        return self.study

    def _subsampled(
        self, X: Any, y: Any, fit_params: dict[str, Any]
    ) -> tuple[Any, Any, dict[str, Any]]:
        """The rows the search runs on (``sample_indices_``), and fit parameters cut to them."""
        n_samples = _num_samples(X)
        size = _subsample_size(self.subsample, n_samples)
        order = np.random.default_rng(self.random_state).permutation(n_samples)
        self.sample_indices_ = np.sort(order[:size])
        if size == n_samples:
            return X, y, fit_params
        index = self.sample_indices_
        params = {
            name: rows(value, index) if _is_per_sample(value, n_samples) else value
            for name, value in fit_params.items()
        }
        return rows(X, index), rows(y, index), params

    # --- Optuna's OptunaSearchCV attributes -------------------------------------------------
    @property
    def trials_(self) -> list[FrozenTrial]:
        """Every trial of the search's study."""
        check_is_fitted(self, "study_")
        trials: list[FrozenTrial] = self.study_.trials
        return trials

    @property
    def n_trials_(self) -> int:
        return len(self.trials_)

    @property
    def user_attrs_(self) -> dict[str, Any]:
        check_is_fitted(self, "study_")
        attrs: dict[str, Any] = self.study_.user_attrs
        return attrs

    def trials_dataframe(self, *args: Any, **kwargs: Any) -> Any:
        """The study's :meth:`Study.trials_dataframe` (pandas)."""
        check_is_fitted(self, "study_")
        return self.study_.trials_dataframe(*args, **kwargs)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` on the search's study."""
        check_is_fitted(self, "study_")
        self.study_.set_user_attr(key, value)

    def _check_arguments(self) -> None:
        if (
            isinstance(self.n_trials, bool)
            or not isinstance(self.n_trials, int)
            or self.n_trials < 1
        ):
            raise ValueError(f"`n_trials` must be a positive int, got {self.n_trials!r}.")
        if not isinstance(self.param_distributions, Mapping) or not self.param_distributions:
            raise ValueError(
                "`param_distributions` must be a non-empty dict of parameter name to values, "
                f"got {self.param_distributions!r}."
            )
        if not isinstance(self.enable_pruning, bool):
            raise TypeError(
                f"`enable_pruning` must be True or False, got {self.enable_pruning!r}."
            )
        if (
            isinstance(self.max_iter, bool)
            or not isinstance(self.max_iter, int)
            or self.max_iter < 1
        ):
            raise ValueError(f"`max_iter` must be a positive int, got {self.max_iter!r}.")
        if self.enable_pruning:
            check_partial_fit(self.estimator)

    def _metric_names(self) -> list[str]:
        if not self.multimetric_:
            return ["score"]
        return (
            list(self.scoring)
            if not isinstance(self.scoring, Mapping)
            else list(self.scoring.keys())
        )

    def _refit_metric(self) -> str:
        if not self.multimetric_:
            return "score"
        names = self._metric_names()
        if not isinstance(self.refit, str) or self.refit not in names:
            raise ValueError(
                "With several metrics, `refit` must name the one that ranks candidates "
                f"(one of {names}), got {self.refit!r}."
            )
        return self.refit

    def _select_and_refit(self, X: Any, y: Any, metric: str, fit_params: dict[str, Any]) -> None:
        key = "score" if not self.multimetric_ else metric
        means = np.asarray(self.cv_results_[f"mean_test_{key}"], dtype=float)
        self.best_index_ = int(np.nanargmax(means)) if not np.all(np.isnan(means)) else 0
        self.best_score_ = float(means[self.best_index_])
        self.best_params_ = self.cv_results_["params"][self.best_index_]
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = (
                clone(self.estimator).set_params(**self.best_params_).fit(X, y, **fit_params)
            )
            self.refit_time_ = time.perf_counter() - start
            if hasattr(self.best_estimator_, "classes_"):
                self.classes_ = self.best_estimator_.classes_
            if hasattr(self.best_estimator_, "n_features_in_"):
                self.n_features_in_ = self.best_estimator_.n_features_in_

    # --- the fitted best estimator's methods -----------------------------------------------
    def _best(self) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_

    @_if_best_estimator_has("predict")
    def predict(self, X: Any) -> Any:
        return self._best().predict(X)

    @_if_best_estimator_has("predict_proba")
    def predict_proba(self, X: Any) -> Any:
        return self._best().predict_proba(X)

    @_if_best_estimator_has("decision_function")
    def decision_function(self, X: Any) -> Any:
        return self._best().decision_function(X)

    @_if_best_estimator_has("transform")
    def transform(self, X: Any) -> Any:
        return self._best().transform(X)

    def score(self, X: Any, y: Any = None) -> float:
        """The best estimator's score (with the search's scorer when it has one)."""
        best = self._best()
        if self.scoring is None:
            score: float = best.score(X, y)
            return score
        from sklearn.metrics import check_scoring

        scorer = check_scoring(
            best, self.scoring if not self.multimetric_ else self.scoring[self._refit_metric()]
        )
        score = scorer(best, X, y)
        return score


def _report_fold_scores(trial: tftune.Trial, scores: Any) -> None:
    """Keep the ranking metric's fold scores for the terminator's cross-validation error (as
    Optuna's OptunaSearchCV does); a warning, not a failure, when they cannot be kept."""
    from tftune.terminator import report_cross_validation_scores

    try:
        report_cross_validation_scores(trial, [float(v) for v in scores])
    except ValueError as error:
        warnings.warn(
            "Failed to report cross validation scores for TerminatorCallback, with error: "
            f"{error}",
            UserWarning,
            stacklevel=3,
        )


def _num_samples(data: Any) -> int:
    shape = getattr(data, "shape", None)
    return int(shape[0]) if shape is not None else len(data)


def _is_per_sample(value: Any, n_samples: int) -> bool:
    """Whether a fit parameter has one entry per row (``sample_weight``), so is subsampled."""
    return (
        hasattr(value, "__len__")
        and not isinstance(value, str | dict)
        and (_num_samples(value) == n_samples)
    )


def _subsample_size(subsample: Any, n_samples: int) -> int:
    """How many rows ``subsample`` keeps of ``n_samples``: a fraction in (0, 1] or a count."""
    if isinstance(subsample, bool) or not isinstance(subsample, int | float):
        raise TypeError(f"`subsample` must be a float in (0, 1] or an int, got {subsample!r}.")
    if isinstance(subsample, float):
        if not 0.0 < subsample <= 1.0:
            raise ValueError(f"`subsample` as a fraction must be in (0, 1], got {subsample!r}.")
        return max(1, int(round(subsample * n_samples)))
    if not 1 <= subsample <= n_samples:
        raise ValueError(
            f"`subsample` as a number of rows must be in [1, {n_samples}] (the rows of X), "
            f"got {subsample!r}."
        )
    return subsample


@contextlib.contextmanager
def _log_level(level: int) -> Iterator[None]:
    previous = tftune.logging.get_verbosity()
    tftune.logging.set_verbosity(level)
    try:
        yield
    finally:
        tftune.logging.set_verbosity(previous)


def _cv_results(trials: list[FrozenTrial], metrics: list[str], with_train: bool) -> dict[str, Any]:
    """``cv_results_`` in scikit-learn's format, one entry per finished trial."""
    stored = [t.user_attrs[_RESULT_ATTR] for t in trials]
    results: dict[str, Any] = {}
    for kind in ("fit_time", "score_time"):
        values = np.array([s[kind] for s in stored])
        results[f"mean_{kind}"], results[f"std_{kind}"] = values.mean(axis=1), values.std(axis=1)
    names = sorted({name for t in trials for name in t.params})
    for name in names:
        column = np.ma.MaskedArray(np.empty(len(trials), dtype=object), mask=True)
        for i, trial in enumerate(trials):
            if name in trial.params:
                column[i] = trial.params[name]
        results[f"param_{name}"] = column
    results["params"] = [dict(t.params) for t in trials]
    for metric in metrics:
        for split in ("test", "train") if with_train else ("test",):
            key = f"{split}_{metric}"
            scores = np.array([s[key] for s in stored], dtype=float)
            for k in range(scores.shape[1]):
                results[f"split{k}_{key}"] = scores[:, k]
            results[f"mean_{key}"], results[f"std_{key}"] = scores.mean(axis=1), scores.std(axis=1)
            if split == "test":
                means = np.nan_to_num(results[f"mean_{key}"], nan=-np.inf)
                results[f"rank_{key}"] = rankdata(-means, method="min").astype(np.int32)
    results["trial_number"] = np.array([t.number for t in trials])
    return results
