"""The HParams experiment: the domains and metrics TensorBoard's HParams view lists.

Each study keeps its own experiment in its folder (``<logdir>/<study>/tftune-hparams.json``,
grown as trials bring new parameters, metrics or wider ranges). TensorBoard reads a single
experiment per log directory (the first it finds), so the one it sees is the merge of every
study's, in the run ``_hparams_experiment/<version>``. A running TensorBoard keeps the first
experiment a run holds, so a grown one goes into a new run and the older one is deleted
(TensorBoard drops the runs whose folder is gone).
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
from collections.abc import Iterator
from typing import Any

from google.protobuf import json_format
from tensorboard.plugins.hparams import api_pb2

from tftune._tensorboard._events import event_file_name, replace_event_file, summary_event
from tftune._tensorboard._hparams import experiment_summary, merge_experiments

SIDECAR_NAME = "tftune-hparams.json"
#: The folder of the merged experiment's runs (one at a time: ``<MERGED_DIR>/<version>``).
MERGED_DIR = "_hparams_experiment"
LOCK_NAME = ".tftune-hparams.lock"


class StudyExperiment:
    """A study's own experiment, kept in ``study_dir``, and the merged one of ``logdir``."""

    def __init__(self, logdir: pathlib.Path, study_dir: pathlib.Path) -> None:
        self.logdir, self.study_dir = logdir, study_dir
        stored = _read_sidecar(study_dir / SIDECAR_NAME)
        self.fingerprint: str | None = stored.get("fingerprint")
        self.experiment = _experiment_of(stored)

    def update(
        self,
        hparams: list[api_pb2.HParamInfo],
        metrics: list[api_pb2.MetricInfo],
        fingerprint: str | None,
        now: float,
    ) -> None:
        """Grow the study's experiment by these domains and metrics; write it (and the merged
        one) only when it changed."""
        addition = api_pb2.Experiment(
            hparam_infos=hparams, metric_infos=metrics, time_created_secs=now
        )
        grown = merge_experiments([self.experiment, addition])
        if grown == self.experiment:
            return
        with _locked(self.logdir / LOCK_NAME):  # other workers may grow it at the same time
            stored = _read_sidecar(self.study_dir / SIDECAR_NAME)
            self.experiment = merge_experiments([_experiment_of(stored), grown])
            self.fingerprint = stored.get("fingerprint") or fingerprint
            _write_json(
                self.study_dir / SIDECAR_NAME,
                {
                    "fingerprint": self.fingerprint,
                    "experiment": json_format.MessageToDict(self.experiment),
                },
            )
            self._write_merged()

    def _write_merged(self) -> None:
        studies = [
            _experiment_of(_read_sidecar(path))
            for path in sorted(self.logdir.glob(f"*/{SIDECAR_NAME}"))
        ]
        merged = merge_experiments(studies)
        runs = self.logdir / MERGED_DIR
        older = [path for path in runs.glob("[0-9]*") if path.is_dir()]
        version = max((int(path.name) for path in older if path.name.isdigit()), default=0) + 1
        run = runs / f"{version:05d}"
        run.mkdir(parents=True)
        replace_event_file(  # (a folder without an event file yet is no run)
            run / event_file_name(),
            [summary_event(experiment_summary(merged), wall_time=merged.time_created_secs)],
        )
        for path in older:
            shutil.rmtree(path, ignore_errors=True)


def _experiment_of(stored: dict[str, Any]) -> api_pb2.Experiment:
    experiment = api_pb2.Experiment()
    json_format.ParseDict(stored.get("experiment", {}), experiment)
    return experiment


def _read_sidecar(path: pathlib.Path) -> dict[str, Any]:
    try:
        content = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError as error:
        raise ValueError(f"{path} is not a tftune HParams file: {error}") from error
    return content if isinstance(content, dict) else {}


def _write_json(path: pathlib.Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(content, indent=1, sort_keys=True))
    os.replace(partial, path)


@contextlib.contextmanager
def _locked(path: pathlib.Path) -> Iterator[None]:
    """An exclusive lock on ``path`` between processes (where the platform has ``fcntl``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one writer per log directory
        yield
        return
    with open(path, "a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
