"""KerasTuner's ``SklearnTuner``: tune a scikit-learn estimator by cross-validation."""

from __future__ import annotations

import pathlib
import pickle
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tftune.keras_tuner._oracles import Oracle
from tftune.keras_tuner._trial import Trial
from tftune.keras_tuner._tuners import Tuner


def _rows(data: Any, indices: np.ndarray) -> Any:
    """``data[indices]`` for arrays and for pandas objects (by position)."""
    return data.iloc[indices] if hasattr(data, "iloc") else np.asarray(data)[indices]


class SklearnTuner(Tuner):
    """Cross-validates the estimators ``hypermodel.build(hp)`` returns.

    Each trial fits one estimator per fold of ``cv`` (default: 5 shuffled folds, seed 1, as
    KerasTuner), records the mean ``score`` (``scoring(estimator, x, y)`` or the estimator's
    own ``score``) and of each of ``metrics(y_true, y_pred)``, then refits on all the data and
    keeps that estimator (pickled in the project folder) for ``get_best_models``.

    Args:
        oracle: e.g. ``oracles.BayesianOptimizationOracle(objective=Objective("score", "max"),
            max_trials=10)``.
        hypermodel: ``build(hp)`` returning a scikit-learn estimator.
        scoring: a scorer ``scoring(estimator, x, y) -> float``.
        metrics: functions ``metric(y_true, y_pred) -> float``, recorded under their names.
        cv: a scikit-learn splitter.
    """

    def __init__(
        self,
        oracle: Oracle,
        hypermodel: Any,
        scoring: Callable[..., float] | None = None,
        metrics: Sequence[Callable[..., float]] | None = None,
        cv: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(oracle, hypermodel, **kwargs)
        if cv is None:
            from sklearn.model_selection import KFold

            cv = KFold(5, shuffle=True, random_state=1)
        self.scoring = scoring
        self.sklearn_metrics = list(metrics or [])
        self.cv = cv

    def search(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        groups: Any = None,  # noqa: N803
    ) -> None:
        """Run the trials on ``X``, ``y`` (scikit-learn's names)."""
        super().search(X, y, sample_weight=sample_weight, groups=groups)

    def run_trial(
        self,
        trial: Trial,
        X: Any,  # noqa: N803
        y: Any,
        sample_weight: Any = None,
        groups: Any = None,
    ) -> dict[str, float]:
        assert self.hypermodel is not None
        hp = trial.hyperparameters
        scores: dict[str, list[float]] = {"score": []}
        for train, test in self.cv.split(X, y, groups):
            model = self.hypermodel.build(hp)
            fit_arguments = {}
            if sample_weight is not None:
                fit_arguments["sample_weight"] = _rows(sample_weight, train)
            model.fit(_rows(X, train), _rows(y, train), **fit_arguments)
            x_test, y_test = _rows(X, test), _rows(y, test)
            score = (
                model.score(x_test, y_test)
                if self.scoring is None
                else self.scoring(model, x_test, y_test)
            )
            scores["score"].append(float(score))
            if self.sklearn_metrics:
                predicted = model.predict(x_test)
                for metric in self.sklearn_metrics:
                    scores.setdefault(metric.__name__, []).append(float(metric(y_test, predicted)))
        model = self.hypermodel.build(hp)
        model.fit(X, y, **({} if sample_weight is None else {"sample_weight": sample_weight}))
        with open(self._model_path(trial), "wb") as out:
            pickle.dump(model, out)
        return {name: float(np.mean(values)) for name, values in scores.items()}

    def _model_path(self, trial: Trial) -> pathlib.Path:
        return pathlib.Path(self.project_dir) / f"trial_{trial.number}.pkl"

    def load_model(self, trial: Trial) -> Any:
        """The estimator refitted on all the data in ``trial``."""
        path = self._model_path(trial)
        if not path.exists():
            raise FileNotFoundError(f"No estimator of trial {trial.trial_id} at {path}.")
        with open(path, "rb") as saved:
            return pickle.load(saved)  # noqa: S301 (the tuner's own file)
