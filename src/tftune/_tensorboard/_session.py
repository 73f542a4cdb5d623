"""One HParams session written into a run folder the caller chooses (KerasTuner's layout:
``<log_dir>/<trial_id>/execution<n>``, beside the ``train``/``validation`` scalars that Keras's
``TensorBoard`` callback writes there).

TensorBoard's HParams plugin reads a session's start (its parameters and group) and end (its
status) from the run, and infers the experiment's parameters and metrics when no experiment
summary exists, which is how KerasTuner's logs are read too.
"""

from __future__ import annotations

import os
import pathlib
import time
from collections.abc import Mapping
from typing import Any

from tftune._tensorboard._events import append_events, event_file_name, summary_event
from tftune._tensorboard._hparams import session_end_summary, session_start_summary
from tftune.trial import TrialState


class HParamsSession:
    """``start()`` when the run begins, ``end(state)`` when it ends; each appends whole records
    to the session's own event file under ``run_dir``."""

    def __init__(
        self, run_dir: str | os.PathLike[str], group_name: str, params: Mapping[str, Any]
    ) -> None:
        self.path = pathlib.Path(run_dir) / event_file_name(".hparams")
        self.group_name = group_name
        self.params = dict(params)

    def start(self) -> None:
        now = time.time()
        summary = session_start_summary(self.group_name, self.params, {}, now)
        append_events(self.path, [summary_event(summary, wall_time=now)])

    def end(self, state: TrialState) -> None:
        now = time.time()
        append_events(self.path, [summary_event(session_end_summary(state, now), wall_time=now)])
