"""Pruning benchmark (issue 5, "Stop bad trials early"): tftune's pruners against Optuna's and
KerasTuner's Hyperband, side by side in one run, same seeds, same tasks.

Parts (``--only``; both by default)
  keras      breast cancer (the recipe model, lr/dropout/units/batch size) and digits (a 2-layer
             MLP, units/lr/dropout), up to 50 epochs a trial (10 in --quick); objective
             val_accuracy; held-out metric: test accuracy of the model each tool hands back.
  synthetic  MF-Hartmann-3 and -6 (Kandasamy et al. 2017's fidelity bias delta = 0.1) and the
             same with delta = 1.0 (less correlated low fidelities); a fidelity step is an epoch.

Contenders: tftune NopPruner, MedianPruner, SuccessiveHalvingPruner (ASHA) and HyperbandPruner,
the last two with paused/resumed trials (``tftune.keras.Tuner(resume_promoted=True)``; emulated
the same way on the synthetic tasks); Optuna MedianPruner and HyperbandPruner; KerasTuner
Hyperband (max_epochs equal, factor 3), which runs its own schedule until it has trained as many
epochs as the most expensive ASHA/Hyperband contender of the same task and seed. Synthetic only:
tftune ASHA without resume. Random search everywhere: every tftune and Optuna contender of a seed
gets the same configurations, drawn with tftune's ``RandomSampler(seed)``.

Primary measure: cumulative epochs trained (load-independent); wall and CPU time are secondary,
recorded with the load average. Results: ``results/pruning.{md,json}``,
``results/pruning_keras.png`` and ``results/pruning_synthetic.png``; with ``--quick``:
``pruning.quick.*`` (git-ignored).

Run:  .venv/bin/python benchmarks/bench_pruning.py [--quick] [--only keras|synthetic] [--jobs 2]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import dataclasses
import datetime
import json
import math
import multiprocessing
import os
import platform
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from _environment import cpu_model, git as _git, dist_version as _dist_version  # noqa: E402

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _pruning import analysis  # noqa: E402
from _pruning import report as rp  # noqa: E402
from _pruning.keras_tasks import KERAS_CONTENDERS, KERAS_TASKS  # noqa: E402
from _pruning.synthetic import SYNTHETIC_CONTENDERS  # noqa: E402

RESULTS_DIR = HERE / "results"
REPO = HERE.parent
PARTS = ("keras", "synthetic")
SYNTHETIC_TASKS = (
    "mf_hartmann3",
    "mf_hartmann6",
    "mf_hartmann3@delta1.0",
    "mf_hartmann6@delta1.0",
)
WORKER_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONWARNINGS": "ignore",
    "KERAS_BACKEND": "tensorflow",
}

# For the time estimate only: seconds per epoch and per trial measured on the 2-core reference
# machine with a load average of ~6, and each contender's epochs as a share of the unpruned search.
EPOCH_S = {"breast_cancer": 0.3, "digits": 0.45}
TRIAL_S = {"tftune": 4.0, "optuna": 4.0, "kerastuner": 6.0}
EPOCH_SHARE = {
    "tftune_nop": 1.0,
    "tftune_median": 0.34,
    "tftune_asha": 0.34,
    "tftune_hyperband": 0.34,
    "optuna_median": 0.34,
    "optuna_hyperband": 0.34,
    "kerastuner_hyperband": 0.36,
}
JOB_START_S = 4.0  # per job (a worker imports TensorFlow once)
SYNTHETIC_SEED_S = 6.0  # all synthetic contenders of one task and seed


@dataclasses.dataclass(frozen=True)
class Config:
    quick: bool
    parts: tuple[str, ...]
    jobs: int
    keras_tasks: tuple[str, ...]
    keras_seeds: tuple[int, ...]
    keras_configs: int
    epochs: int
    keras_contenders: tuple[str, ...]
    synthetic_tasks: tuple[str, ...]
    synthetic_seeds: tuple[int, ...]
    synthetic_configs: int
    synthetic_steps: int
    synthetic_contenders: tuple[str, ...]
    seeds_per_job: int
    reduced: bool  # a full run shrunk by options

    @classmethod
    def make(cls, args: argparse.Namespace) -> Config:
        quick = args.quick
        keras_seeds = args.keras_seeds or (1 if quick else 2)
        synthetic_seeds = args.synthetic_seeds or (3 if quick else 20)
        keras_configs = args.keras_configs or (6 if quick else 20)
        epochs = args.epochs or (10 if quick else 50)
        reduced = not quick and bool(
            (args.keras_seeds and args.keras_seeds < 2)
            or (args.synthetic_seeds and args.synthetic_seeds < 20)
            or (args.keras_configs and args.keras_configs < 20)
            or (args.epochs and args.epochs < 50)
            or args.keras_tasks
            or args.synthetic_tasks
        )
        return cls(
            quick=quick,
            parts=tuple(args.only or PARTS),
            jobs=args.jobs,
            keras_tasks=tuple(args.keras_tasks.split(",")) if args.keras_tasks else KERAS_TASKS,
            keras_seeds=tuple(range(keras_seeds)),
            keras_configs=keras_configs,
            epochs=epochs,
            keras_contenders=KERAS_CONTENDERS,
            synthetic_tasks=tuple(args.synthetic_tasks.split(","))
            if args.synthetic_tasks
            else SYNTHETIC_TASKS,
            synthetic_seeds=tuple(range(synthetic_seeds)),
            synthetic_configs=args.synthetic_configs or (50 if quick else 100),
            synthetic_steps=50,
            synthetic_contenders=SYNTHETIC_CONTENDERS,
            seeds_per_job=5,
            reduced=reduced,
        )


@dataclasses.dataclass(frozen=True)
class Job:
    kind: str  # "keras" or "synthetic"
    task: str
    contender: str | None  # keras: one contender; synthetic: all of them
    seeds: tuple[int, ...]
    est_s: float = 0.0
    epoch_cap: int | None = None

    @property
    def label(self) -> str:
        who = self.contender or "all contenders"
        return f"{self.kind}:{self.task}:{who}:seeds {','.join(map(str, self.seeds))}"


# --- the plan and the time estimate --------------------------------------------------------------
def keras_job_estimate(cfg: Config, task: str, contender: str) -> float:
    library = contender.split("_")[0]
    epochs = EPOCH_SHARE[contender] * cfg.keras_configs * cfg.epochs
    if contender == "kerastuner_hyperband":
        trials = epochs / max(cfg.epochs / 5, 1)
    else:
        trials = cfg.keras_configs * (
            1.2 if contender in ("tftune_asha", "tftune_hyperband") else 1.0
        )
    return JOB_START_S + epochs * EPOCH_S[task] + trials * TRIAL_S[library]


def plan(cfg: Config) -> tuple[list[Job], dict[tuple[str, int], Job]]:
    """The jobs runnable at once (longest first) and the KerasTuner jobs waiting for their task's
    other contenders (their epoch cap depends on those)."""
    ready: list[Job] = []
    waiting: dict[tuple[str, int], Job] = {}
    if "keras" in cfg.parts:
        for task in cfg.keras_tasks:
            for seed in cfg.keras_seeds:
                for contender in cfg.keras_contenders:
                    job = Job(
                        "keras", task, contender, (seed,), keras_job_estimate(cfg, task, contender)
                    )
                    if contender == "kerastuner_hyperband":
                        waiting[(task, seed)] = job
                    else:
                        ready.append(job)
        ready.sort(key=lambda j: -j.est_s)
    if "synthetic" in cfg.parts:
        for task in cfg.synthetic_tasks:
            seeds = list(cfg.synthetic_seeds)
            for i in range(0, len(seeds), cfg.seeds_per_job):
                chunk = tuple(seeds[i : i + cfg.seeds_per_job])
                scale = cfg.synthetic_configs / 100
                ready.append(
                    Job(
                        "synthetic",
                        task,
                        None,
                        chunk,
                        JOB_START_S + len(chunk) * SYNTHETIC_SEED_S * scale,
                    )
                )
    return ready, waiting


def estimate_s(cfg: Config) -> float:
    ready, waiting = plan(cfg)
    jobs = ready + list(waiting.values())
    total = sum(j.est_s for j in jobs)
    longest_chain = max(
        (
            sum(j.est_s for j in jobs if j.kind == "keras" and j.task == t) / cfg.jobs
            for t in cfg.keras_tasks
        ),
        default=0.0,
    )
    return max(total / cfg.jobs, longest_chain)


# --- the worker side -----------------------------------------------------------------------------
def _silence() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("tensorflow", "absl", "keras_tuner", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        import tftune

        tftune.logging.set_verbosity(logging.WARNING)
    except Exception:  # noqa: BLE001
        pass
    try:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
    except Exception:  # noqa: BLE001
        pass


def _redirect_output(log_path: str) -> None:
    """Send this worker's stdout/stderr (TensorFlow's C++ logs included) to a file."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _log_tail(path: str, chars: int = 3000) -> str:
    try:
        return Path(path).read_text(errors="replace")[-chars:]
    except OSError:
        return ""


#: The contenders whose epochs set KerasTuner's budget: the successive-halving family.
CAP_SETTERS = ("tftune_asha", "tftune_hyperband", "tftune_asha_noresume", "optuna_hyperband")


def kerastuner_cap(runs: dict[str, Any], unpruned_epochs: int) -> int:
    """KerasTuner runs until it has trained as many epochs as the most expensive ASHA/Hyperband
    contender of the same task and seed (at least a third of the unpruned search, at most all)."""
    pruned = [
        r["epochs"]
        for name, r in runs.items()
        if name in CAP_SETTERS and isinstance(r, dict) and "epochs" in r
    ]
    cap = max([math.ceil(unpruned_epochs / 3), *pruned])
    return min(cap, unpruned_epochs)


def run_job(job: Job, cfg: Config, log_path: str, threads: int) -> dict[str, Any]:
    """Executed in a worker process (reused across jobs: TensorFlow is imported once per
    worker)."""
    os.environ.update(WORKER_ENV)
    _redirect_output(log_path)
    started, load_start = time.time(), os.getloadavg()
    try:
        if job.kind == "keras":
            import tensorflow as tf

            try:  # only possible before TensorFlow's first op (a reused worker already ran one)
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(threads)
            except RuntimeError:
                pass
            _silence()
            from _pruning.keras_tasks import run_keras

            result = {
                str(job.seeds[0]): {
                    job.contender: run_keras(
                        job.task,
                        job.contender,
                        job.seeds[0],
                        cfg.keras_configs,
                        cfg.epochs,
                        job.epoch_cap,
                    )
                }
            }
        else:
            _silence()
            from _pruning.synthetic import run_synthetic

            result = {}
            for seed in job.seeds:
                runs: dict[str, Any] = {}
                for contender in cfg.synthetic_contenders:
                    if contender == "kerastuner_hyperband":
                        continue
                    runs[contender] = _guarded(
                        lambda c=contender, s=seed: run_synthetic(
                            job.task, c, s, cfg.synthetic_configs, cfg.synthetic_steps
                        )
                    )
                if "kerastuner_hyperband" in cfg.synthetic_contenders:
                    cap = kerastuner_cap(runs, cfg.synthetic_configs * cfg.synthetic_steps)
                    runs["kerastuner_hyperband"] = _guarded(
                        lambda s=seed, cap=cap: run_synthetic(
                            job.task,
                            "kerastuner_hyperband",
                            s,
                            cfg.synthetic_configs,
                            cfg.synthetic_steps,
                            cap,
                        )
                    )
                result[str(seed)] = runs
        return {
            "result": result,
            "started": started,
            "ended": time.time(),
            "loadavg_start": list(load_start),
            "loadavg_end": list(os.getloadavg()),
            "pid": os.getpid(),
        }
    except BaseException as error:  # noqa: BLE001 - report every failure to the main process
        sys.stdout.flush()
        return {
            "error": _error_record(error),
            "log_tail": _log_tail(log_path),
            "started": started,
            "ended": time.time(),
            "loadavg_start": list(load_start),
            "loadavg_end": list(os.getloadavg()),
        }


def _guarded(fn: Any) -> dict[str, Any]:
    try:
        return fn()
    except Exception as error:  # noqa: BLE001
        return {"error": _error_record(error)}


def _error_record(error: BaseException) -> dict[str, str]:
    return {
        "type": type(error).__name__,
        "message": str(error)[:2000],
        "traceback": "".join(traceback.format_exception(error))[-6000:],
    }


# --- the main side: scheduling -------------------------------------------------------------------
class LoadSampler(threading.Thread):
    """The 1-minute load average every ``every`` seconds while the benchmark runs."""

    def __init__(self, every: float = 30.0) -> None:
        super().__init__(daemon=True)
        self.every, self.samples, self._stop_event = every, [], threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop_event.wait(self.every)

    def stop(self) -> list[float]:
        self._stop_event.set()
        return self.samples


class State:
    """Every finished job is saved at once (outside the repository), so an interrupted run can go
    on with ``--resume`` instead of starting over."""

    def __init__(self, path: Path, cfg: Config, resume: bool, log: Any) -> None:
        self.path, self.key = path, _config_key(cfg)
        self.results: dict[str, Any] = {"keras": {}, "synthetic": {}}
        self.records: list[dict[str, Any]] = []
        self.previous_s = 0.0
        if resume and path.exists():
            saved = json.loads(path.read_text())
            if saved.get("config_key") == self.key:
                self.results, self.records = saved["results"], saved["records"]
                self.previous_s = float(saved.get("elapsed_s", 0.0))
                log(
                    f"[bench_pruning] resuming from {path}: "
                    f"{len(self.records)} job(s) already done"
                )
            else:
                log(f"[bench_pruning] {path} holds another configuration: starting over")

    def save(self, elapsed_s: float) -> None:
        payload = {
            "config_key": self.key,
            "results": self.results,
            "records": self.records,
            "elapsed_s": self.previous_s + elapsed_s,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(_jsonable(payload)))
        tmp.replace(self.path)

    def done(self, job: Job) -> bool:
        part = self.results[job.kind].get(job.task, {})
        names = [job.contender] if job.contender else list(SYNTHETIC_CONTENDERS)
        return all(
            name in part.get(str(seed), {}) and "error" not in part[str(seed)][name]
            for seed in job.seeds
            for name in names
        )


def _config_key(cfg: Config) -> str:
    return json.dumps(
        {k: v for k, v in dataclasses.asdict(cfg).items() if k != "jobs"},
        sort_keys=True,
        default=str,
    )


def default_state_path(cfg: Config) -> Path:
    mode = "quick" if cfg.quick else "full"
    return Path(tempfile.gettempdir()) / f"tftune-bench-pruning-{mode}-state.json"


def run_all(
    cfg: Config, log_dir: Path, log: Any, state: State
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ready, waiting = plan(cfg)
    ready = [job for job in ready if not state.done(job)]
    waiting = {key: job for key, job in waiting.items() if not state.done(job)}
    results, records = state.results, state.records
    threads = max(1, (os.cpu_count() or 1) // cfg.jobs)
    context = multiprocessing.get_context("spawn")
    began = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=cfg.jobs, mp_context=context) as pool:
        running: dict[cf.Future, Job] = {}
        count = 0
        while ready or running or waiting:
            for key in list(waiting):
                task, seed = key
                runs = results["keras"].get(task, {}).get(str(seed), {})
                others = [c for c in cfg.keras_contenders if c != "kerastuner_hyperband"]
                if all(c in runs for c in others):
                    unpruned = cfg.keras_configs * cfg.epochs
                    job = dataclasses.replace(
                        waiting.pop(key), epoch_cap=kerastuner_cap(runs, unpruned)
                    )
                    ready.insert(0, job)
            while ready and len(running) < cfg.jobs:
                job = ready.pop(0)
                count += 1
                log_path = str(log_dir / f"job{count:03d}.log")
                running[pool.submit(run_job, job, cfg, log_path, threads)] = job
            if not running:
                break
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                try:
                    outcome = future.result()
                except BaseException as error:  # noqa: BLE001 - a crashed worker process
                    outcome = {"error": _error_record(error)}
                _store(results, job, outcome)
                record = {
                    "job": dataclasses.asdict(job),
                    **{k: v for k, v in outcome.items() if k != "result"},
                }
                records.append(record)
                state.save(time.perf_counter() - began)
                elapsed = time.perf_counter() - began
                log(f"[bench_pruning] {elapsed:6.0f} s  {job.label}: {_one_line(outcome)}")
    return results, records


def _store(results: dict[str, Any], job: Job, outcome: dict[str, Any]) -> None:
    part = results[job.kind].setdefault(job.task, {})
    if "result" in outcome:
        for seed, runs in outcome["result"].items():
            part.setdefault(seed, {}).update(runs)
        return
    names = [job.contender] if job.contender else list(SYNTHETIC_CONTENDERS)
    for seed in job.seeds:
        for name in names:
            part.setdefault(str(seed), {})[name] = {
                "error": outcome.get("error"),
                "log_tail": outcome.get("log_tail"),
            }


def _one_line(outcome: dict[str, Any]) -> str:
    if "error" in outcome:
        return f"FAILED {outcome['error']['type']}: {outcome['error']['message'][:200]}"
    parts = []
    for runs in outcome["result"].values():
        for name, run in runs.items():
            if "error" in run:
                parts.append(f"{name}=error")
            else:
                test = run.get("final", {}).get("test")
                parts.append(
                    f"{name}={run['epochs']} ep, {run['wall_s']:.0f} s"
                    + (f", test {test:.4f}" if test else "")
                )
        break
    more = len(outcome["result"]) - 1
    return "; ".join(parts) + (f" (+{more} seeds)" if more > 0 else "")


# --- environment ---------------------------------------------------------------------------------
def environment(cfg: Config) -> dict[str, Any]:
    dirty = _git("status", "--porcelain", "--", "src")
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "loadavg_start": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        **{
            key: _dist_version(dist)
            for key, dist in (
                ("tftune", "tftune"),
                ("tensorflow", "tensorflow"),
                ("keras", "keras"),
                ("optuna", "optuna"),
                ("keras_tuner", "keras-tuner"),
                ("scikit_learn", "scikit-learn"),
                ("numpy", "numpy"),
                ("matplotlib", "matplotlib"),
            )
        },
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "src_uncommitted_changes": None if dirty is None else bool(dirty),
        "worker_env": WORKER_ENV,
        "mode": "quick" if cfg.quick else ("reduced" if cfg.reduced else "full"),
    }


# --- analysis and the Markdown page --------------------------------------------------------------
def summarise(cfg: Config, results: dict[str, Any]) -> dict[str, Any]:
    from _pruning.synthetic import task_of
    from _pruning.mf_hartmann import fidelity_correlation

    out: dict[str, Any] = {"keras": {}, "synthetic": {}, "fidelity_correlation": {}}
    for task, seeds in results["keras"].items():
        out["keras"][task] = {seed: analysis.keras_summary(runs) for seed, runs in seeds.items()}
    for task, seeds in results["synthetic"].items():
        f_star = task_of(task).f_star
        per_seed = {
            int(s): runs
            for s, runs in seeds.items()
            if "error" not in runs.get(analysis.UNPRUNED, {"error": 1})
        }
        out["synthetic"][task] = (
            analysis.synthetic_summary(per_seed, f_star)
            if per_seed
            else {"error": "no seed with a finished unpruned search"}
        )
        steps = sorted({0, 1, 3, 9, 27, cfg.synthetic_steps - 1})
        out["fidelity_correlation"][task] = fidelity_correlation(
            task_of(task), cfg.synthetic_steps, steps, n=2000
        )
    return out


def render_markdown(
    env: dict[str, Any],
    cfg: Config,
    results: dict[str, Any],
    summaries: dict[str, Any],
    records: list[dict[str, Any]],
    plots: dict[str, str | None],
    stem: str,
) -> str:
    mode = env["mode"]
    load = env.get("load_samples") or []
    lines = [
        f"# Pruning: tftune vs Optuna vs KerasTuner ({mode} run)",
        "",
        f"- Date: {env['date']}; total time {env.get('total_s', float('nan')) / 60:.1f} min"
        + (
            f" (of which {env['resumed_runs_s'] / 60:.1f} min in an interrupted invocation "
            "resumed with --resume)"
            if env.get("resumed_runs_s")
            else ""
        )
        + (
            f", {cfg.jobs} worker processes, each running one job (a Keras contender, or all "
            "synthetic contenders of some seeds) at a time"
        ),
        f"- Machine: {env['nproc']} CPUs ({env['cpus_usable']} usable), {env['cpu_model']}; "
        f"1-minute load average at start {env['loadavg_start'][0]:.2f}, during the run mean "
        f"{_mean(load):.2f} / max {max(load, default=float('nan')):.2f} ({len(load)} samples, "
        f"every 30 s), at end {env.get('loadavg_end', [float('nan')])[0]:.2f}",
        f"- Python {env['python']}; tftune {env['tftune']} (git {env['git_commit']}"
        + (", with uncommitted changes in src/" if env["src_uncommitted_changes"] else "")
        + (
            f"), TensorFlow {env['tensorflow']}, Keras {env['keras']}, Optuna {env['optuna']}, "
            f"KerasTuner {env['keras_tuner']}, scikit-learn {env['scikit_learn']}"
        ),
        "- Size: " + _size_line(cfg),
        "",
        "Primary measure: **cumulative epochs trained** (a resumed trial counts only the epochs "
        "it adds), which the machine's load does not change. Wall and CPU seconds (search only, "
        "without the test-set evaluations made for the curves) are secondary: the machine is "
        "shared, two contenders run at a time, see the load average above.",
        "",
    ]
    lines += _what_ran(cfg, results)
    lines += [
        "## The issue's goals",
        "",
        "Goal 1: tftune's Hyperband/ASHA reach the best held-out accuracy of the unpruned search "
        f"(within {100 * analysis.GOAL_ACCURACY_TOLERANCE:.1f} percentage points) with at most "
        "one third of its epochs. Goal 2: they beat KerasTuner's Hyperband at equal epoch budget. "
        "On the synthetic tasks the analogue of 0.5 pp is "
        f"{100 * analysis.SYNTHETIC_TOLERANCE:.1f} % of |f*|, "
        "and the numbers are means over seeds.",
        "",
    ]
    goal_rows = []
    for task, seeds in summaries["keras"].items():
        for seed, summary in seeds.items():
            if "error" not in summary:
                goal_rows += rp.keras_goal_lines(task, seed, summary)
    if goal_rows:
        lines += [
            "### Keras tasks (test accuracy)",
            "",
            rp._table(["Task", "Seed", "tftune", "Check", "Value", "Result"], goal_rows),
            "",
        ]
    syn_rows = []
    for task, summary in summaries["synthetic"].items():
        if "error" not in summary:
            syn_rows += rp.synthetic_goal_rows(task, summary)
    if syn_rows:
        lines += [
            "### Synthetic tasks (mean regret over seeds, lower is better)",
            "",
            rp._table(["Task", "tftune", "Check", "Value", "Result"], syn_rows),
            "",
        ]
    lines += _keras_sections(cfg, results, summaries, plots, stem)
    lines += _synthetic_sections(cfg, summaries, plots, stem)
    lines += _method_section(cfg)
    lines += _problems(results, records)
    return "\n".join(lines) + "\n"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _size_line(cfg: Config) -> str:
    parts = []
    if "keras" in cfg.parts:
        parts.append(
            f"Keras: {len(cfg.keras_tasks)} task(s), {len(cfg.keras_seeds)} seed(s), "
            f"{cfg.keras_configs} configurations in the unpruned search, up to {cfg.epochs} "
            "epochs a trial"
        )
    if "synthetic" in cfg.parts:
        parts.append(
            f"synthetic: {len(cfg.synthetic_tasks)} task(s), {len(cfg.synthetic_seeds)} seeds, "
            f"{cfg.synthetic_configs} configurations in the unpruned search, "
            f"{cfg.synthetic_steps} fidelity steps"
        )
    parts.append(
        "every pruned contender evaluates the unpruned search's configurations first, in the same "
        "order, then more from the same seeded stream, and stops (between trials) once it has "
        "trained a third of the unpruned search's epochs; KerasTuner's Hyperband draws its own "
        "and gets at least as many"
    )
    return "; ".join(parts)


def _what_ran(cfg: Config, results: dict[str, Any]) -> list[str]:
    full = {
        "keras": "20 configurations × 50 epochs unpruned, 2 seeds, both tasks",
        "synthetic": "4 tasks × 20 seeds, 100 configurations × 50 steps",
    }
    rows = []
    for part in PARTS:
        if part not in cfg.parts:
            rows.append([part, "not run in this invocation", full[part]])
            continue
        if cfg.quick:
            state = "quick size (checks that it works; not for conclusions)"
        elif cfg.reduced:
            state = "reduced size (options shrank the full run)"
        else:
            state = "**full size**"
        rows.append([part, state, full[part]])
    return ["## What ran", "", rp._table(["Part", "This run", "Full size"], rows), ""]


def _keras_sections(
    cfg: Config,
    results: dict[str, Any],
    summaries: dict[str, Any],
    plots: dict[str, str | None],
    stem: str,
) -> list[str]:
    if not results["keras"]:
        return []
    png = f"{stem.replace('pruning', 'pruning_keras')}.png"
    lines = ["## Keras tasks", ""]
    lines += [
        f"![test accuracy vs epochs]({png})"
        if plots.get("keras") is None
        else f"(no plot: {plots['keras']})",
        "",
    ]
    for task in results["keras"]:
        for seed, runs in results["keras"][task].items():
            summary = summaries["keras"][task][seed]
            if "error" in summary:
                lines += [f"### {task}, seed {seed}", "", f"No summary: {summary['error']}.", ""]
                continue
            full = summary["unpruned_epochs"]
            lines += [
                f"### {task}, seed {seed}",
                "",
                "Totals per contender. *Test acc.* is the accuracy on the held-out test rows of "
                "the model the tool hands back: tftune `tuner.best_model()`, Optuna the best "
                "parameters retrained for the same epochs with the same seed (Optuna keeps no "
                "model), KerasTuner `get_best_models(1)` (the best epoch of its best trial). *Val "
                "acc.* is the best trial's score (tftune, Optuna: its last epoch; KerasTuner: its "
                "best epoch).",
                "",
                rp._table(
                    [
                        "Contender",
                        "Epochs",
                        "of unpruned",
                        "Configs",
                        "Trials",
                        "Complete",
                        "Pruned",
                        "Resumed",
                        "Epochs reused",
                        "Wall s",
                        "CPU s",
                        "Val acc.",
                        "Test acc.",
                    ],
                    rp.keras_totals_rows(runs, full),
                ),
                "",
                "Test accuracy of the incumbent at fixed budgets of cumulative epochs (unpruned "
                f"search: {full:,} epochs). † the search had already ended with fewer epochs (its "
                "final result); — no trial had finished yet, or KerasTuner was stopped before (it "
                "runs until it has trained as many epochs as the most expensive ASHA/Hyperband "
                "contender).",
                "",
                rp._table(
                    ["Contender"]
                    + [
                        f"{lab} ({b:,})"
                        for lab, b in zip(rp.FRACTION_LABELS, summary["budgets"], strict=True)
                    ],
                    rp.keras_budget_rows(summary, runs),
                ),
                "",
            ]
            lines += _best_params_lines(runs)
    return lines


def _best_params_lines(runs: dict[str, Any]) -> list[str]:
    rows = []
    for name in sorted(runs, key=analysis._order):
        final = runs[name].get("final", {}) if "error" not in runs[name] else {}
        if not final:
            continue
        params = final.get("params") or {}
        text = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
        )
        rows.append(
            [rp.SHORT.get(name, name), text or final.get("error", "—"), final.get("how", "—")]
        )
    return [
        "Best configuration found and how its test accuracy was obtained:",
        "",
        rp._table(["Contender", "Best parameters", "Model evaluated"], rows),
        "",
    ]


def _synthetic_sections(
    cfg: Config, summaries: dict[str, Any], plots: dict[str, str | None], stem: str
) -> list[str]:
    if not summaries["synthetic"]:
        return []
    png = f"{stem.replace('pruning', 'pruning_synthetic')}.png"
    lines = [
        "## Synthetic multi-fidelity tasks (MF-Hartmann)",
        "",
        f"![mean regret vs epochs]({png})"
        if plots.get("synthetic") is None
        else f"(no plot: {plots['synthetic']})",
        "",
        "The fidelity correlation, as Spearman rank correlations over 2,000 uniform random "
        "configurations with the noise-free value at z = 1 (the held-out value): *noise-free*, of "
        "f(x, z) at the step (the fidelity's own effect); *observed*, of the noisy value a pruner "
        "sees at that step (noise included):",
        "",
    ]
    corr = summaries["fidelity_correlation"]
    steps = sorted({int(s) for c in corr.values() for s in c["observed"]})
    rows = [
        [t, kind] + [f"{c[kind][str(s)]:.3f}" for s in steps]
        for t, c in corr.items()
        for kind in ("noise_free", "observed")
    ]
    lines += [
        rp._table(
            ["Task", "Of"]
            + [f"step {s + 1} (z = {(s + 1) / cfg.synthetic_steps:.2f})" for s in steps],
            rows,
        ),
        "",
    ]
    for task, summary in summaries["synthetic"].items():
        if "error" in summary:
            lines += [f"### {task}", "", summary["error"], ""]
            continue
        lines += [
            f"### {task} ({len(summary['seeds'])} seeds)",
            "",
            "Mean regret of the incumbent ± standard error over seeds at fixed budgets of "
            f"cumulative epochs (unpruned: {summary['unpruned_epochs']:,}); a search that ended "
            "earlier holds its final result; — (k/n): only k of n seeds had an incumbent yet, or "
            "KerasTuner had been stopped before. Epochs, configurations tried and wall time: "
            "means per seed.",
            "",
            rp._table(
                ["Contender", "Epochs", "Configs", "Wall s"]
                + [
                    f"{lab} ({b:,})"
                    for lab, b in zip(rp.FRACTION_LABELS, summary["budgets"], strict=True)
                ],
                rp.synthetic_budget_rows(summary),
            ),
            "",
        ]
    return lines


def _method_section(cfg: Config) -> list[str]:
    return [
        "## Method",
        "",
        "- **Same configurations.** For each seed, the configurations are drawn once with "
        "tftune's `RandomSampler(seed)` and every tftune and Optuna contender evaluates them in "
        "the same order (`enqueue_trial`, one at a time for tftune so that a queued promotion "
        "runs before the next new configuration, as in ASHA); the pruner is the only difference. "
        "Keras weights and shuffling are seeded from the configuration, so the same configuration "
        "trains identically in every contender until it is pruned (a resumed tftune trial "
        "continues from its checkpoint, with the generator re-seeded). KerasTuner's Hyperband "
        "draws its own random configurations (`seed=seed`).",
        "- **Pruners.** tftune and Optuna `MedianPruner()` with defaults (5 startup trials, no "
        "warm-up); tftune `SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)`; tftune "
        f"and Optuna `HyperbandPruner(min_resource=1, max_resource={cfg.epochs} (Keras) / "
        f"{cfg.synthetic_steps} (synthetic), reduction_factor=3)`; "
        "`keras_tuner.Hyperband(max_epochs=same, factor=3)`. Objective reported each epoch at "
        "step = epoch index (0-based).",
        "- **Resume.** tftune's ASHA and Hyperband run in "
        "`tftune.keras.Tuner(resume_promoted=True)`: a pruned trial is paused with its weights "
        "and optimizer state and resumed by a new trial when its rung promotes it; on the "
        "synthetic tasks the same pause/promote/resume runs through `study.optimize` (the "
        "benchmark mirrors `Tuner._promote`; the state is the step reached). KerasTuner's "
        "Hyperband continues a configuration in the next round from its previous trial's "
        "best-epoch checkpoint. *Epochs reused* counts the epochs such continuations did not "
        "retrain.",
        "- **Budget.** tftune/Optuna: the same number of configurations; a search ends when every "
        "configuration was tried and no promotion is queued. KerasTuner: its own Hyperband "
        "schedule (`hyperband_iterations` unbounded), stopped between trials once it has trained "
        "as many epochs as the most expensive ASHA/Hyperband contender (tftune or Optuna) of that "
        "task and seed, at least a third of the unpruned search; the tables compare everything at "
        "equal cumulative epochs.",
        "- **Incumbent and held-out metric.** A candidate is a trial that trained to its end "
        "(pruned trials never are; for KerasTuner every trial of every round is, scored by its "
        "best epoch). The incumbent at E epochs is the best-scoring candidate so far (ties: the "
        "earliest). Keras: its test accuracy (tftune and Optuna: final weights, what "
        "`best_model()` returns; KerasTuner: the best epoch's weights). Synthetic: score = the "
        "noisy value at the last step; held-out = the noise-free f(x, 1) (KerasTuner: f at the "
        "fidelity of the best step); regret = held-out − f*.",
        "- **Keras data.** scikit-learn's breast cancer (569 rows) and digits (1,797), stratified "
        "60/20/20 train/validation/test split (`random_state=0`), standardised with the training "
        "statistics. Breast cancer: `Dense(units, relu) → Dropout → Dense(1, sigmoid)`, lr log "
        "1e-4…1e-1, dropout 0…0.5, units 16…128 (log), batch size {16, 32, 64}; digits: two "
        "`Dense(units, relu) → Dropout` blocks → `Dense(10, softmax)`, units 16…256 (log), lr, "
        "dropout, batch 32. One validation row of breast cancer is 0.88 pp, one test row 0.88 pp: "
        'the 0.5 pp tolerance means "at least as good" there.',
        "- **Synthetic tasks.** MF-Hartmann-3/6 as in Kandasamy et al. (2017) (Dragonfly's "
        "`hartmann*_mf`, mfhpo-benchmark-api's `MFHartmann`): f(x, z) = −Σᵢ (αᵢ − δ(1 − z)) "
        "exp(−Σⱼ Aᵢⱼ (xⱼ − Pᵢⱼ)²), δ = 0.1, plus Gaussian noise of variance 0.01 (3-D) / 0.05 "
        "(6-D) (mfhpo-benchmark-api's), drawn once per (seed, configuration) and added at every "
        "step, like a training run's luck (independent noise per step would let KerasTuner's "
        "best-epoch score average it out, comparing scoring rules instead of pruners); the "
        "`@delta1.0` variants use δ = 1.0 (the first bump vanishes at z → 0), whose early "
        "fidelities rank configurations less well (see the correlation table). After step k of K "
        "the value at z = k/K is reported. Definitions in `benchmarks/_pruning/mf_hartmann.py`.",
        "- **Time.** Wall = the search alone (not the data loading, the process start, the final "
        "`best_model()`/retraining, nor the test-set forward passes made for the curves); CPU = "
        "the worker's process time over the same span. TensorFlow uses one intra- and one "
        "inter-op thread per worker.",
        "- **Known differences between the tools.** `tftune.keras.Tuner` passes one `batch_size` "
        "from `search()` to every trial, so the breast-cancer build function wraps `model.fit` to "
        "use the trial's batch size (KerasTuner: `HyperModel.fit`; Optuna: the objective calls "
        "`fit`). tftune fails a trial whose loss becomes NaN; Optuna's objective returns its "
        "accuracy. KerasTuner 1.4.8 needs TensorBoard on the TensorFlow backend, which TensorFlow "
        "2.21 does not install: the benchmark skips `Tuner._configure_tensorboard_dir` when no "
        "TensorBoard callback is given (as bench_keras.py). KerasTuner's continued trials load "
        "only the model weights (Keras warns that the optimizer variables are skipped), tftune's "
        "resumed trials load the optimizer state too.",
        "",
    ]


def _problems(results: dict[str, Any], records: list[dict[str, Any]]) -> list[str]:
    lines = ["## Errors, failed trials and checks", ""]
    for part in ("keras", "synthetic"):
        for task, seeds in results[part].items():
            for seed, runs in seeds.items():
                for name, run in runs.items():
                    if "error" in run:
                        err = run["error"] or {}
                        message = err.get("message")
                        first_line = str(message).splitlines()[0][:300] if message else ""
                        lines.append(
                            f"- {part} {task} seed {seed} {name}: {err.get('type')}: {first_line}"
                        )
                        continue
                    if run.get("n_failed"):
                        failures = "; ".join(
                            f.strip().splitlines()[-1][:160]
                            for f in run.get("failures", [])
                            if f.strip()
                        )
                        lines.append(
                            f"- {part} {task} seed {seed} {name}: {run['n_failed']} failed "
                            f"trial(s): {failures}"
                        )
                    check = run.get("epochs_check")
                    if check is not None and check != run["epochs"]:
                        lines.append(
                            f"- {part} {task} seed {seed} {name}: epochs counted by the callback "
                            f"({run['epochs']}) ≠ epochs recorded in the study ({check})"
                        )
                    final = run.get("final") or {}
                    if "error" in final:
                        lines.append(
                            f"- {part} {task} seed {seed} {name}: the best model could not be "
                            f"evaluated: {final['error'][:300]}"
                        )
                    elif (
                        part == "keras"
                        and name.startswith("tftune")
                        and final.get("test") is not None
                    ):
                        curve = analysis.incumbent_curve(run["events"], True)
                        if curve and abs(curve[-1][1] - final["test"]) > 1e-9:
                            lines.append(
                                f"- keras {task} seed {seed} {name}: `best_model()` test accuracy "
                                f"{final['test']:.4f} ≠ the incumbent's at search time "
                                f"{curve[-1][1]:.4f}"
                            )
    for record in records:
        if "error" in record:
            lines.append(
                f"- job {record['job']['kind']} {record['job']['task']} "
                f"{record['job'].get('contender')}: {record['error']['type']}: "
                f"{record['error']['message'][:300]}"
            )
    if len(lines) == 2:
        lines.append(
            "None: no errors, no failed trials; the epochs counted by the callbacks match the "
            "studies' records, and tftune's `best_model()` reproduces the incumbent's test "
            "accuracy."
        )
    return lines + [""]


# --- main ----------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, to check that everything works (~10 min)",
    )
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeatable)"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="worker processes at a time (default 2)"
    )
    parser.add_argument("--keras-seeds", type=int, help="seeds per Keras task (default 2)")
    parser.add_argument(
        "--keras-configs", type=int, help="configurations per Keras search (default 20; quick 6)"
    )
    parser.add_argument(
        "--epochs", type=int, help="max epochs per Keras trial (default 50; quick 10)"
    )
    parser.add_argument("--keras-tasks", help=f"comma-separated subset of {','.join(KERAS_TASKS)}")
    parser.add_argument(
        "--synthetic-seeds", type=int, help="seeds per synthetic task (default 20; quick 3)"
    )
    parser.add_argument(
        "--synthetic-configs",
        type=int,
        help="configurations per synthetic search (default 100; quick 50)",
    )
    parser.add_argument(
        "--synthetic-tasks", help=f"comma-separated subset of {','.join(SYNTHETIC_TASKS)}"
    )
    parser.add_argument(
        "--estimate", action="store_true", help="print the plan and the time estimate, and exit"
    )
    parser.add_argument(
        "--output-dir", type=Path, default=RESULTS_DIR, help="where to write the results"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on from the state file of an interrupted run with the same configuration",
    )
    parser.add_argument(
        "--state",
        type=Path,
        help="the state file (default: <tmp>/tftune-bench-pruning-<mode>-state.json)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = Config.make(args)
    ready, waiting = plan(cfg)
    estimate = estimate_s(cfg)
    print(
        f"[bench_pruning] {len(ready) + len(waiting)} jobs on {cfg.jobs} worker(s); "
        f"{_size_line(cfg)}; estimated {estimate / 60:.0f} min at a load average of ~6 on 2 cores "
        "(less on an idle machine)",
        flush=True,
    )
    if args.estimate:
        for job in ready + list(waiting.values()):
            print(f"  {job.label:<70} ~{job.est_s:5.0f} s")
        return 0
    env = environment(cfg)
    env["estimate_s"] = estimate
    sampler = LoadSampler()
    sampler.start()
    began = time.perf_counter()
    log = lambda line: print(line, flush=True)  # noqa: E731
    state = State(args.state or default_state_path(cfg), cfg, args.resume, log)
    with tempfile.TemporaryDirectory(prefix="tftune-bench-pruning-logs-") as log_dir:
        results, records = run_all(cfg, Path(log_dir), log, state)
    env["total_s"] = time.perf_counter() - began + state.previous_s
    env["resumed_runs_s"] = state.previous_s
    env["loadavg_end"] = list(os.getloadavg())
    env["load_samples"] = sampler.stop()
    summaries = summarise(cfg, results)
    stem = "pruning.quick" if cfg.quick else "pruning"
    args.output_dir.mkdir(parents=True, exist_ok=True)
    plots: dict[str, str | None] = {}
    if results["keras"]:
        plots["keras"] = rp.keras_plot(
            args.output_dir / f"{stem.replace('pruning', 'pruning_keras')}.png",
            results["keras"],
            summaries["keras"],
        )
    if results["synthetic"]:
        plots["synthetic"] = rp.synthetic_plot(
            args.output_dir / f"{stem.replace('pruning', 'pruning_synthetic')}.png",
            summaries["synthetic"],
        )
    markdown = render_markdown(env, cfg, results, summaries, records, plots, stem)
    (args.output_dir / f"{stem}.md").write_text(markdown)
    payload = {
        "environment": env,
        "config": dataclasses.asdict(cfg),
        "summaries": _jsonable(summaries),
        "results": results,
        "jobs": records,
    }
    (args.output_dir / f"{stem}.json").write_text(
        json.dumps(_jsonable(payload), indent=1, default=str) + "\n"
    )
    print(markdown)
    print(
        f"[bench_pruning] wrote {args.output_dir / stem}.md, .json and the PNGs in "
        f"{env['total_s'] / 60:.1f} min",
        flush=True,
    )
    failed = any("error" in r for r in records)
    return 1 if failed else 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        try:
            return _jsonable(value.item())
        except Exception:  # noqa: BLE001
            return str(value)
    return value


if __name__ == "__main__":
    sys.exit(main())
