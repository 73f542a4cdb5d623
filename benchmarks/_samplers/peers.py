"""The contenders: a registry ``name -> factory(seed)`` and one ask/tell driver per library.

Every factory returns a :class:`Driver`: ``start(space)`` once, then ``ask() -> (token, params)``
and ``tell(token, value)``, so sequential runs (ask, evaluate, tell) and batches (ask x 8, then
tell x 8) drive every library the same way. Only the samplers differ:

  tftune_tpe       tftune TPESampler(seed=seed), default settings
  tftune_gp        tftune GPSampler(seed=seed), only if ``hasattr(tftune.samplers, "GPSampler")``
  tftune_auto      tftune AutoSampler(seed=seed) (GP, then TPE), only if tftune.samplers has it
  tftune_auto_hamming  AutoSampler whose GP has the earlier Hamming categorical kernel (one
                   lengthscale per categorical); opt-in, the kernel measurement's reference
  tftune_qmc       tftune QMCSampler(seed=seed)
  tftune_random    tftune RandomSampler(seed=seed)
  optuna_tpe       optuna TPESampler(seed=seed), default settings
  optuna_gp        optuna GPSampler(seed=seed), only if PyTorch imports
  optuna_cmaes     optuna CmaEsSampler(seed=seed), only if ``cmaes`` imports; opt-in (--samplers):
                   the issue's optional CMA-ES, measured to see whether tftune should have one
  hyperopt_tpe     hyperopt tpe.suggest, driven like hyperopt.fmin drives it (see HyperoptDriver)
  keras_tuner_bo   KerasTuner BayesianOptimizationOracle; opt-in (--samplers), see KERAS_TUNER_NOTE
  smac_hpo         SMAC3's HPO facade; opt-in
  hebo             HEBO 0.3.6 at its defaults, in its own venv (HEBO_PYTHON); opt-in, see HEBO_NOTE
  random_search    plain uniform random search (numpy), the library-neutral reference

The registry is built at import time from what is installed; ``UNAVAILABLE`` says why a
contender is missing, ``OPT_IN`` lists the ones that run only when named in ``--samplers``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import tempfile
import warnings
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from _samplers.space import Param, is_active, sample_uniform, suggest_all

KERAS_TUNER_NOTE = (
    "KerasTuner 1.4.8's BayesianOptimizationOracle works here when driven without training "
    "(create_trial / update_trial / end_trial, see KerasTunerDriver), but it is far too slow for "
    "this suite: each proposal fits scikit-learn's GaussianProcessRegressor and runs 50 L-BFGS-B "
    "restarts with numerical gradients; measured ~4 s per ask at 40 trials on this 2-core machine "
    "(160 s for a 40-trial run), i.e. over 15 minutes per 200-evaluation run, x tasks x seeds. It "
    "is therefore opt-in: `--samplers keras_tuner_bo,...`; it is not part of the default "
    "contenders or of the tables."
)


class Driver:
    """Ask/tell interface shared by every contender."""

    label = "?"

    def start(self, space: Sequence[Param]) -> None:
        raise NotImplementedError

    def ask(self) -> tuple[Any, dict[str, Any]]:
        raise NotImplementedError

    def tell(self, token: Any, value: float) -> None:
        raise NotImplementedError


# --- tftune and Optuna: one study, define-by-run -------------------------------------------------
class StudyDriver(Driver):
    def __init__(self, lib_name: str, sampler: Any, label: str) -> None:
        self.lib_name, self.sampler, self.label = lib_name, sampler, label

    @property
    def lib(self) -> Any:
        return load_lib(self.lib_name)

    def start(self, space: Sequence[Param]) -> None:
        self.space = tuple(space)
        self.study = self.lib.create_study(sampler=self.sampler, direction="minimize")

    def ask(self) -> tuple[Any, dict[str, Any]]:
        trial = self.study.ask()
        return trial, suggest_all(trial, self.space)

    def tell(self, token: Any, value: float) -> None:
        self.study.tell(token, value)


def load_lib(name: str) -> Any:
    """``tftune`` or ``optuna`` with logging at WARNING and their sampler warnings silenced."""
    import importlib

    lib = importlib.import_module(name)
    if (
        name == "optuna"
    ):  # ERROR: GPSampler warns on every conditional parameter it samples at random
        lib.logging.set_verbosity(lib.logging.ERROR)
        warnings.filterwarnings("ignore", category=lib.exceptions.ExperimentalWarning)
    else:
        lib.logging.set_verbosity(logging.WARNING)
    warnings.filterwarnings(
        "ignore", message=".*independent.*"
    )  # conditional params: independent sampling
    return lib


# --- hyperopt: tpe.suggest on a Trials object, as fmin does it -----------------------------------
class HyperoptDriver(Driver):
    """hyperopt's TPE exactly as ``fmin`` calls it, one new trial id per ask.

    ``fmin`` seeds ``rstate = np.random.default_rng(seed)`` and passes
    ``rstate.integers(2**31 - 1)`` to ``tpe.suggest`` for each new trial; the new trial doc is
    inserted (state NEW, loss None, which hyperopt's TPE treats as +inf while it runs) and
    completed on tell. Conditional parameters become nested ``hp.choice`` branches. Checked: on
    Branin (100 evaluations, seeds 0-5) it reproduces ``fmin(..., rstate=default_rng(seed))``'s
    results exactly.
    """

    label = "hyperopt TPE"

    def __init__(self, seed: int) -> None:
        self.rstate = np.random.default_rng(seed)

    def start(self, space: Sequence[Param]) -> None:
        from hyperopt import Trials, base

        self.params = tuple(space)
        self.hp_space = _hyperopt_space(self.params)
        self.domain = base.Domain(lambda _: 0.0, self.hp_space)
        self.trials = Trials()

    def ask(self) -> tuple[Any, dict[str, Any]]:
        from hyperopt import space_eval, tpe

        new_ids = self.trials.new_trial_ids(1)
        self.trials.refresh()
        docs = tpe.suggest(new_ids, self.domain, self.trials, int(self.rstate.integers(2**31 - 1)))
        self.trials.insert_trial_docs(docs)
        self.trials.refresh()
        doc = self.trials._dynamic_trials[-1]
        doc["state"] = 1  # JOB_STATE_RUNNING
        vals = {k: v[0] for k, v in doc["misc"]["vals"].items() if len(v)}
        return doc, _hyperopt_flatten(space_eval(self.hp_space, vals), self.params)

    def tell(self, token: Any, value: float) -> None:
        from hyperopt import STATUS_OK, base

        token["state"] = base.JOB_STATE_DONE
        token["result"] = {"loss": float(value), "status": STATUS_OK}
        self.trials.refresh()


def _hyperopt_expr(p: Param, label: str) -> Any:
    from hyperopt import hp

    if p.kind == "cat":
        return hp.choice(label, list(p.choices))
    if p.kind == "int":
        if p.log:
            return hp.qloguniform(label, math.log(p.low - 0.5), math.log(p.high + 0.5), 1)
        return hp.quniform(label, p.low - 0.5, p.high + 0.5, 1)
    if p.log:
        return hp.loguniform(label, math.log(p.low), math.log(p.high))
    return hp.uniform(label, p.low, p.high)


def _hyperopt_space(space: Sequence[Param]) -> dict[str, Any]:
    children: dict[str, list[Param]] = {}
    for p in space:
        if p.parent:
            children.setdefault(p.parent, []).append(p)
    out: dict[str, Any] = {}
    from hyperopt import hp

    for p in space:
        if p.parent:
            continue
        if p.name in children:
            branches = []
            for value in p.choices:
                branch = {"__value__": value}
                for c in children[p.name]:
                    if value in c.parent_values:
                        branch[c.name] = _hyperopt_expr(c, f"{c.name}@{value}")
                branches.append(branch)
            out[p.name] = hp.choice(p.name, branches)
        else:
            out[p.name] = _hyperopt_expr(p, p.name)
    return out


def _hyperopt_flatten(point: dict[str, Any], space: Sequence[Param]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in point.items():
        if isinstance(value, dict):
            flat[name] = value["__value__"]
            flat.update({k: v for k, v in value.items() if k != "__value__"})
        else:
            flat[name] = value
    for p in space:  # hyperopt's quantised ints come back as floats; keep them inside the bounds
        if p.kind == "int" and p.name in flat:
            flat[p.name] = int(min(p.high, max(p.low, round(flat[p.name]))))
        elif p.kind == "float" and p.name in flat:
            flat[p.name] = float(min(p.high, max(p.low, flat[p.name])))
    return flat


# --- KerasTuner's Bayesian optimization oracle, without training ---------------------------------
class KerasTunerDriver(Driver):
    label = "KerasTuner BO"

    def __init__(self, seed: int, max_trials: int = 10_000) -> None:
        self.seed, self.max_trials = seed, max_trials

    def start(self, space: Sequence[Param]) -> None:
        os.environ.setdefault("KERAS_BACKEND", "torch")  # lighter than importing TensorFlow
        import keras_tuner as kt

        self.params = tuple(space)
        hps = kt.HyperParameters()
        for p in self.params:
            scope = (
                hps.conditional_scope(p.parent, list(p.parent_values))
                if p.parent
                else contextlib.nullcontext()
            )
            with scope:
                if p.kind == "cat":
                    hps.Choice(p.name, list(p.choices))
                elif p.kind == "int":
                    hps.Int(p.name, int(p.low), int(p.high), sampling="log" if p.log else "linear")
                else:
                    hps.Float(p.name, p.low, p.high, sampling="log" if p.log else "linear")
        self.oracle = kt.oracles.BayesianOptimizationOracle(
            objective=kt.Objective("loss", "min"),
            max_trials=self.max_trials,
            hyperparameters=hps,
            seed=self.seed,
        )
        self._dir = tempfile.TemporaryDirectory(prefix="kt-bench-")
        self.oracle._set_project_dir(self._dir.name, "bench")

    def ask(self) -> tuple[Any, dict[str, Any]]:
        with contextlib.redirect_stdout(io.StringIO()):
            trial = self.oracle.create_trial("tuner0")
        values = trial.hyperparameters.values
        params: dict[str, Any] = {}
        for p in self.params:
            if is_active(p, params) and p.name in values:
                params[p.name] = values[p.name]
        return trial, params

    def tell(self, token: Any, value: float) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            self.oracle.update_trial(token.trial_id, {"loss": float(value)})
            token.status = "COMPLETED"
            self.oracle.end_trial(token)


# --- plain random search ------------------------------------------------------------------------
class RandomSearchDriver(Driver):
    label = "random search"

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def start(self, space: Sequence[Param]) -> None:
        self.space = tuple(space)

    def ask(self) -> tuple[Any, dict[str, Any]]:
        return None, sample_uniform(self.rng, self.space)

    def tell(self, token: Any, value: float) -> None:
        pass


# --- SMAC3: the hyperparameter-optimisation facade (random forest, local search), ask/tell -------
class SmacDriver(Driver):
    """SMAC3's ``HyperparameterOptimizationFacade`` driven by ``ask()`` / ``tell()``, seeded,
    its output in a temporary folder, logging at ERROR. Conditional parameters are not
    translated (the generalisation tasks have none): such a space is refused."""

    label = "SMAC3 HPO"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def start(self, space: Sequence[Param]) -> None:
        from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
        from smac import HyperparameterOptimizationFacade, Scenario

        if any(p.parent for p in space):
            raise ValueError("SmacDriver: conditional parameters are not supported")
        self.space = tuple(space)
        config_space = ConfigurationSpace(seed=self.seed)
        for p in self.space:
            if p.kind == "cat":
                config_space.add(Categorical(p.name, list(p.choices)))
            elif p.kind == "int":
                config_space.add(Integer(p.name, (int(p.low), int(p.high)), log=p.log))
            else:
                config_space.add(Float(p.name, (p.low, p.high), log=p.log))
        self._folder = tempfile.TemporaryDirectory()
        scenario = Scenario(
            config_space,
            deterministic=True,
            n_trials=10**6,
            seed=self.seed,
            output_directory=Path(self._folder.name),
        )
        self.smac = HyperparameterOptimizationFacade(
            scenario, lambda config, seed=0: 0.0, overwrite=True, logging_level=40
        )

    def ask(self) -> tuple[Any, dict[str, Any]]:
        info = self.smac.ask()
        values = dict(info.config)
        params = {}
        for p in self.space:
            value = values[p.name]
            params[p.name] = (
                int(value) if p.kind == "int" else float(value) if p.kind == "float" else value
            )
            if p.kind == "cat":  # ConfigSpace hands back numpy scalars: the task's own choice
                params[p.name] = next(c for c in p.choices if c == value)
        return info, params

    def tell(self, token: Any, value: float) -> None:
        from smac.runhistory.dataclasses import TrialValue

        self.smac.tell(token, TrialValue(cost=float(value)))


# --- HEBO: in its own environment, as a subprocess -----------------------------------------------
HEBO_NOTE = (
    "HEBO 0.3.6 pins numpy<1.25 and pymoo==0.6.0, which cannot share this environment (numpy 2): "
    "it runs in its own venv as a subprocess (_samplers/hebo_worker.py); set HEBO_PYTHON to that "
    "venv's python (benchmarks/README.md, 'HEBO'). Opt-in: tens of seconds per ask on 2 cores."
)


class HeboDriver(Driver):
    """HEBO at its defaults, asked and told one point at a time through hebo_worker.py."""

    label = "HEBO"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def start(self, space: Sequence[Param]) -> None:
        import dataclasses
        import json
        import subprocess
        import sys

        self.space = tuple(space)
        worker = Path(__file__).resolve().parent / "hebo_worker.py"
        env = {**os.environ, "PYTHONPATH": "", "PYTHONWARNINGS": "ignore"}
        self._json = json
        self._process = subprocess.Popen(
            [os.environ["HEBO_PYTHON"], str(worker)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=sys.stderr,
            text=True,
            env=env,
        )
        payload = [dataclasses.asdict(p) for p in self.space]
        for p in payload:
            p["choices"] = list(range(len(p["choices"])))  # indices: any choice type travels
        self._call({"space": payload, "seed": self.seed})

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(self._json.dumps(message) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"hebo_worker exited with {self._process.wait()}")
        answer: dict[str, Any] = self._json.loads(line)
        return answer

    def ask(self) -> tuple[Any, dict[str, Any]]:
        raw = self._call({"ask": True})["params"]
        params = {
            p.name: p.choices[raw[p.name]] if p.kind == "cat" else raw[p.name] for p in self.space
        }
        return None, params

    def tell(self, token: Any, value: float) -> None:
        self._call({"tell": float(value)})

    def __del__(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.stdin.close()
            process.wait(timeout=30)


# --- the registry --------------------------------------------------------------------------------
LABELS = {
    "tftune_tpe": "tftune TPE",
    "tftune_gp": "tftune GP",
    "tftune_auto": "tftune Auto",
    "tftune_auto_hamming": "tftune Auto, GP with the Hamming categorical kernel",
    "tftune_qmc": "tftune QMC",
    "tftune_random": "tftune Random",
    "optuna_tpe": "Optuna TPE",
    "optuna_gp": "Optuna GP",
    "hyperopt_tpe": "hyperopt TPE",
    "keras_tuner_bo": "KerasTuner BO",
    "random_search": "random search",
    "optuna_cmaes": "Optuna CMA-ES",
    "smac_hpo": "SMAC3 HPO",
    "hebo": "HEBO",
}
# SMAC3 is opt-in: about 1 s per ask at 100 trials on the 2-core machine (its random forest and
# local search), too slow for the whole suite; bench_generalisation.py runs it.
OPT_IN = {"tftune_auto_hamming", "keras_tuner_bo", "optuna_cmaes", "smac_hpo", "hebo"}


def _torch_problem() -> str | None:
    try:
        import torch  # noqa: F401
    except Exception as error:  # noqa: BLE001
        return f"PyTorch does not import ({type(error).__name__}: {error})"
    return None


def _import_problem(module: str) -> str | None:
    try:
        __import__(module)
    except Exception as error:  # noqa: BLE001
        return f"{module} does not import ({type(error).__name__}: {error})"
    return None


def build_registry() -> tuple[dict[str, Callable[[int], Driver]], dict[str, str]]:
    """``(registry, unavailable)``: name -> factory(seed), and name -> why it is missing."""
    import tftune

    registry: dict[str, Callable[[int], Driver]] = {}
    unavailable: dict[str, str] = {}
    ts = tftune.samplers

    registry["tftune_tpe"] = lambda seed: StudyDriver(
        "tftune", ts.TPESampler(seed=seed), LABELS["tftune_tpe"]
    )
    if hasattr(ts, "GPSampler"):
        registry["tftune_gp"] = lambda seed: StudyDriver(
            "tftune", ts.GPSampler(seed=seed), LABELS["tftune_gp"]
        )
    else:
        unavailable["tftune_gp"] = "tftune.samplers has no GPSampler (yet)"
    if hasattr(ts, "AutoSampler"):
        registry["tftune_auto"] = lambda seed: StudyDriver(
            "tftune", ts.AutoSampler(seed=seed), LABELS["tftune_auto"]
        )

        def auto_hamming(seed: int) -> Driver:
            sampler = ts.AutoSampler(seed=seed)
            sampler.gp = ts.GPSampler(seed=seed, categorical_kernel="hamming")
            return StudyDriver("tftune", sampler, LABELS["tftune_auto_hamming"])

        registry["tftune_auto_hamming"] = auto_hamming
    else:
        unavailable["tftune_auto"] = "tftune.samplers has no AutoSampler (yet)"
    registry["tftune_qmc"] = lambda seed: StudyDriver(
        "tftune", ts.QMCSampler(seed=seed), LABELS["tftune_qmc"]
    )
    registry["tftune_random"] = lambda seed: StudyDriver(
        "tftune", ts.RandomSampler(seed=seed), LABELS["tftune_random"]
    )
    problem = _import_problem("optuna")
    if problem is None:
        import optuna

        registry["optuna_tpe"] = lambda seed: StudyDriver(
            "optuna", optuna.samplers.TPESampler(seed=seed), LABELS["optuna_tpe"]
        )
        problem = _torch_problem()
        if problem is None:
            registry["optuna_gp"] = lambda seed: StudyDriver(
                "optuna", optuna.samplers.GPSampler(seed=seed), LABELS["optuna_gp"]
            )
        else:
            unavailable["optuna_gp"] = problem
        problem = _import_problem("cmaes")
        if problem is None:
            registry["optuna_cmaes"] = lambda seed: StudyDriver(
                "optuna", optuna.samplers.CmaEsSampler(seed=seed), LABELS["optuna_cmaes"]
            )
        else:
            unavailable["optuna_cmaes"] = problem
    else:
        unavailable["optuna_tpe"] = unavailable["optuna_gp"] = unavailable["optuna_cmaes"] = (
            problem
        )
    problem = _import_problem("hyperopt")
    if problem is None:
        registry["hyperopt_tpe"] = HyperoptDriver
    else:
        unavailable["hyperopt_tpe"] = problem
    if _module_exists("keras_tuner"):
        registry["keras_tuner_bo"] = KerasTunerDriver
    else:
        unavailable["keras_tuner_bo"] = "keras_tuner is not installed"
    problem = _import_problem("smac")
    if problem is None:
        registry["smac_hpo"] = SmacDriver
    else:
        unavailable["smac_hpo"] = problem
    hebo_python = os.environ.get("HEBO_PYTHON")
    if hebo_python and os.access(hebo_python, os.X_OK):
        registry["hebo"] = HeboDriver
    else:
        unavailable["hebo"] = HEBO_NOTE
    registry["random_search"] = RandomSearchDriver
    return registry, unavailable


def _module_exists(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def is_tftune(name: str) -> bool:
    return name.startswith("tftune_")


def study_lib(name: str) -> str | None:
    """'tftune' / 'optuna' for the study-based contenders (the overhead benchmark times those)."""
    return (
        "tftune"
        if name.startswith("tftune_")
        else "optuna"
        if name.startswith("optuna_")
        else None
    )
