"""Small pieces of one trial's training shared by the one-at-a-time and the packed paths."""

from __future__ import annotations

import gc
from typing import Any

import keras

from tftune.keras._callback import TrialFailed


def fresh_session(seed: int | None) -> None:
    """Free the previous trial's graphs and memory, then seed this trial."""
    keras.backend.clear_session(free_memory=False)  # we collect once, below
    gc.collect()
    if seed is not None:
        keras.utils.set_random_seed(seed)


def check_model(model: Any) -> None:
    """Fail the trial (not the search) when ``build`` did not return a compiled Keras model."""
    if not isinstance(model, keras.Model):
        raise TrialFailed(f"The build function must return a keras.Model, got {model!r}.")
    if not model.compiled:
        raise TrialFailed(
            "The build function returned an uncompiled model; call model.compile(...) before "
            "returning it."
        )


def input_shape(model: keras.Model) -> list[int | None] | None:
    """The model's (single) input shape, to build a rebuilt model before loading weights."""
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return list(shape)
    return None


def is_out_of_memory(error: Exception) -> bool:
    name = type(error).__name__
    return name in ("ResourceExhaustedError", "MemoryError") or "OOM" in str(error)[:500]
