"""A trial as optuna-dashboard's study API writes it, made once per trial and kept as JSON text.

``trial_dict`` builds the same dict as optuna-dashboard 0.21.0's ``serialize_frozen_trial``
(same keys in the same order, same values), without its per-value NumPy calls, and reusing
each distinct distribution's JSON; but for the constraints set by name
(``Trial.set_constraint``), which optuna-dashboard leaves out (``constraint_values``). Notes,
artifacts and attributes are left to optuna-dashboard's own helpers, so their rules stay
theirs. ``TrialTexts`` keeps each finished trial's JSON text until the trial object or the
study's system attrs (notes and artifacts live there) change, and a running digest of the
texts (the study route's ETag) that hashes each finished trial's text once. The tests check
the output equal to optuna-dashboard's, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from typing import Any

from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial
from optuna_dashboard import _note
from optuna_dashboard._serializer import (
    CONSTRAINTS_KEY,
    serialize_attrs,
    serialize_distribution,
    serialize_frozen_trial,
)
from optuna_dashboard.artifact._backend import list_trial_artifacts

from tftune.trial._constraints import NAMED_PREFIX, constraints_from_attrs

_INF = math.inf


def _special(value: float) -> float | str:
    """A float as the dashboard's JSON writes it: 'nan', 'inf', '-inf' or the number."""
    if value != value:
        return "nan"
    if value == _INF:
        return "inf"
    if value == -_INF:
        return "-inf"
    return value


class DistributionJson:
    """Each distinct distribution object's serialised dict, made once (not thread-safe)."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[BaseDistribution, Any]] = {}

    def __call__(self, distribution: BaseDistribution) -> Any:
        known = self._known.get(id(distribution))
        if known is not None and known[0] is distribution:
            return known[1]
        made = serialize_distribution(distribution)
        self._known[id(distribution)] = (distribution, made)  # holds it: the id stays its own
        return made


def constraint_values(system_attrs: dict[str, Any]) -> Any:
    """A trial's constraint values as the dashboard's JSON lists them (its front end draws a
    trial with one > 0 as infeasible). optuna-dashboard reads only the list a sampler's
    ``constraints_func`` stores (``"constraints"``, as it is); ``Trial.set_constraint``
    stores each named one apart (``"constraints:<name>"``): with any of those, the values of
    every constraint, the list's first (``constraints_from_attrs``)."""
    if not any(key.startswith(NAMED_PREFIX) for key in system_attrs):
        return system_attrs.get(CONSTRAINTS_KEY, [])
    return list(constraints_from_attrs(system_attrs).values())


def trial_dict(
    study_id: int,
    trial: FrozenTrial,
    study_system_attrs: dict[str, Any],
    distribution_json: DistributionJson,
) -> dict[str, Any]:
    """optuna-dashboard's dict of ``trial`` (``serialize_frozen_trial``'s, key for key)."""
    values = trial.values
    if values is not None and any(v != v for v in values):
        # optuna-dashboard refuses a NaN objective value (an AssertionError, HTTP 500): as it does
        made: dict[str, Any] = serialize_frozen_trial(study_id, trial, study_system_attrs)
        return made
    distributions = trial.distributions
    params = []
    for name, value in trial.params.items():
        distribution = distributions.get(name)
        if distribution is None:
            continue
        params.append(
            {
                "name": name,
                "param_internal_value": distribution.to_internal_repr(value),
                "param_external_value": str(value),
                "param_external_pytyp": str(type(value)),
                "distribution": distribution_json(distribution),
            }
        )
    trial_system_attrs: dict[str, Any] = trial.system_attrs
    fixed_params = trial_system_attrs.get("fixed_params", {})
    trial_id = trial._trial_id
    serialized: dict[str, Any] = {
        "trial_id": trial_id,
        "study_id": study_id,
        "number": trial.number,
        "state": trial.state.name.capitalize(),
        "params": params,
        "fixed_params": [
            {"name": name, "param_external_value": str(fixed_params.get(name, None))}
            for name in fixed_params
        ],
        "user_attrs": serialize_attrs(trial.user_attrs),
        "note": _note.get_note_from_system_attrs(study_system_attrs, trial_id),
        "artifacts": list_trial_artifacts(study_system_attrs, trial_system_attrs, trial),
        "constraints": constraint_values(trial_system_attrs),
        "intermediate_values": [
            {"step": step, "value": _special(value)}
            for step, value in sorted(trial.intermediate_values.items(), key=lambda sv: sv[0])
        ],
    }
    if values is not None:
        serialized["values"] = [
            "inf" if v == _INF else "-inf" if v == -_INF else v for v in values
        ]
    if trial.datetime_start is not None:
        serialized["datetime_start"] = trial.datetime_start.isoformat()
    if trial.datetime_complete is not None:
        serialized["datetime_complete"] = trial.datetime_complete.isoformat()
    return serialized


class TrialTexts:
    """Each trial's JSON text for one study, kept while the trial object (the adapter hands
    out the same object until the trial changes) and the study's system attrs are unchanged;
    and a digest of the texts, kept for the leading finished trials (not thread-safe: lock
    outside)."""

    def __init__(self, study_id: int) -> None:
        self.study_id = study_id
        self._system_attrs: dict[str, Any] | None = None
        self._texts: dict[int, tuple[FrozenTrial, str]] = {}
        self._distribution_json = DistributionJson()
        self._hashed: list[str] = []  # the leading finished trials' texts in ``_prefix``
        self._prefix = hashlib.blake2b(digest_size=16)
        self._digest = self._prefix.digest()

    def digest(self) -> bytes:
        """A hash of the texts the last ``texts`` call returned (each and a newline)."""
        return self._digest

    def _update_digest(self, trials: Sequence[FrozenTrial], texts: list[str]) -> None:
        """Feed the running hash only what changed: the texts after the leading run of
        finished trials whose texts (the very objects) are those already hashed."""
        hashed = self._hashed
        same, limit = 0, min(len(hashed), len(texts))
        while same < limit and hashed[same] is texts[same]:
            same += 1
        if same < len(hashed):  # a hashed text changed (or its trial went): start again
            self._prefix, hashed, same = hashlib.blake2b(digest_size=16), [], 0
            self._hashed = hashed
        prefix = self._prefix
        for index in range(same, len(texts)):
            if not trials[index].state.is_finished():
                break
            prefix.update(texts[index].encode())
            prefix.update(b"\n")
            hashed.append(texts[index])
        tail = prefix.copy()
        for text in texts[len(hashed) :]:
            tail.update(text.encode())
            tail.update(b"\n")
        self._digest = tail.digest()

    def texts(
        self, trials: Sequence[FrozenTrial], study_system_attrs: dict[str, Any]
    ) -> list[str]:
        """The JSON text of each of ``trials``, in order."""
        if study_system_attrs != self._system_attrs:
            self._texts.clear()  # a note or an artifact may have changed any trial's JSON
            self._system_attrs = dict(study_system_attrs)
        result = []
        texts = self._texts
        for trial in trials:
            known = texts.get(trial._trial_id)
            if known is not None and known[0] is trial and trial.state.is_finished():
                result.append(known[1])
                continue
            text = json.dumps(
                trial_dict(self.study_id, trial, study_system_attrs, self._distribution_json)
            )
            texts[trial._trial_id] = (trial, text)
            result.append(text)
        self._update_digest(trials, result)
        return result
