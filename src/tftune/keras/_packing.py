"""Packed search: the trials of one small model trained together, fused into one model.

The tuner asks the sampler for a pack of trials, builds each trial's model from the user's
ordinary build function (seeded as it would be alone, so each copy starts from its own
initial weights), groups the models that can be fused (same structure, batch size and
starting epoch) and trains each group as one :class:`~tftune.keras._fusion.FusedPack`.
Every epoch each copy reports to its own trial; pruned copies are frozen (and paused for a
promotion), and the survivors are repacked when many are gone. Trials that cannot be
fused run one at a time, with the reason logged.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.exceptions import SearchSpaceExhausted
from tftune.keras._best_weights import rank_key
from tftune.keras._pack_sizing import copies_that_fit, evaluation_batch, split_by_width
from tftune.keras._training import check_model, fresh_session
from tftune.study._optimize import run_trial
from tftune.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    import keras

    from tftune.keras._pack_job import PackJob
    from tftune.study import Study

_logger = logging.getLogger("tftune")

#: ``fit`` arguments a pack honours; anything else makes the trials run one at a time.
PACKABLE_FIT_ARGUMENTS = frozenset(
    {"x", "y", "epochs", "batch_size", "shuffle", "validation_data", "validation_split", "verbose"}
)
#: Repack when the active copies fall to this fraction of the pack (and the pack is big).
REPACK_FRACTION, REPACK_MIN_SIZE = 0.5, 8
KERAS_DEFAULT_BATCH_SIZE = 32


def packing_blocker(fit_arguments: Mapping[str, Any], callbacks: Sequence[Any]) -> str | None:
    """``None`` when this ``search()`` call can train packs, else why not (one line)."""
    if callbacks:
        return "Keras callbacks are given, and they act on one model at a time"
    extra = sorted(set(fit_arguments) - PACKABLE_FIT_ARGUMENTS)
    if extra:
        return f"fit argument(s) {', '.join(map(repr, extra))} are not supported in packs"
    for name in ("x", "y"):
        if not _is_array_like(fit_arguments.get(name)):
            return f"`{name}` is a {type(fit_arguments.get(name)).__name__}; packs need arrays"
    validation = fit_arguments.get("validation_data")
    if validation is not None and not (
        isinstance(validation, (tuple, list))
        and len(validation) == 2
        and all(map(_is_array_like, validation))
    ):
        return "`validation_data` is not an (x, y) pair of arrays"
    return None


def _is_array_like(value: Any) -> bool:
    return isinstance(value, (np.ndarray, list)) or (
        hasattr(value, "__array__") and hasattr(value, "shape")
    )


@dataclass
class _Member:
    """One trial of a pack: its model, its fit settings and what it has reported."""

    trial: Trial
    model: keras.Model
    batch_size: int
    epochs: int
    initial_epoch: int
    history: dict[str, list[float]] = field(default_factory=dict)
    finished: bool = False  # told COMPLETE, PRUNED or FAIL
    reported: bool = False  # reported an epoch from a pack

    @property
    def group_key(self) -> tuple[int, int, int]:
        return (self.batch_size, self.epochs, self.initial_epoch)


def ask_pack(study: Study, size: int) -> tuple[list[Trial], bool]:
    """Up to ``size`` new trials of ``study`` for one pack, and whether its sampler has nothing
    left to propose (a finished grid)."""
    trials: list[Trial] = []
    try:
        while len(trials) < size:
            trials.append(study.ask())
    except SearchSpaceExhausted as exhausted:
        _logger.info("%s", exhausted)
        return trials, True
    return trials, False


class PackedSearch:
    """Trains a :class:`~tftune.keras._pack_job.PackJob`'s trials in packs: asks for them
    (:meth:`run`, in the tuner's process) or is given one pack (:meth:`run_pack`, on a Ray
    worker). ``callbacks`` run after each trial's tell."""

    def __init__(
        self,
        job: PackJob,
        callbacks: Sequence[Callable[[Any, FrozenTrial], None]] = (),
        progress: Any = None,
    ) -> None:
        if job.study is None:
            raise ValueError("A packed search needs the job's study to ask trials from.")
        self.job = job
        self.study: Study = job.study
        self.pack_size = job.pack_size
        self.callbacks, self.progress = list(callbacks), progress
        fit_arguments = job.fit_arguments
        self.x, self.y, self.validation = _split_data(fit_arguments)
        self.epochs = int(fit_arguments.get("epochs", 1))
        self.batch_size = int(fit_arguments.get("batch_size") or KERAS_DEFAULT_BATCH_SIZE)
        self.shuffle = bool(fit_arguments.get("shuffle", True))
        #: The trial numbers of each fused pack trained so far.
        self.packs: list[list[int]] = []

    # --- the loop ----------------------------------------------------------------------------
    def run(self, n_trials: int | None, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        remaining = n_trials
        while not self.study.stop_requested and (deadline is None or time.monotonic() < deadline):
            size = self.pack_size if remaining is None else min(self.pack_size, remaining)
            if size <= 0:
                return
            trials = self._ask(size)
            if not trials:
                return
            if remaining is not None:
                remaining -= len(trials)
            self.run_pack(trials)

    def _ask(self, size: int) -> list[Trial]:
        trials, exhausted = ask_pack(self.study, size)
        if exhausted:
            self.study.stop()
        return trials

    def run_pack(self, trials: list[Trial]) -> None:
        """Train one pack of (running) trials to their end: fused where they fuse, the rest
        one at a time."""
        self.job.release_graphs()
        fresh_session(None)
        alone: list[Trial] = []
        members: list[_Member] = []
        try:
            for trial in trials:
                member = self._prepare(trial)
                if isinstance(member, _Member):
                    members.append(member)
                elif member is not None:
                    alone.append(trial)
            for group, reason in _groups(members):
                if reason is None:
                    alone.extend(self._train_pack(group))
                else:
                    _logger.info("Trials %s run one at a time: %s.", _numbers(group), reason)
                    alone.extend(member.trial for member in group)
        except BaseException as error:
            self._fail_unfinished(trials, error)
            raise
        for trial in alone:
            self._run_alone(trial)

    # --- preparing a trial -------------------------------------------------------------------
    def _prepare(self, trial: Trial) -> _Member | bool | None:
        """Build the trial's model; ``True`` when it must run alone, ``None`` when it failed."""
        job = self.job
        try:
            job.seed_trial(trial)
            options = job.trial_fit_options(trial)
            model = job.build(trial)
            check_model(model)
        except Exception as error:  # the same failures run_trial would catch
            self._finish(trial, state=TrialState.FAIL, error=error)
            return None
        if set(options) - {"batch_size", "epochs"}:
            _logger.info(
                "Trial %d runs alone: its fit options %s are not supported in packs.",
                trial.number,
                sorted(options),
            )
            return True
        member = _Member(
            trial,
            model,
            int(options.get("batch_size", self.batch_size)),
            int(options.get("epochs", self.epochs)),
            job.resume_epoch(trial),
        )
        if not model.built:
            model.build((None, *np.shape(self.x)[1:]))
        return member

    # --- training a pack ---------------------------------------------------------------------
    def _train_pack(self, group: list[_Member]) -> list[Trial]:
        """Train a group that fuses: in chunks that fit in memory, each split by width if that
        pays. Returns the trials left to run one at a time (those of packs that failed)."""
        batch_size = group[0].batch_size
        limit = copies_that_fit([member.model for member in group], batch_size)
        alone: list[Trial] = []
        for start in range(0, len(group), limit):
            chunk = group[start : start + limit]
            for part in split_by_width([member.model for member in chunk], batch_size):
                alone.extend(self._train_one_pack([chunk[index] for index in part]))
        return alone

    def _train_one_pack(self, members: list[_Member]) -> list[Trial]:
        from tftune.keras._fusion import FusedPack

        job = self.job
        for member in members:  # a resumed trial starts from its checkpoint (loaded only now: a
            if job.is_resuming(member.trial):  # trial that runs alone loads it itself)
                member.initial_epoch, member.history = job.resume(member.trial, member.model)
        seed = None if job.seed is None else job.seed + members[0].trial.number
        models = [member.model for member in members]
        try:
            pack = GuardedPack(lambda: FusedPack(models, seed=seed))
            _logger.info("Training trials %s as one pack of %d.", _numbers(members), len(members))
            self.packs.append([member.trial.number for member in members])
            self._train_epochs(pack, members, seed)
        except PackFailed as failure:
            return self._unpack(members, failure)
        return []

    def _unpack(self, members: list[_Member], failure: PackFailed) -> list[Trial]:
        """After a pack's own computation failed: its trials that reported nothing yet go back
        to run one at a time; those that had reported epochs fail, with the reason."""
        left = [member for member in members if not member.finished]
        if not left:
            return []
        retried = [member for member in left if not member.reported]
        failed = [member for member in left if member.reported]
        parts = [f"{_numbers(retried)} run one at a time"] if retried else []
        parts += [f"{_numbers(failed)} fail (they had reported epochs)"] if failed else []
        _logger.warning(
            "The fused pack of trials %s failed with %s; %s.",
            _numbers(left),
            failure.summary,
            ", ".join(parts),
        )
        for member in failed:
            self._fail(member, f"The fused pack training this trial failed: {failure.summary}")
        return [member.trial for member in retried]

    def _train_epochs(self, pack: Any, members: list[_Member], seed: int | None) -> None:
        first = members[0]
        evaluation_rows = (
            0
            if self.validation is None
            else evaluation_batch(
                [member.model for member in members], first.batch_size, len(self.validation[0])
            )
        )
        for epoch in range(first.initial_epoch, first.epochs):
            train_logs = pack.fit_epoch(
                self.x,
                self.y,
                batch_size=first.batch_size,
                shuffle=self.shuffle,
                seed=None if seed is None else seed + epoch,
            )
            val_logs = (
                pack.evaluate(*self.validation, batch_size=evaluation_rows)
                if self.validation is not None
                else [{}] * pack.size
            )
            # one route for the epoch's write-backs: its checkpoints read all survivors at once
            reads = _StateReads(
                pack, [i for i, member in enumerate(members) if not member.finished]
            )
            for index, member in enumerate(members):
                if (
                    not member.finished
                ):  # (a copy whose loss turned NaN is frozen by the pack already)
                    logs = {
                        **train_logs[index],
                        **{f"val_{k}": v for k, v in val_logs[index].items()},
                    }
                    member.finished = not self._after_epoch(
                        pack, index, member, logs, epoch, reads
                    )
                    if member.finished and pack.active[index]:
                        pack.freeze(index)
            pack, members = _repacked(pack, members)
            if all(member.finished for member in members):
                return
        # the best copy first: the others then rarely beat the study's best, so they need no
        # write-back into their models and no weights file (each copy read alone, when asked)
        finishing = [(index, m) for index, m in enumerate(members) if not m.finished]
        for index, member in sorted(finishing, key=lambda pair: self._rank(pair[1])):
            self._complete(member, functools.partial(pack.write_back, index))

    def _after_epoch(
        self,
        pack: Any,
        index: int,
        member: _Member,
        logs: dict[str, float],
        epoch: int,
        reads: _StateReads,
    ) -> bool:
        """Record and report one epoch of one copy; ``False`` when its trial has finished.
        ``reads`` copies the epoch's checkpoints out of the pack."""
        for name, value in logs.items():
            member.history.setdefault(name, []).append(float(value))
        job, trial = self.job, member.trial
        for callback in job.epoch_callbacks:
            callback(trial, epoch, logs)
        loss = logs.get("loss", math.nan)
        if not math.isfinite(loss):
            return self._fail(
                member, f"The training loss became {loss} at epoch {epoch}; the trial diverged."
            )
        if job.objective not in logs:
            return self._fail(
                member,
                f"Objective metric {job.objective!r} is not in the training logs; the model "
                f"reports {sorted(logs)}. Pass validation data for 'val_' metrics.",
            )
        value = float(logs[job.objective])
        trial.report(value, epoch)
        member.reported = True
        if not trial.should_prune():
            if epoch + 1 < member.epochs and job.checkpoints_epoch(epoch):
                reads.write_back(index)
                job.save_epoch(trial, member.model, epoch, member.history)
            return True
        if job.resume_promoted and math.isfinite(value):
            reads.write_back(index, bulk=False)
            job.pause(trial, member.model, epoch)
        self._store_history(member)
        self._finish(trial, state=TrialState.PRUNED)
        return False

    def _fail(self, member: _Member, reason: str) -> bool:
        self._store_history(member)
        self._finish(member.trial, state=TrialState.FAIL, reason=reason)
        return False

    def _rank(self, member: _Member) -> tuple[bool, float, int]:
        """Sort key of a finishing member (``rank_key``: the order of the best weights)."""
        value = member.history[self.job.objective][-1]
        return rank_key(self.study.direction, value, member.trial.number)

    def _complete(self, member: _Member, write_back: Callable[[], None]) -> None:
        self._store_history(member)
        value = member.history[self.job.objective][-1]
        self.job.keep_if_best(member.trial, member.model, value, prepare=write_back)
        self._finish(member.trial, values=value)

    def _store_history(self, member: _Member) -> None:
        self.job.store_history(member.trial, member.history)

    # --- finishing trials --------------------------------------------------------------------
    def _finish(
        self,
        trial: Trial,
        *,
        values: float | None = None,
        state: TrialState | None = None,
        error: BaseException | None = None,
        reason: str | None = None,
    ) -> None:
        if error is not None:
            reason = "".join(traceback.format_exception(error))
            _logger.warning(
                "Trial %d failed with parameters %s: %r", trial.number, trial.params, error
            )
        elif reason is not None:
            _logger.warning("Trial %d failed: %s", trial.number, reason)
        if reason is not None:
            trial.set_system_attr("fail_reason", reason)
        frozen = self.study.tell(trial, values, state=state)
        if frozen.state == TrialState.PRUNED:
            _logger.info("Trial %d pruned.", frozen.number)
        elif frozen.state == TrialState.COMPLETE:
            _logger.info(
                "Trial %d finished with value %s and parameters %s.",
                frozen.number,
                frozen.value,
                frozen.params,
            )
        self._after_trial(frozen)

    def _after_trial(self, frozen: FrozenTrial) -> None:
        for callback in self.callbacks:
            callback(self.study, frozen.copy())
        if self.progress is not None:
            self.progress.update(frozen)

    def _run_alone(self, trial: Trial) -> None:
        frozen = run_trial(self.study, self.job.trial_objective(), (Exception,), trial=trial)
        if frozen is not None:
            self._after_trial(frozen)

    def _fail_unfinished(self, trials: list[Trial], error: BaseException) -> None:
        """Close the pack's trials still running when the search stops with an error."""
        reason = (
            f"The search stopped with {type(error).__name__} while this trial's pack was training."
        )
        for trial in trials:
            frozen = self.study.storage.get_trial(trial.trial_id)
            if frozen.state == TrialState.RUNNING:
                trial.set_system_attr("fail_reason", reason)
                self.study.tell(trial, state=TrialState.FAIL)


class PackFailed(Exception):
    """A fused pack's own computation failed: fusion's fault (an unsupported kernel, a shape
    the inspection missed), not any one trial's."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error

    @property
    def summary(self) -> str:
        """The error's type and the first line of its message."""
        message = re.sub(r"^\{\{function_node [^}]*\}\}\s*", "", str(self.error).strip())
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        if lines and lines[0] == "in user code:":  # an error raised while tracing: its last line
            lines = lines[-1:]
        name = type(self.error).__name__
        first = lines[0].removeprefix(f"{name}: ") if lines else ""
        return f"{name}: {first}".rstrip(": ")


class GuardedPack:
    """A FusedPack whose every failure surfaces as :class:`PackFailed`."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._pack = _guarded(make)

    @property
    def size(self) -> int:
        return int(self._pack.size)

    @property
    def active(self) -> list[bool]:
        return list(_guarded(lambda: self._pack.active))

    def fit_epoch(self, *args: Any, **kwargs: Any) -> list[dict[str, float]]:
        return list(_guarded(lambda: self._pack.fit_epoch(*args, **kwargs)))

    def evaluate(self, *args: Any, **kwargs: Any) -> list[dict[str, float]]:
        return list(_guarded(lambda: self._pack.evaluate(*args, **kwargs)))

    def freeze(self, index: int) -> None:
        _guarded(lambda: self._pack.freeze(index))

    def write_back(self, index: int | Sequence[int]) -> None:
        _guarded(lambda: self._pack.write_back(index))

    def copy_states(self, indices: Sequence[int]) -> list[Any]:
        return list(_guarded(lambda: self._pack.copy_states(indices)))

    def write_state(self, index: int, state: Any) -> None:
        _guarded(lambda: self._pack.write_state(index, state))

    def repack(self, keep: Sequence[int]) -> GuardedPack:
        return GuardedPack(lambda: self._pack.repack(keep))


class _StateReads:
    """One epoch's write-backs of copies' states into their own models, each copy written once.
    The checkpoints (``bulk``) read every copy in ``indices`` at once, on the first ask (one
    read per stacked variable); a lone write-back (a paused copy) reads only its own copy unless
    they were read already. Valid until the pack trains again."""

    def __init__(self, pack: Any, indices: Sequence[int]) -> None:
        self.pack, self.indices = pack, list(indices)
        self._states: dict[int, Any] | None = None
        self._written: set[int] = set()

    def write_back(self, index: int, *, bulk: bool = True) -> None:
        if index in self._written:
            return
        if self._states is None and not bulk:
            self.pack.write_back(index)
        else:
            if self._states is None:
                states = self.pack.copy_states(self.indices)
                self._states = dict(zip(self.indices, states, strict=True))
            self.pack.write_state(index, self._states[index])
        self._written.add(index)


def _guarded(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as error:
        raise PackFailed(error) from error


def _repacked(pack: Any, members: list[_Member]) -> tuple[Any, list[_Member]]:
    """Drop frozen copies from a big pack once most of them are frozen."""
    active = [index for index, member in enumerate(members) if not member.finished]
    if pack.size < REPACK_MIN_SIZE or not active or len(active) > REPACK_FRACTION * pack.size:
        return pack, members
    return pack.repack(active), [members[index] for index in active]


def _groups(members: list[_Member]) -> list[tuple[list[_Member], str | None]]:
    """Split the members into packs that can fuse (same batch size, epochs, starting epoch and
    a structure ``fusion_blocker`` accepts), each with ``None``; the members that fit no pack
    come last, with the reason the first of them could not join one."""
    from tftune.keras._fusion import fusion_blocker

    packs: list[list[_Member]] = []
    for member in members:
        for pack in packs:
            if (
                pack[0].group_key == member.group_key
                and fusion_blocker([pack[0].model, member.model]) is None
            ):
                pack.append(member)
                break
        else:
            packs.append([member])
    fused: list[tuple[list[_Member], str | None]] = [
        (pack, None) for pack in packs if len(pack) > 1
    ]
    lonely = [pack[0] for pack in packs if len(pack) == 1]
    if not lonely:
        return fused
    return [*fused, (lonely, _lonely_reason(lonely[0], members))]


def _lonely_reason(member: _Member, members: list[_Member]) -> str:
    from tftune.keras._fusion import fusion_blocker

    alone = fusion_blocker([member.model])
    if alone is not None:
        return alone
    if len(members) == 1:
        return "a pack of one trial trains as fast alone"
    other = next(m for m in members if m is not member)
    if other.group_key != member.group_key:
        return f"no other trial has its batch size, epochs and starting epoch {member.group_key}"
    blocker = fusion_blocker([other.model, member.model])
    return f"it does not fuse with trial #{other.trial.number}: {blocker}"


def _numbers(members: Sequence[_Member]) -> str:
    numbers = [member.trial.number for member in members]
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))) and len(numbers) > 2:
        return f"#{numbers[0]}-#{numbers[-1]}"
    return ", ".join(f"#{n}" for n in numbers)


def _split_data(
    fit_arguments: Mapping[str, Any],
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """Training arrays and validation pair; ``validation_split`` takes the last rows, as Keras
    does."""
    x, y = np.asarray(fit_arguments["x"]), np.asarray(fit_arguments["y"])
    validation = fit_arguments.get("validation_data")
    if validation is not None:
        return x, y, (np.asarray(validation[0]), np.asarray(validation[1]))
    split = fit_arguments.get("validation_split") or 0.0
    if not split:
        return x, y, None
    cut = int(len(x) * (1.0 - split))
    return x[:cut], y[:cut], (x[cut:], y[cut:])
