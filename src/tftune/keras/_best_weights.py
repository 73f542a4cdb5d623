"""The best trial's trained weights on disk, always those of the study's own best trial.

A trial whose value may make it the best saves its weights *before* it is told (a finished trial
takes no more attributes); files of finished trials that are not the best are removed only
*after* the tell, so a crash in between never leaves the study's best trial without its file.
Ties go to the earliest trial number, as the storages' ``best_trial`` breaks them: trials finish
out of number order in packs (split by width) and across workers.
"""

from __future__ import annotations

import math
import pathlib
import re
from typing import TYPE_CHECKING

from tftune.study import Study, StudyDirection
from tftune.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    import keras

WEIGHTS_ATTR = "weights_path"
INPUT_SHAPE_ATTR = "input_shape"
_FILE = re.compile(r"trial_(\d+)\.weights\.h5")


def rank_key(direction: StudyDirection, value: float, number: int) -> tuple[bool, float, int]:
    """Sort key of a trial's value: finite values first, better first, ties to the earliest
    trial (as the storages' ``best_trial`` breaks them)."""
    if not math.isfinite(value):
        return (True, 0.0, number)
    return (False, -value if direction == StudyDirection.MAXIMIZE else value, number)


class BestWeights:
    """Keeps ``directory/trial_<n>.weights.h5`` for the study's best trial (the ``keep`` best
    ones with ``keep > 1``)."""

    def __init__(self, study: Study, directory: pathlib.Path, keep: int = 1) -> None:
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ValueError(f"`keep` must be a positive int, got {keep!r}.")
        self.study = study
        self.directory = directory
        self.keep = keep

    def may_be_best(self, number: int, value: float) -> bool:
        """Whether trial ``number`` with ``value`` would be among the ``keep`` best once told."""
        if not math.isfinite(value):
            return False
        if self.keep == 1:  # the storage's best trial: no scan of the study
            try:
                best = self.study.best_trial
            except ValueError:  # no complete trial yet
                return True
            assert best.value is not None  # a complete single-objective trial has a value
            return self._order(value, number) < self._order(best.value, best.number)
        ranked = self._ranked()
        if len(ranked) < self.keep:
            return True
        return self._order(value, number) < self._order(*ranked[self.keep - 1])

    def best_numbers(self) -> list[int]:
        """The numbers of the ``keep`` best complete trials, best first."""
        if self.keep == 1:
            return [self.study.best_trial.number]
        return [number for _, number in self._ranked()[: self.keep]]

    def _ranked(self) -> list[tuple[float, int]]:
        complete = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        pairs = [(t.value, t.number) for t in complete if t.value is not None]
        return sorted(pairs, key=lambda pair: self._order(*pair))

    def _order(self, value: float, number: int) -> tuple[bool, float, int]:
        return rank_key(self.study.direction, value, number)

    def save(self, trial: Trial, model: keras.Model, input_shape: list[int | None] | None) -> None:
        """Write the trial's weights and record where they are (before the trial is told)."""
        path = self.directory / f"trial_{trial.number}.weights.h5"
        model.save_weights(path)
        trial.set_user_attr(WEIGHTS_ATTR, str(path))
        if input_shape is not None:
            trial.set_user_attr(INPUT_SHAPE_ATTR, input_shape)

    def remove_superseded(self, told: FrozenTrial) -> None:
        """After ``told`` was told: if it saved weights, delete the files of finished trials
        that are not the study's best (a running trial's file stays: it may yet win)."""
        if WEIGHTS_ATTR not in told.user_attrs:
            return
        files = {
            int(m.group(1)): p for p in self.directory.iterdir() if (m := _FILE.fullmatch(p.name))
        }
        if len(files) <= self.keep:
            return
        kept = set(self.best_numbers())
        finished = {
            t.number for t in self.study.get_trials(deepcopy=False) if t.state.is_finished()
        }
        for number, path in files.items():
            if number not in kept and number in finished:
                path.unlink(missing_ok=True)
