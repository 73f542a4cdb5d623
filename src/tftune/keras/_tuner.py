"""Tuner: a Keras-native search where tftune owns the training of every trial."""

from __future__ import annotations

import gc
import logging
import numbers
import os
import pathlib
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import keras

import tftune
from tftune._ray._lost_worker import was_retried
from tftune.keras._best_weights import INPUT_SHAPE_ATTR, WEIGHTS_ATTR, BestWeights
from tftune.keras._memory import GradientRegistryCleaner
from tftune.keras._objective import infer_direction
from tftune.keras._pack_sizing import auto_pack_size
from tftune.keras._pack_job import (
    CHECKPOINT_BUDGET,
    EPOCH_CHECKPOINT_KEY,
    HISTORY_ATTR,
    RESUMED_VALUES_ATTR,
    BuildFn,
    EpochCallback,
    FitOptionsFn,
    PackJob,
    drop_paused,
    paused_kept,
)
from tftune.keras._packing import PackedSearch, packing_blocker
from tftune.keras._project import project_dir
from tftune.pruners._successive_halving import CHECKPOINT_KEY, LINEAGE_KEY, RESUME_OF_KEY, lineage
from tftune.storages._base import FIXED_PARAMS_KEY
from tftune.samplers import BaseSampler
from tftune.pruners import BasePruner, NopPruner
from tftune.storages import BaseStorage, RetryFailedTrialCallback
from tftune.study import Study, StudyDirection
from tftune.study._progress import ProgressBar
from tftune.trial import FixedTrial, FrozenTrial, TrialState

if TYPE_CHECKING:
    from tftune._tensorboard import HParamsLog

__all__ = ["HISTORY_ATTR", "RESUMED_VALUES_ATTR", "Tuner"]
_logger = logging.getLogger("tftune")


@runtime_checkable
class PromotingPruner(Protocol):
    """A pruner that promotes paused trials (successive halving, Hyperband)."""

    def promotions(self, study: Study) -> list[FrozenTrial]: ...


def promotion_template(paused: FrozenTrial, checkpoint: Any) -> FrozenTrial:
    """The waiting trial that resumes ``paused`` from ``checkpoint`` (its record): the same
    parameters, its rung notes, lineage, reports and Keras history."""
    notes = {
        k: v for k, v in paused.system_attrs.items() if "_rung_" in k or k == "hyperband_bracket"
    }
    return FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        user_attrs={HISTORY_ATTR: paused.user_attrs.get(HISTORY_ATTR, {})},
        system_attrs={
            **notes,
            FIXED_PARAMS_KEY: dict(paused.params),
            CHECKPOINT_KEY: checkpoint,
            RESUME_OF_KEY: paused.number,
            LINEAGE_KEY: lineage(paused),
            RESUMED_VALUES_ATTR: [
                [step, value] for step, value in sorted(paused.intermediate_values.items())
            ],
        },
    )


class Tuner:
    """Search the hyperparameters of a Keras model built by ``build(trial)``.

    Every trial starts from a clean Keras session with its own seed, reports each epoch's
    objective to the study (so pruners can stop it), and the best trial's weights are kept on
    disk, so :meth:`best_model` gives back a trained model ready to predict. With the default
    storage (``sqlite:///<directory>/<project_name>/study.db``) a rerun resumes the search.

    Small models train in packs: the models of many trials, built by ``build`` as usual, are
    fused into one model and trained at once (each copy with its own weights, optimizer state,
    learning rate, dropout and width), which runs many times more trials per hour. Trials that
    cannot be fused run one at a time, and the log says why.

    Args:
        build: ``build(trial) -> compiled keras.Model``; suggest hyperparameters on ``trial``.
        objective: the metric to optimize, as named in the training logs (``"val_accuracy"``).
        direction: ``"minimize"``/``"maximize"``; inferred from the objective's name if omitted.
        sampler, pruner: tftune sampler and pruner (defaults: AutoSampler, as ``create_study``;
            no pruning, ``NopPruner()``: pass a pruner to stop trials early).
        storage: a database URL or storage object (default: SQLite under ``directory``).
        directory, project_name: where the study and the best weights are kept.
        seed: trial *n* runs with Keras seeded to ``seed + n`` (``None``: unseeded).
        max_consecutive_failures: stop with an error after this many failed trials in a row.
        resume_promoted: with a successive-halving or Hyperband pruner, a pruned trial leaves a
            checkpoint (weights and optimizer state) and is only paused: when its rung later
            ranks it in the top fraction (ASHA's promotion), a new trial resumes it from the
            checkpoint instead of training from epoch 0. ``False`` makes pruning final.
        max_checkpoints: the most paused trials kept on disk; the oldest are dropped (and can
            no longer be promoted).
        fit_options: ``fit_options(trial) -> dict`` of per-trial ``fit`` arguments, to tune
            them too, e.g.
            ``lambda t: {"batch_size": t.suggest_categorical("batch_size", [16, 32])}``.
        fuse: ``"auto"`` trains trials in packs where possible; ``True`` requires it (an error
            says why it cannot); ``False`` runs one trial at a time.
        pack_size: trials per pack; ``"auto"``: 32 on CPU, 128 on a GPU, fewer when the
            estimated memory of a pack would exceed a quarter of the free memory.
        retry_failed: a trial whose worker died (its heartbeat stopped: a killed process, a
            lost machine) runs again with the same parameters, up to this many times per
            configuration; a whole pack's trials come back this way, and a promoted trial
            resumes from its checkpoint again. ``0`` turns it off. Applies to a storage whose
            ``failed_trial_callback`` is not set (``RetryFailedTrialCallback``).
        tensorboard: a log directory: every trial becomes a run ``<project_name>/<number>``
            there, with its hyperparameters, per-epoch metrics and final state, for
            TensorBoard's HParams view (``tensorboard --logdir <dir>``). Needs the
            ``tftune[tensorboard]`` extra.
        keep_best: how many of the best trials keep their trained weights on disk.
    """

    history_attr = HISTORY_ATTR

    def __init__(
        self,
        build: BuildFn,
        *,
        objective: str = "val_loss",
        direction: str | StudyDirection | None = None,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
        storage: str | BaseStorage | None = None,
        directory: str | os.PathLike[str] = "tftune_results",
        project_name: str = "untitled",
        seed: int | None = 0,
        max_consecutive_failures: int = 3,
        resume_promoted: bool = True,
        max_checkpoints: int = 100,
        fit_options: FitOptionsFn | None = None,
        fuse: bool | Literal["auto"] = "auto",
        pack_size: int | Literal["auto"] = "auto",
        retry_failed: int = 3,
        tensorboard: str | os.PathLike[str] | None = None,
        keep_best: int = 1,
    ) -> None:
        if not callable(build):
            raise TypeError(
                f"`build` must be a function build(trial) -> keras.Model, got {build!r}."
            )
        if not isinstance(objective, str) or not objective:
            raise ValueError(
                f"`objective` must be a metric name such as 'val_accuracy', got {objective!r}."
            )
        if (
            isinstance(max_consecutive_failures, bool)
            or not isinstance(max_consecutive_failures, int)
            or max_consecutive_failures < 1
        ):
            raise ValueError(
                "`max_consecutive_failures` must be a positive int, "
                f"got {max_consecutive_failures!r}."
            )
        if fit_options is not None and not callable(fit_options):
            raise TypeError(
                "`fit_options` must be a function fit_options(trial) -> dict, "
                f"got {fit_options!r}."
            )
        if fuse not in (True, False, "auto"):
            raise ValueError(f"`fuse` must be True, False or 'auto', got {fuse!r}.")
        if pack_size != "auto" and (
            isinstance(pack_size, bool) or not isinstance(pack_size, int) or pack_size < 1
        ):
            raise ValueError(f"`pack_size` must be a positive int or 'auto', got {pack_size!r}.")
        if isinstance(retry_failed, bool) or not isinstance(retry_failed, int) or retry_failed < 0:
            raise ValueError(f"`retry_failed` must be a non-negative int, got {retry_failed!r}.")
        if tensorboard is not None:
            _check_log_directory(tensorboard)
            from tftune._tensorboard import HParamsLog  # lazily (an extra): fails before setup
        self.build = build
        self.objective = objective
        self.direction = infer_direction(objective, direction)
        self.seed = seed
        self.max_consecutive_failures = max_consecutive_failures
        self.fit_options = fit_options
        self.fuse = fuse
        self.pack_size = pack_size
        self.project_dir = project_dir(directory, project_name)  # checks the name first
        self.project_dir.mkdir(parents=True, exist_ok=True)
        if storage is None:
            # (absolute: a Ray actor on this machine may open it from another directory)
            storage = f"sqlite:///{self.project_dir.absolute() / 'study.db'}"
        self.study: Study = tftune.create_study(
            study_name=project_name,
            storage=storage,
            sampler=sampler,
            pruner=pruner if pruner is not None else NopPruner(),
            direction=self.direction,
            load_if_exists=True,
        )
        storage_object = self.study.storage
        if retry_failed and storage_object.failed_trial_callback is None:
            storage_object.failed_trial_callback = RetryFailedTrialCallback(max_retry=retry_failed)
        self._failures_in_a_row = 0
        self._gradients: GradientRegistryCleaner | None = None  # made by each search()
        self.resume_promoted = resume_promoted and isinstance(self.study.pruner, PromotingPruner)
        self.max_checkpoints = max_checkpoints
        self.checkpoint_dir = self.project_dir / "checkpoints"
        self._best_weights = BestWeights(self.study, self.project_dir, keep=keep_best)
        self._after_trial_callbacks: list[Callable[[Study, FrozenTrial], None]] = [
            self._after_trial,
            self._count_failures,
            self._promote,
        ]
        #: Why the last ``search()`` ran trials one at a time (``None`` when it used packs).
        self.packing_note: str | None = None
        #: The trial numbers of each fused pack the last ``search()`` trained (on any backend).
        self.last_packs: list[list[int]] = []
        #: Called as ``callback(trial, epoch, logs)`` after each epoch of every trial (alone or
        #: in a pack), before the pruner is asked.
        self.epoch_callbacks: list[EpochCallback] = []
        #: The TensorBoard log of the trials (``None`` without ``tensorboard=``).
        self.tensorboard: HParamsLog | None = None
        if tensorboard is not None:
            try:
                self.tensorboard = HParamsLog(
                    tensorboard, self.study, objective, history_attr=HISTORY_ATTR
                )
            except BaseException:
                self.close()
                raise
            self.epoch_callbacks.append(self.tensorboard.epoch_end)
            self._after_trial_callbacks.insert(0, self.tensorboard.trial_end)

    # --- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        """Release the study's storage (database connections, heartbeat thread)."""
        if self.tensorboard is not None:
            self.tensorboard.close()
        self.study.storage.close()

    def __enter__(self) -> Tuner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- searching -------------------------------------------------------------------------
    def search(
        self,
        x: Any = None,
        y: Any = None,
        *,
        n_trials: int | None = None,
        timeout: float | None = None,
        epochs: int = 1,
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
        show_progress_bar: bool = False,
        backend: str = "threads",
        n_jobs: int = -1,
        resources_per_pack: dict[str, float] | None = None,
        max_retries: int = 3,
        shared_dir: str | os.PathLike[str] | None = None,
        checkpoint_budget: float = CHECKPOINT_BUDGET,
        **fit_kwargs: Any,
    ) -> Study:
        """Run trials; ``x``, ``y``, ``epochs``, ``callbacks`` and ``fit_kwargs`` go to
        ``model.fit``.

        Pass ``validation_data=(x_val, y_val)`` or ``validation_split=0.2`` for 'val_' objectives.

        Args:
            backend: ``"threads"`` trains here; ``"ray"`` trains each pack as one Ray task on
                the cluster ``ray.init()`` connects to (needs ``tftune[ray]``), holding the
                device it trains on. The data goes into Ray's object store once.
            n_jobs: with ``backend="ray"``, packs training at once (-1: as many as the
                cluster's resources hold).
            resources_per_pack: with ``backend="ray"``, what each pack task holds, e.g.
                ``{"cpu": 1}`` (the default) or ``{"gpu": 1}``; ``pack_size="auto"`` is
                chosen for that device (32 copies on a CPU, 128 on a GPU).
            max_retries: with ``backend="ray"``, how many times a configuration whose worker
                died is run again; the retry goes on after its last checkpointed epoch
                (a pack's checkpoints reach this process through Ray, with no shared
                directory; trials run one at a time keep theirs on their worker's disk, so
                their retry on another node starts over).
            shared_dir: with ``backend="ray"``, a directory every node and this process can
                read and write, where paused trials' checkpoints (that promotions resume from)
                are written by path and the best weights are kept. For packs nothing need be
                shared by default: those checkpoints go as bytes to a checkpoint actor on this
                machine, which keeps them in the project directory, and a promotion on any node
                fetches them back (the best weights travel back with each pack's result).
                Trials run one at a time (Keras ``callbacks``) pause through that actor too,
                but write their best weights by path on their worker's disk: for
                ``best_model()`` here, pass ``shared_dir`` (or run on one machine). A promotion
                resumes from where its paused trial's checkpoint was kept, whichever search
                paused it: a file outside this search's ``shared_dir`` is fetched from this
                process (which must still read it).
            checkpoint_budget: with ``backend="ray"`` and ``max_retries > 0``, the most of a
                pack's training time its per-epoch checkpoints (for retries) may take, a number
                in [0, 1]: the first epoch is always checkpointed, a later one only while the
                checkpoints so far took at most this fraction (default 0.1; ``1``: every
                epoch; ``0``: the first only). A retry goes on after the last one checkpointed.
                Trials that run one at a time (Keras ``callbacks``) reject it.
        """
        if n_trials is None and timeout is None:
            raise ValueError("search() needs `n_trials` or `timeout`, or it would never stop.")
        on_ray = _check_backend(
            backend, n_jobs, resources_per_pack, max_retries, shared_dir, checkpoint_budget
        )
        fit_arguments = dict(fit_kwargs, x=x, y=y, epochs=epochs)
        fit_arguments.setdefault("verbose", 0)
        user_callbacks = list(callbacks or [])
        self._failures_in_a_row = 0
        self.last_packs = []
        self.packing_note = self._packing_blocker(fit_arguments, user_callbacks)
        if self.packing_note is not None and self.fuse == "auto" and n_trials != 1:
            _logger.info("Trials run one at a time: %s.", self.packing_note)
        if on_ray and self.packing_note is not None and checkpoint_budget != CHECKPOINT_BUDGET:
            raise ValueError(
                "`checkpoint_budget` applies to trials trained in packs only; these run one at "
                f"a time ({self.packing_note}), got {checkpoint_budget!r}."
            )
        if on_ray and self.tensorboard is not None:
            raise ValueError(
                "`tensorboard` logging runs in this process only; it is not supported with "
                "backend='ray' (got backend='ray' and a tensorboard log directory)."
            )

        # Everything alive now (TensorFlow's modules, the data) outlives the search: move it out
        # of the collector's sight, so the per-trial collection only scans what trials create.
        self._gradients = GradientRegistryCleaner()
        gc.collect()
        gc.freeze()
        try:
            self._promote(self.study)
            job = self.job(fit_arguments)
            if on_ray:
                self._search_on_ray(
                    job,
                    user_callbacks,
                    n_trials=n_trials,
                    timeout=timeout,
                    n_jobs=n_jobs,
                    resources=resources_per_pack,
                    max_retries=max_retries,
                    shared_dir=shared_dir,
                    checkpoint_budget=float(checkpoint_budget),
                    show_progress_bar=show_progress_bar,
                )
            elif self.packing_note is None:
                self._search_in_packs(job, n_trials, timeout, show_progress_bar)
            else:
                self.study.optimize(
                    job.trial_objective(user_callbacks),
                    n_trials=n_trials,
                    timeout=timeout,
                    catch=(Exception,),
                    callbacks=self._after_trial_callbacks,
                    show_progress_bar=show_progress_bar,
                )
        finally:
            self._gradients.release()
            gc.unfreeze()
        return self.study

    def _packing_blocker(
        self, fit_arguments: dict[str, Any], user_callbacks: list[Any]
    ) -> str | None:
        if self.fuse is False:
            return "fuse=False"
        reason = packing_blocker(fit_arguments, user_callbacks)
        if reason is not None and self.fuse is True:
            raise ValueError(
                f"fuse=True, but these trials cannot train in packs: {reason}. "
                "Use fuse='auto' to run them one at a time."
            )
        return reason

    def _search_in_packs(
        self,
        job: PackJob,
        n_trials: int | None,
        timeout: float | None,
        show_progress_bar: bool,
    ) -> None:
        progress = ProgressBar(self.study, n_trials, timeout) if show_progress_bar else None
        self.study.clear_stop()
        self.study.fail_stale_trials()
        search = PackedSearch(job, self._after_trial_callbacks, progress)
        try:
            search.run(n_trials, timeout)
        finally:
            self.last_packs = search.packs
            self.study.clear_stop()
            if progress is not None:
                progress.close()

    def _search_on_ray(
        self,
        job: PackJob,
        user_callbacks: list[Any],
        *,
        n_trials: int | None,
        timeout: float | None,
        n_jobs: int,
        resources: dict[str, float] | None,
        max_retries: int,
        shared_dir: str | os.PathLike[str] | None,
        checkpoint_budget: float,
        show_progress_bar: bool,
    ) -> None:
        from tftune.keras._ray_search import ray_job, search_on_ray

        job = ray_job(
            job,
            project_dir=self.project_dir,
            shared_dir=shared_dir,
            max_retries=max_retries,
            checkpoint_budget=checkpoint_budget,
        )
        job.weights_dir.mkdir(parents=True, exist_ok=True)
        if job.weights_dir != self._best_weights.directory:  # superseded files go from there
            self._best_weights = BestWeights(
                self.study, job.weights_dir, keep=self._best_weights.keep
            )
        loop = search_on_ray(
            job,
            user_callbacks if self.packing_note is not None else None,
            callbacks=self._after_trial_callbacks,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            resources=resources,
            pack_size=self.pack_size,
            max_retries=max_retries,
            show_progress_bar=show_progress_bar,
            pause_to_actor=shared_dir is None,
            paused_dir=self.checkpoint_dir,
        )
        if loop is not None:
            self.last_packs = loop.packs

    def job(self, fit_arguments: dict[str, Any]) -> PackJob:
        """The :class:`PackJob` that trains this tuner's trials on ``fit_arguments`` (for
        every path: one at a time, in packs here, or in packs on Ray workers)."""
        return PackJob(
            build=self.build,
            objective=self.objective,
            study=self.study,
            fit_arguments=fit_arguments,
            seed=self.seed,
            fit_options=self.fit_options,
            pack_size=auto_pack_size() if self.pack_size == "auto" else self.pack_size,
            resume_promoted=self.resume_promoted,
            checkpoint_dir=self.checkpoint_dir,
            max_checkpoints=self.max_checkpoints,
            weights_dir=self.project_dir,
            keep_best=self._best_weights.keep,
            epoch_callbacks=self.epoch_callbacks,
            gradients=self._gradients,
        )

    def _promote(self, study: Study, _trial: FrozenTrial | None = None) -> None:
        """Enqueue a resuming trial for each paused trial the pruner now promotes (once each,
        whichever worker gets there first)."""
        if not self.resume_promoted:
            return
        pruner = study.pruner
        if not isinstance(pruner, PromotingPruner):
            return
        for paused in pruner.promotions(study):
            checkpoint = paused.system_attrs[CHECKPOINT_KEY]
            if not paused_kept(checkpoint, self.checkpoint_dir):
                continue
            template = promotion_template(paused, checkpoint)
            study.storage.enqueue_trials(
                study.study_id, [template], once_key=f"promote:{paused.number}"
            )

    def _count_failures(self, study: Study, trial: FrozenTrial) -> None:
        if was_retried(trial):
            return  # its worker died and it runs again: not its own failure (nor a success)
        if trial.state != TrialState.FAIL:
            self._failures_in_a_row = 0
            return
        self._failures_in_a_row += 1
        if self._failures_in_a_row >= self.max_consecutive_failures:
            reason = trial.system_attrs.get("fail_reason", "").strip().splitlines()
            raise RuntimeError(
                f"{self._failures_in_a_row} trials failed in a row; "
                f"the last one (#{trial.number}) with: "
                f"{reason[-1] if reason else 'no reason stored'}. "
                "Fix the build function or the data."
            )

    # --- the best trial --------------------------------------------------------------------
    def _after_trial(self, study: Study, trial: FrozenTrial) -> None:
        """After each tell: drop superseded best weights and a promoted trial's used checkpoint."""
        self._best_weights.remove_superseded(trial)
        if RESUME_OF_KEY in trial.system_attrs:  # kept until now, so a retry could resume too
            # The checkpoint it resumed from is the paused trial's: a resumed trial pruned again
            # has just written its own, which a later promotion needs.
            resumed = study.get_trials(deepcopy=False)[int(trial.system_attrs[RESUME_OF_KEY])]
            drop_paused(resumed.system_attrs[CHECKPOINT_KEY], self.checkpoint_dir)
        saved = trial.system_attrs.get(EPOCH_CHECKPOINT_KEY)
        if saved is not None and trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            pathlib.Path(saved["path"]).unlink(missing_ok=True)  # (a failed one's retry needs it)

    @property
    def best_trial(self) -> FrozenTrial:
        return self.study.best_trial

    @property
    def best_params(self) -> dict[str, Any]:
        return self.study.best_params

    def best_model(self) -> keras.Model:
        """The best trial's model with its trained weights, ready to predict."""
        best = self.study.best_trial
        path = best.user_attrs.get(WEIGHTS_ATTR)
        if path is None or not pathlib.Path(path).exists():
            raise FileNotFoundError(
                f"The weights of the best trial (#{best.number}) are not on disk "
                f"(expected under {self.project_dir})."
            )
        model = self.build(FixedTrial(best.params, number=best.number))
        if not model.built and INPUT_SHAPE_ATTR in best.user_attrs:
            model.build(tuple(best.user_attrs[INPUT_SHAPE_ATTR]))
        # The fresh optimizer has no slots yet; they are rebuilt on fit.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(path)
        return model

    def results_summary(self, n: int = 10) -> str:
        """A text table of the ``n`` best complete trials (also printed)."""
        trials = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        maximize = self.direction == StudyDirection.MAXIMIZE
        trials.sort(key=_value, reverse=maximize)
        lines = [
            f"Results in {self.project_dir} ({self.objective}, {self.direction.name.lower()}):"
        ]
        for trial in trials[:n]:
            lines.append(
                f"  trial {trial.number:>4}  {self.objective}={_value(trial):.6g}  {trial.params}"
            )
        counts = {
            state.name: 0 for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        }
        for trial in self.study.get_trials(deepcopy=False):
            if trial.state.name in counts:
                counts[trial.state.name] += 1
        lines.append("  " + ", ".join(f"{k.lower()}: {v}" for k, v in counts.items()))
        text = "\n".join(lines)
        print(text)
        return text


def _value(trial: FrozenTrial) -> float:
    """A complete single-objective trial's value."""
    assert trial.value is not None
    return trial.value


def _check_backend(
    backend: object,
    n_jobs: object,
    resources: object,
    max_retries: object,
    shared_dir: object,
    checkpoint_budget: object,
) -> bool:
    """Validate ``search()``'s backend arguments; whether the packs train on Ray."""
    if backend not in ("threads", "ray"):
        raise ValueError(f"`backend` must be 'threads' or 'ray', got {backend!r}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(
            f"`n_jobs` must be a positive int or -1 (as the cluster holds), got {n_jobs!r}."
        )
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"`max_retries` must be a non-negative int, got {max_retries!r}.")
    if (
        isinstance(checkpoint_budget, bool)
        or not isinstance(checkpoint_budget, numbers.Real)
        or not 0 <= float(checkpoint_budget) <= 1  # (False for NaN)
    ):
        raise ValueError(
            "`checkpoint_budget` must be a number in [0, 1] (the most of a pack's time its "
            f"checkpoints may take), got {checkpoint_budget!r}."
        )
    if shared_dir is not None and not isinstance(shared_dir, (str, os.PathLike)):
        raise TypeError(
            f"`shared_dir` must be a directory (a str or os.PathLike) or None, got {shared_dir!r}."
        )
    if backend == "threads":
        for name, value, default in (
            ("n_jobs", n_jobs, -1),
            ("resources_per_pack", resources, None),
            ("shared_dir", shared_dir, None),
            ("checkpoint_budget", checkpoint_budget, CHECKPOINT_BUDGET),
        ):
            if value != default:
                raise ValueError(
                    f"`{name}` applies to backend='ray' only, got {value!r} with "
                    "backend='threads'."
                )
    if backend == "ray":
        from tftune.keras._ray_search import check_pack_resources

        check_pack_resources(resources)
    return backend == "ray"


def _check_log_directory(tensorboard: object) -> None:
    if not isinstance(tensorboard, (str, os.PathLike)):
        raise TypeError(
            "`tensorboard` must be a log directory (a str or os.PathLike) or None, "
            f"got {tensorboard!r}."
        )
    if not os.fspath(tensorboard):
        raise ValueError("`tensorboard` must be a log directory, got an empty path ''.")
