"""The optimize loop: ask, run the objective, tell; in one thread or several."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tftune.exceptions import SearchSpaceExhausted, TrialPruned, UpdateFinishedTrialError
from tftune.storages._base import FAIL_REASON_KEY
from tftune.storages._heartbeat import stop_beating
from tftune.study._progress import ProgressBar, progress_bar_for
from tftune.study._tell import finish_trial
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import ObjectiveFunc, Study
    from tftune.trial._trial import Trial

_logger = logging.getLogger("tftune")


class _Budget:
    """How many trials may still start, and until when; which are running; shared by the
    worker threads. Closed when the study is interrupted: no trial starts after that."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self.remaining = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self._lock = threading.Lock()
        self._running: dict[int, Trial] = {}
        self._closed = False
        self.interrupted_by: BaseException | None = None

    def take(self, study: Study) -> bool:
        with self._lock:
            if self._closed or study._stop_requested:
                return False
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return False
            if self.remaining is not None:
                if self.remaining <= 0:
                    return False
                self.remaining -= 1
            return True

    def give_back(self) -> None:
        """Let one more trial start (the Ray backend's retry of a trial whose worker died)."""
        with self._lock:
            if self.remaining is not None:
                self.remaining += 1

    def start(self, trial: Trial) -> bool:
        """Count ``trial`` as running; False (and not counted) once the budget is closed."""
        with self._lock:
            if self._closed:
                return False
            self._running[trial.trial_id] = trial
            return True

    def end(self, trial: Trial) -> None:
        with self._lock:
            self._running.pop(trial.trial_id, None)

    def close(self, error: BaseException) -> list[Trial]:
        """Let no further trial start (``error`` interrupted the study); return the trials
        running now."""
        with self._lock:
            self._closed = True
            self.interrupted_by = error
            running = list(self._running.values())
            self._running.clear()
            return running


def _check_arguments(
    n_trials: Any, timeout: Any, n_jobs: Any, catch: Any, callbacks: Any
) -> tuple[tuple[type[BaseException], ...], list[Callable[[Study, FrozenTrial], None]], int]:
    """Validate optimize's arguments; return ``catch`` as a tuple, the callbacks and n_jobs."""
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0
    ):
        raise ValueError(f"`n_trials` must be a non-negative int or None, got {n_trials!r}.")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
    ):
        raise ValueError(
            f"`timeout` must be a positive number of seconds or None, got {timeout!r}."
        )
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"`n_jobs` must be a positive int or -1 (one per CPU), got {n_jobs!r}.")
    if isinstance(catch, type):
        catch = (catch,)
    catch = tuple(catch)
    for item in catch:
        if not (isinstance(item, type) and issubclass(item, BaseException)):
            raise TypeError(f"`catch` must hold exception classes, got {item!r}.")
    callbacks = list(callbacks or [])
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(
                f"`callbacks` must hold callables taking (study, trial), got {callback!r}."
            )
    return catch, callbacks, (os.cpu_count() or 1) if n_jobs == -1 else n_jobs


def _check_backend(backend: Any, resources_per_trial: Any, max_retries: Any) -> bool:
    """Validate the backend arguments; whether the trials run on Ray."""
    if backend not in ("threads", "ray"):
        raise ValueError(f"`backend` must be 'threads' or 'ray', got {backend!r}.")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"`max_retries` must be a non-negative int, got {max_retries!r}.")
    if backend == "threads" and resources_per_trial is not None:
        raise ValueError(
            "`resources_per_trial` applies to backend='ray' only, got "
            f"{resources_per_trial!r} with backend='threads'."
        )
    return bool(backend == "ray")


def optimize(
    study: Study,
    func: ObjectiveFunc,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None,
    gc_after_trial: bool,
    show_progress_bar: bool,
    backend: str = "threads",
    resources_per_trial: dict[str, float] | None = None,
    max_retries: int = 3,
) -> None:
    """Run trials until the budget is spent; see :meth:`Study.optimize`."""
    if not callable(func):
        raise TypeError(f"`func` must be a callable taking a trial, got {func!r}.")
    running = _running_here()
    if id(study) in running:
        raise RuntimeError(
            f"Nested optimization is not allowed: optimize() of study {study.study_name!r} "
            "was called from inside an objective or a callback of its own running optimize()."
        )
    requested_jobs = n_jobs
    catch_classes, callback_list, n_jobs = _check_arguments(
        n_trials, timeout, n_jobs, catch, callbacks
    )
    on_ray = _check_backend(backend, resources_per_trial, max_retries)
    budget = _Budget(n_trials, timeout)
    study._stop_requested = False
    study._fail_stale_trials(force=True)
    progress = progress_bar_for(study, n_trials, timeout, n_jobs) if show_progress_bar else None

    def run() -> None:
        here = _running_here()  # the thread that runs the objectives: a worker with n_jobs > 1
        here.add(id(study))
        try:
            _optimize_sequential(
                study, func, budget, catch_classes, callback_list, gc_after_trial, progress
            )
        finally:
            here.discard(id(study))

    running.add(id(study))
    try:
        if on_ray:
            from tftune.study._ray_backend import check_resources, optimize_on_ray

            optimize_on_ray(
                study,
                func,
                budget=budget,
                n_jobs=requested_jobs,
                resources=check_resources(resources_per_trial),
                max_retries=max_retries,
                catch=catch_classes,
                callbacks=callback_list,
                gc_after_trial=gc_after_trial,
                progress=progress,
            )
        elif n_jobs == 1:
            run()
        else:
            _run_in_threads(run, n_jobs, study)
    except BaseException as error:
        _fail_interrupted(study, budget.close(error), error)
        raise
    finally:
        running.discard(id(study))
        study._stop_requested = False
        if progress is not None:
            progress.close()


#: The studies whose optimize() this thread is inside (calling it again there is refused).
_IN_OPTIMIZE = threading.local()


def _running_here() -> set[int]:
    running: set[int] | None = getattr(_IN_OPTIMIZE, "studies", None)
    if running is None:
        running = _IN_OPTIMIZE.studies = set()
    return running


def _run_in_threads(run: Callable[[], None], n_jobs: int, study: Study) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            run()
        except BaseException as error:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(error)
            study.stop()

    threads = [
        threading.Thread(target=worker, name=f"tftune-worker-{i}", daemon=True)
        for i in range(n_jobs)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)
    except BaseException:  # Ctrl-C in this thread: the caller fails the workers' trials
        study.stop()
        raise
    if errors:
        raise errors[0]


def _optimize_sequential(
    study: Study,
    func: ObjectiveFunc,
    budget: _Budget,
    catch: tuple[type[BaseException], ...],
    callbacks: list[Callable[[Study, FrozenTrial], None]],
    gc_after_trial: bool,
    progress: ProgressBar | None,
) -> None:
    while budget.take(study):
        try:
            with _ctrl_c_held():  # a trial is created and registered, or neither
                trial = _ask(study)
                started = trial is not None and budget.start(trial)
            if trial is None:  # the sampler has nothing left
                study.stop()
                break
            if not started:  # interrupted while it was being asked for
                _fail_interrupted(study, [trial], budget.interrupted_by)
                break
            try:
                frozen = run_trial(study, func, catch, trial=trial)
            finally:
                budget.end(trial)
        finally:
            if gc_after_trial:
                gc.collect()
        assert frozen is not None
        for callback in callbacks:
            callback(study, frozen.copy())
        if progress is not None:
            progress.update(frozen)


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """In the main thread with Python's own SIGINT handler: hold a Ctrl-C that arrives inside
    the block and raise it as KeyboardInterrupt when the block ends. Asking for a trial then
    cannot be cut between the trial's creation in the storage and its registration in the
    budget (where an interrupt fails it), so no trial is left RUNNING. Elsewhere: nothing."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    received: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if received:
            raise KeyboardInterrupt


def run_trial(
    study: Study,
    func: ObjectiveFunc,
    catch: tuple[type[BaseException], ...] = (),
    trial: Trial | None = None,
) -> FrozenTrial | None:
    """Run one trial of ``func``; return its finished snapshot (``None`` if nothing is left).

    ``trial`` is a trial already asked for (by default a new one is asked). The objective's
    exception fails the trial (with the traceback stored) and is raised again unless it is one
    of ``catch``. KeyboardInterrupt and other interrupts close the trial first.
    """
    if trial is None:
        trial = _ask(study)
        if trial is None:
            return None
    try:
        values = func(trial)
    except TrialPruned:
        frozen = _finish(study, trial, None, TrialState.PRUNED)
        _logger.info("Trial %d pruned.", frozen.number)
        return frozen
    except Exception as error:
        reason = "".join(traceback.format_exception(error))
        frozen = _finish(study, trial, None, TrialState.FAIL, fail_reason=reason)
        _logger.warning(
            "Trial %d failed with parameters %s: %r", frozen.number, frozen.params, error
        )
        if not isinstance(error, catch):
            raise
        return frozen
    except BaseException as interrupt:  # KeyboardInterrupt, SystemExit: close the trial, stop
        reason = f"Interrupted by {type(interrupt).__name__}."
        _finish(study, trial, None, TrialState.FAIL, fail_reason=reason)
        raise
    # Bad values are logged, not warned: a worker thread must leave the warnings state alone.
    frozen = _finish(study, trial, values, TrialState.COMPLETE, suppress_warning=True)
    if frozen.state == TrialState.COMPLETE and _logger.isEnabledFor(logging.INFO):
        _log_complete(study, frozen)
    return frozen


def _ask(study: Study) -> Trial | None:
    """A new trial, or None when the sampler has nothing left (a finished grid)."""
    try:
        return study.ask()
    except SearchSpaceExhausted as exhausted:
        _logger.info("%s", exhausted)
        return None


def _finish(
    study: Study,
    trial: Trial,
    values: Any,
    state: TrialState,
    fail_reason: str | None = None,
    suppress_warning: bool = False,
) -> FrozenTrial:
    """:func:`finish_trial`; when that raises, the trial is failed if the storage still takes
    a write, and its heartbeat stops either way, so that it does not stay RUNNING for as long
    as this process lives."""
    try:
        return finish_trial(study, trial, values, state, fail_reason, suppress_warning)
    except BaseException as error:
        _abandon(study, trial, error)
        raise


def _abandon(study: Study, trial: Trial, error: BaseException) -> None:
    """Close a trial whose finishing raised ``error``: mark it FAIL unless it is finished
    already (the sampler's ``after_trial`` raised after the outcome was stored), stop its
    heartbeat."""
    if not isinstance(error, UpdateFinishedTrialError) and not _finished(study, trial):
        reason = f"The trial could not be finished: {type(error).__name__}: {error}"
        try:
            study.storage.set_trial_state_values(
                trial.trial_id, TrialState.FAIL, None, system_attrs={FAIL_REASON_KEY: reason}
            )
        except Exception as second:  # noqa: BLE001 - the first error is the one raised
            _logger.warning(
                "Trial %d could not be finished (%r) nor marked FAIL (%r); its heartbeat is "
                "stopped, so a stale-trial check fails it after the grace period.",
                trial.number,
                error,
                second,
            )
        else:
            _logger.warning("Trial %d failed: %s", trial.number, reason)
    stop_beating(study.storage, trial.trial_id)


def _finished(study: Study, trial: Trial) -> bool:
    try:
        return study.storage.get_trial(trial.trial_id).state.is_finished()
    except Exception:  # noqa: BLE001 - an unreadable storage: try to fail the trial anyway
        return False


def _fail_interrupted(study: Study, trials: list[Trial], error: BaseException | None) -> None:
    """Fail the trials still RUNNING when optimize is interrupted (their threads run on)."""
    cause = type(error).__name__ if error is not None else "an error"
    reason = (
        f"The study was interrupted ({cause} in the thread that called optimize) while this "
        "trial ran."
    )
    for trial in trials:
        try:
            if study.storage.get_trial(trial.trial_id).state != TrialState.RUNNING:
                continue
            finish_trial(study, trial, None, TrialState.FAIL, fail_reason=reason)
            _logger.warning("Trial %d failed: %s", trial.number, reason)
        except Exception as failure:  # noqa: BLE001 - the interrupt is the error to raise
            _abandon(study, trial, failure)


def _log_complete(study: Study, frozen: FrozenTrial) -> None:
    """Log a complete trial's values and parameters (and the best so far, single-objective)."""
    if len(study.directions) > 1:
        _logger.info(
            "Trial %d finished with values %s and parameters %s.",
            frozen.number,
            frozen.values,
            frozen.params,
        )
        return
    try:
        best = study.best_trial
    except ValueError:  # a constrained study without a feasible trial yet
        _logger.info(
            "Trial %d finished with value %s and parameters %s. No trial is feasible yet.",
            frozen.number,
            frozen.value,
            frozen.params,
        )
        return
    _logger.info(
        "Trial %d finished with value %s and parameters %s. Best is trial %d with value %s.",
        frozen.number,
        frozen.value,
        frozen.params,
        best.number,
        best.value,
    )
