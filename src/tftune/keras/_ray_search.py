"""``Tuner.search(..., backend="ray")``: each pack of trials trains as one Ray task.

The driver (the tuner's process) asks the sampler for a pack of trials, as the in-process
search does, and hands their ids to a Ray task that holds one device (``resources_per_pack``:
one CPU by default). The task rebuilds the trials' models from the :class:`PackJob` (put into
Ray's object store once, with the data) and trains them with :class:`PackedSearch`, reporting
every epoch and telling every trial through the storage: directly for a database server, or
through the storage proxy actor for a SQLite file or an in-memory study. Best weights are
written in a directory of the worker's own and travel back with the pack's result through Ray's
object store; the driver stores them in the project (or shared) directory, so ``best_model()``
works on the driver with no directory shared between machines. After a completed epoch (the
first, then while checkpoints took at most ``PackJob.checkpoint_budget`` of the pack's time)
every trial's weights and optimizer state go as bytes to a checkpoint actor on the driver's
node, which keeps the latest per trial under the study's directory (see
:mod:`tftune._ray._epoch_server`); the driver removes them once the trial is done. With no
shared directory, a paused trial's checkpoint (for its promotion) goes to the same actor, and
the promotion fetches it back on whatever node it runs; with ``shared_dir`` it is a file there.
A promotion resumes from where its paused trial's record says the checkpoint is, whichever
search paused it: kept by the actor (under the project directory), or a file, read on the worker
when it is in this search's shared directory and fetched from the driver through the actor
otherwise. Trials that run one at a time (a search with Keras callbacks) pause and resume the
same way.

After each pack the driver runs the tuner's after-trial callbacks (superseded best weights
removed, failures counted, promotions enqueued: a promoted trial joins a later pack, on any
worker). When a pack's worker dies, Ray tells the driver within seconds: the pack's unfinished
trials fail with Ray's reason and are enqueued again (up to ``max_retries`` times per
configuration; a retry does not count against ``n_trials``), and a retry goes on after its last
checkpointed epoch, on whatever node it runs.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pathlib
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from tftune._ray._epoch_store import EpochStore
from tftune._ray._lost_worker import mark_retried
from tftune.keras._pack_job import PackJob, chain_of
from tftune.keras._pack_sizing import AUTO_PACK_SIZE
from tftune.storages import InMemoryStorage, RDBStorage, RetryFailedTrialCallback
from tftune.storages._base import BaseStorage
from tftune.storages._callbacks import RETRY_HISTORY_KEY
from tftune.storages._heartbeat import stop_beating
from tftune.study import Study
from tftune.study._progress import ProgressBar
from tftune.study._ray_backend import check_fits, check_resources
from tftune.study._tell import finish_trial
from tftune.trial import FrozenTrial, Trial, TrialState

_logger = logging.getLogger("tftune")
#: One DEBUG record per pack with where its time went (``extra``: ``pack_timing``, a dict).
timing_logger = logging.getLogger("tftune.ray.packs")
_trained_here = False  # whether this worker process trained a pack before
#: How long the driver waits for a pack before it looks at the budget again (seconds).
_POLL_SECONDS = 0.5
_MAX_REASON_CHARS = 4000
#: How the fail reason of a trial whose pack's worker (or node) died begins: the failure is not
#: the trial's own (the tuner does not count it as one in a row; a retry runs it again).
LOST_WORKER_REASON = "The Ray worker training this trial's pack died"
AfterTrial = Callable[[Study, FrozenTrial], None]


def train_pack(job: PackJob, trial_ids: Sequence[int]) -> dict[str, Any]:
    """The Ray task: train the (running) trials ``trial_ids`` as one pack; return where it ran,
    the trial numbers of each fused pack it trained, and the best weights it saved (file name
    -> bytes, written in a directory of this worker's own and removed)."""
    from tftune.keras._packing import PackedSearch

    global _trained_here
    began, first = time.time(), not _trained_here
    _trained_here = True
    study = job.study
    assert study is not None
    trials = [Trial(study, study.storage.get_trial(trial_id)) for trial_id in trial_ids]
    stage = pathlib.Path(tempfile.mkdtemp(prefix="tftune-weights-"))
    pack_job = dataclasses.replace(job.for_trials(trial_ids), weights_stage=stage)
    try:
        search = PackedSearch(pack_job)
        search.run_pack(trials)
        weights = {path.name: path.read_bytes() for path in stage.iterdir()}
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {
        "pid": os.getpid(),
        "packs": search.packs,
        "weights": weights,
        "stage": str(stage),
        "began": began,
        "ended": time.time(),
        "first_in_process": first,
        "checkpoints": dict(pack_job.saved),
    }


def ray_job(
    job: PackJob,
    *,
    project_dir: pathlib.Path,
    shared_dir: str | os.PathLike[str] | None,
    max_retries: int,
    checkpoint_budget: float,
) -> PackJob:
    """``job`` as ``Tuner.search(backend="ray")`` ships it to its workers, for those arguments
    of ``search``: no epoch callbacks (they run in the driver only), weights and paused
    checkpoints under ``shared_dir`` (made absolute, so the paths trials record name the same
    place on every node; ``None``: ``project_dir``), per-epoch checkpoints with retries on,
    within ``checkpoint_budget``."""
    shared = project_dir if shared_dir is None else pathlib.Path(shared_dir).absolute()
    return dataclasses.replace(
        job,
        weights_dir=shared,
        checkpoint_dir=shared / "checkpoints",
        epoch_callbacks=(),
        checkpoint_epochs=max_retries > 0,
        checkpoint_budget=checkpoint_budget,
    )


def store_weights(directory: pathlib.Path, weights: dict[str, bytes]) -> None:
    """Write the weights a pack sent back (see :func:`train_pack`) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in weights.items():
        if pathlib.Path(name).name != name:  # only plain file names come from a worker
            raise ValueError(f"A pack sent weights under {name!r}, which is not a file name.")
        (directory / name).write_bytes(data)


def check_pack_resources(resources: object) -> dict[str, float]:
    """``resources_per_pack`` as a dict (the Ray backend's rule for ``resources_per_trial``);
    raise ValueError naming the parameter otherwise."""
    try:
        return check_resources(resources)
    except ValueError as error:
        raise ValueError(str(error).replace("resources_per_trial", "resources_per_pack")) from None


def pack_size_for(pack_size: int | str, resources: dict[str, float]) -> int:
    """``pack_size``, or with ``"auto"`` the default of the device a pack task holds."""
    if isinstance(pack_size, int):
        return pack_size
    return AUTO_PACK_SIZE["GPU" if resources.get("gpu", 0.0) > 0 else "CPU"]


@dataclasses.dataclass
class _Pack:
    trials: list[Trial]
    launched: float = dataclasses.field(default_factory=time.time)


class RaySearch:
    """The driver's loop: keeps ``n_jobs`` pack tasks running until the budget is spent."""

    def __init__(
        self,
        ray: Any,
        study: Study,
        job_ref: Any,
        task: Any,
        *,
        weights_dir: pathlib.Path,
        pack_size: int,
        n_trials: int | None,
        timeout: float | None,
        max_retries: int,
        callbacks: Sequence[AfterTrial],
        progress: ProgressBar | None,
        epoch_store: EpochStore | None = None,
    ) -> None:
        self.ray, self.study, self.job_ref, self.task = ray, study, job_ref, task
        self.epoch_store = epoch_store
        self.weights_dir = weights_dir
        self.pack_size = pack_size
        self.remaining = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.max_retries = max_retries
        self.callbacks, self.progress = list(callbacks), progress
        self.running: dict[Any, _Pack] = {}
        self.exhausted = False
        self.error: BaseException | None = None
        #: The trial numbers of each fused pack trained, in the order they were reported.
        self.packs: list[list[int]] = []
        #: The process ids of the workers that trained packs.
        self.pids: set[int] = set()
        #: The packs' epoch checkpoints: count, bytes, seconds (see ``PackJob.saved``).
        self.checkpoints: dict[str, float] = {}

    def run(self, n_jobs: int) -> None:
        try:
            while True:
                while len(self.running) < n_jobs and self._may_start():
                    if not self._launch():
                        break
                if not self.running:
                    break
                ready, _ = self.ray.wait(list(self.running), num_returns=1, timeout=_POLL_SECONDS)
                for ref in ready:
                    self._collect(ref, self.running.pop(ref))
        except BaseException as error:
            self._abandon(error)
            raise
        if self.error is not None:
            self._abandon(self.error)
            raise self.error

    def _may_start(self) -> bool:
        return (
            self.error is None
            and not self.exhausted
            and not self.study.stop_requested
            and (self.remaining is None or self.remaining > 0)
            and (self.deadline is None or time.monotonic() < self.deadline)
        )

    def _launch(self) -> bool:
        size = self.pack_size if self.remaining is None else min(self.pack_size, self.remaining)
        from tftune.keras._packing import ask_pack

        trials, exhausted = ask_pack(self.study, size)
        if exhausted:
            self.exhausted = True
        if not trials:
            self.exhausted = True
            return False
        if self.remaining is not None:
            self.remaining -= len(trials)
        ref = self.task.remote(self.job_ref, [trial.trial_id for trial in trials])
        self.running[ref] = _Pack(trials)
        return True

    def _collect(self, ref: Any, pack: _Pack) -> None:
        exceptions = self.ray.exceptions
        try:
            report = self.ray.get(ref)
        except exceptions.RayTaskError as error:  # the pack raised: the search stops
            cause = getattr(error, "cause", None)
            self._stop(cause if isinstance(cause, BaseException) else error)
            self._fail_unfinished(  # (trials the pack had not closed itself)
                pack, f"This trial's pack raised {type(cause or error).__name__}: {cause or error}"
            )
            self._discard_checkpoints(pack.trials)
        except (
            exceptions.WorkerCrashedError,  # its process was killed
            exceptions.OutOfMemoryError,  # Ray's memory monitor killed it
            exceptions.RayActorError,
            exceptions.NodeDiedError,  # its machine was lost
        ) as died:
            self._fail_dead(pack, died)
        else:
            store_weights(self.weights_dir, report["weights"])  # before the callbacks prune
            self.packs.extend(report["packs"])
            self.pids.add(int(report["pid"]))
            for key, amount in report["checkpoints"].items():
                self.checkpoints[key] = self.checkpoints.get(key, 0) + amount
            self._discard_checkpoints(pack.trials)  # every one of them finished
            self._log_timing(pack, report)
        storage = self.study.storage
        for trial in pack.trials:
            stop_beating(storage, trial.trial_id)
            frozen = storage.get_trial(trial.trial_id)
            try:
                for callback in self.callbacks:
                    callback(self.study, frozen.copy())
            except Exception as error:  # as in process: a failing callback stops the search
                self._stop(error)
            if self.progress is not None:
                self.progress.update(frozen)

    @staticmethod
    def _log_timing(pack: _Pack, report: dict[str, Any]) -> None:
        if not timing_logger.isEnabledFor(logging.DEBUG):
            return
        timing = {
            "trials": len(pack.trials),
            "waited": report["began"] - pack.launched,  # placement, worker start, unpickling
            "trained": report["ended"] - report["began"],
            "returned": time.time() - report["ended"],
            "first_in_process": report["first_in_process"],
            "pid": report["pid"],
            "checkpoints": report["checkpoints"],
        }
        timing_logger.debug(
            "Pack of %d: %.1f s to start, %.1f s training, %.1f s back.",
            timing["trials"],
            timing["waited"],
            timing["trained"],
            timing["returned"],
            extra={"pack_timing": timing},
        )

    def _fail_dead(self, pack: _Pack, died: BaseException) -> None:
        """Fail the unfinished trials of a pack whose worker died; enqueue their retries (those
        retried are marked: not their own failure; a chain's last failure counts)."""
        reason = f"{LOST_WORKER_REASON}: {type(died).__name__}: {died}"[:_MAX_REASON_CHARS]
        storage = self.study.storage
        retried = 0
        done: list[Trial] = []  # (their checkpoints can go)
        for trial in pack.trials:
            current = storage.get_trial(trial.trial_id)  # with what the worker stored
            if current.state.is_finished():
                done.append(trial)
                continue
            retry = len(current.system_attrs.get(RETRY_HISTORY_KEY, [])) < self.max_retries
            if retry:  # (marked while running: a finished trial cannot be changed)
                mark_retried(storage, current)
            finish_trial(self.study, trial, None, TrialState.FAIL, fail_reason=reason)
            if retry:
                failed = storage.get_trial(trial.trial_id)
                RetryFailedTrialCallback(max_retry=self.max_retries)(self.study, failed)
                retried += 1
            else:
                done.append(trial)
        self._discard_checkpoints(done)
        _logger.warning(
            "The Ray worker of the pack of trials %s died; %d trial(s) will run again.",
            [trial.number for trial in pack.trials],
            retried,
        )
        if self.remaining is not None:
            self.remaining += retried  # a retry does not count against n_trials
        if retried:
            self.exhausted = False

    def _discard_checkpoints(self, trials: Sequence[Trial]) -> None:
        """Remove the epoch checkpoints of finished trials that no retry will resume."""
        if self.epoch_store is not None:
            self.epoch_store.discard(sorted({chain_of(trial) for trial in trials}))

    def _stop(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self.study.stop()

    def _abandon(self, error: BaseException) -> None:
        """Cancel the packs still training and fail their unfinished trials."""
        reason = (
            f"The search stopped with {type(error).__name__} while this trial's pack was training."
        )
        for ref, pack in self.running.items():
            self.ray.cancel(ref, force=True)
            self._fail_unfinished(pack, reason)
        self.running = {}

    def _fail_unfinished(self, pack: _Pack, reason: str) -> None:
        storage = self.study.storage
        for trial in pack.trials:
            stop_beating(storage, trial.trial_id)
            if not storage.get_trial(trial.trial_id).state.is_finished():
                finish_trial(
                    self.study,
                    trial,
                    None,
                    TrialState.FAIL,
                    fail_reason=reason[:_MAX_REASON_CHARS],
                )


def search_on_ray(
    job: PackJob,
    user_callbacks: list[Any] | None,
    *,
    callbacks: Sequence[AfterTrial],
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    resources: dict[str, float] | None,
    pack_size: int | str,
    max_retries: int,
    show_progress_bar: bool,
    pause_to_actor: bool = False,
    paused_dir: pathlib.Path | None = None,
) -> RaySearch | None:
    """Run the job's search on the Ray cluster (see the module doc). With ``user_callbacks``
    (the trials cannot train in packs) the trials run one at a time through
    ``study.optimize(backend="ray")``. With ``pause_to_actor`` paused trials' checkpoints go
    to the checkpoint actor, kept under ``paused_dir`` on the driver's disk (default
    ``job.checkpoint_dir``; the tuner's checkpoint directory, where earlier searches' are).
    Returns the driver loop of a packed search."""
    import ray

    study = job.study
    assert study is not None
    checked = check_pack_resources(resources)
    if not ray.is_initialized():
        ray.init()  # a local cluster, or the one RAY_ADDRESS names
    check_fits(ray, checked, "resources_per_pack", "pack")
    epoch_server, epoch_store, paused_store, driver_paused = None, None, None, None
    pause_to_actor = pause_to_actor and job.resume_promoted
    if job.resume_promoted or (job.checkpoint_epochs and user_callbacks is None):
        from tftune._ray._epoch_server import (
            RayEpochStore,
            RayPausedCheckpoints,
            start_epoch_server,
        )
        from tftune._ray._epoch_store import PAUSED

        epoch_server = start_epoch_server(
            job.checkpoint_dir,
            max_paused=job.max_checkpoints,
            paused_directory=job.checkpoint_dir if paused_dir is None else paused_dir,
        )
        epoch_store = RayEpochStore(epoch_server) if job.checkpoint_epochs else None
        paused_store = RayEpochStore(epoch_server, PAUSED) if pause_to_actor else None
        driver_paused = RayPausedCheckpoints(epoch_server) if job.resume_promoted else None
    job = dataclasses.replace(job, paused_store=paused_store, driver_paused=driver_paused)
    try:
        if user_callbacks is None:
            return _search_in_packs(
                ray,
                job,
                checked,
                epoch_store,
                callbacks=callbacks,
                n_trials=n_trials,
                timeout=timeout,
                n_jobs=n_jobs,
                pack_size=pack_size,
                max_retries=max_retries,
                show_progress_bar=show_progress_bar,
            )
        study.optimize(  # (each trial's epoch checkpoints stay in its worker's directory)
            dataclasses.replace(job, study=None).trial_objective(user_callbacks),
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=(Exception,),
            callbacks=list(callbacks),
            show_progress_bar=show_progress_bar,
            backend="ray",
            resources_per_trial=checked,
            max_retries=max_retries,
        )
        return None
    finally:
        if epoch_server is not None:  # (what it wrote stays, for retries still to run)
            ray.kill(epoch_server, no_restart=True)


def _search_in_packs(
    ray: Any,
    job: PackJob,
    checked: dict[str, float],
    epoch_store: EpochStore | None,
    *,
    callbacks: Sequence[AfterTrial],
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    pack_size: int | str,
    max_retries: int,
    show_progress_bar: bool,
) -> RaySearch:
    """The packed search of :func:`search_on_ray`: the driver's loop over pack tasks."""
    study = job.study
    assert study is not None
    storage: BaseStorage = study.storage
    server = None
    driver_study = study
    if isinstance(storage, RDBStorage) and not storage.url.startswith("sqlite"):
        worker_study = study  # a database server: workers write to it directly
    else:
        from tftune._ray._storage_proxy import RayStorageProxy, start_storage_server

        server = start_storage_server(storage)
        worker_study = Study(
            study.study_name, RayStorageProxy(server), study.sampler, study.pruner
        )
        if isinstance(storage, InMemoryStorage):  # the actor holds the study while it runs
            driver_study = worker_study
    size = pack_size_for(pack_size, checked)
    worker_job = dataclasses.replace(
        job, study=worker_study, pack_size=size, epoch_store=epoch_store
    )
    job_ref = ray.put(worker_job)
    task = ray.remote(train_pack).options(**_task_options(checked))
    progress = ProgressBar(driver_study, n_trials, timeout) if show_progress_bar else None
    loop = RaySearch(
        ray,
        driver_study,
        job_ref,
        task,
        weights_dir=job.weights_dir,
        pack_size=size,
        n_trials=n_trials,
        timeout=timeout,
        max_retries=max_retries,
        callbacks=callbacks,
        progress=progress,
        epoch_store=epoch_store,
    )
    driver_study.clear_stop()
    driver_study.fail_stale_trials()
    try:
        loop.run(_n_packs(ray, n_jobs, checked))
    finally:
        driver_study.clear_stop()
        if progress is not None:
            progress.close()
        if server is not None:
            if isinstance(storage, InMemoryStorage):
                storage.__setstate__(ray.get(server.snapshot.remote()).__getstate__())
            ray.kill(server, no_restart=True)
    return loop


def _task_options(resources: dict[str, float]) -> dict[str, Any]:
    custom = {k: v for k, v in resources.items() if k not in ("cpu", "gpu", "memory")}
    options: dict[str, Any] = dict(
        num_cpus=resources.get("cpu", 1.0),
        num_gpus=resources.get("gpu", 0.0),
        max_retries=0,  # a pack never runs twice: the driver retries its trials as new ones
    )
    if custom:
        options["resources"] = custom
    if "memory" in resources:
        options["memory"] = resources["memory"]
    return options


def _n_packs(ray: Any, n_jobs: int, resources: dict[str, float]) -> int:
    """``n_jobs``, or with -1 as many packs as the cluster's CPUs (GPUs) hold at once."""
    if n_jobs != -1:
        return n_jobs
    total = ray.cluster_resources()
    held = [
        total.get(name, 0.0) // amount
        for key, name in (("cpu", "CPU"), ("gpu", "GPU"))
        if (amount := resources.get(key, 1.0 if key == "cpu" else 0.0)) > 0
    ]
    return max(1, int(min(held))) if held else 1
