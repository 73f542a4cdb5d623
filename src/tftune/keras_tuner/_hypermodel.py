"""KerasTuner's ``HyperModel``: ``build(hp)`` makes the model, ``fit(hp, model, ...)`` trains."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tftune.keras_tuner._hyperparameters import HyperParameters


class HyperModel:
    """Subclass it and define ``build(hp)``; override ``fit`` to tune the training too.

    Args:
        name: a name for the hypermodel (optional).
        tunable: whether its hyperparameters are tuned (``False``: their defaults are used).
    """

    def __init__(self, name: str | None = None, tunable: bool = True) -> None:
        self.name = name
        self.tunable = tunable

    def build(self, hp: HyperParameters) -> Any:
        """Build and compile a model, declaring its hyperparameters on ``hp``."""
        raise NotImplementedError(f"{type(self).__name__} must define build(self, hp).")

    def declare_hyperparameters(self, hp: HyperParameters) -> None:
        """Declare hyperparameters before ``build`` runs (none by default)."""

    def fit(self, hp: HyperParameters, model: Any, *args: Any, **kwargs: Any) -> Any:
        """Train ``model``; return its ``History``, a dict of metrics or the objective's value."""
        return model.fit(*args, **kwargs)


class FunctionHyperModel(HyperModel):
    """A ``build(hp)`` function seen as a ``HyperModel``."""

    def __init__(self, build: Callable[[HyperParameters], Any]) -> None:
        super().__init__(name=getattr(build, "__name__", None))
        self._build = build

    def build(self, hp: HyperParameters) -> Any:
        return self._build(hp)


def as_hypermodel(hypermodel: Any) -> HyperModel | None:
    """``hypermodel`` as a ``HyperModel``: a subclass instance, a build function, or ``None``."""
    if hypermodel is None or isinstance(hypermodel, HyperModel):
        return hypermodel
    if callable(hypermodel):
        return FunctionHyperModel(hypermodel)
    raise ValueError(
        "`hypermodel` must be a HyperModel instance or a function build(hp) -> model, "
        f"got {hypermodel!r}."
    )


def overrides_fit(hypermodel: HyperModel | None) -> bool:
    """Whether the hypermodel trains its models itself (a ``fit`` of its own)."""
    return hypermodel is not None and type(hypermodel).fit is not HyperModel.fit
