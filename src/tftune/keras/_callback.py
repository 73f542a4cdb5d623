"""A Keras callback that reports a metric to a trial every epoch and prunes on request."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras

from tftune.exceptions import TftuneError, TrialPruned


class TrialFailed(TftuneError):
    """A Keras trial failed in a way the search survives (missing metric, NaN loss, OOM)."""


class TrialReportCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Report ``monitor`` to ``trial`` at the end of each epoch; stop pruned or diverged trials.

    Use it in your own objective::

        model.fit(x, y, validation_split=0.2, callbacks=[TrialReportCallback(trial, "val_loss")])

    Raises ``TrialPruned`` when the study's pruner says so, and ``TrialFailed`` when the metric
    is missing from the logs or the loss became NaN or infinite.
    """

    def __init__(
        self, trial: Any, monitor: str, on_prune: Callable[[Any, int], None] | None = None
    ) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.on_prune = on_prune  # called as on_prune(model, epoch) just before TrialPruned
        self.history: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        for name, value in logs.items():
            self.history.setdefault(name, []).append(float(value))
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            raise TrialFailed(
                f"The training loss became {float(loss)} at epoch {epoch}; the trial diverged."
            )
        if self.monitor not in logs:
            raise TrialFailed(
                f"Objective metric {self.monitor!r} is not in the training logs; the model "
                f"reports {sorted(logs)}. Check the metric name, and pass validation data for "
                "'val_' metrics."
            )
        self.trial.report(float(logs[self.monitor]), epoch)
        if self.trial.should_prune():
            self.model.stop_training = True
            if self.on_prune is not None and math.isfinite(float(logs[self.monitor])):
                self.on_prune(self.model, epoch)
            raise TrialPruned(f"Trial {self.trial.number} was pruned at epoch {epoch}.")
