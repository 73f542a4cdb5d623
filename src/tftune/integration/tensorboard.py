"""``TensorBoardCallback``: Optuna's study callback that logs each trial for TensorBoard.

Every complete trial becomes the run ``<dirname>/trial-<number>``: an HParams session holding
the trial's parameters (its group is the run's name, so TensorBoard's HParams view lists every
trial) and one scalar, ``metric_name``, the trial's value at step ``trial.number``. Trials in
other states are skipped, as in Optuna. The event files are written with the ``tensorboard``
package alone (extra ``tensorboard``): logging never imports TensorFlow.
"""

from __future__ import annotations

import math
import os
import pathlib
import time

from tftune._tensorboard._events import append_events, event_file_name, summary_event
from tftune._tensorboard._hparams import (
    scalar_summary,
    session_end_summary,
    session_start_summary,
)
from tftune.study import Study
from tftune.trial import FrozenTrial, TrialState

__all__ = ["TensorBoardCallback"]


class TensorBoardCallback:
    """Pass to ``Study.optimize(callbacks=[...])``; ``dirname`` is TensorBoard's ``--logdir``,
    ``metric_name`` the name the trials' values get there (``"accuracy"``, ``"roc_auc"``)."""

    def __init__(self, dirname: str | os.PathLike[str], metric_name: str) -> None:
        if not isinstance(metric_name, str) or not metric_name:
            raise ValueError(f"metric_name must be a non-empty string, got {metric_name!r}")
        self.dirname = pathlib.Path(dirname)
        self.metric_name = metric_name

    def run_dir(self, trial: FrozenTrial) -> pathlib.Path:
        """The folder of ``trial``'s run: ``<dirname>/trial-<number>`` (Optuna's layout)."""
        return self.dirname / f"trial-{trial.number}"

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if trial.state != TrialState.COMPLETE:
            return
        values = trial.values or []
        if len(values) > 1:
            raise ValueError(
                "TensorBoardCallback logs one value per trial; trial "
                f"{trial.number} has {len(values)} (a multi-objective study)"
            )
        value = trial.value if trial.value is not None else math.nan
        name = self.run_dir(trial).name
        start = trial.datetime_start.timestamp() if trial.datetime_start else time.time()
        end = trial.datetime_complete.timestamp() if trial.datetime_complete else time.time()
        events = [
            summary_event(
                session_start_summary(name, trial.params, trial.distributions, start),
                wall_time=start,
            ),
            summary_event(
                scalar_summary({self.metric_name: value}), step=trial.number, wall_time=end
            ),
            summary_event(session_end_summary(trial.state, end), wall_time=end),
        ]
        append_events(self.run_dir(trial) / event_file_name(), events)
