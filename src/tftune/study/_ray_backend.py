"""``study.optimize(..., backend="ray")``: the trials run as Ray actors on a cluster.

The driver (the process that called optimize) asks for each trial, so the storage hands out
every trial once and samplers see the running ones, as with threads. A worker actor runs the
objective on the trial and finishes it in the storage: directly for a database server
(PostgreSQL), or through a storage proxy actor on the driver's node for a SQLite file or an
in-memory study (see ``tftune._ray._storage_proxy``). The trial travels with the task, and the
writes of a short trial come back with its result, which the driver stores in one batch (see
``tftune._ray._write_buffer``); a worker whose trials are short holds its next trial queued, so
the driver's ask overlaps the trial; when trials and asks both take well under a millisecond, a
worker gets them a few at a time (one Ray call for the batch, their writes stored in one
transaction), each asked (RUNNING) before the batch leaves. When a worker or its node dies, Ray
tells the driver, which fails the trial with Ray's reason, enqueues it again (up to
``max_retries`` times per configuration; a retry does not count against ``n_trials``) and starts
a new worker; a trial queued at a worker that died is failed and retried alike.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tftune._ray._lost_worker import mark_retried
from tftune.storages import InMemoryStorage, RDBStorage
from tftune.storages._base import BaseStorage
from tftune.storages._callbacks import RETRY_HISTORY_KEY, RetryFailedTrialCallback
from tftune.storages._heartbeat import stop_beating
from tftune.study._optimize import (
    _ask,
    _Budget,
    _ctrl_c_held,
    _fail_interrupted,
    _log_complete,
    _logger,
)
from tftune.study._progress import ProgressBar
from tftune.study._tell import finish_trial
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune._ray._runner import Outcome
    from tftune.study._study import ObjectiveFunc, Study
    from tftune.trial._trial import Trial

#: How long the driver waits for a result before it looks at the budget again (seconds).
_POLL_SECONDS = 0.5
#: A worker whose last trial ran shorter than this gets its next trial while it still runs one
#: (queued at the actor), so it does not wait for the driver's ask between trials.
_PIPELINE_SECONDS = 0.1
#: A worker gets as many trials per Ray call as its last trials and the driver's asks take in
#: this many seconds (at most _MAX_BATCH): a call's cost is spread only where it dominates.
_BATCH_SECONDS = 0.005
_MAX_BATCH = 8
_MAX_REASON_CHARS = 4000


def check_resources(resources: Any) -> dict[str, float]:
    """``resources_per_trial`` as a dict; raise ValueError naming the rule otherwise."""
    if resources is None:
        return {"cpu": 1.0}
    if not isinstance(resources, Mapping):
        raise ValueError(
            "`resources_per_trial` must be a dict such as {'cpu': 1, 'gpu': 0.25}, "
            f"got {resources!r}."
        )
    checked: dict[str, float] = {}
    for key, amount in resources.items():
        if not isinstance(key, str) or not key:
            raise ValueError(
                f"`resources_per_trial` keys must be resource names, got {key!r} in {resources!r}."
            )
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not amount >= 0:
            raise ValueError(
                f"`resources_per_trial[{key!r}]` must be a number >= 0, got {amount!r}."
            )
        checked[key] = float(amount)
    return checked


@dataclasses.dataclass(eq=False)
class _Worker:
    runner: Any
    in_flight: int = 0
    short: bool = False  # its last trial ran under _PIPELINE_SECONDS: give it the next early
    batch: int = 1  # trials per call (see _BATCH_SECONDS)
    dead: bool = False


@dataclasses.dataclass
class _Running:
    worker: _Worker
    trials: list[Trial]


def optimize_on_ray(
    study: Study,
    func: ObjectiveFunc,
    *,
    budget: _Budget,
    n_jobs: int,
    resources: dict[str, float],
    max_retries: int,
    catch: tuple[type[BaseException], ...],
    callbacks: list[Callable[[Study, FrozenTrial], None]],
    gc_after_trial: bool,
    progress: ProgressBar | None,
) -> None:
    """Run trials of ``func`` on the Ray cluster until ``budget`` is spent (see module doc)."""
    import ray

    if not ray.is_initialized():
        ray.init()  # a local cluster, or the one RAY_ADDRESS names
    check_fits(ray, resources)
    if n_jobs == -1:  # one per cluster CPU
        cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
        n_jobs = max(1, int(cpus // max(resources.get("cpu", 1.0), 1.0)))
    storage = _storage_of(study)
    server = None
    run_study = study
    if isinstance(storage, RDBStorage) and not storage.url.startswith("sqlite"):
        worker_storage: BaseStorage = storage  # a database server: workers write directly
    else:
        from tftune._ray._storage_proxy import RayStorageProxy, start_storage_server

        server = start_storage_server(storage)
        worker_storage = RayStorageProxy(server)
        if isinstance(storage, InMemoryStorage):  # the actor holds the study while it runs
            from tftune.study._study import Study as StudyClass

            run_study = StudyClass(study.study_name, worker_storage, study.sampler, study.pruner)
    loop = _DriverLoop(
        ray,
        run_study,
        _runner_factory(ray, run_study, worker_storage, func, catch, gc_after_trial, resources),
        budget,
        max_retries,
        callbacks,
        progress,
    )
    try:
        loop.run(n_jobs)
    finally:
        loop.stop_workers()
        if server is not None:
            if isinstance(storage, InMemoryStorage):
                storage.__setstate__(ray.get(server.snapshot.remote()).__getstate__())
            ray.kill(server, no_restart=True)


def _storage_of(study: Study) -> BaseStorage:
    storage: BaseStorage = study.storage
    return storage


def check_fits(
    ray: Any, resources: dict[str, float], name: str = "resources_per_trial", unit: str = "trial"
) -> None:
    """Raise ValueError when no node of the cluster has the resources one ``unit`` (a trial,
    a pack) asks for: its workers would wait forever."""
    wanted = _ray_resources(resources)
    nodes = [node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")]
    if not any(all(node.get(k, 0.0) >= v for k, v in wanted.items()) for node in nodes):
        raise ValueError(
            f"`{name}` must fit on one node of the Ray cluster, got {resources!r} per {unit}; "
            f"no node has that much, its nodes have {[_plain(node) for node in nodes]}."
        )


def _ray_resources(resources: dict[str, float]) -> dict[str, float]:
    """tftune's ``{"cpu": 1, "gpu": 0.25}`` spelled as Ray's resource names."""
    names = {"cpu": "CPU", "gpu": "GPU", "memory": "memory"}
    return {names.get(k, k): v for k, v in resources.items() if v > 0}


def _plain(node: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in node.items() if not k.startswith("node:") and "memory" not in k}


def _runner_factory(
    ray: Any,
    study: Study,
    storage: BaseStorage,
    func: ObjectiveFunc,
    catch: tuple[type[BaseException], ...],
    gc_after_trial: bool,
    resources: dict[str, float],
) -> Callable[[], Any]:
    """A function that starts one worker actor with the given resources."""
    from tftune._ray._runner import TrialRunner

    custom = {k: v for k, v in resources.items() if k not in ("cpu", "gpu", "memory")}
    options: dict[str, Any] = dict(
        num_cpus=resources.get("cpu", 1.0),
        num_gpus=resources.get("gpu", 0.0),
        max_restarts=0,
        max_task_retries=0,  # a trial is never run twice: the driver retries it as a new trial
    )
    if custom:
        options["resources"] = custom
    if "memory" in resources:
        options["memory"] = resources["memory"]
    actor = ray.remote(TrialRunner).options(**options)
    args = (study.study_name, storage, study.sampler, study.pruner, func, catch, gc_after_trial)

    def start() -> Any:
        return actor.remote(*args)

    return start


class _DriverLoop:
    """Keeps the workers busy: starts them, asks, hands out, collects, fails and retries.

    A new worker gets trials once it has started (Ray placed it and it answered), so a worker
    that cannot be placed (the cluster lost the node it needed) holds up nothing. A worker whose
    trials are short holds two at a time (the second queued at the actor, RUNNING in the
    storage): it starts the next as soon as one ends.
    """

    def __init__(
        self,
        ray: Any,
        study: Study,
        start_runner: Callable[[], Any],
        budget: _Budget,
        max_retries: int,
        callbacks: list[Callable[[Study, FrozenTrial], None]],
        progress: ProgressBar | None,
    ) -> None:
        self._ray = ray
        self._study = study
        self._storage = _storage_of(study)
        self._start_runner = start_runner
        self._budget = budget
        self._max_retries = max_retries
        self._callbacks = callbacks
        self._progress = progress
        self._starting: dict[Any, Any] = {}  # the answer to its first call -> worker
        self._workers: list[_Worker] = []
        self._running: dict[Any, _Running] = {}
        self._budget_spent = False
        self._error: BaseException | None = None
        self._ask_seconds: float | None = None  # the driver's ask, a moving average

    def run(self, n_jobs: int) -> None:
        for _ in range(n_jobs):
            self._start()
        while True:
            if self._error is None and not self._budget_spent:
                self._launch()
            if self._past_deadline():  # no trial starts after the timeout, started workers or not
                self._budget_spent = True
            if not self._running and (
                self._error is not None or self._budget_spent or not self._starting
            ):
                break
            ready, _ = self._ray.wait(
                list(self._running) + list(self._starting), num_returns=1, timeout=_POLL_SECONDS
            )
            for ref in ready:
                if ref in self._starting:
                    self._started(ref, self._starting.pop(ref))
                else:
                    self._collect(ref, self._running.pop(ref))
        if self._error is not None:
            raise self._error
        if not self._budget_spent:
            raise RuntimeError(
                "Every Ray worker of this study died while starting; see the Ray logs."
            )

    def _past_deadline(self) -> bool:
        deadline = self._budget.deadline
        return deadline is not None and time.monotonic() >= deadline

    def _start(self) -> None:
        runner = self._start_runner()
        self._starting[runner.pid.remote()] = runner

    def _started(self, ref: Any, runner: Any) -> None:
        try:
            self._ray.get(ref)
        except self._ray.exceptions.RayError:  # it died starting: not replaced, not retried
            self._ray.kill(runner, no_restart=True)
        else:
            self._workers.append(_Worker(runner))

    def _free(self) -> _Worker | None:
        """A worker to give a trial to: an idle one, else a short-trial one running one."""
        idle = [w for w in self._workers if w.in_flight == 0]
        if idle:
            return idle[0]
        early = [w for w in self._workers if w.in_flight == 1 and w.short]
        return early[0] if early else None

    def _launch(self) -> None:
        from tftune._ray._runner import snapshot

        while (worker := self._free()) is not None:
            trials: list[Trial] = []
            while len(trials) < worker.batch and (trial := self._ask()) is not None:
                trials.append(trial)
            if trials:
                worker.in_flight += 1
                ref = worker.runner.run_batch.remote([snapshot(trial) for trial in trials])
                self._running[ref] = _Running(worker, trials)
            if self._budget_spent:
                return

    def _ask(self) -> Trial | None:
        """A new trial, started in the budget; ``None`` (the budget marked spent) when the
        budget or the sampler has none left or an interrupt came."""
        if not self._budget.take(self._study):
            self._budget_spent = True
            return None
        begin = time.perf_counter()
        with _ctrl_c_held():  # a trial is created and registered, or neither
            trial = _ask(self._study)
            started = trial is not None and self._budget.start(trial)
        took = time.perf_counter() - begin
        previous = took if self._ask_seconds is None else self._ask_seconds
        self._ask_seconds = previous + 0.2 * (took - previous)  # starts at the first ask
        if trial is None:  # the sampler has nothing left
            self._study.stop()
            self._budget_spent = True
            return None
        if not started:
            _fail_interrupted(self._study, [trial], self._budget.interrupted_by)
            self._budget_spent = True
            return None
        return trial

    def _collect(self, ref: Any, running: _Running) -> None:
        exceptions = self._ray.exceptions
        trials, worker = running.trials, running.worker
        for trial in trials:
            self._budget.end(trial)
        worker.in_flight -= 1
        try:
            outcomes: list[Outcome] = self._ray.get(ref)
        except exceptions.RayTaskError as error:  # the objective raised (not one of `catch`)
            cause = getattr(error, "cause", None)  # the objective's own exception
            self._stop(cause if isinstance(cause, BaseException) else error.as_instanceof_cause())
            self._fail_not_run(trials)
            return
        except (exceptions.RayActorError, exceptions.WorkerCrashedError) as died:
            if not worker.dead:  # the first of its trials to report the death: replace it
                worker.dead = True
                self._workers.remove(worker)
                self._ray.kill(worker.runner, no_restart=True)
                self._start()
            finished = [self._fail_dead(trial, died) for trial in trials]
        else:
            seconds = max(outcome.seconds for outcome in outcomes)
            worker.short = seconds < _PIPELINE_SECONDS
            per_call = max(seconds, self._ask_seconds or 0.0, 1e-6)
            worker.batch = max(1, min(_MAX_BATCH, int(_BATCH_SECONDS / per_call)))
            finished = self._store(outcomes)
        for frozen in finished:
            stop_beating(self._storage, frozen.trial_id)
            try:
                for callback in self._callbacks:
                    callback(self._study, frozen.copy())
            except Exception as error:  # as with threads: a failing callback stops the study
                self._stop(error)
            if self._progress is not None:
                self._progress.update(frozen)

    def _store(self, outcomes: list[Outcome]) -> list[FrozenTrial]:
        """Store the writes the worker held back (its trials' ends among them), in one batch;
        one trial at a time if one was finished meanwhile elsewhere (the storage's wins)."""
        from tftune.storages._remote import apply_trials_writes

        refused = apply_trials_writes(self._storage, [outcome.writes for outcome in outcomes])
        finished = [
            outcome.trial if error is None else self._storage.get_trial(outcome.trial.trial_id)
            for outcome, error in zip(outcomes, refused, strict=True)
        ]
        if _logger.isEnabledFor(logging.INFO):
            for frozen in finished:
                if frozen.state == TrialState.COMPLETE:
                    _log_complete(self._study, frozen)
        return finished

    def _fail_not_run(self, trials: list[Trial]) -> None:
        """After a trial raised: fail the trials of its batch that were not run."""
        for trial in trials:
            stop_beating(self._storage, trial.trial_id)
            if not self._storage.get_trial(trial.trial_id).state.is_finished():
                reason = "Not run: a trial before it in the same Ray call raised."
                finish_trial(self._study, trial, None, TrialState.FAIL, fail_reason=reason)

    def _fail_dead(self, trial: Trial, died: BaseException) -> FrozenTrial:
        """Fail the trial of a worker that died (unless it finished first); enqueue a retry
        while its chain has one left (marked so: not the trial's own failure)."""
        current = self._storage.get_trial(trial.trial_id)
        if current.state.is_finished():
            return current
        reason = f"The Ray worker running this trial died: {type(died).__name__}: {died}"
        retry = len(current.system_attrs.get(RETRY_HISTORY_KEY, [])) < self._max_retries
        if retry:  # (marked while running: a finished trial cannot be changed)
            mark_retried(self._storage, current)
        finish_trial(
            self._study, trial, None, TrialState.FAIL, fail_reason=reason[:_MAX_REASON_CHARS]
        )
        failed = self._storage.get_trial(trial.trial_id)  # with the params the worker sent
        if retry:
            RetryFailedTrialCallback(max_retry=self._max_retries)(self._study, failed)
            self._budget.give_back()
            self._budget_spent = False
        return failed

    def _stop(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._study.stop()

    def stop_workers(self) -> None:
        for runner in [w.runner for w in self._workers] + list(self._starting.values()):
            self._ray.kill(runner, no_restart=True)
        self._workers, self._starting = [], {}
