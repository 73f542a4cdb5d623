"""A progress bar for ``optimize``: trials done, best value so far, elapsed time and ETA."""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING

from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


class ProgressBar:
    """A rich progress bar on stderr. Counts trials when ``n_trials`` is set, else seconds."""

    def __init__(self, study: Study, n_trials: int | None, timeout: float | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._study = study
        self._by_time = n_trials is None and timeout is not None
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._best: tuple[int, float] | None = None
        console = Console(file=sys.stderr)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[best]}"),
            console=console,
            transient=False,
        )
        total = timeout if self._by_time else n_trials
        self._task = self._progress.add_task(study.study_name, total=total, best="")
        self._progress.start()

    def update(self, trial: FrozenTrial) -> None:
        with self._lock:
            if trial.state == TrialState.COMPLETE and len(self._study.directions) == 1:
                value = trial.values[0]  # type: ignore[index]
                better = max if self._study.direction.name == "MAXIMIZE" else min
                if self._best is None or better(value, self._best[1]) != self._best[1]:
                    self._best = (trial.number, value)
            best = f"best #{self._best[0]}: {self._best[1]:.6g}" if self._best else ""
            if self._by_time:
                self._progress.update(
                    self._task,
                    completed=min(
                        time.monotonic() - self._start, self._progress.tasks[0].total or 0
                    ),
                    best=best,
                )
            else:
                self._progress.update(self._task, advance=1, best=best)

    def close(self) -> None:
        self._progress.stop()
