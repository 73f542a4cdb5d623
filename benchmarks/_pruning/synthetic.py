"""The pruners on the MF-Hartmann tasks: one run = one contender, one task, one seed.

Every tftune and Optuna contender of a seed evaluates the same configurations in the same order
(drawn once with tftune's ``RandomSampler(seed)``, see ``draw_configs``); KerasTuner's Hyperband
draws its own (``HyperbandOracle(seed=seed)``). A "step" is one epoch of fidelity.

tftune's ASHA and Hyperband run as ``tftune.keras.Tuner`` runs them with ``resume_promoted=True``:
a pruned trial leaves a checkpoint (here only the step it reached) and is paused; after every
trial the pruner's ``promotions(study)`` are enqueued as new trials that re-report the paused
trial's values and continue from its next step. ``enqueue_promotions`` mirrors
``Tuner._promote`` (tftune/keras/_tuner.py) minus the weights file.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

from _pruning.mf_hartmann import TASKS, MFHartmann

# Trial attributes the Keras tuner uses for paused/resumed trials (tftune/keras/_tuner.py).
RESUMED_VALUES_ATTR = "resumed_intermediate_values"

SYNTHETIC_CONTENDERS = (
    "tftune_nop",
    "tftune_median",
    "tftune_asha",
    "tftune_hyperband",
    "tftune_asha_noresume",
    "optuna_median",
    "optuna_hyperband",
    "kerastuner_hyperband",
)


def task_of(name: str) -> MFHartmann:
    import dataclasses

    base, _, variant = name.partition("@")
    task = TASKS[base]
    if variant:  # "mf_hartmann3@delta1.0": the same function with another fidelity bias
        task = dataclasses.replace(task, name=name, delta=float(variant.removeprefix("delta")))
    return task


def draw_configs(
    n: int, seed: int, suggest: Callable[[Any], dict[str, Any]]
) -> list[dict[str, Any]]:
    """``n`` configurations from tftune's ``RandomSampler(seed)`` (trial numbers 0..n-1)."""
    import tftune

    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=seed))
    configs = []
    for _ in range(n):
        trial = study.ask()
        configs.append(suggest(trial))
        study.tell(trial, 0.0)
    return configs


#: Pruned contenders draw from a longer stream of configurations (the unpruned search's come
#: first, in the same order) and stop at the same epoch budget: a third of the unpruned search's
#: epochs, the issue's compute budget (KerasTuner gets at least as many).
CONFIG_RESERVE = 5


def epoch_budget(n_configs: int, max_steps: int) -> int:
    return math.ceil(n_configs * max_steps / 3)


def configs_for(
    contender: str,
    n_configs: int,
    seed: int,
    suggest: Callable[[Any], dict[str, Any]],
    max_steps: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """The configurations a contender evaluates and its epoch budget (``None``: unpruned, all of
    them)."""
    if contender.endswith("_nop"):
        return draw_configs(n_configs, seed, suggest), None
    return draw_configs(n_configs * CONFIG_RESERVE, seed, suggest), epoch_budget(
        n_configs, max_steps
    )


def suggest_point(dim: int) -> Callable[[Any], dict[str, Any]]:
    def suggest(trial: Any) -> dict[str, Any]:
        return {f"x{j}": trial.suggest_float(f"x{j}", 0.0, 1.0) for j in range(dim)}

    return suggest


# --- tftune: the pruners, and the pause/resume of ASHA promotions -------------------------------
def tftune_pruner(name: str, max_steps: int) -> Any:
    import tftune

    p = tftune.pruners
    if name == "nop":
        return p.NopPruner()
    if name == "median":
        return p.MedianPruner()
    if name in ("asha", "asha_noresume"):
        # BENCH_ASHA_CURVE_HORIZON=next_rung: ASHA's rung rule before issue 17 (a before/after run)
        horizon = os.environ.get("BENCH_ASHA_CURVE_HORIZON")
        if horizon:
            return p.SuccessiveHalvingPruner(
                min_resource=1, reduction_factor=3, curve_horizon=horizon
            )
        return p.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if name == "hyperband":
        return p.HyperbandPruner(min_resource=1, max_resource=max_steps, reduction_factor=3)
    raise ValueError(name)


def optuna_pruner(name: str, max_steps: int) -> Any:
    import optuna

    if name == "median":
        return optuna.pruners.MedianPruner()
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=max_steps, reduction_factor=3
        )
    raise ValueError(name)


def enqueue_promotions(study: Any) -> int:
    """Queue a resuming trial for every paused trial the pruner promotes (as
    ``Tuner._promote``)."""
    from tftune.pruners._successive_halving import (
        CHECKPOINT_KEY,
        LINEAGE_KEY,
        RESUME_OF_KEY,
        lineage,
    )
    from tftune.storages._base import FIXED_PARAMS_KEY
    from tftune.trial import FrozenTrial, TrialState

    queued = 0
    for paused in study.pruner.promotions(study):
        notes = {
            k: v
            for k, v in paused.system_attrs.items()
            if "_rung_" in k or k == "hyperband_bracket"
        }
        template = FrozenTrial(
            number=-1,
            state=TrialState.WAITING,
            system_attrs={
                **notes,
                FIXED_PARAMS_KEY: dict(paused.params),
                CHECKPOINT_KEY: paused.system_attrs[CHECKPOINT_KEY],
                RESUME_OF_KEY: paused.number,
                LINEAGE_KEY: lineage(paused),
                RESUMED_VALUES_ATTR: [
                    [step, value] for step, value in sorted(paused.intermediate_values.items())
                ],
            },
        )
        study.storage.enqueue_trials(
            study.study_id, [template], once_key=f"promote:{paused.number}"
        )
        queued += 1
    return queued


class Feeder:
    """Gives the study its next configuration whenever nothing is queued (a promotion goes first,
    as in ASHA); stops the study when every configuration was tried and nothing is queued, or
    (``spent``) once the contender has trained its epoch budget (between trials, as KerasTuner
    stops)."""

    def __init__(
        self,
        configs: list[dict[str, Any]],
        enqueue: Callable[[dict[str, Any]], None],
        waiting: Callable[[], int],
        stop: Callable[[], None],
        promote: Callable[[], Any] | None = None,
        spent: Callable[[], bool] = lambda: False,
    ) -> None:
        self.configs, self.enqueue, self.waiting, self.stop, self.promote = (
            configs,
            enqueue,
            waiting,
            stop,
            promote,
        )
        self.spent = spent
        self.next = 0

    def __call__(self, *_args: Any) -> None:
        if _args and self.spent():
            self.stop()
            return
        if self.promote is not None:
            self.promote()
        if self.waiting():
            return
        if self.next < len(self.configs):
            self.enqueue(self.configs[self.next])
            self.next += 1
        elif _args:  # called after a trial (not at the start): all done
            self.stop()


def waiting_count(study: Any) -> int:
    from tftune.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))


def run_tftune(
    task: MFHartmann,
    pruner_name: str,
    seed: int,
    configs: list[dict[str, Any]],
    max_steps: int,
    budget: int | None = None,
) -> dict[str, Any]:
    import tftune
    from tftune.pruners._successive_halving import CHECKPOINT_KEY, RESUME_OF_KEY

    resume = pruner_name in ("asha", "hyperband")
    study = tftune.create_study(
        study_name=f"{task.name}-tftune-{pruner_name}-seed{seed}",
        sampler=tftune.samplers.RandomSampler(seed=seed),
        pruner=tftune_pruner(pruner_name, max_steps),
        direction="minimize",
    )
    suggest = suggest_point(task.dim)
    record: dict[str, Any] = {"epochs": 0, "events": [], "reused_epochs": 0}

    def objective(trial: Any) -> float:
        x = list(suggest(trial).values())
        start = 0
        if RESUME_OF_KEY in trial.system_attrs:
            for step, value in trial.system_attrs[RESUMED_VALUES_ATTR]:
                trial.report(value, int(step))
            start = int(trial.system_attrs[CHECKPOINT_KEY]["epoch"]) + 1
            record["reused_epochs"] += start
        value = math.nan
        for step in range(start, max_steps):
            value = task.observe(seed, x, step, max_steps)
            record["epochs"] += 1
            trial.report(value, step)
            if trial.should_prune():
                if resume and math.isfinite(value):
                    trial.set_system_attr(CHECKPOINT_KEY, {"epoch": step})
                raise tftune.TrialPruned()
        record["events"].append([record["epochs"], value, task.true_value(x, 1.0)])
        return value

    feeder = Feeder(
        configs,
        study.enqueue_trial,
        lambda: waiting_count(study),
        study.stop,
        (lambda: enqueue_promotions(study)) if resume else None,
        spent=lambda: budget is not None and record["epochs"] >= budget,
    )
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    feeder()
    study.optimize(objective, n_trials=len(configs) * 20, callbacks=[feeder])
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    trials = study.get_trials(deepcopy=False)
    states = [t.state.name for t in trials]
    return {
        **record,
        "wall_s": wall,
        "cpu_s": cpu,
        "n_configs": feeder.next,
        "n_trials": len(trials),
        "n_complete": states.count("COMPLETE"),
        "n_pruned": states.count("PRUNED"),
        "n_resumed": sum(RESUME_OF_KEY in t.system_attrs for t in trials),
        "epochs_check": _tftune_epochs(trials),
    }


def _tftune_epochs(trials: list[Any]) -> int:
    """Epochs trained according to the study (steps reported minus the re-reported ones)."""
    total = 0
    for t in trials:
        if not t.intermediate_values:
            continue
        reached = max(t.intermediate_values) + 1
        resumed = t.system_attrs.get(RESUMED_VALUES_ATTR, [])
        start = max(int(step) for step, _ in resumed) + 1 if resumed else 0
        total += reached - start
    return total


def run_optuna(
    task: MFHartmann,
    pruner_name: str,
    seed: int,
    configs: list[dict[str, Any]],
    max_steps: int,
    budget: int | None = None,
) -> dict[str, Any]:
    import optuna

    study = optuna.create_study(
        study_name=f"{task.name}-optuna-{pruner_name}-seed{seed}",
        sampler=optuna.samplers.RandomSampler(seed=seed),
        pruner=optuna_pruner(pruner_name, max_steps),
        direction="minimize",
    )
    for config in configs:
        study.enqueue_trial(config)
    suggest = suggest_point(task.dim)
    record: dict[str, Any] = {"epochs": 0, "events": [], "reused_epochs": 0}

    def objective(trial: Any) -> float:
        x = list(suggest(trial).values())
        value = math.nan
        for step in range(max_steps):
            value = task.observe(seed, x, step, max_steps)
            record["epochs"] += 1
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        record["events"].append([record["epochs"], value, task.true_value(x, 1.0)])
        return value

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    study.optimize(
        objective, n_trials=len(configs), callbacks=[budget_stop(budget, lambda: record["epochs"])]
    )
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    states = [
        t.state.name for t in study.get_trials(deepcopy=False) if t.state.name != "WAITING"
    ]  # not the unused queue
    return {
        **record,
        "wall_s": wall,
        "cpu_s": cpu,
        "n_configs": len(states),
        "n_trials": len(states),
        "n_complete": states.count("COMPLETE"),
        "n_pruned": states.count("PRUNED"),
        "n_resumed": 0,
    }


def budget_stop(budget: int | None, epochs: Callable[[], int]) -> Callable[[Any, Any], None]:
    """An Optuna callback that stops the study once ``epochs()`` reaches ``budget``."""

    def stop(study: Any, _trial: Any) -> None:
        if budget is not None and epochs() >= budget:
            study.stop()

    return stop


def run_kerastuner(task: MFHartmann, seed: int, max_steps: int, epoch_cap: int) -> dict[str, Any]:
    """KerasTuner's ``HyperbandOracle`` (max_epochs = max_steps, factor 3), driven the way
    ``keras_tuner.Hyperband`` drives it: a trial with ``tuner/trial_id`` continues that trial
    from ``tuner/initial_epoch`` (KerasTuner reloads the best-epoch checkpoint; the synthetic
    value depends only on the fidelity) to ``tuner/epochs``; the trial's one metrics update
    is its best step, as ``Tuner`` reports it. The incumbent is KerasTuner's best trial (any
    round), handed back at its best step. Runs until ``epoch_cap`` epochs (stops between
    trials)."""
    import keras_tuner as kt

    hps = kt.HyperParameters()
    for j in range(task.dim):
        hps.Float(f"x{j}", 0.0, 1.0)
    record: dict[str, Any] = {"epochs": 0, "events": [], "reused_epochs": 0}
    n_trials = n_configs = 0
    with tempfile.TemporaryDirectory(prefix="tftune-bench-kt-") as tmp:
        oracle = kt.oracles.HyperbandOracle(
            objective=kt.Objective("loss", "min"),
            max_epochs=max_steps,
            factor=3,
            hyperband_iterations=10_000,
            seed=seed,
            hyperparameters=hps,
        )
        oracle._set_project_dir(tmp, "synthetic")
        oracle._display.verbose = 0
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        while record["epochs"] < epoch_cap:
            trial = oracle.create_trial("tuner0")
            if trial.status != "RUNNING":
                break
            values = trial.hyperparameters.values
            x = [values[f"x{j}"] for j in range(task.dim)]
            first, last = int(values["tuner/initial_epoch"]), int(values["tuner/epochs"])
            record["reused_epochs"] += first if "tuner/trial_id" in values else 0
            n_configs += "tuner/trial_id" not in values
            best_step, best = None, math.inf
            for step in range(first, last):
                value = task.observe(seed, x, step, max_steps)
                record["epochs"] += 1
                if value < best:
                    best_step, best = step, value
            oracle.update_trial(trial.trial_id, {"loss": best}, step=best_step)
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
            n_trials += 1
            record["events"].append(
                [record["epochs"], best, task.true_value(x, (best_step + 1) / max_steps)]
            )
        wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    return {
        **record,
        "wall_s": wall,
        "cpu_s": cpu,
        "n_trials": n_trials,
        "n_configs": n_configs,
        "n_complete": n_trials,
        "n_pruned": 0,
        "n_resumed": None,
        "epoch_cap": epoch_cap,
    }


def run_synthetic(
    task_name: str,
    contender: str,
    seed: int,
    n_configs: int,
    max_steps: int,
    epoch_cap: int | None = None,
) -> dict[str, Any]:
    task = task_of(task_name)
    if contender == "kerastuner_hyperband":
        return run_kerastuner(task, seed, max_steps, epoch_cap or n_configs * max_steps)
    configs, budget = configs_for(contender, n_configs, seed, suggest_point(task.dim), max_steps)
    library, _, pruner = contender.partition("_")
    if library == "tftune":
        return run_tftune(task, pruner, seed, configs, max_steps, budget)
    return run_optuna(task, pruner, seed, configs, max_steps, budget)
