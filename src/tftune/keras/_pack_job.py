"""A pack job: everything the training of a tuner's trials needs, in one picklable object.

The one-at-a-time path, the in-process packed path and the Ray path all train trials from a
:class:`PackJob`: the user's build and fit-options functions, the seed, the objective, the
``fit`` arguments (the data), the study (its storage: the database, or a proxy to it on a Ray
worker), where checkpoints and best weights go, and the trial ids of one pack. The tuner makes
one per ``search()`` call; the Ray path ships it to its workers once and gives each pack task
its trial ids.
"""

from __future__ import annotations

import dataclasses
import io
import pathlib
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from tftune._ray._epoch_store import (
    PAUSED,
    DirectoryEpochStore,
    EpochCheckpoint,
    EpochStore,
    PausedCheckpoints,
    paused_file_name,
)
from tftune.exceptions import TrialPruned
from tftune.keras._best_weights import WEIGHTS_ATTR, BestWeights
from tftune.keras._callback import TrialFailed, TrialReportCallback
from tftune.keras._memory import GradientRegistryCleaner
from tftune.keras._training import check_model, fresh_session, input_shape, is_out_of_memory
from tftune.pruners._successive_halving import CHECKPOINT_KEY, RESUME_OF_KEY
from tftune.storages._callbacks import RETRY_OF_KEY

if TYPE_CHECKING:
    from tftune.study import Study
    from tftune.trial import Trial

RESUMED_VALUES_ATTR = "resumed_intermediate_values"
HISTORY_ATTR = "history"
#: No longer written (an :class:`EpochStore` keeps a trial's last completed epoch); trials
#: stored by earlier versions still carry it.
EPOCH_CHECKPOINT_KEY = "epoch_checkpoint"
#: A trial that went on from a checkpoint records the epoch it started at here.
RESUMED_AT_KEY = "resumed_at_epoch"
#: The most of a pack's time its per-epoch checkpoints may take (see ``checkpoints_epoch``).
CHECKPOINT_BUDGET = 0.1
#: A paused trial's checkpoint kept in a ``paused_store`` (not a file) names its chain here.
STORE_CHAIN_KEY = "store_chain"
BuildFn = Callable[[Any], "keras.Model"]
FitOptionsFn = Callable[[Any], Mapping[str, Any]]
EpochCallback = Callable[["Trial", int, Mapping[str, Any]], None]


@dataclasses.dataclass
class PackJob:
    """How to train the trials of one ``Tuner.search`` call (see the module doc).

    Attributes:
        build: ``build(trial) -> compiled keras.Model``.
        objective: the metric reported to the study each epoch.
        study: the study (its storage) the packs ask their trials from; ``None`` for a job
            that only trains given trials one at a time (each trial knows its study).
        fit_arguments: the ``fit`` arguments of the search (``x``, ``y``, ``epochs``, ...).
        seed: trial *n* runs with Keras seeded to ``seed + n`` (``None``: unseeded).
        fit_options: ``fit_options(trial) -> dict`` of per-trial ``fit`` arguments.
        pack_size: the most trials in one pack.
        resume_promoted: pruned trials leave a checkpoint to be promoted from.
        checkpoint_dir: where paused trials' (and per-epoch) checkpoints go.
        max_checkpoints: the most paused trials kept on disk.
        weights_dir: where the best trials' weights go (readable by the driver).
        keep_best: how many of the best trials keep their weights.
        epoch_callbacks: ``callback(trial, epoch, logs)`` after each epoch of every trial.
        checkpoint_epochs: save every trial's weights after each completed epoch (the Ray
            path), so a retry after a lost worker resumes from there.
        epoch_store: where those go (default: a :class:`DirectoryEpochStore` in
            ``checkpoint_dir``; on Ray, an actor on the driver's node).
        checkpoint_budget: the most of a pack's time its checkpoints may take; an epoch is
            checkpointed only while they took less (see :meth:`checkpoints_epoch`).
        paused_store: where paused trials' checkpoints go (``None``: a ``.weights.h5`` file
            under ``checkpoint_dir``; on Ray with no shared directory, the checkpoint actor on
            the driver's node, which keeps at most ``max_checkpoints``).
        driver_paused: on a Ray worker, the paused trials' checkpoints as the driver reads
            them (through the checkpoint actor): a promotion resumes from there, whichever
            search paused its trial, except from a file under ``checkpoint_dir`` of a search
            that writes them by path (a shared directory), read here. ``None``: this process
            reads them itself.
        trial_ids: the trials of one pack (empty for the job of a whole search).
        weights_stage: on a Ray worker, the local directory best weights are written to; they
            travel to the driver with the pack's result, which stores them under
            ``weights_dir`` (the path the trial records), so no directory need be shared.
        gradients: drops the graphs of finished trials (made anew in each process).
    """

    build: BuildFn
    objective: str
    study: Study | None
    fit_arguments: dict[str, Any]
    seed: int | None = 0
    fit_options: FitOptionsFn | None = None
    pack_size: int = 32
    resume_promoted: bool = False
    checkpoint_dir: pathlib.Path = pathlib.Path("checkpoints")
    max_checkpoints: int = 100
    weights_dir: pathlib.Path = pathlib.Path(".")
    keep_best: int = 1
    epoch_callbacks: Sequence[EpochCallback] = ()
    checkpoint_epochs: bool = False
    epoch_store: EpochStore | None = None
    checkpoint_budget: float = CHECKPOINT_BUDGET
    paused_store: EpochStore | None = None
    driver_paused: PausedCheckpoints | None = None
    trial_ids: tuple[int, ...] = ()
    weights_stage: pathlib.Path | None = None
    gradients: GradientRegistryCleaner | None = dataclasses.field(default=None, compare=False)
    #: This process's epoch checkpoints: count, bytes and seconds (weights to bytes, sent).
    saved: dict[str, float] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    #: When this pack began (``time.monotonic``), and which epochs it checkpoints.
    began: float = dataclasses.field(default_factory=time.monotonic, compare=False, repr=False)
    planned: dict[int, bool] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    mark: float = dataclasses.field(default=0.0, compare=False, repr=False)
    #: The epoch checkpoints fetched for the trials resuming here (by trial id).
    fetched: dict[int, dict[str, Any] | None] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        state["gradients"] = None  # what it remembers is this process's registry
        state["saved"], state["fetched"], state["planned"] = {}, {}, {}  # (this process's)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)

    def for_trials(self, trial_ids: Sequence[int]) -> PackJob:
        """This job for one pack of trials."""
        return dataclasses.replace(
            self,
            trial_ids=tuple(trial_ids),
            saved={},
            fetched={},
            planned={},
            mark=0.0,
            began=time.monotonic(),
        )

    def epoch_checkpoints(self) -> EpochStore:
        """Where the per-epoch checkpoints go (see ``epoch_store``)."""
        if self.epoch_store is None:
            self.epoch_store = DirectoryEpochStore(self.checkpoint_dir)
        return self.epoch_store

    def release_graphs(self) -> None:
        """Drop what TensorFlow keeps of the trials trained so far in this process."""
        if self.gradients is None:
            self.gradients = GradientRegistryCleaner()
        self.gradients.release()

    # --- one trial's set-up ------------------------------------------------------------------
    def seed_trial(self, trial: Trial) -> None:
        """Seed Keras for this trial (``seed + number``), so its model starts from the same
        weights whether it trains alone, in a pack, or on another machine."""
        if self.seed is not None:
            keras.utils.set_random_seed(self.seed + trial.number)

    def trial_fit_options(self, trial: Trial) -> dict[str, Any]:
        """``fit_options(trial)``, checked to be a dict."""
        if self.fit_options is None:
            return {}
        options = self.fit_options(trial)
        if not isinstance(options, Mapping):
            raise TrialFailed(
                f"fit_options(trial) must return a dict of fit arguments, got {options!r}."
            )
        return dict(options)

    def checkpoint_of(self, trial: Trial) -> dict[str, Any] | None:
        """The checkpoint a trial starts from, the later of a promotion's and the last
        completed epoch of the trial its retry replaces (``None``: it starts at epoch 0)."""
        attrs = trial.system_attrs
        found: list[dict[str, Any]] = []
        if RESUME_OF_KEY in attrs:
            found.append(attrs[CHECKPOINT_KEY])
        saved = self._epoch_checkpoint(trial)
        if saved is not None:
            found.append(saved)
        return max(found, key=lambda checkpoint: int(checkpoint["epoch"])) if found else None

    def is_resuming(self, trial: Trial) -> bool:
        """Whether the trial goes on from a checkpoint instead of epoch 0."""
        return self.checkpoint_of(trial) is not None

    def resume_epoch(self, trial: Trial) -> int:
        """The epoch a trial starts at: 0, or the one after its checkpoint's."""
        checkpoint = self.checkpoint_of(trial)
        return 0 if checkpoint is None else int(checkpoint["epoch"]) + 1

    def _epoch_checkpoint(self, trial: Trial) -> dict[str, Any] | None:
        """A retry's epoch checkpoint (fetched once, its state as bytes), or ``None``."""
        if RETRY_OF_KEY not in trial.system_attrs:
            return None  # (only a retry finds one: its chain's first trial saved it)
        if trial.trial_id not in self.fetched:
            found = self.epoch_checkpoints().latest(chain_of(trial))
            if found is None:
                self.fetched[trial.trial_id] = None
            else:
                checkpoint, state = found
                self.fetched[trial.trial_id] = dataclasses.asdict(checkpoint) | {"state": state}
        return self.fetched[trial.trial_id]

    # --- pausing and resuming ----------------------------------------------------------------
    def pause(self, trial: Trial, model: keras.Model, epoch: int) -> None:
        """Keep a pruned trial's weights and optimizer state so a promotion can resume it."""
        if self.paused_store is not None:
            values = [[step, value] for step, value in sorted(trial.intermediate_values.items())]
            self.paused_store.put(
                EpochCheckpoint(trial.number, epoch, input_shape(model), values, {}),
                model_state(model),
            )
            trial.set_system_attr(
                CHECKPOINT_KEY,
                {STORE_CHAIN_KEY: trial.number, "epoch": epoch, "input_shape": input_shape(model)},
            )
            return
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        path = self.checkpoint_dir / paused_file_name(trial.number)
        model.save_weights(path)
        trial.set_system_attr(
            CHECKPOINT_KEY, {"path": str(path), "epoch": epoch, "input_shape": input_shape(model)}
        )
        paused = sorted(
            self.checkpoint_dir.glob("trial_*.weights.h5"),
            key=lambda p: int(p.stem.split("_")[1].split(".")[0]),
        )
        for old in paused[: max(0, len(paused) - self.max_checkpoints)]:
            old.unlink(missing_ok=True)

    def checkpoints_epoch(self, epoch: int) -> bool:
        """Whether this pack checkpoints ``epoch`` (with ``checkpoint_epochs``): the first
        time, and then while its checkpoints so far (copying each trial's weights out of the
        pack, saving, sending) took at most ``checkpoint_budget`` of its time. One answer per
        epoch for all the pack's trials; a retry goes on after the last epoch checkpointed."""
        if not self.checkpoint_epochs:
            return False
        if epoch not in self.planned:
            now = time.monotonic()
            spent = self.saved.get("pack_seconds", 0.0)
            take = spent <= self.checkpoint_budget * (now - self.began)
            self.planned[epoch] = take
            self.saved["epochs" if take else "skipped_epochs"] = (
                self.saved.get("epochs" if take else "skipped_epochs", 0) + 1
            )
            self.mark = now  # (the epoch's checkpoints are timed from here)
        return self.planned[epoch]

    def save_epoch(
        self, trial: Trial, model: keras.Model, epoch: int, history: Mapping[str, list[float]]
    ) -> None:
        """With ``checkpoint_epochs``: keep the trial's state after ``epoch`` (weights,
        optimizer, reported values, history) in the epoch store, as its retry chain's latest,
        so a retry after a lost worker goes on from it."""
        if not self.checkpoint_epochs:
            return
        began = time.perf_counter()
        weights = model_state(model)
        encoded = time.perf_counter()
        checkpoint = EpochCheckpoint(
            chain=chain_of(trial),
            epoch=epoch,
            input_shape=input_shape(model),
            values=[[step, value] for step, value in sorted(trial.intermediate_values.items())],
            history={name: list(values) for name, values in history.items()},
        )
        self.epoch_checkpoints().put(checkpoint, weights)
        sent = time.perf_counter()
        now = time.monotonic()
        for key, amount in (
            ("count", 1),
            ("bytes", len(weights)),
            ("encode_seconds", encoded - began),
            ("send_seconds", sent - encoded),
            ("pack_seconds", now - self.mark if self.mark else sent - began),
        ):
            self.saved[key] = self.saved.get(key, 0) + amount
        self.mark = now

    def resume(self, trial: Trial, model: keras.Model) -> tuple[int, dict[str, list[float]]]:
        """Load the trial's checkpoint into ``model``; return the epoch to go on from and the
        history so far."""
        checkpoint = self.checkpoint_of(trial)
        assert checkpoint is not None
        if not model.built and checkpoint.get("input_shape"):
            model.build(tuple(checkpoint["input_shape"]))
        if model.optimizer is not None and model.built:
            model.optimizer.build(model.trainable_variables)  # so its moments load too
        if "state" in checkpoint:  # an epoch checkpoint (kept: a pack that fails may run the
            load_model_state(model, checkpoint["state"])  # trial alone and resume it again)
        elif STORE_CHAIN_KEY in checkpoint:  # a promotion's, from the paused store
            load_model_state(model, self._paused_state(checkpoint))
        else:  # a promotion's, in a file
            self._load_paused_file(trial, model, checkpoint)
        reported = trial.intermediate_values  # (a retry after a failed pack reported them)
        values = checkpoint.get("values", trial.system_attrs.get(RESUMED_VALUES_ATTR, []))
        for step, value in values:
            if int(step) not in reported and int(step) <= int(checkpoint["epoch"]):
                trial.report(value, int(step))
        saved = checkpoint.get("history", trial.user_attrs.get(HISTORY_ATTR, {}))
        history = {k: list(v) for k, v in saved.items()}
        start = int(checkpoint["epoch"]) + 1
        trial.set_system_attr(RESUMED_AT_KEY, start)
        return start, history

    def _paused_state(self, checkpoint: Mapping[str, Any]) -> bytes:
        """The model state of a paused trial kept in a paused store: this search's
        (``paused_store``), the driver's (``driver_paused``: an earlier search's), or, in the
        driver's process, the files the checkpoint actor kept in ``checkpoint_dir``."""
        number = int(checkpoint[STORE_CHAIN_KEY])
        if self.paused_store is not None:
            found = self.paused_store.latest(number)
        elif self.driver_paused is not None:  # (paused so by an earlier search)
            found = self.driver_paused.paused(number)
        else:
            found = _paused_files(self.checkpoint_dir).latest(number)
        if found is None or found[0].epoch != int(checkpoint["epoch"]):
            raise TrialFailed(
                f"The checkpoint of paused trial #{number} (epoch {checkpoint['epoch']}) is no "
                "longer kept (at most `max_checkpoints` are), so its promotion cannot resume."
            )
        return found[1]

    def _load_paused_file(
        self, trial: Trial, model: keras.Model, checkpoint: Mapping[str, Any]
    ) -> None:
        """Load a paused trial's checkpoint written by path: read here in the driver's process
        or from this search's shared directory, otherwise fetched from the driver."""
        path = pathlib.Path(checkpoint["path"])
        paused = f"paused trial #{trial.system_attrs.get(RESUME_OF_KEY, '?')}"
        if self.driver_paused is None or (
            self.paused_store is None and _within(path, self.checkpoint_dir)
        ):
            if not path.is_file():
                raise TrialFailed(
                    f"The checkpoint of {paused} (epoch {checkpoint['epoch']}) is no longer at "
                    f"{path}, so its promotion cannot resume."
                )
            model.load_weights(path)
            return
        data = self.driver_paused.file(str(path))
        if data is None:
            raise TrialFailed(
                f"The checkpoint of {paused} (epoch {checkpoint['epoch']}) is a file, {path}, "
                "that the driver cannot read (an earlier search wrote it, into its shared_dir "
                "or project directory), so its promotion cannot resume."
            )
        with tempfile.TemporaryDirectory(prefix="tftune-paused-") as local:
            copy = pathlib.Path(local) / path.name
            copy.write_bytes(data)
            model.load_weights(copy)

    def keep_if_best(
        self,
        trial: Trial,
        model: keras.Model,
        value: float,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        """Save the trial's weights if its value may make it the study's best (before its
        tell); ``prepare()`` runs first, only then (a pack writes the copy's weights into its
        model)."""
        stage = self.weights_stage
        best = BestWeights(trial.study, stage or self.weights_dir, keep=self.keep_best)
        if best.may_be_best(trial.number, value):
            if prepare is not None:
                prepare()
            best.save(trial, model, input_shape(model))
            if stage is not None:  # where the driver will keep it
                name = pathlib.Path(trial.user_attrs[WEIGHTS_ATTR]).name
                trial.set_user_attr(WEIGHTS_ATTR, str(self.weights_dir / name))

    def store_history(self, trial: Trial, history: Mapping[str, list[float]]) -> None:
        """Keep the trial's per-epoch logs as its ``history`` user attribute."""
        if history:
            trial.set_user_attr(HISTORY_ATTR, dict(history))

    # --- one trial alone ---------------------------------------------------------------------
    def trial_objective(self, user_callbacks: Sequence[Any] = ()) -> Callable[[Trial], float]:
        """The objective that trains one trial alone (for ``study.optimize`` or a pack's
        leftovers)."""

        def objective(trial: Trial) -> float:
            return self.run_trial(trial, list(user_callbacks))

        return objective

    def run_trial(self, trial: Trial, user_callbacks: list[Any]) -> float:
        """Build and train one trial with ``model.fit``; return its objective's last value."""
        self.release_graphs()  # the previous trial's graphs can go now
        fresh_session(None)
        self.seed_trial(trial)
        arguments = {**self.fit_arguments, **self.trial_fit_options(trial)}
        model = self.build(trial)
        check_model(model)
        on_prune = (
            (lambda model, epoch: self.pause(trial, model, epoch))
            if self.resume_promoted
            else None
        )
        reporter = TrialReportCallback(trial, self.objective, on_prune=on_prune)
        initial_epoch = 0
        if self.is_resuming(trial):
            initial_epoch, reporter.history = self.resume(trial, model)
        callbacks = [
            *user_callbacks,
            *self._epoch_listener(trial),
            reporter,
            *self._epoch_saver(trial, model, reporter),
        ]
        try:
            model.fit(callbacks=callbacks, initial_epoch=initial_epoch, **arguments)
        except TrialPruned:
            self.store_history(trial, reporter.history)
            raise
        except Exception as error:
            self.store_history(trial, reporter.history)
            if is_out_of_memory(error):
                raise TrialFailed(
                    f"Out of memory while training trial {trial.number}: {error}"
                ) from error
            raise
        self.store_history(trial, reporter.history)
        if self.objective not in reporter.history:
            raise TrialFailed(
                f"Training ran no epoch, so objective {self.objective!r} was never reported."
            )
        value = reporter.history[self.objective][-1]
        self.keep_if_best(trial, model, value)
        return value

    def _epoch_listener(self, trial: Trial) -> list[keras.callbacks.Callback]:
        """A Keras callback running ``epoch_callbacks`` (none when there are none)."""
        if not self.epoch_callbacks:
            return []

        def on_epoch_end(epoch: int, logs: Mapping[str, Any] | None) -> None:
            for callback in self.epoch_callbacks:
                callback(trial, epoch, logs or {})

        return [keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)]

    def _epoch_saver(
        self, trial: Trial, model: keras.Model, reporter: TrialReportCallback
    ) -> list[keras.callbacks.Callback]:
        """A Keras callback saving the epochs that ``checkpoints_epoch`` takes (with
        ``checkpoint_epochs``), within the same budget as a pack's."""
        if not self.checkpoint_epochs:
            return []

        def on_epoch_end(epoch: int, logs: Mapping[str, Any] | None) -> None:
            if self.checkpoints_epoch(epoch):
                self.mark = 0.0  # (a trial alone: only the save itself is checkpoint time)
                self.save_epoch(trial, model, epoch, reporter.history)

        return [keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)]


def paused_kept(checkpoint: Mapping[str, Any], checkpoint_dir: pathlib.Path) -> bool:
    """Whether a paused trial's checkpoint (its ``CHECKPOINT_KEY`` attribute) is still kept:
    its file, or, kept in the paused store, that store's files under ``checkpoint_dir`` (on the
    driver's disk)."""
    if STORE_CHAIN_KEY in checkpoint:
        return _paused_files(checkpoint_dir).holds(int(checkpoint[STORE_CHAIN_KEY]))
    return pathlib.Path(checkpoint["path"]).exists()


def drop_paused(checkpoint: Mapping[str, Any], checkpoint_dir: pathlib.Path) -> None:
    """Remove a paused trial's checkpoint (see :func:`paused_kept`)."""
    if STORE_CHAIN_KEY in checkpoint:
        _paused_files(checkpoint_dir).discard([int(checkpoint[STORE_CHAIN_KEY])])
    else:
        pathlib.Path(checkpoint["path"]).unlink(missing_ok=True)


def _within(path: pathlib.Path, directory: pathlib.Path) -> bool:
    """Whether ``path`` is under ``directory``, both absolute (a relative path on a worker
    names another place than on the driver)."""
    return path.is_absolute() and directory.is_absolute() and path.is_relative_to(directory)


def _paused_files(checkpoint_dir: pathlib.Path) -> DirectoryEpochStore:
    return DirectoryEpochStore(checkpoint_dir, prefix=PAUSED)


def chain_of(trial: Trial) -> int:
    """The number of the first trial of the trial's retry chain (its own, if not a retry)."""
    return int(trial.system_attrs.get(RETRY_OF_KEY, trial.number))


def model_state(model: keras.Model) -> bytes:
    """The model's variables and its optimizer's (in their order) as ``.npz`` bytes: about ten
    times faster to write than a ``.weights.h5`` file."""
    buffer = io.BytesIO()
    arrays = {f"model_{i}": np.asarray(v) for i, v in enumerate(model.weights)}
    if model.optimizer is not None:
        optimizer = enumerate(model.optimizer.variables)
        arrays |= {f"optimizer_{i}": np.asarray(v) for i, v in optimizer}
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # (numpy types it as allow_pickle)
    return buffer.getvalue()


def load_model_state(model: keras.Model, state: bytes) -> None:
    """Assign what :func:`model_state` saved to ``model`` (built, its optimizer built); raise
    ValueError when the model does not have the variables saved."""
    with np.load(io.BytesIO(state)) as saved:
        groups = [("model", list(model.weights))]
        if model.optimizer is not None:
            groups.append(("optimizer", list(model.optimizer.variables)))
        for prefix, variables in groups:
            names = [name for name in saved.files if name.startswith(f"{prefix}_")]
            shapes = [tuple(v.shape) for v in variables]
            stored = [saved[f"{prefix}_{i}"].shape for i in range(len(names))]
            if shapes != stored:
                raise ValueError(
                    f"The checkpoint does not fit this model: its {prefix} variables have "
                    f"shapes {stored}, the model's {shapes}."
                )
            for i, variable in enumerate(variables):
                variable.assign(saved[f"{prefix}_{i}"])
