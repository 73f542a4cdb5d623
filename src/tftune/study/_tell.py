"""Finishing a trial: checking the objective's values and storing the outcome once."""

from __future__ import annotations

import datetime
import logging
import math
import numbers
import warnings
from typing import TYPE_CHECKING, Any

from tftune.storages._base import FAIL_REASON_KEY
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study
    from tftune.trial._trial import Trial

_logger = logging.getLogger("tftune")


def check_values(values: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Turn an objective's return value into floats, or explain why it cannot be stored."""
    if isinstance(values, (str, bytes)) or values is None:
        items: list[Any] = [values]
    elif hasattr(values, "__len__") and hasattr(values, "__iter__"):  # sequences, numpy arrays
        items = list(values)
    else:
        items = [values]
    if len(items) != n_objectives:
        return None, (
            f"The objective returned {len(items)} value(s) ({values!r}) but the study has "
            f"{n_objectives} objective(s)."
        )
    floats = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Real):
            try:
                if isinstance(item, (str, bytes)):
                    raise TypeError
                item = float(item)  # numpy and tensor scalars
            except (TypeError, ValueError):
                return None, (
                    f"The objective returned {values!r}; each value must be a float, got {item!r} "
                    f"({type(item).__name__})."
                )
        if math.isnan(item):
            return None, f"The objective returned {values!r}; NaN is not a valid objective value."
        floats.append(float(item))
    return floats, None


def finish_trial(
    study: Study,
    trial: Trial,
    values: Any,
    state: TrialState | None,
    fail_reason: str | None = None,
    suppress_warning: bool = False,
) -> FrozenTrial:
    """Store a trial's final state and values; return its finished snapshot.

    Values that cannot be stored fail the trial with a UserWarning, or with a log line instead
    when ``suppress_warning`` is set (the optimize loop's worker threads must not touch the
    process-wide warnings state).
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
        floats, fail_reason = check_values(values, len(study.directions))
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
    study.sampler.after_trial(study, frozen, state, floats)
    study._storage.set_trial_state_values(
        trial._trial_id, state, floats, system_attrs=system_attrs
    )
    frozen.state, frozen.values = state, floats
    frozen.datetime_complete = datetime.datetime.now()
    if system_attrs:
        frozen.system_attrs.update(system_attrs)
    return frozen.copy()
