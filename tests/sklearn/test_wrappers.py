"""KerasClassifier / KerasRegressor: the removed TensorFlow wrapper's contract on Keras 3."""

from __future__ import annotations

import functools
import pickle

import keras
import numpy as np
import pytest
from scipy.stats import loguniform, uniform
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, make_regression
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from tftune.sklearn import KerasClassifier, KerasRegressor
from tftune.sklearn._wrappers import distinct_rows


def create_model(learning_rate, dropout_rate):
    """The recipe's model, exactly as the blog writes it (with keras for tf.keras)."""
    model = keras.Sequential()
    model.add(keras.layers.Dense(64, activation="relu"))
    model.add(keras.layers.Dropout(dropout_rate))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=["accuracy"],
    )
    return model


def small_classifier(hidden=8, n_classes=2):
    """Uncompiled; tftune compiles it and passes the number of classes."""
    out = (
        keras.layers.Dense(1, activation="sigmoid")
        if n_classes <= 2
        else keras.layers.Dense(n_classes, activation="softmax")
    )
    return keras.Sequential([keras.layers.Dense(hidden, activation="relu"), out])


def small_regressor(hidden=8, n_outputs=1):
    return keras.Sequential(
        [keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(n_outputs)]
    )


@pytest.fixture(scope="module")
def cancer():
    x, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(x), 240, replace=False)
    return StandardScaler().fit_transform(x[rows]).astype("float32"), y[rows]


_NOT_A_PLAIN_SIGNATURE = (
    "build_fn's arguments are estimator parameters by design (the removed tf.keras wrapper's "
    "contract), so __init__ takes **sk_params and sets them as attributes"
)


# scikit-learn's own parametrisation, with test ids free of memory addresses (its ids print the
# build functions' reprs), so that parallel test workers collect the same tests.
_ESTIMATOR_CHECKS = parametrize_with_checks(
    [
        KerasClassifier(
            small_classifier,
            epochs=5,
            random_state=0,
            optimizer="adam",
            optimizer__learning_rate=0.05,
        ),
        KerasRegressor(
            small_regressor,
            epochs=5,
            random_state=0,
            optimizer="adam",
            optimizer__learning_rate=0.05,
        ),
    ],
    expected_failed_checks=lambda estimator: {
        "check_no_attributes_set_in_init": _NOT_A_PLAIN_SIGNATURE
    },
)


def _check_id(value: object) -> str:
    if isinstance(value, functools.partial):
        options = ",".join(f"{key}={option}" for key, option in value.keywords.items())
        return f"{value.func.__name__}({options})" if options else value.func.__name__
    return f"{type(value).__name__}({value.build_fn.__name__})"


@pytest.mark.parametrize(*_ESTIMATOR_CHECKS.args, ids=_check_id)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def rows_over_several_batches():
    """500 rows (16 batches of 32, the last one partial), with duplicates and a 0.0/-0.0 pair."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 7)).astype("float32")
    x[10:20] = x[0]  # identical rows are interchangeable
    x[30], x[31] = 0.0, -0.0  # equal as numbers, different bytes
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)
    return x, labels, rng.permutation(len(x))


def test_distinct_rows_depend_on_the_contents_alone(rows_over_several_batches):
    x, _, permutation = rows_over_several_batches
    distinct, inverse = distinct_rows(x)
    assert len(distinct) == len(x) - 10  # the copies of row 0 once; 0.0 and -0.0 rows apart
    assert np.array_equal(distinct[inverse].view(np.uint32), x.view(np.uint32))
    permuted_distinct, permuted_inverse = distinct_rows(x[permutation])
    assert np.array_equal(permuted_distinct.view(np.uint32), distinct.view(np.uint32))
    assert np.array_equal(permuted_inverse, inverse[permutation])


def batch_position_regressor():
    """A model whose result moves with the row's position in its batch, as a kernel's rounding
    can (blocking and vectorization over rows), here by far more than a rounding error."""
    return keras.Sequential(
        [
            keras.layers.Dense(4),
            keras.layers.Lambda(
                lambda h: h + 1e-3 * keras.ops.cumsum(keras.ops.ones_like(h), axis=0)
            ),
            keras.layers.Dense(1),
        ]
    )


def test_a_permuted_input_gives_the_permuted_predictions_even_if_the_batch_matters(
    rows_over_several_batches,
):
    x, labels, permutation = rows_over_several_batches
    reg = KerasRegressor(batch_position_regressor, epochs=1, random_state=0).fit(x, labels)
    predictions = reg.predict(x)
    assert np.array_equal(reg.predict(x[permutation]), predictions[permutation])
    assert np.array_equal(predictions[10:20], np.repeat(predictions[0], 10))


@pytest.mark.parametrize("method", ["predict_proba", "predict", "score"])
def test_classifier_methods_ignore_the_order_of_the_rows(rows_over_several_batches, method):
    x, labels, permutation = rows_over_several_batches
    clf = KerasClassifier(small_classifier, n_classes=3, epochs=2, random_state=0).fit(x, labels)
    if method == "score":
        assert clf.score(x[permutation], labels[permutation]) == clf.score(x, labels)
    else:
        in_order = getattr(clf, method)(x)
        assert np.array_equal(getattr(clf, method)(x[permutation]), in_order[permutation])


def test_regressor_predictions_ignore_the_order_of_the_rows(rows_over_several_batches):
    x, labels, permutation = rows_over_several_batches
    reg = KerasRegressor(small_regressor, n_outputs=2, epochs=2, random_state=0)
    reg.fit(x, np.stack([labels, -labels], axis=1))
    assert np.array_equal(reg.predict(x[permutation]), reg.predict(x)[permutation])


def test_the_grid_search_recipe_runs_as_written(cancer):
    x, y = cancer
    model = KerasClassifier(build_fn=create_model, epochs=3, random_state=0)
    param_grid = {"learning_rate": [0.001, 0.1], "dropout_rate": [0.2, 0.4]}
    grid = GridSearchCV(estimator=model, param_grid=param_grid, cv=2)
    result = grid.fit(x, y)
    assert set(result.best_params_) == {"learning_rate", "dropout_rate"}
    assert result.best_score_ > 0.85
    assert len(result.cv_results_["params"]) == 4
    assert result.best_estimator_.learning_rate == result.best_params_["learning_rate"]


def test_the_random_search_recipe_runs_with_scipy_distributions(cancer):
    x, y = cancer
    search = RandomizedSearchCV(
        KerasClassifier(build_fn=create_model, epochs=2),
        param_distributions={
            "learning_rate": loguniform(1e-3, 1e-1),
            "dropout_rate": uniform(0.2, 0.2),
        },
        n_iter=2,
        cv=2,
        random_state=0,
    )
    search.fit(x, y)
    assert 1e-3 <= search.best_params_["learning_rate"] <= 1e-1
    assert 0.2 <= search.best_params_["dropout_rate"] <= 0.4


def test_string_labels_multiclass_and_probabilities():
    x, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = KerasClassifier(
        small_classifier,
        hidden=16,
        epochs=30,
        random_state=0,
        optimizer__learning_rate=0.05,
        optimizer="adam",
    ).fit(StandardScaler().fit_transform(x), labels)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    proba = clf.predict_proba(StandardScaler().fit_transform(x))
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert set(clf.predict(StandardScaler().fit_transform(x))) <= set(labels)
    assert clf.score(StandardScaler().fit_transform(x), labels) > 0.8


def test_binary_probabilities_from_one_sigmoid_output(cancer):
    x, y = cancer
    clf = KerasClassifier(
        create_model, learning_rate=0.01, dropout_rate=0.2, epochs=3, random_state=0
    ).fit(x, y)
    proba = clf.predict_proba(x)
    assert proba.shape == (len(x), 2) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(clf.predict(x), clf.classes_[(proba[:, 1] > 0.5).astype(int)])


def test_regressor_score_is_r2():
    x, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    reg = KerasRegressor(
        small_regressor,
        hidden=32,
        epochs=60,
        random_state=0,
        optimizer="adam",
        optimizer__learning_rate=0.05,
    )
    pipeline = make_pipeline(StandardScaler(), reg)
    scores = cross_val_score(pipeline, x, (y - y.mean()) / y.std(), cv=2)
    assert scores.mean() > 0.8


def test_clone_and_pickle_round_trip(cancer):
    x, y = cancer
    clf = KerasClassifier(
        build_fn=create_model, learning_rate=0.01, dropout_rate=0.3, epochs=2, random_state=1
    )
    assert clone(clf).get_params() == clf.get_params()
    clf.fit(x, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(x), clf.predict_proba(x), rtol=1e-5)


def test_grid_search_with_worker_processes(cancer):
    x, y = cancer
    grid = GridSearchCV(
        KerasClassifier(build_fn=create_model, epochs=2, random_state=0),
        {"learning_rate": [0.01, 0.1], "dropout_rate": [0.2]},
        cv=2,
        n_jobs=2,
    )
    grid.fit(x, y)
    assert grid.best_score_ > 0.8


def test_halving_grid_search(cancer):
    x, y = cancer
    search = HalvingGridSearchCV(
        KerasClassifier(build_fn=create_model, epochs=2, random_state=0),
        {"learning_rate": [0.001, 0.01, 0.1], "dropout_rate": [0.2]},
        cv=2,
        min_resources=60,
        random_state=0,
    )
    search.fit(x, y)
    assert search.best_params_["learning_rate"] in (0.001, 0.01, 0.1)


def test_unknown_parameter_names_the_build_function():
    with pytest.raises(
        ValueError,
        match=r"Invalid parameter 'dropout' for KerasClassifier: "
        r".*create_model\(learning_rate, dropout_rate\)",
    ):
        KerasClassifier(build_fn=create_model).set_params(dropout=0.1)


def test_missing_build_argument_is_explained(cancer):
    x, y = cancer
    with pytest.raises(ValueError, match=r"build_fn create_model needs \['learning_rate'\]"):
        KerasClassifier(build_fn=create_model, dropout_rate=0.2).fit(x, y)


def test_build_fn_must_return_a_model(cancer):
    x, y = cancer
    with pytest.raises(
        TypeError, match="build_fn <lambda> must return a keras.Model, got 'not a model'"
    ):
        KerasClassifier(build_fn=lambda: "not a model").fit(x, y)
    with pytest.raises(ValueError, match=r"needs `build_fn` \(or `model`\)"):
        KerasClassifier().fit(x, y)


def test_model_is_an_alias_of_build_fn(cancer):
    x, y = cancer
    clf = KerasClassifier(model=create_model, learning_rate=0.01, dropout_rate=0.2, epochs=1).fit(
        x, y
    )
    assert clf.predict(x).shape == (len(x),)
