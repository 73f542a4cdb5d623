"""KerasTuner's view of a trial (``trial.hyperparameters``, ``trial.trial_id``, ``score``), and
the value source that asks a tftune trial for each hyperparameter."""

from __future__ import annotations

import math
from typing import Any

from tftune.keras_tuner._hyperparameters import HyperParameter, HyperParameters, TrialLike
from tftune.trial import FrozenTrial, TrialState

#: The trial user attributes where a search keeps what KerasTuner users read back.
VALUES_ATTR = "keras_tuner/values"
METRICS_ATTR = "keras_tuner/metrics"

_STATUS = {
    TrialState.COMPLETE: "COMPLETED",
    TrialState.FAIL: "FAILED",
    TrialState.PRUNED: "STOPPED",
    TrialState.RUNNING: "RUNNING",
    TrialState.WAITING: "IDLE",
}


class TrialValues:
    """The hyperparameters of one tftune trial: pre-declared ones as declared (``Fixed`` ones
    constant), new ones suggested by the sampler, or their default when not tuned."""

    def __init__(
        self,
        trial: TrialLike,
        declared: HyperParameters | None,
        tune_new_entries: bool,
        allow_new_entries: bool,
    ) -> None:
        self.trial = trial
        self.declared = declared
        self.tune_new_entries = tune_new_entries
        self.allow_new_entries = allow_new_entries

    def value_of(self, hp: HyperParameter) -> Any:
        spec = None if self.declared is None else self.declared.lookup(hp.name)
        if spec is None:
            if not self.allow_new_entries:
                raise RuntimeError(
                    f"`allow_new_entries` is `False`, but found new entries [{hp!r}]."
                )
            if not self.tune_new_entries:
                return hp.default
            spec = hp
        return spec.suggest(self.trial)


def trial_hyperparameters(
    trial: TrialLike,
    declared: HyperParameters | None,
    tune_new_entries: bool = True,
    allow_new_entries: bool = True,
) -> HyperParameters:
    """The ``hp`` handed to ``build`` for ``trial``, with the pre-declared ones in it already."""
    hp = HyperParameters(TrialValues(trial, declared, tune_new_entries, allow_new_entries))
    for spec in [] if declared is None else declared.space:
        hp.declare(spec)
    return hp


def trial_id(number: int, max_trials: int | None) -> str:
    """KerasTuner's trial id: the number, zero-padded to the width of ``max_trials``."""
    return f"{number:0{len(str(max_trials))}d}"


class Trial:
    """One trial as KerasTuner shows it."""

    def __init__(
        self,
        hyperparameters: HyperParameters,
        trial_id: str,
        number: int,
        status: str = "RUNNING",
        score: float | None = None,
        metrics: dict[str, float] | None = None,
        message: str | None = None,
    ) -> None:
        self.hyperparameters = hyperparameters
        self.trial_id = trial_id
        self.number = number
        self.status = status
        self.score = score
        self.metrics = dict(metrics or {})
        self.message = message

    @classmethod
    def from_frozen(
        cls, frozen: FrozenTrial, space: HyperParameters, max_trials: int | None
    ) -> Trial:
        hp = space.copy()
        hp.values = dict(frozen.user_attrs.get(VALUES_ATTR, frozen.params))
        score = frozen.value if frozen.state == TrialState.COMPLETE else None
        if score is None and frozen.intermediate_values:
            score = frozen.intermediate_values[max(frozen.intermediate_values)]
        return cls(
            hp,
            trial_id(frozen.number, max_trials),
            frozen.number,
            _STATUS.get(frozen.state, frozen.state.name),
            None if score is None or math.isnan(score) else float(score),
            frozen.user_attrs.get(METRICS_ATTR),
            frozen.system_attrs.get("fail_reason"),
        )

    def summary(self) -> str:
        lines = [f"Trial {self.trial_id} summary", "Hyperparameters:"]
        lines += [f"{name}: {value}" for name, value in self.hyperparameters.values.items()]
        if self.score is not None:
            lines.append(f"Score: {self.score}")
        if self.message:
            lines.append(self.message.strip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Trial(trial_id={self.trial_id!r}, status={self.status!r}, score={self.score})"
