"""Study: a named optimization, its trials, and the ways to run them."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.distributions import BaseDistribution, convert_legacy
from tftune.exceptions import DuplicatedStudyError, SearchSpaceExhausted, UpdateFinishedTrialError
from tftune.pruners import BasePruner, MedianPruner
from tftune.samplers._base import BaseSampler
from tftune.storages import BaseStorage, StudySummary, get_storage
from tftune.storages._base import FIXED_PARAMS_KEY, METRIC_NAMES_KEY
from tftune._direction import StudyDirection, parse_direction
from tftune.study._dataframe import DEFAULT_ATTRS
from tftune.study._multi_objective import pareto_front
from tftune.study._tell import (
    FinishedTrialTellError,
    WaitingTrialTellError,
    check_values,
    finish_trial,
)
from tftune.trial._constraints import feasible, is_feasible
from tftune.trial._frozen import FrozenTrial
from tftune.trial._names import check_fixed_params, check_name
from tftune.trial._state import TrialState
from tftune.trial._trial import Trial

if TYPE_CHECKING:
    import pandas

ObjectiveFunc = Callable[[Trial], "float | Sequence[float]"]


class Study:
    """A named optimization: its directions, sampler, pruner and trials in a storage.

    Create one with :func:`create_study` or :func:`load_study` rather than directly.
    """

    def __init__(
        self,
        study_name: str,
        storage: str | BaseStorage | None,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        self._storage = get_storage(storage)
        self._study_id = self._storage.get_study_id_from_name(study_name)
        self.study_name = study_name
        self._directions = self._storage.get_study_directions(self._study_id)
        self.sampler = _checked(sampler, BaseSampler, "sampler") or default_sampler(
            len(self._directions)
        )
        self.pruner = _checked(pruner, BasePruner, "pruner") or default_pruner()
        self._stop_requested = False
        self._next_stale_check = 0.0

    def __getstate__(self) -> dict[str, Any]:
        """Picklable with its storage (a database reopens by URL, memory copies by value),
        sampler and pruner; a copy starts with no stop requested."""
        state = dict(vars(self))
        state["_stop_requested"] = False
        state["_next_stale_check"] = 0.0
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)

    # --- where it lives --------------------------------------------------------------------
    @property
    def storage(self) -> BaseStorage:
        """The storage that holds this study (samplers, pruners and backends read it)."""
        return self._storage

    @property
    def study_id(self) -> int:
        """This study's id in its storage."""
        return self._study_id

    # --- directions and results ------------------------------------------------------------
    @property
    def directions(self) -> list[StudyDirection]:
        return list(self._directions)

    @property
    def direction(self) -> StudyDirection:
        """The direction of a single-objective study."""
        if len(self._directions) > 1:
            raise RuntimeError("This study has several objectives; use `directions`.")
        return self._directions[0]

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, ordered by number (copies: changing them changes nothing)."""
        return self.get_trials()

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's trials, optionally only those in ``states``."""
        return self._storage.get_all_trials(self._study_id, deepcopy=deepcopy, states=states)

    @property
    def best_trial(self) -> FrozenTrial:
        """The best complete trial of a single-objective study; in a constrained study the best
        feasible one (ValueError if no complete trial is feasible)."""
        if len(self._directions) > 1:
            raise RuntimeError(
                "best_trial is for single-objective studies; this one has "
                f"{len(self._directions)} objectives, use `best_trials` (the Pareto front)."
            )
        best = self._storage.get_best_trial(self._study_id)
        if is_feasible(best):
            return best
        candidates = feasible(self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        if not candidates:
            raise ValueError("No feasible trials are completed yet.")
        pick = max if self._directions[0] == StudyDirection.MAXIMIZE else min
        return pick(candidates, key=lambda t: t.values[0]).copy()  # type: ignore[index]

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return self.best_trial.params

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front: complete trials that no other trial beats in every objective; in a
        constrained study, of the feasible trials only (empty if none is feasible)."""
        complete = feasible(self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        return [trial.copy() for trial in pareto_front(complete, self._directions)]

    # --- attributes ------------------------------------------------------------------------
    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_attrs(self._study_id)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_attrs(self._study_id, system=True)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value to the study."""
        check_name(key, "An attribute key")
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"Attribute {key!r} must be JSON-serialisable, got {value!r}."
            ) from None
        self._storage.set_study_attr(self._study_id, key, value)

    @property
    def metric_names(self) -> list[str] | None:
        """The objectives' names given with :meth:`set_metric_names`, or ``None``."""
        names = self.system_attrs.get(METRIC_NAMES_KEY)
        return list(names) if names is not None else None

    @experimental_func("3.2.0")
    def set_metric_names(self, metric_names: list[str]) -> None:
        """Name the objectives (one name each), for tables and plots."""
        if isinstance(metric_names, str) or not all(isinstance(n, str) for n in metric_names):
            raise TypeError(f"`metric_names` must be a list of strings, got {metric_names!r}.")
        if len(metric_names) != len(self._directions):
            raise ValueError(
                f"`metric_names` must hold one name per objective ({len(self._directions)}), "
                f"got {len(metric_names)}: {metric_names!r}."
            )
        self._storage.set_study_attr(
            self._study_id, METRIC_NAMES_KEY, list(metric_names), system=True
        )

    # --- adding finished trials -----------------------------------------------------------
    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a trial made with :func:`~tftune.trial.create_trial` (or copied from another
        study), with its state, values, params and attributes; it gets the next number.

        A WAITING trial is queued instead: the next trial to start takes its params.
        """
        self.add_trials([trial])

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """Add several trials as :meth:`add_trial` does, in order."""
        from tftune.study._add import add_trials

        add_trials(self._storage, self._study_id, list(trials))

    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value for tftune's own use (as ``copy_study`` does)."""
        check_name(key, "An attribute key")
        self._storage.set_study_attr(self._study_id, key, value, system=True)

    # --- running ---------------------------------------------------------------------------
    def optimize(
        self,
        func: ObjectiveFunc,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
        *,
        backend: str = "threads",
        resources_per_trial: dict[str, float] | None = None,
        max_retries: int = 3,
    ) -> None:
        """Run trials of ``func`` until ``n_trials`` ran, ``timeout`` seconds passed, the
        sampler has nothing left (a finished grid), or :meth:`stop` is called.

        Args:
            func: the objective; takes a :class:`Trial`, returns a float (or one per objective).
            n_trials: how many trials this call runs (``None``: no limit).
            timeout: stop starting trials after this many seconds (``None``: no limit).
            n_jobs: trials run at once in threads of this process (-1: one per CPU).
            catch: exception types of the objective that fail the trial but do not stop the study.
            callbacks: called as ``callback(study, frozen_trial)`` after each trial.
            gc_after_trial: run the garbage collector after each trial.
            show_progress_bar: show trials done, the best value, elapsed time and ETA.
            backend: ``"threads"`` (this process) or ``"ray"``: trials run as Ray actors on
                the cluster ``ray.init()`` connects to (needs ``tftune[ray]``), ``n_jobs`` at
                once (-1: one per cluster CPU).
            resources_per_trial: with ``backend="ray"``, what each trial holds, e.g.
                ``{"cpu": 1, "gpu": 0.25}`` (default one CPU).
            max_retries: with ``backend="ray"``, how many times a configuration whose worker
                died is run again (the dead worker's trial is failed with Ray's reason).
        """
        from tftune.study._optimize import optimize

        optimize(
            self,
            func,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=callbacks,
            gc_after_trial=gc_after_trial,
            show_progress_bar=show_progress_bar,
            backend=backend,
            resources_per_trial=resources_per_trial,
            max_retries=max_retries,
        )

    def stop(self) -> None:
        """Ask a running :meth:`optimize` to start no further trials."""
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        """Whether :meth:`stop` was called since the current run began (loops that ask for
        trials themselves, such as a packed Keras search, check it before each ask)."""
        return self._stop_requested

    def clear_stop(self) -> None:
        """Forget an earlier :meth:`stop`, so a new run starts trials again (:meth:`optimize`
        does this itself at its start and end)."""
        self._stop_requested = False

    def ask(self, fixed_distributions: Mapping[str, BaseDistribution] | None = None) -> Trial:
        """Start a trial to run outside :meth:`optimize`; finish it with :meth:`tell`.

        Raises SearchSpaceExhausted when the sampler has nothing left (a finished grid).
        """
        self._fail_stale_trials()
        self.sampler.prepare(self)
        frozen = self._storage.create_new_trial(
            self._study_id, create=not self.sampler.is_exhausted(self)
        )
        if frozen is None:
            raise SearchSpaceExhausted(
                f"{type(self.sampler).__name__} has handed out every point of its search space in "
                f"study {self.study_name!r}; there is nothing left to ask for."
            )
        self.sampler.before_trial(self, frozen)
        trial = Trial(self, frozen)
        for name, given in (fixed_distributions or {}).items():
            distribution = convert_legacy(given)
            trial._suggest(name, lambda d=distribution: d)
        return trial

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial started with :meth:`ask` (or give its number).

        With ``values`` and no ``state`` the trial is COMPLETE; values that cannot be stored
        (not finite numbers, or not one per objective) fail the trial with the reason stored
        and a UserWarning instead, as in Optuna. ``state=COMPLETE`` with such values, values
        given with ``state`` PRUNED or FAIL, a trial of another study or a number with no trial
        raise ValueError and leave the trial as it was. A PRUNED trial keeps its last reported
        value.
        """
        running = self._own_trial(trial)
        if running._frozen.state == TrialState.WAITING:
            raise WaitingTrialTellError(
                f"Trial #{running.number} is WAITING (enqueued, not started); "
                "tell() can finish only a RUNNING trial."
            )
        if state == TrialState.COMPLETE:  # asked for explicitly: refuse what cannot be stored
            _, reason = check_values(values, len(self._directions), by_tell=True)
            if reason is not None:
                raise ValueError(
                    f"tell(state=COMPLETE) needs one finite number per objective; {reason} "
                    "The trial is still running."
                )
        if values is not None and state in (TrialState.PRUNED, TrialState.FAIL):
            raise ValueError(
                f"`values` must be None when `state` is {state.name}, got {values!r}. "
                "The trial is still running."
            )
        try:
            return finish_trial(self, running, values, state, by_tell=True)
        except UpdateFinishedTrialError as error:
            if skip_if_finished:
                return self._storage.get_trial(running.trial_id)
            raise FinishedTrialTellError(
                f"{error} Pass skip_if_finished=True to tell() to ignore finished trials."
            ) from None

    def _own_trial(self, trial: Any) -> Trial:
        """``trial`` (a Trial or a trial number) as a Trial of this study; raise otherwise."""
        if isinstance(trial, Trial):
            other = trial.study
            if other is not self and not (
                other._study_id == self._study_id
                and other.study_name == self.study_name
                and _same_storage(other._storage, self._storage)
            ):
                raise ValueError(
                    f"`trial` must be a trial of study {self.study_name!r}, got trial "
                    f"#{trial.number} of study {other.study_name!r}."
                )
            return trial
        if not isinstance(trial, int) or isinstance(trial, bool):
            raise TypeError(f"`trial` must be a Trial or a trial number, got {trial!r}.")
        try:
            trial_id = self._storage.get_trial_id_from_number(self._study_id, trial)
        except KeyError:
            count = len(self.get_trials(deepcopy=False))
            raise ValueError(
                "`trial` must be a Trial of this study or the number of one of its "
                f"{count} trial(s), got {trial!r}."
            ) from None
        return Trial(self, self._storage.get_trial(trial_id))

    def enqueue_trial(
        self,
        params: Mapping[str, Any],
        user_attrs: Mapping[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a trial with fixed parameters; the next trial to start takes it.

        Parameters not named in ``params`` are sampled as usual. With ``skip_if_exists``, a
        trial with the same parameters (finished, running or queued) prevents the enqueue.
        """
        if not isinstance(params, Mapping):
            raise TypeError(f"`params` must be a dict of parameter name to value, got {params!r}.")
        check_fixed_params(params)
        try:
            json.dumps(dict(params))
            json.dumps(dict(user_attrs or {}))
        except (TypeError, ValueError):
            raise TypeError(
                f"`params` and `user_attrs` must be JSON-serialisable, got {params!r}."
            ) from None
        if skip_if_exists and self._has_trial_with(dict(params)):
            return
        template = FrozenTrial(
            number=-1,
            state=TrialState.WAITING,
            user_attrs=dict(user_attrs or {}),
            system_attrs={FIXED_PARAMS_KEY: dict(params)},
        )
        self._storage.enqueue_trials(self._study_id, [template])

    def _has_trial_with(self, params: dict[str, Any]) -> bool:
        for trial in self.get_trials(deepcopy=False):
            known = (
                trial.system_attrs.get(FIXED_PARAMS_KEY, {})
                if trial.state == TrialState.WAITING
                else trial.params
            )
            if all(name in known and known[name] == value for name, value in params.items()):
                return True
        return False

    def fail_stale_trials(self) -> None:
        """Fail RUNNING trials whose worker stopped sending heartbeats, now."""
        self._fail_stale_trials(force=True)

    def _fail_stale_trials(self, force: bool = False) -> None:
        """Fail trials of dead workers (rate-limited to once per heartbeat interval)."""
        interval = self._storage.heartbeat_interval
        if interval is None:
            return
        now = time.monotonic()
        if not force and now < self._next_stale_check:
            return
        self._next_stale_check = now + interval
        for trial in self._storage.fail_stale_trials(self._study_id):
            if self._storage.failed_trial_callback is not None:
                self._storage.failed_trial_callback(self, trial)

    # --- export ----------------------------------------------------------------------------
    def trials_dataframe(
        self,
        attrs: Sequence[str] = DEFAULT_ATTRS,
        multi_index: bool = False,
        *,
        states: Container[TrialState] | None = None,
    ) -> pandas.DataFrame:
        """The trials as a pandas DataFrame, one row per trial (needs pandas).

        Args:
            attrs: the trial attributes to show; dict attributes (``params``, ``user_attrs``,
                ``system_attrs``, ``intermediate_values``) give one column per key.
            multi_index: columns as ``("params", "x")`` pairs instead of ``params_x``.
            states: only the trials in these states (default: all).
        """
        from tftune.study._dataframe import trials_dataframe

        return trials_dataframe(self, states, attrs, multi_index)

    def __repr__(self) -> str:
        return (
            f"Study(study_name={self.study_name!r}, "
            f"directions={[d.name.lower() for d in self._directions]})"
        )


def default_sampler(n_objectives: int) -> BaseSampler:
    """The sampler of a study created without one, chosen by the sampler benchmarks
    (benchmarks/results/samplers.md and multi_objective.md): :class:`AutoSampler`, a Gaussian
    process alternating with TPE while trials are few and TPE after for one objective, and
    multi-objective TPE for several."""
    from tftune.samplers._auto import AutoSampler  # noqa: PLC0415 - samplers import this module

    return AutoSampler()


def default_pruner() -> BasePruner:
    """The pruner of a study created without one: Optuna's default, ``MedianPruner()``. It only
    acts on trials that ask ``trial.should_prune()``; pass ``NopPruner()`` to never prune."""
    return MedianPruner()


def _same_storage(first: BaseStorage, second: BaseStorage) -> bool:
    """Whether two storage objects hold the same studies: one object, or one database URL."""
    if first is second:
        return True
    url = getattr(first, "url", None)
    return url is not None and url == getattr(second, "url", None)


def _checked(value: Any, cls: type, name: str) -> Any:
    if value is not None and not isinstance(value, cls):
        raise TypeError(f"`{name}` must be a {cls.__name__} instance or None, got {value!r}.")
    return value


def _check_study_name(study_name: Any) -> str:
    if study_name is None:
        return f"no-name-{uuid.uuid4()}"
    if not isinstance(study_name, str) or not study_name.strip() or len(study_name) > 512:
        raise ValueError(
            "`study_name` must be a non-empty string of at most 512 characters, "
            f"got {study_name!r}."
        )
    check_name(study_name, "`study_name`")  # no NUL, no lone surrogate: every storage keeps it
    return study_name


def create_study(
    study_name: str | None = None,
    storage: str | BaseStorage | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    *,
    direction: str | StudyDirection | None = None,
    directions: Sequence[str | StudyDirection] | None = None,
    load_if_exists: bool = False,
) -> Study:
    """Create a study (or, with ``load_if_exists``, continue the one of that name).

    Args:
        study_name: a unique name; one is generated when omitted.
        storage: ``None`` (in memory), a URL (``sqlite:///tftune.db``, ``postgresql://...``)
            or a storage object.
        sampler: how parameters are chosen (default: :class:`AutoSampler`; see
            :func:`default_sampler`).
        pruner: how trials are stopped early (default: ``MedianPruner()``, as in Optuna: it
            prunes only trials that call ``trial.should_prune()``).
        direction: ``"minimize"`` (default) or ``"maximize"``.
        directions: one direction per objective, for multi-objective studies.
        load_if_exists: continue an existing study of the same name instead of failing.
    """
    if direction is not None and directions is not None:
        raise ValueError("Give either `direction` or `directions`, not both.")
    if directions is None:
        parsed = [parse_direction(direction or "minimize")]
    else:
        if (
            isinstance(directions, (str, bytes))
            or not isinstance(directions, Sequence)
            or not directions
        ):
            raise ValueError(
                "`directions` must be a non-empty list of 'minimize'/'maximize', "
                f"got {directions!r}."
            )
        parsed = [parse_direction(d, "directions") for d in directions]
    name = _check_study_name(study_name)
    backend = get_storage(storage)
    try:
        backend.create_new_study(parsed, name)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(
                f"A study named {name!r} already exists in this storage. "
                "Pass load_if_exists=True to continue it, or choose another `study_name`."
            ) from None
        study = Study(name, backend, sampler, pruner)
        if (direction is not None or directions is not None) and study.directions != parsed:
            raise ValueError(
                f"Study {name!r} exists with directions "
                f"{[d.name.lower() for d in study.directions]}, "
                f"but {[d.name.lower() for d in parsed]} were requested."
            ) from None
        return study
    return Study(name, backend, sampler, pruner)


def load_study(
    study_name: str | None,
    storage: str | BaseStorage,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Open an existing study; ``study_name=None`` works when the storage holds exactly one."""
    backend = get_storage(storage)
    if study_name is None:
        names = [summary.study_name for summary in backend.get_all_studies()]
        if len(names) != 1:
            raise ValueError(
                "`study_name` can be omitted only when the storage holds one study; "
                f"it holds {len(names)}: {names}."
            )
        study_name = names[0]
    return Study(study_name, backend, sampler, pruner)


def delete_study(study_name: str, storage: str | BaseStorage) -> None:
    """Delete a study and all its trials."""
    backend = get_storage(storage)
    backend.delete_study(backend.get_study_id_from_name(study_name))


def get_all_study_summaries(
    storage: str | BaseStorage, include_best_trial: bool = True
) -> list[StudySummary]:
    """One summary per study: name, directions, trial counts, best values, user attributes
    and (with ``include_best_trial``, for single-objective studies) the best trial."""
    backend = get_storage(storage)
    summaries = []
    for summary in backend.get_all_studies():
        best = None
        if include_best_trial and len(summary.directions) == 1 and summary.n_complete:
            try:
                best = backend.get_best_trial(summary.study_id)
            except ValueError:  # its best value is damaged: the summary has none either
                best = None
        summaries.append(
            dataclasses.replace(
                summary,
                best_trial=best,
                user_attrs=backend.get_study_attrs(summary.study_id),
                system_attrs=backend.get_study_attrs(summary.study_id, system=True),
            )
        )
    return summaries


def get_all_study_names(storage: str | BaseStorage) -> list[str]:
    """The names of every study in the storage."""
    return [summary.study_name for summary in get_all_study_summaries(storage)]
