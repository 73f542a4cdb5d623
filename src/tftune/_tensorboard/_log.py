"""HParamsLog: a study's trials as TensorBoard HParams sessions, one run per trial.

Runs are ``<logdir>/<study_name>/<trial number, 5 digits>``: unique across the studies of a
log directory (TensorBoard merges runs of the same name) and sorted in trial order. A run
starts with the trial's parameters, gets one scalar per metric per epoch (step = epoch; a
promoted trial's run first gets the epochs of the trial it resumes) and ends with the trial's
state. Every write appends whole records to the run's event file and closes it, so a running
TensorBoard sees each epoch as it ends.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from tftune._tensorboard._events import append_events, event_file_name, summary_event
from tftune._tensorboard._experiment import StudyExperiment
from tftune._tensorboard._hparams import (
    hparam_info,
    metric_info,
    scalar_summary,
    session_end_summary,
    session_start_summary,
)
from tftune.distributions import BaseDistribution
from tftune.study import Study
from tftune.trial import FrozenTrial

RUN_DIGITS = 5
_RUN_NAME = re.compile(rf"\d{{{RUN_DIGITS},}}")


def run_name(study_name: str, number: int) -> str:
    """``<study_name>/<number>``, the number zero-padded so runs sort in trial order."""
    return f"{study_name}/{number:0{RUN_DIGITS}d}"


@dataclasses.dataclass
class _Run:
    """One trial's run: its event file and the (metric, epoch) scalars written to it."""

    path: pathlib.Path
    written: set[tuple[str, int]] = dataclasses.field(default_factory=set)


class HParamsLog:
    """Write ``study``'s trials under ``logdir`` for TensorBoard's HParams, Scalars and Time
    Series views (``tensorboard --logdir <logdir>``).

    ``epoch_end(trial, epoch, logs)`` after every epoch of a trial, ``trial_end(study,
    frozen_trial)`` once it is told. ``history_attr`` names the user attribute holding a
    trial's per-epoch metrics (a promoted trial starts with those of the trial it resumes).
    """

    def __init__(
        self,
        logdir: str | os.PathLike[str],
        study: Study,
        objective: str,
        *,
        history_attr: str = "history",
    ) -> None:
        self.logdir = pathlib.Path(logdir)
        self.study_name = study.study_name
        self.study_dir = self.logdir / self.study_name
        self.objective = objective
        self.direction = study.direction.name.lower()
        self.history_attr = history_attr
        self._runs: dict[int, _Run] = {}
        self._known_params: dict[str, BaseDistribution] = {}
        self._known_metrics: set[str] = set()
        self._study = study
        self._experiment = StudyExperiment(self.logdir, self.study_dir)
        self._check_owner()

    def _check_owner(self) -> None:
        """Refuse a study folder holding the runs of another study of the same name (one
        deleted and created again): its trial numbers start over and would share runs."""
        study, stored = self._study, self._experiment.fingerprint
        started = {t.number for t in study.get_trials(deepcopy=False) if t.datetime_start}
        foreign = sorted(
            int(path.name)
            for path in (self.study_dir.iterdir() if self.study_dir.is_dir() else ())
            if path.is_dir() and _RUN_NAME.fullmatch(path.name) and int(path.name) not in started
        )
        if (stored is not None and stored != _fingerprint(study)) or foreign:
            raise ValueError(
                f"`tensorboard`: {self.study_dir} holds the TensorBoard runs of another study "
                f"named {self.study_name!r}"
                + (f" (runs of trials {foreign[:5]} this study never started)" if foreign else "")
                + "; give another log directory or delete that folder."
            )

    # --- hooks -------------------------------------------------------------------------------
    def epoch_end(self, trial: Any, epoch: int, logs: Mapping[str, Any]) -> None:
        """Write one epoch's metrics of ``trial`` (a running ``Trial``) at step ``epoch``."""
        run = self._open(trial, epoch)
        values = {name: float(value) for name, value in logs.items()}
        self._write_scalars(run, {name: {epoch: value} for name, value in values.items()})
        self._learn(None, values)

    def trial_end(self, _study: Study, trial: FrozenTrial) -> None:
        """Finish ``trial``'s run: the epochs not written yet and the session's end (state)."""
        run = self._open(trial, None)
        history = _history(trial, self.history_attr)
        self._write_scalars(
            run, {name: dict(enumerate(values)) for name, values in history.items()}
        )
        self._learn(trial, history)
        end = trial.datetime_complete.timestamp() if trial.datetime_complete else time.time()
        append_events(
            run.path, [summary_event(session_end_summary(trial.state, end), wall_time=end)]
        )
        del self._runs[trial.number]

    def close(self) -> None:
        """Forget the runs of trials never told (their files are complete up to their last
        epoch)."""
        self._runs.clear()

    # --- writing ----------------------------------------------------------------------------
    def _open(self, trial: Any, epoch: int | None) -> _Run:
        """The trial's run, started (parameters, and a resumed trial's earlier epochs) if new."""
        run = self._runs.get(trial.number)
        if run is not None:
            return run
        directory = self.logdir / run_name(self.study_name, trial.number)
        run = self._runs[trial.number] = _Run(directory / event_file_name())
        start = trial.datetime_start.timestamp() if trial.datetime_start else time.time()
        summary = session_start_summary(
            run_name(self.study_name, trial.number), trial.params, trial.distributions, start
        )
        append_events(run.path, [summary_event(summary, wall_time=start)])
        self._learn(trial, ())
        if epoch:  # a promoted trial: the epochs before ``epoch`` are the resumed trial's
            earlier = _history(trial, self.history_attr)
            self._write_scalars(
                run,
                {name: dict(enumerate(values[:epoch])) for name, values in earlier.items()},
            )
        return run

    def _write_scalars(self, run: _Run, series: Mapping[str, Mapping[int, float]]) -> None:
        """Append the (metric, epoch) values not in the run yet, epoch by epoch."""
        by_epoch: dict[int, dict[str, float]] = {}
        for name, values in series.items():
            for epoch, value in values.items():
                if (name, epoch) not in run.written:
                    by_epoch.setdefault(epoch, {})[name] = value
        if not by_epoch:
            return
        now = time.time()
        append_events(
            run.path,
            [
                summary_event(scalar_summary(by_epoch[epoch]), step=epoch, wall_time=now)
                for epoch in sorted(by_epoch)
            ],
        )
        run.written.update((name, epoch) for epoch in by_epoch for name in by_epoch[epoch])

    def _learn(self, trial: Any, metrics: Iterable[str]) -> None:
        """Grow the study's experiment with the trial's parameters (if given) and metrics not
        seen before."""
        distributions = {} if trial is None else trial.distributions
        params = {
            name: distribution
            for name, distribution in distributions.items()
            if self._known_params.get(name) != distribution
        }
        new_metrics = sorted(set(metrics) - self._known_metrics)
        if not params and not new_metrics:
            return
        self._experiment.update(
            [hparam_info(name, distribution) for name, distribution in params.items()],
            [metric_info(name, self.objective, self.direction) for name in new_metrics],
            _fingerprint(self._study),
            time.time(),
        )
        self._known_params.update(params)
        self._known_metrics.update(new_metrics)


def _history(trial: Any, attr: str) -> dict[str, list[float]]:
    history = trial.user_attrs.get(attr) or {}
    return {str(k): [float(v) for v in values] for k, values in dict(history).items()}


def _fingerprint(study: Study) -> str | None:
    """When the study's first trial started: tells this study from an earlier one of the same
    name (``None`` before any trial started)."""
    starts = [t.datetime_start for t in study.get_trials(deepcopy=False) if t.datetime_start]
    return min(starts).isoformat() if starts else None
