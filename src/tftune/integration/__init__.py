"""Optuna's ``integration`` names, for code written against ``optuna.integration``.

``KerasPruningCallback`` and ``TFKerasPruningCallback`` (Keras 3 callbacks that report a
metric each epoch and raise TrialPruned), ``OptunaSearchCV`` (tftune's ``StudySearchCV``) and
``TensorBoardCallback`` (each complete trial as a TensorBoard run; extra ``tensorboard``).
Each loads Keras or scikit-learn only when first used: ``import tftune.integration`` is cheap.
``tftune.integration.ray`` (extra ``ray``) has ``TftuneSearch``, a Ray Tune searcher.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "KerasPruningCallback": "tftune.integration._keras",
    "TFKerasPruningCallback": "tftune.integration._keras",
    "OptunaSearchCV": "tftune.integration._sklearn",
    "TensorBoardCallback": "tftune.integration.tensorboard",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tftune.integration' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
