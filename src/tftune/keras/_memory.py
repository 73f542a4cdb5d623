"""What TensorFlow keeps of a finished trial that ``keras.backend.clear_session()`` does not free.

Keras 3's TensorFlow optimizer sums gradients through ``tf.custom_gradient``, which registers a
``CustomGradient-N`` function in TensorFlow's global gradient registry for every model trained.
Each entry closes over the traced train step, so every trial's whole graph stays alive: about
6 MB a trial for the recipe's small model (measured in benchmarks/results/keras_front_door.md).
The tuner owns its trials' models, so it drops the entries their training added once a trial is
over. This reaches into TensorFlow's private registry; where it is absent (another backend or
TensorFlow version) nothing is done.
"""

from __future__ import annotations

import logging
from typing import Any

_logger = logging.getLogger(__name__)
_PREFIX = "CustomGradient-"


def _gradient_registry() -> dict[str, Any] | None:
    try:
        from tensorflow.python.framework import ops

        registry = ops.gradient_registry._registry
    except (ImportError, AttributeError):
        return None
    return registry if isinstance(registry, dict) else None


class GradientRegistryCleaner:
    """Remembers the custom gradients that exist now; ``release()`` drops the ones added since."""

    def __init__(self) -> None:
        registry = _gradient_registry()
        self._known = set(registry) if registry is not None else set()

    def release(self) -> int:
        """Drop the custom gradients registered since this cleaner was made; return how many."""
        registry = _gradient_registry()
        if registry is None:
            return 0
        added = [
            name for name in list(registry) if name.startswith(_PREFIX) and name not in self._known
        ]
        for name in added:
            registry.pop(name, None)
        if added:
            _logger.debug("Released %d custom gradients of finished trials.", len(added))
        return len(added)
