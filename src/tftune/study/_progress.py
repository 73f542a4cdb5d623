"""A progress bar for ``optimize`` on stderr, in Optuna's (tqdm's) format:

    Best trial: 3. Best value: 0.25: 100%|██████████| 10/10 [00:01<00:00, 9.80it/s]

counting trials when ``n_trials`` is given (with ``, 1.02/10 seconds`` when a timeout is too),
else seconds (``00:30/01:00``). On a terminal the line is redrawn (at most 10 times a second);
elsewhere (a log file, a captured stream) only the final line is written.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from typing import TYPE_CHECKING

from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study

_WIDTH = 10
_REDRAW_S = 0.1


def format_interval(seconds: float) -> str:
    """``MM:SS`` under an hour, ``H:MM:SS`` from one (hours unbounded), as tqdm writes them."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def progress_bar_for(
    study: Study, n_trials: int | None, timeout: float | None, n_jobs: int = 1
) -> ProgressBar | None:
    """The bar ``show_progress_bar=True`` asks for, or None with Optuna's warning when there is
    nothing to count (no budget) or a time bar would run in several threads."""
    if n_trials is None and timeout is None:
        warnings.warn(
            "Progress bar won't be displayed because n_trials and timeout are None.",
            UserWarning,
            stacklevel=4,
        )
        return None
    if n_trials is None and n_jobs != 1:
        warnings.warn(
            "The timeout-based progress bar is not supported with n_jobs != 1.",
            UserWarning,
            stacklevel=4,
        )
        return None
    return ProgressBar(study, n_trials, timeout)


class ProgressBar:
    """Trials done (or seconds spent) of the budget, the best trial and value so far."""

    def __init__(self, study: Study, n_trials: int | None, timeout: float | None) -> None:
        self._study = study
        self._n_trials = n_trials
        self._timeout = timeout
        self._by_time = n_trials is None and timeout is not None
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._done = 0
        self._best: tuple[int, float] | None = None
        self._stream = sys.stderr
        self._live = bool(getattr(self._stream, "isatty", lambda: False)())
        self._drawn = 0.0

    def update(self, trial: FrozenTrial) -> None:
        with self._lock:
            self._done += 1
            if trial.state == TrialState.COMPLETE and len(self._study.directions) == 1:
                value = trial.values[0]  # type: ignore[index]
                maximize = self._study.direction.name == "MAXIMIZE"
                if self._best is None or (
                    value > self._best[1] if maximize else value < self._best[1]
                ):
                    self._best = (trial.number, value)
            now = time.monotonic()
            if self._live and now - self._drawn >= _REDRAW_S:
                self._drawn = now
                self._stream.write("\r" + self.line())
                self._stream.flush()

    def line(self) -> str:
        """The bar as it stands."""
        elapsed = time.monotonic() - self._start
        prefix = ""
        if self._best is not None:
            prefix = f"Best trial: {self._best[0]}. Best value: {self._best[1]:.6g}: "
        if self._by_time:
            total = float(self._timeout or 0.0)
            shown = min(elapsed, total)
            fraction = shown / total if total > 0 else 1.0
            counts = f"{format_interval(shown)}/{format_interval(total)}"
        else:
            total_trials = int(self._n_trials or 0)
            fraction = self._done / total_trials if total_trials else 1.0
            rate = self._done / elapsed if elapsed > 0 else 0.0
            remaining = (total_trials - self._done) / rate if rate > 0 else 0.0
            counts = (
                f"{self._done}/{total_trials} [{format_interval(elapsed)}<"
                f"{format_interval(remaining)}, {rate:.2f}it/s"
            )
            if self._timeout is not None:
                counts += f", {elapsed:.02f}/{self._timeout} seconds"
            counts += "]"
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(fraction * _WIDTH)
        bar = "█" * filled + " " * (_WIDTH - filled)
        return f"{prefix}{fraction * 100:3.0f}%|{bar}| {counts}"

    def close(self) -> None:
        with self._lock:
            self._stream.write(("\r" if self._live else "") + self.line() + "\n")
            self._stream.flush()
