"""Entries of a journal written by Optuna (``op_code`` 0-10), replayed into tftune's replica.

A journal file that Optuna's ``JournalStorage`` wrote opens in tftune's: its studies, trials,
parameters, values and attributes are read as Optuna reads them (study and trial ids counted
in the order of creation, times from the entries). tftune appends its own entries to it, which
Optuna cannot read: move a study to tftune, not back and forth.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tftune._direction import StudyDirection
from tftune.distributions import json_to_distribution
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.storages.journal._storage import _Replica

Entry = dict[str, Any]


def is_optuna_entry(entry: Entry) -> bool:
    return "op_code" in entry


def apply_optuna_entry(replica: _Replica, entry: Entry) -> Any:
    """Apply one Optuna entry; unknown operation codes raise ValueError."""
    code = entry["op_code"]
    operation = _OPERATIONS.get(code)
    if operation is None:
        raise ValueError(f"Unknown operation code {code!r} in an Optuna journal entry.")
    return operation(replica, entry)


def _moment(text: str | None) -> datetime.datetime | None:
    """Optuna's ISO time (local, naive) as a naive local datetime."""
    if text is None:
        return None
    return datetime.datetime.fromisoformat(text).astimezone().replace(tzinfo=None)


def _create_trial(replica: _Replica, entry: Entry) -> Any:
    distributions = {
        name: json_to_distribution(text) for name, text in entry.get("distributions", {}).items()
    }
    params = {
        name: distributions[name].to_external_repr(value)
        for name, value in entry.get("params", {}).items()
    }
    values = entry.get("values")
    if values is None and entry.get("value") is not None:
        values = [entry["value"]]
    trial = FrozenTrial(
        number=-1,
        state=TrialState(entry.get("state", int(TrialState.RUNNING))),
        values=values,
        datetime_start=_moment(entry.get("datetime_start")),
        datetime_complete=_moment(entry.get("datetime_complete")),
        params=params,
        distributions=distributions,
        user_attrs=entry.get("user_attrs", {}),
        system_attrs=entry.get("system_attrs", {}),
        intermediate_values={
            int(step): value for step, value in entry.get("intermediate_values", {}).items()
        },
    )
    return replica.add_trials(entry["study_id"], [trial])[0]


def _set_state(replica: _Replica, entry: Entry) -> None:
    state = TrialState(entry["state"])
    stamp = entry.get("datetime_start" if state == TrialState.RUNNING else "datetime_complete")
    moment = _moment(stamp)
    if moment is not None:
        replica.clock = moment
    replica.set_trial_state_values(entry["trial_id"], state, entry.get("values"))


def _set_attrs(system: bool, study: bool) -> Callable[[_Replica, Entry], None]:
    field = "system_attr" if system else "user_attr"

    def apply(replica: _Replica, entry: Entry) -> None:
        for key, value in entry[field].items():
            if study:
                replica.set_study_attr(entry["study_id"], key, value, system=system)
            else:
                replica.set_trial_attr(entry["trial_id"], key, value, system=system)

    return apply


_OPERATIONS: dict[int, Callable[[_Replica, Entry], Any]] = {
    0: lambda r, e: r.create_new_study(
        [StudyDirection(d) for d in e["directions"]], e["study_name"]
    ),
    1: lambda r, e: r.delete_study(e["study_id"]),
    2: _set_attrs(system=False, study=True),
    3: _set_attrs(system=True, study=True),
    4: _create_trial,
    5: lambda r, e: r.set_trial_param(
        e["trial_id"],
        e["param_name"],
        e["param_value_internal"],
        json_to_distribution(e["distribution"]),
    ),
    6: _set_state,
    7: lambda r, e: r.set_trial_intermediate_value(
        e["trial_id"], e["step"], e["intermediate_value"]
    ),
    8: _set_attrs(system=False, study=False),
    9: _set_attrs(system=True, study=False),
    10: lambda r, e: None,  # DISCARD_TRIALS: Optuna itself ignores it
}
