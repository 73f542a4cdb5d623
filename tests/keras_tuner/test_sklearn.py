"""``SklearnTuner``: KerasTuner's documented example, with iris (bundled with scikit-learn)."""

from __future__ import annotations

from sklearn import datasets, ensemble, linear_model, metrics, model_selection

import tftune.keras_tuner as keras_tuner
from tftune.trial import TrialState


def build_model(hp):  # type: ignore[no-untyped-def]
    model_type = hp.Choice("model_type", ["random_forest", "ridge"])
    if model_type == "random_forest":
        model = ensemble.RandomForestClassifier(
            n_estimators=hp.Int("n_estimators", 10, 50, step=10),
            max_depth=hp.Int("max_depth", 3, 10),
        )
    else:
        model = linear_model.RidgeClassifier(alpha=hp.Float("alpha", 1e-3, 1, sampling="log"))
    return model


def test_sklearn_tuner_cross_validates_and_keeps_the_refitted_estimator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tuner = keras_tuner.SklearnTuner(
        oracle=keras_tuner.oracles.BayesianOptimizationOracle(
            objective=keras_tuner.Objective("score", "max"), max_trials=4
        ),
        hypermodel=build_model,
        scoring=metrics.make_scorer(metrics.accuracy_score),
        metrics=[metrics.balanced_accuracy_score],
        cv=model_selection.StratifiedKFold(3),
        directory=tmp_path,
        project_name="my_project",
    )
    x, y = datasets.load_iris(return_X_y=True)
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        x, y, test_size=0.2, random_state=0
    )
    tuner.search(x_train, y_train)
    best_model = tuner.get_best_models(num_models=1)[0]
    assert [t.state for t in tuner.study.trials] == [TrialState.COMPLETE] * 4
    best = tuner.oracle.get_best_trials()[0]
    assert set(best.metrics) == {"score", "balanced_accuracy_score"}
    assert 0.5 < best.score <= 1.0
    assert best_model.score(x_test, y_test) > 0.5
    kind = best.hyperparameters["model_type"]
    expected = (
        ensemble.RandomForestClassifier
        if kind == "random_forest"
        else linear_model.RidgeClassifier
    )
    assert isinstance(best_model, expected)
