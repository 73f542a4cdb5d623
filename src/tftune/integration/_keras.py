"""Keras 3 callbacks with Optuna's names: report a metric each epoch, prune on request."""

from __future__ import annotations

import warnings
from typing import Any

import keras

from tftune.exceptions import TrialPruned


class KerasPruningCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Report ``logs[monitor]`` to ``trial`` every ``interval`` epochs (step = the epoch),
    and raise :class:`~tftune.TrialPruned` when the study's pruner says so.

    A metric missing from the logs warns and is skipped, as in Optuna. For tftune's stricter
    callback (a missing metric or a diverged loss fails the trial) see
    :class:`tftune.keras.TrialReportCallback`.
    """

    def __init__(self, trial: Any, monitor: str, interval: int = 1) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"`monitor` must be a metric name such as 'val_loss', got {monitor!r}."
            )
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"`interval` must be a positive int, got {interval!r}.")
        self._trial = trial
        self._monitor = monitor
        self._interval = interval

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self._interval != 0:
            return
        current = (logs or {}).get(self._monitor)
        if current is None:
            warnings.warn(
                f"The metric {self._monitor!r} is not in the training logs "
                f"({sorted(logs or {})}), so trial #{self._trial.number} cannot be pruned at "
                f"epoch {epoch}. Check the metric name (and pass validation data for "
                "'val_' metrics).",
                UserWarning,
                stacklevel=2,
            )
            return
        self._trial.report(float(current), step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at epoch {epoch}.")


class TFKerasPruningCallback(KerasPruningCallback):
    """Optuna's ``TFKerasPruningCallback``: :class:`KerasPruningCallback` every epoch."""

    def __init__(self, trial: Any, monitor: str) -> None:
        super().__init__(trial, monitor, interval=1)


__all__ = ["KerasPruningCallback", "TFKerasPruningCallback"]
