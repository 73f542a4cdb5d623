"""KerasTuner's tuners on tftune's engine (``tftune.keras.Tuner``).

A search takes one of two paths:

* **packed**: a hypermodel without a ``fit`` of its own, one execution per trial, one metric
  objective and no Keras callbacks. ``tftune.keras.Tuner`` runs it: trials train in fused
  packs when their models fuse, Hyperband promotions resume from checkpoints, best weights
  are kept on disk. ``max_retries_per_trial`` retries a failing build here; a trial whose
  training raises fails (a pack whose fused training fails reruns its trials one at a time).
* **one by one**: everything else (``run_trial`` or ``HyperModel.fit`` overridden,
  ``executions_per_trial > 1``, a list of objectives, callbacks such as TensorBoard, which get
  a copy and a log folder per trial and execution). Each trial
  runs KerasTuner's ``run_trial`` in a tftune study; a trial stopped by Hyperband's pruner
  stays stopped (no resumption).

Both store everything in the study under ``directory/project_name`` (SQLite by default), so a
new tuner on the same folder resumes the search, and ``overwrite=True`` starts over.
"""

from __future__ import annotations

import logging
import math
import os
import pathlib
import shutil
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import keras
import numpy as np

from tftune.exceptions import TrialPruned
from tftune.keras import TrialFailed
from tftune.keras import Tuner as KerasEngine
from tftune.keras._best_weights import INPUT_SHAPE_ATTR, WEIGHTS_ATTR, BestWeights
from tftune.keras._project import project_dir
from tftune.keras._training import fresh_session, input_shape
from tftune.keras_tuner._callbacks import trial_callbacks
from tftune.keras_tuner._hypermodel import HyperModel, as_hypermodel, overrides_fit
from tftune.keras_tuner._hyperparameters import HyperParameters
from tftune.keras_tuner._objective import DefaultObjective, MultiObjective, Objective, score
from tftune.keras_tuner._oracles import (
    BayesianOptimizationOracle,
    GridSearchOracle,
    HyperbandOracle,
    Oracle,
    RandomSearchOracle,
)
from tftune.keras_tuner._space import default_params, discover_space
from tftune.keras_tuner._trial import (
    METRICS_ATTR,
    VALUES_ATTR,
    Trial,
    trial_hyperparameters,
    trial_id,
)
from tftune.pruners._successive_halving import RESUME_OF_KEY
from tftune.keras_tuner.errors import (
    FailedTrialError,
    FatalError,
    FatalTypeError,
    FatalValueError,
)
from tftune.storages import BaseStorage
from tftune.storages._callbacks import RETRY_OF_KEY
from tftune.study import Study
from tftune.trial import FrozenTrial, TrialState
from tftune.trial import Trial as TftuneTrial

_logger = logging.getLogger("tftune")
#: ``search()`` without ``max_trials`` (a grid search) stops when the sampler runs out.
_UNBOUNDED = 10**9
#: Rounds of ``search()``: the new trials, then the promotions (and retries) they queued.
_MAX_ROUNDS = 64


class _TrackedHyperModel(HyperModel):
    """The user's hypermodel, remembering the last model it built (the trial's model, whose
    weights are kept when the trial is among the best)."""

    def __init__(self, inner: HyperModel) -> None:
        super().__init__(name=inner.name, tunable=inner.tunable)
        self.inner = inner
        self.last_model: Any = None

    def build(self, hp: HyperParameters) -> Any:
        self.last_model = self.inner.build(hp)
        return self.last_model

    def declare_hyperparameters(self, hp: HyperParameters) -> None:
        self.inner.declare_hyperparameters(hp)

    def fit(self, hp: HyperParameters, model: Any, *args: Any, **kwargs: Any) -> Any:
        return self.inner.fit(hp, model, *args, **kwargs)


class _Reporter(keras.callbacks.Callback):  # type: ignore[misc]
    """Reports the objective of each epoch to the trial, so a pruner (Hyperband) can stop it."""

    def __init__(self, trial: TftuneTrial, objective: Objective) -> None:
        super().__init__()
        self.trial = trial
        self.objective = objective

    @property
    def model(self) -> Any:
        return keras.callbacks.Callback.model.fget(self)

    @model.setter
    def model(self, model: Any) -> None:  # custom loops assign it (callback.model = model)
        self.set_model(model)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        logs = logs or {}
        if not self.objective.has_value(logs):
            return
        value = self.objective.get_value(logs)
        if not math.isfinite(value) or epoch in self.trial.intermediate_values:
            return
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            if self.model is not None:
                self.model.stop_training = True
            raise TrialPruned(f"Trial {self.trial.number} was pruned at epoch {epoch}.")


class Tuner:
    """KerasTuner's ``Tuner``: an oracle (the search strategy) and a hypermodel.

    Subclass it (or a search class) and override ``run_trial(self, trial, *args, **kwargs)``
    to tune anything: return the objective's value, a dict of metrics or a ``History``.

    Args:
        oracle: the search strategy, e.g. ``oracles.RandomSearchOracle(...)``.
        hypermodel: a ``HyperModel`` or a function ``build(hp) -> compiled keras.Model``.
        max_model_size: trials whose model has more parameters fail.
        optimizer, loss, metrics: compile every model with these instead.
        distribution_strategy: a ``tf.distribute.Strategy``: each trial's model is built and
            compiled in its scope, so one trial trains on all of the strategy's devices; trials
            then run one at a time, never fused into packs.
        directory, project_name: the study and the best weights live in
            ``directory/project_name`` (default ``./untitled_project``).
        overwrite: delete that folder first and start over (default: resume it).
        executions_per_trial: train each configuration this many times and average.
        storage: a tftune storage or database URL instead of the SQLite file.
        fuse, pack_size, retry_failed: as for ``tftune.keras.Tuner``.
        keep_best_models: how many of the best trials keep their weights on disk (the most
            ``get_best_models`` can return).
    """

    def __init__(
        self,
        oracle: Oracle,
        hypermodel: Any = None,
        max_model_size: int | None = None,
        optimizer: Any = None,
        loss: Any = None,
        metrics: Any = None,
        distribution_strategy: Any = None,
        directory: str | os.PathLike[str] | None = None,
        project_name: str | None = None,
        logger: Any = None,
        tuner_id: str | None = None,
        overwrite: bool = False,
        executions_per_trial: int = 1,
        *,
        storage: str | BaseStorage | None = None,
        fuse: bool | Literal["auto"] = "auto",
        pack_size: int | Literal["auto"] = "auto",
        retry_failed: int = 3,
        keep_best_models: int = 10,
    ) -> None:
        if not isinstance(oracle, Oracle):
            raise TypeError(
                f"`oracle` must be a keras_tuner Oracle (for example "
                f"oracles.RandomSearchOracle(...)), got {oracle!r}."
            )
        if distribution_strategy is not None and not callable(
            getattr(distribution_strategy, "scope", None)
        ):
            raise TypeError(
                "`distribution_strategy` must be a tf.distribute.Strategy (for example "
                f"tf.distribute.MirroredStrategy()) or None, got {distribution_strategy!r}."
            )
        if (
            isinstance(executions_per_trial, bool)
            or not isinstance(executions_per_trial, int)
            or executions_per_trial < 1
        ):
            raise ValueError(
                f"`executions_per_trial` must be a positive int, got {executions_per_trial!r}."
            )
        if max_model_size is not None and (
            isinstance(max_model_size, bool)
            or not isinstance(max_model_size, int)
            or max_model_size < 1
        ):
            raise ValueError(
                f"`max_model_size` must be a positive int or None, got {max_model_size!r}."
            )
        self.oracle = oracle
        inner = as_hypermodel(hypermodel)
        self.hypermodel = None if inner is None else _TrackedHyperModel(inner)
        self._fits_itself = overrides_fit(inner)
        self.max_model_size = max_model_size
        self.distribution_strategy = distribution_strategy
        self.optimizer, self.loss, self.metrics = optimizer, loss, metrics
        self.executions_per_trial = executions_per_trial
        self.tuner_id = tuner_id or "tuner0"
        self.logger = logger
        self.directory = pathlib.Path(directory if directory is not None else ".")
        self.project_name = project_name or "untitled_project"
        folder = project_dir(self.directory, self.project_name)  # checks the name first
        if overwrite and folder.exists():
            shutil.rmtree(folder)
        self.space = self._discover_space()
        objective = oracle.objective
        self._engine = KerasEngine(
            self._build_for_engine,
            objective=objective.name,
            direction="maximize" if objective.direction == "max" else "minimize",
            sampler=oracle.sampler(self.space),
            pruner=oracle.pruner(),
            storage=storage,
            directory=self.directory,
            project_name=self.project_name,
            seed=oracle.seed,
            max_consecutive_failures=oracle.max_consecutive_failed_trials or _UNBOUNDED,
            fuse=fuse,
            pack_size=pack_size,
            retry_failed=retry_failed,
            keep_best=keep_best_models,
        )
        self.study: Study = self._engine.study
        self._best = BestWeights(self.study, folder, keep=keep_best_models)
        self._failures_in_a_row = 0
        self._fatal: BaseException | None = None
        self._running: Any = None  # the tftune trial a one-by-one search is running
        oracle.bind(self)
        self._enqueue_defaults()

    # --- where things are ------------------------------------------------------------------
    @property
    def project_dir(self) -> str:
        return str(self._engine.project_dir)

    @property
    def packing_note(self) -> str | None:
        """Why the last packed ``search()`` ran trials one at a time (``None``: it used packs)."""
        return self._engine.packing_note

    def close(self) -> None:
        """Release the storage (database connections, the heartbeat thread)."""
        self._engine.close()

    def reload(self) -> None:
        """Nothing to do: the study is read from its storage when the tuner is made."""

    def save(self) -> None:
        """Nothing to do: every trial is in the storage as soon as it changes."""

    # --- the space ---------------------------------------------------------------------------
    def _discover_space(self) -> HyperParameters:
        declared = self.oracle.hyperparameters
        if self.hypermodel is None:
            return declared.copy()
        hypermodel = self.hypermodel

        def build(hp: HyperParameters) -> None:
            hypermodel.declare_hyperparameters(hp)
            hypermodel.build(hp)

        space = discover_space(build, declared, after_build=keras.backend.clear_session)
        hypermodel.last_model = None
        return space

    def _enqueue_defaults(self) -> None:
        """The first trial of a new search runs every hyperparameter's default."""
        if isinstance(self.oracle, GridSearchOracle) or self.study.get_trials(deepcopy=False):
            return
        params = default_params(self.space)
        if params:
            self.study.enqueue_trial(params)

    def search_space_summary(self, extended: bool = False) -> None:
        """Print the hyperparameters and their settings."""
        space = self.space.space
        print("Search space summary")
        print(f"Default search space size: {len(space)}")
        for hp in space:
            config = hp.get_config()
            config.pop("name", None)
            print(f"{hp.name} ({type(hp).__name__})")
            print(config)

    # --- searching ---------------------------------------------------------------------------
    def remaining_trials(self) -> int | None:
        """Trials left before ``max_trials`` (a retried trial counts once)."""
        budget = self.oracle.trial_budget()
        if budget is None:
            return None
        trials = self.study.get_trials(deepcopy=False)
        used = sum(
            1
            for t in trials
            if t.state != TrialState.WAITING
            and RETRY_OF_KEY not in t.system_attrs
            and RESUME_OF_KEY not in t.system_attrs  # a promotion continues a trial
        )
        return budget - used

    def _queued_continuations(self) -> int:
        """Queued trials that continue earlier ones (promotions, retries of dead workers)."""
        return sum(
            1
            for t in self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
            if RESUME_OF_KEY in t.system_attrs or RETRY_OF_KEY in t.system_attrs
        )

    def search(self, *fit_args: Any, **fit_kwargs: Any) -> None:
        """Run trials until ``max_trials``; the arguments go to ``run_trial`` (and ``fit``)."""
        fit_kwargs = dict(fit_kwargs)
        epochs = self.oracle.fixed_epochs()
        if epochs is not None:
            fit_kwargs["epochs"] = epochs
        self._fatal = None
        packs = self._packs(fit_args, fit_kwargs)
        for _ in range(_MAX_ROUNDS):  # rounds: new trials, then the promotions they queued
            remaining = self.remaining_trials()
            n_trials = _UNBOUNDED if remaining is None else max(remaining, 0)
            n_trials += self._queued_continuations()
            if n_trials <= 0:
                break
            before = len(self.study.get_trials(deepcopy=False))
            if packs:
                self._search_packed(fit_args, fit_kwargs, n_trials)
            else:
                self._search_one_by_one(fit_args, fit_kwargs, n_trials)
            if self._fatal is not None or len(self.study.get_trials(deepcopy=False)) == before:
                break
        if self._fatal is not None:
            raise self._fatal

    def _packs(self, fit_args: Sequence[Any], fit_kwargs: Mapping[str, Any]) -> bool:
        """Whether ``tftune.keras.Tuner`` can run this search (fused packs, resumption)."""
        objective = self.oracle.objective
        return (
            type(self).run_trial is Tuner.run_trial
            and self.distribution_strategy is None  # a strategy spreads one trial, not packs
            and self.hypermodel is not None
            and not self._fits_itself
            and self.executions_per_trial == 1
            and not isinstance(objective, (DefaultObjective, MultiObjective))
            and not fit_kwargs.get("callbacks")
            and len(fit_args) <= 2
        )

    def _search_packed(
        self, fit_args: Sequence[Any], fit_kwargs: dict[str, Any], n_trials: int
    ) -> None:
        arguments = dict(fit_kwargs)
        arguments.pop("callbacks", None)
        positional = dict(zip(("x", "y"), fit_args, strict=False))
        x = positional.get("x", arguments.pop("x", None))
        y = positional.get("y", arguments.pop("y", None))
        epochs = int(arguments.pop("epochs", 1))
        self._engine.search(x, y, n_trials=n_trials, epochs=epochs, **arguments)

    def _search_one_by_one(
        self, fit_args: Sequence[Any], fit_kwargs: dict[str, Any], n_trials: int
    ) -> None:
        self._failures_in_a_row = 0

        def objective(trial: TftuneTrial) -> float:
            return self._run_one(trial, fit_args, fit_kwargs)

        self.study.optimize(
            objective, n_trials=n_trials, catch=(TrialFailed,), callbacks=[self._after_trial]
        )

    # --- one trial ---------------------------------------------------------------------------
    def _hyperparameters_for(self, trial: Any) -> HyperParameters:
        declared = self.oracle.hyperparameters
        if self.hypermodel is not None and not self.hypermodel.tunable:
            hp = HyperParameters()
            hp.merge(declared)
            return hp
        return trial_hyperparameters(
            trial,
            declared if declared.space else None,
            self.oracle.tune_new_entries,
            self.oracle.allow_new_entries,
        )

    def _build_for_engine(self, trial: Any) -> Any:
        """``build(trial)`` for ``tftune.keras.Tuner``: the hypermodel with this trial's hp,
        the build retried ``max_retries_per_trial`` times (not after ``FailedTrialError``)."""
        attempts = self.oracle.max_retries_per_trial + 1
        for attempt in range(attempts):
            hp = self._hyperparameters_for(trial)
            try:
                return self._try_build(hp)
            except FatalError as error:
                self._fatal = error
                self.study.stop()
                raise
            except FailedTrialError:
                raise
            except Exception as error:
                if attempt + 1 == attempts:
                    raise
                _logger.warning(
                    "Building trial %d failed (%d of %d tries): %r",
                    trial.number,
                    attempt + 1,
                    attempts,
                    error,
                )
            finally:
                trial.set_user_attr(VALUES_ATTR, dict(hp.values))
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _try_build(self, hp: HyperParameters) -> Any:
        """Build (and, with ``optimizer``/``loss``/``metrics``, compile) a model, inside the
        ``distribution_strategy``'s scope when there is one; a model over ``max_model_size``
        parameters fails the trial."""
        if self.hypermodel is None:
            raise FatalValueError(
                "This tuner has no hypermodel; pass `hypermodel=` or override run_trial()."
            )
        if self.distribution_strategy is None:
            return self._build_and_compile(self.hypermodel, hp)
        with self.distribution_strategy.scope():
            return self._build_and_compile(self.hypermodel, hp)

    def _build_and_compile(self, hypermodel: Any, hp: HyperParameters) -> Any:
        model = hypermodel.build(hp)
        if self.optimizer is not None or self.loss is not None or self.metrics is not None:
            compile_arguments: dict[str, Any] = {
                "optimizer": self.optimizer or model.optimizer,
                "loss": self.loss or model.loss,
            }
            if self.metrics is not None:
                compile_arguments["metrics"] = self.metrics
            model.compile(**compile_arguments)
        if self.max_model_size is not None and model.built:
            size = model.count_params()
            if size > self.max_model_size:
                raise FailedTrialError(
                    f"Oversized model: {size} parameters, more than "
                    f"max_model_size={self.max_model_size}."
                )
        return model

    def _run_one(
        self, trial: TftuneTrial, fit_args: Sequence[Any], fit_kwargs: Mapping[str, Any]
    ) -> float:
        hp = self._hyperparameters_for(trial)
        view = Trial(hp, trial_id(trial.number, self.oracle.max_trials), trial.number)
        self._running = trial
        if self.hypermodel is not None:
            self.hypermodel.last_model = None
        try:
            results = self._run_with_retries(view, fit_args, fit_kwargs)
        finally:
            trial.set_user_attr(VALUES_ATTR, dict(hp.values))
        objective = self.oracle.objective
        metrics = metrics_of(results, objective)
        trial.set_user_attr(METRICS_ATTR, metrics)
        value = score(objective, metrics)
        if not math.isfinite(value):
            raise TrialFailed(
                f"Trial {view.trial_id} gave no finite value for {objective}: {metrics}."
            )
        model = None if self.hypermodel is None else self.hypermodel.last_model
        if isinstance(model, keras.Model) and self._best.may_be_best(trial.number, value):
            self._best.save(trial, model, input_shape(model))
        return value

    def _run_with_retries(
        self, view: Trial, fit_args: Sequence[Any], fit_kwargs: Mapping[str, Any]
    ) -> Any:
        attempts = self.oracle.max_retries_per_trial + 1
        last: Exception | None = None
        for attempt in range(attempts):
            try:
                results = self.run_trial(view, *fit_args, **dict(fit_kwargs))
                if results is None:  # reported epoch by epoch (KerasTuner's older guide)
                    results = self._reported_results()
                validate_results(results, self.oracle.objective)
                return results
            except (TrialPruned, FatalError):
                raise
            except FailedTrialError as error:
                raise TrialFailed(f"Trial {view.trial_id} failed: {error}") from error
            except Exception as error:
                last = error
                _logger.warning(
                    "Trial %s failed (%d of %d tries): %r",
                    view.trial_id,
                    attempt + 1,
                    attempts,
                    error,
                )
        raise TrialFailed(
            f"Trial {view.trial_id} failed {attempts} time(s); the last error: {last!r}"
        ) from last

    def run_trial(self, trial: Trial, *args: Any, **kwargs: Any) -> Any:
        """Build and fit the hypermodel ``executions_per_trial`` times; return the results.

        Override it to tune anything; return the objective's value, a dict of metrics or a
        ``History`` (a list of them is averaged)."""
        hp = trial.hyperparameters
        callbacks = list(kwargs.pop("callbacks", None) or [])
        results = []
        for execution in range(self.executions_per_trial):
            fresh_session(None)
            if self.oracle.seed is not None:
                keras.utils.set_random_seed(self.oracle.seed + trial.number + execution)
            copies = trial_callbacks(callbacks, trial.trial_id, execution, hp.values)
            copies.append(_Reporter(self._running, self.oracle.objective))
            model = self._try_build(hp)
            assert self.hypermodel is not None
            result = self.hypermodel.fit(hp, model, *args, callbacks=copies, **kwargs)
            validate_results(result, self.oracle.objective)
            results.append(result)
        return results[0] if len(results) == 1 else results

    # --- KerasTuner's hooks for a run_trial of your own ----------------------------------------
    def on_epoch_end(
        self, trial: Trial, model: Any, epoch: int, logs: Mapping[str, Any] | None = None
    ) -> None:
        """Report the epoch's objective (for pruning and for a ``run_trial`` that returns
        nothing) and remember ``model`` as the trial's model."""
        if self.hypermodel is not None:
            self.hypermodel.last_model = model
        _Reporter(self._running, self.oracle.objective).on_epoch_end(epoch, dict(logs or {}))

    def on_epoch_begin(self, trial: Trial, model: Any, epoch: int, logs: Any = None) -> None:
        """Called by a ``run_trial`` of your own; does nothing."""

    def on_batch_begin(self, trial: Trial, model: Any, batch: int, logs: Any = None) -> None:
        """Called by a ``run_trial`` of your own; does nothing."""

    def on_batch_end(self, trial: Trial, model: Any, batch: int, logs: Any = None) -> None:
        """Called by a ``run_trial`` of your own; does nothing."""

    def _reported_results(self) -> dict[str, float] | None:
        """The best value the trial reported through ``on_epoch_end`` (or the callbacks), for
        a ``run_trial`` that returns nothing."""
        reported = list(self._running.intermediate_values.values())
        if not reported:
            return None
        best = max(reported) if self.oracle.objective.direction == "max" else min(reported)
        return {self.oracle.objective.name: best}

    def _after_trial(self, study: Study, frozen: FrozenTrial) -> None:
        self._best.remove_superseded(frozen)
        if frozen.state != TrialState.FAIL:
            self._failures_in_a_row = 0
            return
        self._failures_in_a_row += 1
        limit = self.oracle.max_consecutive_failed_trials
        if limit is not None and self._failures_in_a_row >= limit:
            reason = frozen.system_attrs.get("fail_reason", "")
            raise RuntimeError(
                f"Number of consecutive failures exceeded the limit of {limit}.\n{reason}"
            )

    # --- results -----------------------------------------------------------------------------
    def all_trials(self) -> list[Trial]:
        budget = self.oracle.max_trials
        return [
            Trial.from_frozen(t, self.space, budget)
            for t in self.study.get_trials(deepcopy=False)
            if t.state != TrialState.WAITING
        ]

    def trial(self, trial_id: str) -> Trial:
        for t in self.all_trials():
            if t.trial_id == str(trial_id):
                return t
        raise KeyError(f"No trial with trial_id {trial_id!r}.")

    def best_trials(self, num_trials: int = 1) -> list[Trial]:
        trials = self.all_trials()
        sign = -1.0 if self.oracle.objective.direction == "max" else 1.0
        complete = [t for t in trials if t.status == "COMPLETED" and t.score is not None]
        complete.sort(key=lambda t: (sign * (t.score or 0.0), t.number))
        if len(complete) < num_trials:
            complete += [t for t in trials if t.status != "COMPLETED" or t.score is None]
        return complete[:num_trials]

    def get_best_hyperparameters(self, num_trials: int = 1) -> list[HyperParameters]:
        """The hyperparameters of the best trials, best first."""
        return [t.hyperparameters for t in self.oracle.get_best_trials(num_trials)]

    def get_best_models(self, num_models: int = 1) -> list[Any]:
        """The best trials' models with their trained weights, best first."""
        return [self.load_model(t) for t in self.oracle.get_best_trials(num_models)]

    def load_model(self, trial: Trial) -> Any:
        """The trial's model, rebuilt from its hyperparameters, with its trained weights."""
        frozen = self.study.trials[trial.number]
        path = frozen.user_attrs.get(WEIGHTS_ATTR)
        if path is None or not pathlib.Path(path).exists():
            raise FileNotFoundError(
                f"The weights of trial {trial.trial_id} are not on disk: only the "
                f"{self._best.keep} best trials keep theirs (keep_best_models), and only "
                "trials that trained a Keras model."
            )
        model = self._try_build(trial.hyperparameters.copy())
        if not model.built and INPUT_SHAPE_ATTR in frozen.user_attrs:
            model.build(tuple(frozen.user_attrs[INPUT_SHAPE_ATTR]))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(path)
        return model

    def results_summary(self, num_trials: int = 10) -> None:
        """Print the best trials: their hyperparameters and scores."""
        print("Results summary")
        print(f"Results in {self.project_dir}")
        print(f"Showing {num_trials} best trials")
        print(f"{self.oracle.objective}")
        for trial in self.oracle.get_best_trials(num_trials):
            print()
            print(trial.summary())


def validate_results(results: Any, objective: Objective) -> None:
    """KerasTuner's checks of what ``run_trial``/``fit`` return (fatal: a bug in the code)."""
    if isinstance(results, list):
        for item in results:
            validate_results(item, objective)
        return
    if isinstance(results, (int, float, np.floating)) and not isinstance(results, bool):
        return
    if results is None:
        raise FatalTypeError(
            "The return value of run_trial() or HyperModel.fit() is None. "
            "Did you forget to return the metrics?"
        )
    if isinstance(objective, DefaultObjective) and not (
        isinstance(results, dict) and objective.name in results
    ):
        raise FatalTypeError(
            "Expected the return value of run_trial() or HyperModel.fit() to be a single "
            f"float when `objective` is left unspecified, got {results!r} of type "
            f"{type(results)}."
        )
    if isinstance(results, dict):
        names = (
            [o.name for o in objective.objectives]
            if isinstance(objective, MultiObjective)
            else [objective.name]
        )
        missing = [name for name in names if name not in results]
        if missing:
            raise FatalValueError(
                f"Expected the returned dict to have the objective(s) {missing} as keys, "
                f"got {results!r}."
            )
        return
    if isinstance(results, keras.callbacks.History):
        return
    raise FatalTypeError(
        "Expected the return value of run_trial() or HyperModel.fit() to be a float, a dict, "
        f"a keras.callbacks.History or a list of them, got {results!r} of type "
        f"{type(results)}."
    )


def metrics_of(results: Any, objective: Objective) -> dict[str, float]:
    """The trial's metrics: a value, a dict, a ``History`` at its best epoch, or the average
    of a list of these (``executions_per_trial``)."""
    if isinstance(results, list):
        dicts = [metrics_of(item, objective) for item in results]
        names = {name for d in dicts for name in d}
        return {
            name: float(np.mean([d[name] for d in dicts if name in d])) for name in sorted(names)
        }
    if isinstance(results, keras.callbacks.History):
        history = results.history
        epochs = max((len(v) for v in history.values()), default=0)
        logs = [{k: float(v[i]) for k, v in history.items() if i < len(v)} for i in range(epochs)]
        scored = [(score(objective, epoch_logs), i) for i, epoch_logs in enumerate(logs)]
        finite = [(s, i) for s, i in scored if math.isfinite(s)]
        if not finite:
            return logs[-1] if logs else {}
        best = min(finite) if objective.direction == "min" else max(finite)
        return logs[best[1]]
    if isinstance(results, dict):
        return {name: float(value) for name, value in results.items()}
    return {objective.name: float(results)}


class RandomSearch(Tuner):
    """Random search (tftune's ``RandomSampler``); the first trial runs the defaults."""

    def __init__(
        self,
        hypermodel: Any = None,
        objective: Any = None,
        max_trials: int = 10,
        seed: int | None = None,
        hyperparameters: HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        **kwargs: Any,
    ) -> None:
        oracle = RandomSearchOracle(
            objective=objective,
            max_trials=max_trials,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        super().__init__(oracle, hypermodel, **kwargs)


class BayesianOptimization(Tuner):
    """Bayesian optimization with tftune's Gaussian-process sampler."""

    def __init__(
        self,
        hypermodel: Any = None,
        objective: Any = None,
        max_trials: int = 10,
        num_initial_points: int | None = None,
        alpha: float = 1e-4,
        beta: float = 2.6,
        seed: int | None = None,
        hyperparameters: HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        **kwargs: Any,
    ) -> None:
        oracle = BayesianOptimizationOracle(
            objective=objective,
            max_trials=max_trials,
            num_initial_points=num_initial_points,
            alpha=alpha,
            beta=beta,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        super().__init__(oracle, hypermodel, **kwargs)


class GridSearch(Tuner):
    """Every combination of the discovered space (tftune's ``GridSampler``), defaults first."""

    def __init__(
        self,
        hypermodel: Any = None,
        objective: Any = None,
        max_trials: int | None = None,
        seed: int | None = None,
        hyperparameters: HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        **kwargs: Any,
    ) -> None:
        oracle = GridSearchOracle(
            objective=objective,
            max_trials=max_trials,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        super().__init__(oracle, hypermodel, **kwargs)


class Hyperband(Tuner):
    """Hyperband: tftune's ``HyperbandPruner``; promoted trials resume from checkpoints."""

    def __init__(
        self,
        hypermodel: Any = None,
        objective: Any = None,
        max_epochs: int = 100,
        factor: int = 3,
        hyperband_iterations: int = 1,
        seed: int | None = None,
        hyperparameters: HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        **kwargs: Any,
    ) -> None:
        oracle = HyperbandOracle(
            objective=objective,
            max_epochs=max_epochs,
            factor=factor,
            hyperband_iterations=hyperband_iterations,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        super().__init__(oracle, hypermodel, **kwargs)
