"""scikit-learn estimators around a function that builds a Keras model.

They keep the semantics of the wrapper TensorFlow removed in 2.13
(``tf.keras.wrappers.scikit_learn``), on Keras 3: every argument of ``build_fn`` is an estimator
parameter, so ``GridSearchCV(KerasClassifier(build_fn=create_model), {"dropout_rate": [...]})``
works as the old recipes wrote it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

if TYPE_CHECKING:
    from sklearn.utils import Tags

#: Arguments routed to ``model.fit`` (and, for ``batch_size`` and ``verbose``, ``model.predict``).
FIT_PARAMS = (
    "epochs",
    "batch_size",
    "verbose",
    "validation_split",
    "callbacks",
    "shuffle",
    "class_weight",
)
#: Arguments tftune passes to ``build_fn`` when its signature asks for them.
META_PARAMS = ("n_features_in", "n_classes", "n_outputs")
#: Used to compile a model that ``build_fn`` returns uncompiled.
COMPILE_PARAMS = ("optimizer", "loss", "metrics")
_DEFAULTS: dict[str, Any] = {
    "epochs": 1,
    "batch_size": 32,
    "verbose": 0,
    "validation_split": 0.0,
    "callbacks": None,
    "shuffle": True,
    "class_weight": None,
}


def distinct_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of the 2-D ``x`` sorted by their bytes, and where each row of ``x`` went.

    Returns ``(distinct, inverse)``: ``distinct`` holds each different row once, in an order
    given by the rows' contents alone, and ``distinct[inverse]`` is ``x``. Rows are the same only
    when their bytes are (0.0 and -0.0 differ).
    """
    rows = np.ascontiguousarray(x)
    row_bytes = np.dtype((np.void, rows.shape[1] * rows.itemsize))  # compared with memcmp
    order = np.argsort(rows.view(row_bytes).ravel(), kind="stable")
    sorted_rows = rows[order]
    sorted_bytes = sorted_rows.view(row_bytes).ravel()
    starts_a_new_row = np.empty(len(rows), dtype=bool)
    starts_a_new_row[:1] = True
    starts_a_new_row[1:] = sorted_bytes[1:] != sorted_bytes[:-1]
    inverse = np.empty(len(rows), dtype=np.intp)
    inverse[order] = np.cumsum(starts_a_new_row) - 1
    distinct = sorted_rows if starts_a_new_row.all() else sorted_rows[starts_a_new_row]
    return distinct, inverse


class BaseKerasWrapper(BaseEstimator):  # type: ignore[misc]  # scikit-learn has no type hints
    """What KerasClassifier and KerasRegressor share: parameters, building, fitting, pickling.

    Args:
        build_fn: a function returning a Keras model (compiled, or compiled by tftune with
            ``optimizer``/``loss``/``metrics``). ``model=`` is an alias.
        random_state: seed Keras (and NumPy, Python) before building, for reproducible fits.
        **sk_params: arguments of ``build_fn``; ``epochs``, ``batch_size``, ``verbose``,
            ``validation_split``, ``callbacks``, ``shuffle``, ``class_weight`` for ``fit``;
            ``optimizer``, ``loss``, ``metrics`` and ``optimizer__<name>`` for compiling.
    """

    def __init__(
        self,
        build_fn: Callable[..., Any] | None = None,
        *,
        model: Callable[..., Any] | None = None,
        random_state: int | None = None,
        **sk_params: Any,
    ) -> None:
        self.build_fn = build_fn
        self.model = model
        self.random_state = random_state
        for name, value in sk_params.items():
            setattr(self, name, value)

    # --- parameters ------------------------------------------------------------------------
    def _param_names(self) -> list[str]:
        return [name for name in vars(self) if not name.startswith("_") and not name.endswith("_")]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> BaseKerasWrapper:
        for name, value in params.items():
            self._check_param_name(name)
            setattr(self, name, value)
        return self

    def _build_function(self) -> Callable[..., Any]:
        build = self.build_fn if self.build_fn is not None else self.model
        if build is None:
            raise ValueError(
                f"{type(self).__name__} needs `build_fn` (or `model`): a function returning a "
                "Keras model, got None."
            )
        if not callable(build):
            raise TypeError(
                f"`build_fn` must be a function returning a Keras model, got {build!r}."
            )
        return build

    def _build_signature(self) -> inspect.Signature | None:
        build = self.build_fn if self.build_fn is not None else self.model
        if build is None or not callable(build):
            return None
        return inspect.signature(build)

    def _check_param_name(self, name: str) -> None:
        """Refuse a name that neither build_fn nor fit would use (values are checked in fit)."""
        signature = self._build_signature()
        if name in _OWN_PARAMS or name.startswith("optimizer__") or signature is None:
            return
        if name in signature.parameters or any(
            p.kind == inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
        ):
            return
        build_name = getattr(self.build_fn or self.model, "__name__", "")
        raise ValueError(
            f"Invalid parameter {name!r} for {type(self).__name__}: it is neither an argument of "
            f"build_fn {build_name}{signature} nor one of "
            f"{', '.join(FIT_PARAMS + COMPILE_PARAMS)}."
        )

    def _option(self, name: str) -> Any:
        return getattr(self, name, _DEFAULTS.get(name))

    # --- building and fitting --------------------------------------------------------------
    def _build_model(self, meta: dict[str, Any]) -> Any:
        import keras

        if self.random_state is not None:
            keras.utils.set_random_seed(self.random_state)
        build = self._build_function()
        signature = inspect.signature(build)
        takes_any = any(
            p.kind == inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
        )
        params = self.get_params()
        kwargs = {
            name: value
            for name, value in params.items()
            if name in signature.parameters or (takes_any and name not in _OWN_PARAMS)
        }
        kwargs.update(
            {name: value for name, value in meta.items() if name in signature.parameters}
        )
        missing = [
            name
            for name, p in signature.parameters.items()
            if p.default is inspect.Parameter.empty
            and name not in kwargs
            and p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        ]
        build_name, own_name = getattr(build, "__name__", "build_fn"), type(self).__name__
        if missing:
            raise ValueError(
                f"build_fn {build_name} needs {missing} but {own_name} has no value for them: "
                f"pass them as {own_name}(build_fn=..., {missing[0]}=...) or search over them."
            )
        model = build(**kwargs)
        if not isinstance(model, keras.Model):
            raise TypeError(f"build_fn {build_name} must return a keras.Model, got {model!r}.")
        if not model.compiled:
            model.compile(**self._compile_arguments(meta))
        return model

    def _compile_arguments(self, meta: dict[str, Any]) -> dict[str, Any]:
        import keras

        optimizer = self._option("optimizer") or "adam"
        overrides = {
            k[len("optimizer__") :]: v
            for k, v in self.get_params().items()
            if k.startswith("optimizer__")
        }
        if overrides:
            if not isinstance(optimizer, str):
                raise ValueError(
                    "`optimizer__*` parameters need `optimizer` given by name, e.g. 'adam'."
                )
            optimizer = keras.optimizers.get({"class_name": optimizer, "config": overrides})
        return {
            "optimizer": optimizer,
            "loss": self._option("loss") or self._default_loss(meta),
            "metrics": self._option("metrics"),
        }

    def _default_loss(self, meta: dict[str, Any]) -> str:
        raise NotImplementedError

    def _fit_keras(
        self, x: np.ndarray, y: np.ndarray, meta: dict[str, Any], **fit_params: Any
    ) -> None:
        self.model_ = self._build_model(meta)
        arguments = {name: self._option(name) for name in FIT_PARAMS}
        arguments.update(fit_params)
        self.history_ = self.model_.fit(x, y, **arguments).history

    def _partial_fit_keras(
        self, x: np.ndarray, y: np.ndarray, meta: dict[str, Any], **fit_params: Any
    ) -> None:
        """One epoch on ``x``, ``y``: of a new model on the first call, then of the same one."""
        if not hasattr(self, "model_"):
            self.model_ = self._build_model(meta)
            self.history_ = {}
        arguments = {name: self._option(name) for name in FIT_PARAMS}
        arguments.update(fit_params)
        arguments["epochs"] = 1
        for name, values in self.model_.fit(x, y, **arguments).history.items():
            self.history_.setdefault(name, []).extend(values)

    def _predict_raw(self, x: Any) -> np.ndarray:
        """The model's outputs for the rows of ``x``; permuting ``x`` permutes them exactly.

        A row's float32 result can depend on its place in its batch and on the rows sharing it
        (the matmul kernels block and vectorize over rows). So each distinct row is predicted
        once, in an order given by the rows' contents alone, and the outputs are handed out to
        the caller's rows: the batches are the same whatever the order of ``x``.
        """
        check_is_fitted(self, "model_")
        x = validate_data(self, x, reset=False, dtype="float32")
        distinct, inverse = distinct_rows(x)
        predictions = self.model_.predict(
            distinct, batch_size=self._option("batch_size"), verbose=self._option("verbose")
        )
        in_callers_order: np.ndarray = np.asarray(predictions)[inverse]
        return in_callers_order

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.input_tags.allow_nan = False
        return tags


_OWN_PARAMS = {"build_fn", "model", "random_state", *FIT_PARAMS, *COMPILE_PARAMS}


class KerasClassifier(ClassifierMixin, BaseKerasWrapper):  # type: ignore[misc]  # as above
    """A scikit-learn classifier whose model ``build_fn`` builds; labels may be ints or strings.

    One sigmoid output is read as a binary classifier, several outputs as class probabilities
    (softmax). An uncompiled model gets binary or sparse categorical cross-entropy.
    """

    def fit(self, X: Any, y: Any, **fit_params: Any) -> KerasClassifier:
        """Build a new model and train it; returns ``self``."""
        x, y = validate_data(self, X, y, dtype="float32", ensure_min_samples=1)
        target = type_of_target(y, input_name="y", raise_unknown=True)
        if target not in ("binary", "multiclass"):
            raise ValueError(
                f"KerasClassifier supports binary and multiclass targets, got a {target!r} target."
            )
        self.classes_, encoded = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        meta = {"n_features_in": x.shape[1], "n_classes": self.n_classes_, "n_outputs": 1}
        self._fit_keras(x, encoded.astype("int32"), meta, **fit_params)
        return self

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, **fit_params: Any
    ) -> KerasClassifier:
        """Train one epoch, continuing the model of earlier calls (a new one the first time).

        ``classes`` (every label the data can have) is needed on the first call when ``y``
        does not show them all; later calls must use labels among ``classes_``.
        """
        first = not hasattr(self, "model_")
        x, y = validate_data(self, X, y, dtype="float32", ensure_min_samples=1, reset=first)
        if first:
            labels = np.unique(y if classes is None else np.asarray(classes))
            self.classes_, self.n_classes_ = labels, len(labels)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"`y` has labels {unknown.tolist()} that are not in classes_ "
                f"{self.classes_.tolist()}: pass every label as `classes` on the first call."
            )
        encoded = np.searchsorted(self.classes_, y).astype("int32")
        meta = {"n_features_in": x.shape[1], "n_classes": self.n_classes_, "n_outputs": 1}
        self._partial_fit_keras(x, encoded, meta, **fit_params)
        return self

    def _default_loss(self, meta: dict[str, Any]) -> str:
        return (
            "binary_crossentropy" if meta["n_classes"] <= 2 else "sparse_categorical_crossentropy"
        )

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per class in ``classes_``."""
        raw = self._predict_raw(X).astype("float64")
        raw = raw.reshape(len(raw), -1)
        if raw.shape[1] == 1:  # one sigmoid output: P(second class)
            return np.hstack([1 - raw, raw])
        if raw.shape[1] != self.n_classes_:
            raise ValueError(
                f"The model has {raw.shape[1]} outputs but the data has {self.n_classes_} "
                "classes; build one output per class (softmax) or one sigmoid output for two "
                "classes."
            )
        return raw

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample, as labels from ``classes_``."""
        probabilities = self.predict_proba(X)  # raises NotFittedError before fit
        labels: np.ndarray = self.classes_[np.argmax(probabilities, axis=1)]
        return labels

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class KerasRegressor(RegressorMixin, BaseKerasWrapper):  # type: ignore[misc]  # as above
    """A scikit-learn regressor whose model ``build_fn`` builds; ``score`` is R²."""

    def fit(self, X: Any, y: Any, **fit_params: Any) -> KerasRegressor:
        """Build a new model and train it; returns ``self``."""
        x, y = validate_data(self, X, y, dtype="float32", multi_output=True, y_numeric=True)
        y = np.asarray(y, dtype="float32")
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        meta = {"n_features_in": x.shape[1], "n_classes": None, "n_outputs": self.n_outputs_}
        self._fit_keras(x, y, meta, **fit_params)
        return self

    def partial_fit(self, X: Any, y: Any, **fit_params: Any) -> KerasRegressor:
        """Train one epoch, continuing the model of earlier calls (a new one the first time)."""
        first = not hasattr(self, "model_")
        x, y = validate_data(
            self, X, y, dtype="float32", multi_output=True, y_numeric=True, reset=first
        )
        y = np.asarray(y, dtype="float32")
        if first:
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        meta = {"n_features_in": x.shape[1], "n_classes": None, "n_outputs": self.n_outputs_}
        self._partial_fit_keras(x, y, meta, **fit_params)
        return self

    def _default_loss(self, meta: dict[str, Any]) -> str:
        return "mean_squared_error"

    def predict(self, X: Any) -> np.ndarray:
        """Predictions with the shape of the training target: ``(n,)`` or ``(n, n_outputs)``."""
        raw = self._predict_raw(X).astype("float64")
        raw = raw.reshape(len(raw), -1)
        return raw[:, 0] if self.n_outputs_ == 1 and raw.shape[1] == 1 else raw

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
