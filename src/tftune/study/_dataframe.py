"""Trials as a pandas DataFrame (pandas is optional)."""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING, Any

from tftune.trial._state import TrialState

if TYPE_CHECKING:
    import pandas

    from tftune.study._study import Study


def trials_dataframe(
    study: Study, states: Container[TrialState] | None = None
) -> pandas.DataFrame:
    """One row per trial: number, value(s), times, duration, params_*, user_attrs_*, state."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "trials_dataframe() needs pandas: pip install 'tftune[pandas]'."
        ) from None
    n_objectives = len(study.directions)
    rows: list[dict[str, Any]] = []
    for trial in study.get_trials(deepcopy=False, states=states):
        row: dict[str, Any] = {"number": trial.number}
        if n_objectives == 1:
            row["value"] = trial.values[0] if trial.values else None
        else:
            for i in range(n_objectives):
                row[f"values_{i}"] = trial.values[i] if trial.values else None
        row["datetime_start"] = trial.datetime_start
        row["datetime_complete"] = trial.datetime_complete
        row["duration"] = trial.duration
        row.update({f"params_{k}": v for k, v in trial.params.items()})
        row.update({f"user_attrs_{k}": v for k, v in trial.user_attrs.items()})
        row["state"] = trial.state.name
        rows.append(row)
    return pd.DataFrame(rows)
