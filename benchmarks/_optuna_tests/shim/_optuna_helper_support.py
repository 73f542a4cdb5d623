"""What Optuna's test helpers (``optuna.testing``) import from Optuna's private modules.

Only ``optuna._imports._LazyImport`` is needed: a module imported on first attribute access.
Written here so that the helpers load over tftune; the tests that use private names
themselves are excluded from the measurement.
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class _LazyImport(types.ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._lazy_name = name

    def __getattr__(self, item: str) -> Any:
        return getattr(importlib.import_module(self._lazy_name), item)
