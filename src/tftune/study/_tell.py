"""Finishing a trial: checking the objective's values and storing the outcome once."""

from __future__ import annotations

import datetime
import logging
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tftune.exceptions import UpdateFinishedTrialError
from tftune.storages._base import FAIL_REASON_KEY
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study
    from tftune.trial._trial import Trial

_logger = logging.getLogger("tftune")


class FinishedTrialTellError(UpdateFinishedTrialError, ValueError):
    """``tell`` of a finished trial: an UpdateFinishedTrialError, and a ValueError as Optuna
    raises there."""


class WaitingTrialTellError(UpdateFinishedTrialError, ValueError):
    """``tell`` of a WAITING (enqueued, not started) trial: an UpdateFinishedTrialError, and a
    ValueError as Optuna raises there."""


def _show(value: Any) -> str:
    """``repr(value)``, cut to 80 characters (a huge int or array stays readable)."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _ndim(value: Any) -> int | None:
    """The number of dimensions of an array or tensor (``None`` for other objects)."""
    ndim = getattr(value, "ndim", None)
    if isinstance(ndim, int) and not isinstance(ndim, bool):
        return ndim
    shape = getattr(value, "shape", None)
    if shape is None or isinstance(shape, (str, bytes)):
        return None
    try:
        return len(tuple(shape))
    except TypeError:
        return None


def _returned(values: Any, by_tell: bool) -> str:
    """The start of a reason: who gave ``values`` (the objective, or a call of ``tell``)."""
    if by_tell:
        return f"The values given to tell were {_show(values)}"
    return f"The objective returned {_show(values)}"


def split_values(values: Any, by_tell: bool = False) -> tuple[list[Any] | None, str | None]:
    """The items of an objective's return value, one per objective, or why it holds none.

    A number, a 0-d array or a scalar tensor is one value; a list, a tuple or a 1-d array or
    tensor holds one per objective. Sets, mappings and other containers hold none.
    """
    if values is None or isinstance(values, (str, bytes, bool, numbers.Number)):
        return [values], None
    ndim = _ndim(values)
    if ndim == 0:
        return [values], None
    if ndim == 1 or (ndim is None and isinstance(values, Sequence)):
        return list(values), None
    if ndim is not None:
        return None, (
            f"{_returned(values, by_tell)}; it must be a float or a 1-d sequence of "
            f"floats, got a {ndim}-d array."
        )
    if hasattr(values, "__iter__") or hasattr(values, "__len__"):
        return None, (
            f"{_returned(values, by_tell)}; it must be a float or a sequence of "
            f"floats (a list, a tuple, a 1-d array), got a {type(values).__name__}."
        )
    return [values], None


def _to_float(item: Any, values: Any, by_tell: bool) -> tuple[float | None, str | None]:
    """One objective value as a float, or why it is not one."""
    returned = _returned(values, by_tell)
    got = f"got {_show(item)} ({type(item).__name__})"
    dtype = getattr(item, "dtype", None)
    if isinstance(item, bool) or (dtype is not None and "bool" in str(dtype)):
        return None, f"{returned}; each value must be a float, {got}: a bool is not a number."
    if item is None or isinstance(item, (str, bytes)) or _ndim(item) not in (None, 0):
        return None, f"{returned}; each value must be a float, {got}."
    try:
        try:
            number = float(item)  # numbers, numpy scalars and 0-d arrays, eager tensors
        except TypeError:
            numpy = getattr(item, "numpy", None)
            if not callable(numpy):
                raise
            number = float(numpy())  # a scalar tensor without __float__
    except Exception as error:  # noqa: BLE001 - any failure of a user's __float__ is the reason
        return None, (
            f"{returned}; each value must be a float, {got}, which float() refused: "
            f"{type(error).__name__}: {error}"
        )
    if math.isnan(number):
        return None, f"{returned}; NaN is not a valid objective value."
    return number, None


def check_values(
    values: Any, n_objectives: int, by_tell: bool = False
) -> tuple[list[float] | None, str | None]:
    """Turn an objective's return value (or the values given to ``tell``, ``by_tell``) into
    floats, or explain why they cannot be stored."""
    try:
        items, reason = split_values(values, by_tell)
        if items is None:
            return None, reason
        if len(items) != n_objectives and by_tell:
            return None, (
                f"The values given to tell were {len(items)} value(s) ({_show(values)}) but "
                f"the study has {n_objectives} objective(s)."
            )
        if len(items) != n_objectives:
            return None, (
                f"The objective returned {len(items)} value(s) ({_show(values)}) but the study "
                f"has {n_objectives} objective(s)."
            )
        floats = []
        for item in items:
            number, reason = _to_float(item, values, by_tell)
            if number is None:
                return None, reason
            floats.append(number)
        return floats, None
    except Exception as error:  # noqa: BLE001 - a strange object's methods may raise anything
        return None, (
            f"{'The values given to tell were' if by_tell else 'The objective returned'} an "
            f"object of type {type(values).__name__} that could not be read as values: "
            f"{type(error).__name__}: {error}"
        )


def finish_trial(
    study: Study,
    trial: Trial,
    values: Any,
    state: TrialState | None,
    fail_reason: str | None = None,
    suppress_warning: bool = False,
    by_tell: bool = False,
) -> FrozenTrial:
    """Store a trial's final state and values; return its finished snapshot.

    Values that cannot be stored fail the trial with a UserWarning, or with a log line instead
    when ``suppress_warning`` is set (the optimize loop's worker threads must not touch the
    process-wide warnings state). When the sampler's ``after_trial`` raises (a constraint
    function returned NaN), the outcome is stored first and the error propagates.
    """
    if state is not None and not isinstance(state, TrialState):
        raise TypeError(f"`state` must be a TrialState, got {state!r}.")
    if state is None:
        state = TrialState.COMPLETE
    if state not in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
        raise ValueError(f"`state` must be COMPLETE, PRUNED or FAIL, got {state!r}.")
    frozen = trial._frozen
    floats: list[float] | None = None
    if state == TrialState.COMPLETE:
        floats, fail_reason = check_values(values, len(study.directions), by_tell)
        if fail_reason is not None:
            state = TrialState.FAIL
            if suppress_warning:
                _logger.warning("Trial %d failed: %s", frozen.number, fail_reason)
            else:
                warnings.warn(
                    f"Trial #{frozen.number} failed: {fail_reason}", UserWarning, stacklevel=3
                )
    elif state == TrialState.PRUNED:
        if values is not None:
            floats, _ = check_values(values, len(study.directions))
        elif frozen.intermediate_values:
            last = frozen.intermediate_values[max(frozen.intermediate_values)]
            floats = [last] if not math.isnan(last) else None
    system_attrs = (
        {FAIL_REASON_KEY: fail_reason} if state == TrialState.FAIL and fail_reason else None
    )
    try:
        study.sampler.after_trial(study, frozen, state, floats)
    finally:  # as Optuna's: the outcome is stored even when the sampler's hook raises
        study.storage.set_trial_state_values(
            trial.trial_id, state, floats, system_attrs=system_attrs
        )
    frozen.state, frozen.values = state, floats
    frozen.datetime_complete = datetime.datetime.now()
    if system_attrs:
        frozen.system_attrs.update(system_attrs)
    return frozen.copy()
