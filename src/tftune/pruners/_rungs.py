"""The values recorded at successive-halving rungs, indexed per study as trials finish.

A rung holds one value per configuration (a resumed trial carries its paused predecessor's
notes and shares its *lineage*); when several trials of a line recorded the rung, the latest
trial's value counts. Finished trials are folded in once (see ``_per_study``); open trials are
few and are laid over the index at each query.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable

from tftune.pruners._per_study import PerStudy
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

#: A paused trial's checkpoint: ``{"path": ..., "epoch": ..., ...}`` (set by the Keras tuner).
CHECKPOINT_KEY = "checkpoint"
#: On a resumed trial: the number of the paused trial it continues.
RESUME_OF_KEY = "resume_of"
#: On a resumed trial: the number of the first trial of its configuration's line.
LINEAGE_KEY = "lineage"
#: The Hyperband bracket a trial was drawn into.
BRACKET_KEY = "hyperband_bracket"


def lineage(trial: FrozenTrial) -> int:
    """The trial number that stands for a configuration however often it was resumed."""
    return int(trial.system_attrs.get(LINEAGE_KEY, trial.number))


def is_rung_key(key: str) -> bool:
    return "_rung_" in key


def has_rung_notes(trial: FrozenTrial) -> bool:
    """Whether any successive-halving pruner (of any Hyperband bracket) saw the trial."""
    return any(is_rung_key(key) or key == BRACKET_KEY for key in trial.system_attrs)


class RungValues:
    """One value per line, the latest trial's; the non-NaN ones also kept sorted."""

    def __init__(self) -> None:
        self.by_line: dict[int, tuple[int, float]] = {}  # line -> (trial number, value)
        self.ordered: list[float] = []

    def put(self, line: int, number: int, value: float) -> None:
        old = self.by_line.get(line)
        if old is not None:
            if old[0] > number:
                return
            if not math.isnan(old[1]):
                del self.ordered[bisect.bisect_left(self.ordered, old[1])]
        self.by_line[line] = (number, value)
        if not math.isnan(value):
            bisect.insort(self.ordered, value)

    def with_entries(self, entries: Iterable[tuple[int, int, float]]) -> list[float]:
        """The sorted non-NaN values once ``(line, number, value)`` entries are laid over
        (each replaces its line's value if it is at least as late); this index is unchanged.
        """
        winners: dict[int, tuple[int, float]] = {}
        for line, number, value in entries:
            current = winners.get(line) or self.by_line.get(line)
            if current is None or current[0] <= number:
                winners[line] = (number, value)
        removed = [
            self.by_line[line][1]
            for line in winners
            if line in self.by_line and not math.isnan(self.by_line[line][1])
        ]
        added = [value for _, value in winners.values() if not math.isnan(value)]
        if sorted(removed) == sorted(added):
            return self.ordered
        ordered = self.ordered.copy()
        for value in removed:
            del ordered[bisect.bisect_left(ordered, value)]
        for value in added:
            bisect.insort(ordered, value)
        return ordered


class StudyRungs:
    """A study's finished trials as successive halving needs them."""

    def __init__(self) -> None:
        self.noted: dict[str, RungValues] = {}  # rung key -> values of trials that noted it
        self.unnoted: list[FrozenTrial] = []  # finished trials no pruner saw
        self._unnoted_steps: dict[int, RungValues] = {}  # step -> their values there
        self.max_complete_step: int | None = None
        self.final_range: tuple[float, float] | None = None  # complete trials' min, max final
        self.paused: dict[int, FrozenTrial] = {}  # number -> PRUNED trial with a checkpoint
        self.resumed: set[int] = set()  # numbers of paused trials a finished trial resumed
        # rung key -> (value recorded there, final value) of the complete trials that noted it
        self.complete_noted: dict[str, list[tuple[float, float]]] = {}

    def add(self, trial: FrozenTrial) -> None:
        line = lineage(trial)
        if trial.state == TrialState.COMPLETE and trial.last_step is not None:
            self.max_complete_step = max(self.max_complete_step or 0, trial.last_step)
            final = trial.intermediate_values[trial.last_step]
            if math.isfinite(final):
                low, high = self.final_range or (final, final)
                self.final_range = (min(low, final), max(high, final))
        if trial.state == TrialState.PRUNED and CHECKPOINT_KEY in trial.system_attrs:
            self.paused[trial.number] = trial
        if RESUME_OF_KEY in trial.system_attrs:
            self.resumed.add(int(trial.system_attrs[RESUME_OF_KEY]))
        if has_rung_notes(trial):
            for key, value in trial.system_attrs.items():
                if is_rung_key(key):
                    self.noted.setdefault(key, RungValues()).put(line, trial.number, value)
                    if trial.state == TrialState.COMPLETE and trial.value is not None:
                        pair = (value, trial.value)
                        self.complete_noted.setdefault(key, []).append(pair)
            return
        self.unnoted.append(trial)
        for step, values in self._unnoted_steps.items():
            if step in trial.intermediate_values:
                values.put(line, trial.number, trial.intermediate_values[step])

    def may_beat_best_final(self, bound: float, minimize: bool) -> bool:
        """Whether ``bound`` (an optimistic final value) beats or ties the complete trials' best
        last report (True while none is complete)."""
        if self.final_range is None or math.isnan(bound):
            return self.final_range is None
        return bound <= self.final_range[0] if minimize else bound >= self.final_range[1]

    def prediction_errors(self, key: str, minimize: bool) -> list[float]:
        """For the complete trials that recorded the rung ``key``: the value recorded there minus
        the final value they reached, as losses (positive where the record was too
        pessimistic; see ``_curves.calibrated_margin``)."""
        sign = 1.0 if minimize else -1.0
        return [sign * (recorded - final) for recorded, final in self.complete_noted.get(key, ())]

    def unnoted_at(self, step: int) -> RungValues:
        """The unnoted finished trials' values at ``step`` (indexed on first use)."""
        values = self._unnoted_steps.get(step)
        if values is None:
            values = self._unnoted_steps[step] = RungValues()
            for trial in self.unnoted:
                if step in trial.intermediate_values:
                    values.put(lineage(trial), trial.number, trial.intermediate_values[step])
        return values

    def competing(self, key: str, step: int, open_trials: Iterable[FrozenTrial]) -> list[float]:
        """The sorted non-NaN values at the rung noted as ``key`` at ``step``: the finished
        trials that noted it, the finished ones no pruner saw that reported ``step``, and the
        open trials that noted it. A shared list: read-only."""
        unnoted = self.unnoted_at(step).by_line
        entries = [(line, number, value) for line, (number, value) in unnoted.items()]
        entries += [
            (lineage(t), t.number, t.system_attrs[key])
            for t in open_trials
            if key in t.system_attrs
        ]
        entries.sort(key=lambda entry: entry[1])
        noted = self.noted.get(key)
        if noted is None:
            noted = RungValues()
        return noted.with_entries(entries)


#: Shared by every successive-halving pruner (and Hyperband bracket) of a study.
STUDY_RUNGS: PerStudy[StudyRungs] = PerStudy(StudyRungs, StudyRungs.add)
