"""Argument checks shared by the pruners."""

from __future__ import annotations

from typing import Any


def non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative int, got {value!r}.")
    return value


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive int, got {value!r}.")
    return value


def at_step(step: int, n_warmup_steps: int, interval_steps: int) -> bool:
    """Whether a pruner should decide at ``step``: past the warm-up, on the interval."""
    return step >= n_warmup_steps and (step - n_warmup_steps) % interval_steps == 0
