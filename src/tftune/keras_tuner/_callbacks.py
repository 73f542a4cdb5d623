"""The user's callbacks, copied for each trial and execution as KerasTuner does: a
``TensorBoard`` callback logs to ``log_dir/<trial_id>/execution<n>`` and gets a companion that
writes the trial's hyperparameters there as an HParams session, so TensorBoard's HParams view
lists the trials (KerasTuner's "Visualize the hyperparameter tuning process")."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from typing import Any

import keras

from tftune.trial import TrialState


class HParamsSessionCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Starts the trial's HParams session when training begins and ends it, as a success, when
    training ends (a training that raises leaves it unended, as KerasTuner's does)."""

    def __init__(self, log_dir: str, trial_id: str, values: Mapping[str, Any]) -> None:
        super().__init__()
        from tftune._tensorboard import HParamsSession  # lazily: the tensorboard package

        self.session = HParamsSession(log_dir, trial_id, values)

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self.session.start()

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        self.session.end(TrialState.COMPLETE)


def trial_callbacks(
    callbacks: Sequence[Any], trial_id: str, execution: int, values: Mapping[str, Any]
) -> list[Any]:
    """Fresh copies of ``callbacks`` for one execution of a trial whose hyperparameters are
    ``values``; each ``TensorBoard`` copy logs to its own folder, with the HParams session."""
    copies = [copy.deepcopy(callback) for callback in callbacks]
    sessions = []
    for callback in copies:
        if type(callback).__name__ == "TensorBoard":
            callback.log_dir = os.path.join(
                str(callback.log_dir), trial_id, f"execution{execution}"
            )
            sessions.append(HParamsSessionCallback(callback.log_dir, trial_id, values))
    return copies + sessions
