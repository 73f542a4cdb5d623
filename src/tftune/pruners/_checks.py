"""Argument checks shared by the pruners."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative int, got {value!r}.")
    return value


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive int, got {value!r}.")
    return value


def first_in_interval(
    step: int, steps: Iterable[int], n_warmup_steps: int, interval_steps: int
) -> bool:
    """Whether a pruner should decide at the trial's latest ``step`` (Optuna's rule): past the
    warm-up, and the first report in its interval (no earlier report at or after the interval's
    start, ``n_warmup_steps + k * interval_steps``), so sparse reports are still judged."""
    if step < n_warmup_steps:
        return False
    start = (step - n_warmup_steps) // interval_steps * interval_steps + n_warmup_steps
    previous = max((s for s in steps if s != step), default=-1)
    return previous < start
