"""KerasTuner's API on tftune's engine: ``import tftune.keras_tuner as kt``.

``HyperParameters``, ``HyperModel``, ``Objective``, ``errors`` and ``oracles`` load without
TensorFlow; the tuners (``RandomSearch``, ``BayesianOptimization``, ``Hyperband``,
``GridSearch``, ``Tuner``, ``SklearnTuner``) import Keras when first used, as ``tftune.keras``
does, and so does ``applications`` (KerasTuner's ready-made hypermodels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tftune.keras_tuner import errors, oracles
from tftune.keras_tuner._hypermodel import HyperModel
from tftune.keras_tuner._hyperparameters import HyperParameters
from tftune.keras_tuner._objective import Objective

if TYPE_CHECKING:
    from tftune.keras_tuner._sklearn import SklearnTuner
    from tftune.keras_tuner._tuners import (
        BayesianOptimization,
        GridSearch,
        Hyperband,
        RandomSearch,
        Tuner,
    )

_TUNERS = ("BayesianOptimization", "GridSearch", "Hyperband", "RandomSearch", "Tuner")


def __getattr__(name: str) -> Any:
    if name in _TUNERS:
        from tftune.keras_tuner import _tuners

        return getattr(_tuners, name)
    if name == "applications":
        import importlib

        return importlib.import_module("tftune.keras_tuner.applications")
    if name == "SklearnTuner":
        from tftune.keras_tuner._sklearn import SklearnTuner

        return SklearnTuner
    raise AttributeError(f"module 'tftune.keras_tuner' has no attribute {name!r}")


__all__ = [
    "BayesianOptimization",
    "GridSearch",
    "HyperModel",
    "HyperParameters",
    "Hyperband",
    "Objective",
    "RandomSearch",
    "SklearnTuner",
    "Tuner",
    "applications",
    "errors",
    "oracles",
]
