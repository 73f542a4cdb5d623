"""The HParams experiment: the domains and metrics TensorBoard's HParams view lists.

Each study keeps its own experiment in its folder (``<logdir>/<study>/tftune-hparams.json``,
grown as trials bring new parameters, metrics or wider ranges). TensorBoard reads a single
experiment per log directory (the first it finds), so the one it sees is the merge of every
study's, written at the log directory's root and rewritten whenever a study's grows.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
from collections.abc import Iterator
from typing import Any

from google.protobuf import json_format
from tensorboard.plugins.hparams import api_pb2

from tftune._tensorboard._events import replace_event_file, summary_event
from tftune._tensorboard._hparams import experiment_summary, merge_experiments

SIDECAR_NAME = "tftune-hparams.json"
#: The merged experiment at the log directory's root (TensorBoard's run ``.``).
ROOT_CONFIG_NAME = "events.out.tfevents.0000000000.tftune-hparams"
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
        replace_event_file(
            self.logdir / ROOT_CONFIG_NAME,
            [summary_event(experiment_summary(merged), wall_time=merged.time_created_secs)],
        )


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
