"""Trials as a pandas DataFrame (pandas is optional), with Optuna's columns."""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, Any

from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    import pandas

    from tftune.study._study import Study

DEFAULT_ATTRS = (
    "number",
    "value",
    "datetime_start",
    "datetime_complete",
    "duration",
    "params",
    "user_attrs",
    "system_attrs",
    "state",
)
#: The attributes whose values are dicts: one column per key (``params_x`` or
#: ``("params", "x")``).
_DICT_ATTRS = ("params", "user_attrs", "system_attrs", "intermediate_values", "distributions")
_SCALAR_ATTRS = (
    "number",
    "datetime_start",
    "datetime_complete",
    "duration",
    "state",
    "last_step",
)


def trials_dataframe(
    study: Study,
    states: Container[TrialState] | None = None,
    attrs: Sequence[str] = DEFAULT_ATTRS,
    multi_index: bool = False,
) -> pandas.DataFrame:
    """One row per trial, one column per attribute in ``attrs`` (dict attributes give one
    column per key, named ``params_x``, or ``("params", "x")`` with ``multi_index``).

    ``value`` gives ``values_0``, ``values_1``... for several objectives; with metric names set
    the columns are named by them (``value_accuracy``, ``values_loss``).
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "trials_dataframe() needs pandas: pip install 'tftune[pandas]'."
        ) from None
    known = {*_DICT_ATTRS, *_SCALAR_ATTRS, "value", "values"}
    if isinstance(attrs, str) or any(attr not in known for attr in attrs):
        raise ValueError(
            f"`attrs` must be a sequence of trial attributes among {sorted(known)}, got {attrs!r}."
        )
    trials = study.get_trials(deepcopy=False, states=states)
    if not trials:
        return pd.DataFrame()
    labels = _value_labels(study)
    parts = [[_cells(trial, attr, labels) for attr in attrs] for trial in trials]
    columns: list[tuple[str, Any]] = []
    for index in range(len(attrs)):  # attrs in the order given, each attr's keys as first seen
        for trial_parts in parts:
            columns += [key for key in trial_parts[index] if key not in columns]
    rows = [{key: v for part in trial_parts for key, v in part.items()} for trial_parts in parts]
    if multi_index:
        frame = pd.DataFrame(
            [[row.get(key) for key in columns] for row in rows],
            columns=pd.MultiIndex.from_tuples(columns),
        )
    else:
        frame = pd.DataFrame(
            [[row.get(key) for key in columns] for row in rows],
            columns=[_flat(key) for key in columns],
        )
    return frame


def _value_labels(study: Study) -> list[Any]:
    """The second level of each objective's column: its metric name, else its index."""
    names = study.metric_names
    return list(names) if names is not None else list(range(len(study.directions)))


def _cells(trial: FrozenTrial, attr: str, labels: list[Any]) -> dict[tuple[str, Any], Any]:
    """The columns one attribute of one trial fills, keyed by (attribute, key)."""
    if attr in ("value", "values"):
        values = trial.values
        if len(labels) == 1 and isinstance(labels[0], int):
            return {("value", ""): values[0] if values else None}
        head = "value" if len(labels) == 1 else "values"
        return {(head, label): values[i] if values else None for i, label in enumerate(labels)}
    if attr in _DICT_ATTRS:
        mapping: dict[Any, Any] = getattr(trial, attr)
        return {(attr, key): item for key, item in mapping.items()}
    if attr == "state":
        return {("state", ""): trial.state.name}
    return {(attr, ""): getattr(trial, attr)}


def _flat(key: tuple[str, Any]) -> str:
    head, label = key
    return head if label == "" else f"{head}_{label}"
