"""Multi-objective and constrained benchmark (issue 16): tftune against Optuna 5.0, one run.

Problems (pymoo 0.6.2's definitions): ZDT1, ZDT2, ZDT3 (10 variables), DTLZ2 with 2 and 3
objectives (6 and 7 variables), WFG4 (2 objectives, 6 variables), and two constrained ones:
Binh-Korn (2 variables, 2 constraints) and C2-DTLZ2 (2 objectives, 11 variables). Every
variable is a float; the hypervolume is that of the feasible trials, against a fixed reference
point per problem (tftune.hypervolume.compute_hypervolume, the same for every contender), at
100 and 200 evaluations (the first 100 trials of each 200-trial run). A Keras task too
(``_multi_objective/keras_task.py``): a digits MLP, validation error against parameter count,
trials trained in fused packs of 25; the same pack evaluation for every sampler, which only
tftune's GPSampler and MOTPE and Optuna's NSGA-II and MOTPE run (its runs cost ~100x more).

Contenders: tftune's GPSampler (log EHVI, one GP per objective) and TPESampler (MOTPE), the two
samplers tftune's default ``AutoSampler`` chooses between for several objectives (see DEFAULT),
tftune's NSGAIISampler and RandomSampler, Optuna's NSGAIISampler (its multi-objective default)
and TPESampler (its multi-objective TPE), each with its defaults and ``constraints_func`` for the
constrained problems; Optuna's GPSampler too where PyTorch is installed (it needs it; the bench
extra does not install it). Mann-Whitney U tests (two-sided) compare the default with each Optuna
sampler.

Ask time: a study of 950 random trials on ZDT1 is continued for 50 trials by tftune's default
and Optuna's TPE; the median time of ask() plus the trial's suggestions is reported. GP ask
time: the same with 190 random trials continued for 10 (the GP's regime: AutoSampler uses it
below 200 complete trials), tftune's GPSampler against Optuna's TPE (and GPSampler, if present).

Results: ``benchmarks/results/multi_objective.{md,json}`` (``.quick.*`` with --quick).
Run:  nice -n 5 .venv/bin/python benchmarks/bench_multi_objective.py [--seeds 5] [--full]
      (--full: 20 seeds, the issue's protocol; --cache FILE keeps finished runs in a JSON-lines
      file and reuses them, so a run can be extended by more seeds; --runs-only only adds runs
      to it; --keras-seeds N (>= 0) sets the Keras task's seeds apart; a report compares only
      the seeds that every contender finished; --report-only rebuilds the summary and the .md
      from the .json's runs). The acquisition's A/B (``_multi_objective/log_ehvi_ab.py``)
      keeps its own results, ``benchmarks/results/log_ehvi_ab.{md,json}``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import multiprocessing
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _environment import cpu_model, dist_version, git  # noqa: E402
from _multi_objective import keras_task, log_ehvi_ab  # noqa: E402

RESULTS_DIR = HERE / "results"
BUDGETS = (100, 200)
ASK_PREFILL, ASK_TIMED = 950, 50
GP_ASK_PREFILL, GP_ASK_TIMED = 190, 10


# --- problems --------------------------------------------------------------------------------
# name -> (pymoo name, keyword arguments, reference point)
PROBLEMS: dict[str, tuple[str, dict[str, int], list[float]]] = {
    "ZDT1": ("zdt1", {"n_var": 10}, [1.1, 11.0]),
    "ZDT2": ("zdt2", {"n_var": 10}, [1.1, 11.0]),
    "ZDT3": ("zdt3", {"n_var": 10}, [1.1, 11.0]),
    "DTLZ2 (2 obj)": ("dtlz2", {"n_var": 6, "n_obj": 2}, [2.5, 2.5]),
    "DTLZ2 (3 obj)": ("dtlz2", {"n_var": 7, "n_obj": 3}, [2.5, 2.5, 2.5]),
    "WFG4": ("wfg4", {"n_var": 6, "n_obj": 2}, [3.3, 5.5]),
    "Binh-Korn (constrained)": ("bnh", {}, [140.0, 55.0]),
    "C2-DTLZ2 (constrained)": ("c2dtlz2", {"n_var": 11, "n_obj": 2}, [2.5, 2.5]),
}
#: The Keras task (``_multi_objective/keras_task.py``): validation error and parameter count.
KERAS = "Digits MLP (Keras, packed)"
PROBLEMS[KERAS] = ("keras", {}, keras_task.REFERENCE)


class Problem:
    """A pymoo problem seen as a define-by-run objective: floats x0..x{d-1} in its bounds."""

    def __init__(self, name: str) -> None:
        pymoo_name, kwargs, reference = PROBLEMS[name]
        self.name = name
        if name == KERAS:
            self.reference = np.asarray(reference, dtype=float)
            self.n_obj, self.constrained = 2, False
            return
        from pymoo.problems import get_problem

        self.problem = get_problem(pymoo_name, **kwargs)
        self.reference = np.asarray(reference, dtype=float)
        self.n_obj = int(self.problem.n_obj)
        self.constrained = int(self.problem.n_ieq_constr) > 0
        self.lows, self.highs = self.problem.xl, self.problem.xu

    def __call__(self, trial: Any) -> list[float]:
        x = np.array(
            [
                trial.suggest_float(f"x{i}", float(lo), float(hi))
                for i, (lo, hi) in enumerate(zip(self.lows, self.highs, strict=True))
            ]
        )
        out = self.problem.evaluate(x[None, :], return_values_of=["F", "G"])
        values, constraints = out[0][0], out[1]
        if self.constrained:
            trial.set_user_attr("constraints", [float(c) for c in constraints[0]])
        return [float(v) for v in values]


def constraints_of(trial: Any) -> list[float]:
    return list(trial.user_attrs["constraints"])


# --- contenders ------------------------------------------------------------------------------
def _tftune_study(sampler_name: str, problem: Problem, seed: int) -> Any:
    import tftune

    cf = constraints_of if problem.constrained else None
    directions = ["minimize"] * problem.n_obj
    sampler: Any
    if sampler_name == "gp":
        sampler = tftune.samplers.GPSampler(seed=seed, constraints_func=cf)
    elif sampler_name == "tpe":
        sampler = tftune.samplers.TPESampler(seed=seed, constraints_func=cf)
    elif sampler_name == "nsga2":
        sampler = tftune.samplers.NSGAIISampler(seed=seed, constraints_func=cf)
    else:
        sampler = tftune.samplers.RandomSampler(seed=seed)
    return tftune.create_study(directions=directions, sampler=sampler)


def _optuna_study(sampler_name: str, problem: Problem, seed: int) -> Any:
    import optuna

    cf = constraints_of if problem.constrained else None
    if sampler_name == "nsga2":
        sampler: Any = optuna.samplers.NSGAIISampler(seed=seed, constraints_func=cf)
    elif sampler_name == "gp":
        sampler = optuna.samplers.GPSampler(seed=seed, constraints_func=cf)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=cf)
    return optuna.create_study(directions=["minimize"] * problem.n_obj, sampler=sampler)


def has_torch() -> bool:
    """Whether Optuna's GPSampler can run here (it needs PyTorch)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


GP = "tftune GPSampler (log EHVI)"
CONTENDERS: dict[str, Callable[[Problem, int], Any]] = {
    GP: lambda p, s: _tftune_study("gp", p, s),
    "tftune TPESampler (MOTPE)": lambda p, s: _tftune_study("tpe", p, s),
    "tftune NSGAIISampler": lambda p, s: _tftune_study("nsga2", p, s),
    "tftune RandomSampler": lambda p, s: _tftune_study("random", p, s),
    "Optuna NSGAIISampler": lambda p, s: _optuna_study("nsga2", p, s),
    "Optuna TPESampler (MOTPE)": lambda p, s: _optuna_study("tpe", p, s),
}
OPTUNA_GP = "Optuna GPSampler (log EHVI)"
if has_torch():
    CONTENDERS[OPTUNA_GP] = lambda p, s: _optuna_study("gp", p, s)
#: The sampler tftune's AutoSampler uses for these problems (2-3 objectives, floats only,
#: fewer than 200 complete trials): its GPSampler.
DEFAULT = GP
PEERS = ("Optuna TPESampler (MOTPE)", "Optuna NSGAIISampler", "tftune TPESampler (MOTPE)")
#: The Keras task's contenders (its runs are ~100x dearer): the default and the peers.
KERAS_CONTENDERS = (DEFAULT, *PEERS)


def contenders_of(problem: str) -> list[str]:
    return [c for c in CONTENDERS if problem != KERAS or c in KERAS_CONTENDERS]


def silence() -> None:
    """Every library's logging and warnings off alike."""
    import optuna

    import tftune

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    tftune.logging.set_verbosity(tftune.logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    warnings.simplefilter("ignore")


def worker_init() -> None:
    silence()


def hypervolume(values: list[list[float]], feasible: list[bool], reference: np.ndarray) -> float:
    from tftune.hypervolume import compute_hypervolume

    points = np.array([v for v, ok in zip(values, feasible, strict=True) if ok], dtype=float)
    return float(compute_hypervolume(points.reshape(-1, len(reference)), reference))


def run_job(job: tuple[str, str, int]) -> dict[str, Any]:
    contender, problem_name, seed = job
    problem = Problem(problem_name)
    study = CONTENDERS[contender](problem, seed)
    started = time.perf_counter()
    if problem_name == KERAS:
        keras_task.run_study(study, max(BUDGETS))
    else:
        study.optimize(problem, n_trials=max(BUDGETS))
    elapsed = time.perf_counter() - started
    trials = sorted(study.trials, key=lambda t: t.number)
    values, feasible = [], []
    for t in trials:
        if t.values is None:
            continue
        values.append(list(t.values))
        cons = t.user_attrs.get("constraints", [])
        feasible.append(all(c <= 0 for c in cons))
    hv = {str(b): hypervolume(values[:b], feasible[:b], problem.reference) for b in BUDGETS}
    return {
        "contender": contender,
        "problem": problem_name,
        "seed": seed,
        "hypervolume": hv,
        "seconds": elapsed,
        "n_feasible_200": int(sum(feasible)),
        "load_average": round(os.getloadavg()[0], 2),
        "niceness": os.nice(0),
    }


# --- ask time --------------------------------------------------------------------------------
def ask_times(
    library: str, sampler_name: str = "auto", prefill: int = ASK_PREFILL, timed: int = ASK_TIMED
) -> list[float]:
    """Seconds of ask() + suggestions for trials ``prefill`` .. ``prefill + timed - 1`` of a
    ZDT1 study (``prefill`` random trials first)."""
    problem = Problem("ZDT1")
    if library == "tftune":
        import tftune

        study = tftune.create_study(
            directions=["minimize", "minimize"], sampler=tftune.samplers.RandomSampler(seed=0)
        )
        study.optimize(problem, n_trials=prefill)
        samplers = {"auto": tftune.samplers.AutoSampler, "gp": tftune.samplers.GPSampler}
        study.sampler = samplers[sampler_name](seed=0)
    else:
        import optuna

        study = optuna.create_study(
            directions=["minimize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=0)
        )
        study.optimize(problem, n_trials=prefill)
        samplers = {"tpe": optuna.samplers.TPESampler, "gp": optuna.samplers.GPSampler}
        study.sampler = samplers[sampler_name](seed=0)
    times = []
    for _ in range(timed):
        started = time.perf_counter()
        trial = study.ask()
        x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(10)])
        times.append(time.perf_counter() - started)
        out = problem.problem.evaluate(x[None, :], return_values_of=["F"])
        study.tell(trial, [float(v) for v in out[0]])
    return times


# --- statistics and report -------------------------------------------------------------------
def mann_whitney(a: list[float], b: list[float]) -> float:
    from scipy.stats import mannwhitneyu

    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def summarise(runs: list[dict[str, Any]], asks: dict[str, list[float]]) -> dict[str, Any]:
    table: dict[str, dict[str, dict[str, Any]]] = {}
    ran = [
        p for p in PROBLEMS if any(r["problem"] == p and r["contender"] == DEFAULT for r in runs)
    ]
    for problem in ran:
        table[problem] = {}
        for budget in BUDGETS:
            cell: dict[str, Any] = {}
            by = {
                c: [
                    r["hypervolume"][str(budget)]
                    for r in runs
                    if r["contender"] == c and r["problem"] == problem
                ]
                for c in CONTENDERS
            }
            cell["median"] = {c: statistics.median(v) for c, v in by.items() if v}
            cell["seeds"] = {c: len(v) for c, v in by.items() if v}
            cell["p_vs_default"] = {
                p: mann_whitney(by[DEFAULT], by[p]) for p in PEERS if by[p] and by[DEFAULT]
            }
            table[problem][str(budget)] = cell
    beats_tpe_100 = [
        p for p in ran if table[p]["100"]["median"][DEFAULT] > table[p]["100"]["median"][PEERS[0]]
    ]
    not_worse_nsga_200 = [
        p
        for p in ran
        if not (
            table[p]["200"]["median"][DEFAULT] < table[p]["200"]["median"][PEERS[1]]
            and table[p]["200"]["p_vs_default"][PEERS[1]] < 0.05
        )
    ]
    ask_median = {k: statistics.median(v) for k, v in asks.items()}
    ratio = ask_median["tftune"] / ask_median["optuna"]
    gp_beats_motpe = {
        budget: [
            p for p in ran if table[p][budget]["median"][GP] > table[p][budget]["median"][PEERS[2]]
        ]
        for budget in ("100", "200")
    }
    goals = {
        "beats_optuna_motpe_at_100": {
            "problems": beats_tpe_100,
            "significant": [
                p for p in beats_tpe_100 if table[p]["100"]["p_vs_default"][PEERS[0]] < 0.05
            ],
            "share": len(beats_tpe_100) / len(ran),
            "met": len(beats_tpe_100) / len(ran) >= 0.75,
        },
        "no_worse_than_optuna_nsga2_at_200": {
            "problems": not_worse_nsga_200,
            "share": len(not_worse_nsga_200) / len(ran),
            "met": len(not_worse_nsga_200) == len(ran),
        },
        "ask_time_ratio_at_1000": {"ratio": ratio, "met": ratio <= 0.1},
    }
    lost = {
        budget: {
            peer: [
                [p, table[p][budget]["p_vs_default"][peer]]
                for p in ran
                if table[p][budget]["median"][DEFAULT] < table[p][budget]["median"][peer]
            ]
            for peer in PEERS
        }
        for budget in ("100", "200")
    }
    per_trial = {
        kind: {
            c: statistics.median(secs)
            for c in CONTENDERS
            if (
                secs := [
                    r["seconds"] / max(BUDGETS)
                    for r in runs
                    if r["contender"] == c and (r["problem"] == KERAS) == (kind == "keras")
                ]
            )
        }
        for kind in ("numeric", "keras")
    }
    load_by = {c: _load_summary([r for r in runs if r["contender"] == c]) for c in CONTENDERS}
    return {
        "problems": ran,
        "table": table,
        "seconds_per_trial": per_trial,
        "load_average_at_run_ends": _load_summary(runs),
        "load_average_by_contender": load_by,
        "niceness_of_runs": {
            "values": sorted({r["niceness"] for r in runs if "niceness" in r}),
            "recorded": sum("niceness" in r for r in runs),
            "runs": len(runs),
        },
        "ask_median_s": ask_median,
        "goals": goals,
        "gp_beats_tftune_motpe": gp_beats_motpe,
        "default_lower_median": lost,
    }


def _load_summary(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Min, median and max load average at the runs' ends, of how many runs recorded it."""
    loads = [r["load_average"] for r in runs if "load_average" in r]
    if not loads:
        return None
    return {
        "min": min(loads),
        "median": statistics.median(loads),
        "max": max(loads),
        "recorded": len(loads),
        "runs": len(runs),
    }


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _best_p(n: int) -> str:
    """The p of the test used (``mann_whitney``) for two fully separated samples of ``n``
    distinct values each (ties, as equal zeros, can give a smaller p)."""
    return _fmt_p(mann_whitney([float(i) for i in range(n)], [float(n + i) for i in range(n)]))


def _fmt_p(p: float) -> str:
    """A p-value: three decimals, or two significant digits below 0.001 (20 fully separated
    seeds a side give 6.8e-08 with scipy's normal approximation)."""
    return f"{p:.3f}" if not p < 0.001 else f"{p:.1e}"


def _smallest_p(summary: dict[str, Any]) -> str:
    """The table's smallest p, where it is on (for the note on ties)."""
    cells = [
        (p, f"{problem} at {budget}")
        for problem, by_budget in summary["table"].items()
        for budget, cell in by_budget.items()
        for p in cell["p_vs_default"].values()
    ]
    if not cells:
        return ""
    p, where = min(cells)
    return f" (the table's smallest: {_fmt_p(p)}, {where})"


def _nice(niceness: int) -> str:
    return "normal priority" if niceness == 0 else f"`nice -n {niceness}`"


def _priority(summary: dict[str, Any], config: dict[str, Any]) -> str:
    """The runs' scheduling priority as each run recorded it (older runs did not: the note
    says where they ran), and this report invocation's (it times the asks)."""
    nice = summary["niceness_of_runs"]
    values = ", ".join(_nice(v) for v in nice["values"])
    if nice["recorded"] == nice["runs"]:
        runs = f"runs at {values}"
    elif nice["recorded"]:
        runs = (
            f"{nice['recorded']} of {nice['runs']} runs recorded their priority ({values}), "
            "the others did not (see the note)"
        )
    else:
        runs = f"none of the {nice['runs']} runs recorded its priority (see the note)"
    report = config.get("niceness")
    return runs if report is None else f"{runs}; this report's invocation at {_nice(report)}"


def _load_text(load: dict[str, Any] | None) -> str:
    if not load:
        return "not recorded"
    text = f"min {load['min']:.2f}, median {load['median']:.2f}, max {load['max']:.2f}"
    if "recorded" not in load:  # older summaries did not count the runs
        return text
    missing = load["runs"] - load["recorded"]
    if not missing:
        return f"{text} over all {load['runs']} runs"
    return (
        f"{text} of the {load['recorded']} of {load['runs']} runs that recorded it; "
        f"{missing} runs (reused from earlier invocations) have no load recorded"
    )


def _significant(goal: dict[str, Any]) -> str:
    """How many of a goal's wins have p < 0.05 (older results did not record it)."""
    sig = goal.get("significant")
    return "." if sig is None else f" (with p < 0.05 on {len(sig)} of them)."


def _lost_lines(summary: dict[str, Any]) -> list[str]:
    """The problems where the default's median is below a peer's, with the test's p."""
    lost = summary.get("default_lower_median")
    if lost is None:
        return []
    lines = []
    for budget, by_peer in lost.items():
        for peer, rows in by_peer.items():
            listed = ", ".join(f"{p} (p = {_fmt_p(pv)})" for p, pv in rows) or "none"
            lines.append(f"- Default's median below {peer} at {budget} evaluations: {listed}.")
    return [*lines, ""]


def write_report(result: dict[str, Any], suffix: str) -> None:
    summary, config = result["summary"], result["config"]
    lines = [
        "# Multi-objective and constrained search: tftune vs Optuna 5.0",
        "",
        f"Run {config['date']} on {config['cpu']} ({config['cores']} cores, shared; load "
        f"average {config['load_before']} before, {config['load_after']} after), "
        f"{config['processes']} worker processes of one thread each; "
        f"{_priority(summary, config)}. "
        "Seeds per problem and sampler: the `seeds` column (the issue's protocol asks for 20; "
        f"this invocation: {config.get('stop_note', 'all runs finished')}); "
        "pymoo 0.6.2 problem definitions. tftune "
        f"{config['git']}, Optuna {config['optuna']}.",
        "",
        "Hypervolume of the feasible trials against the fixed reference point (higher is "
        "better), median over seeds; p: two-sided Mann-Whitney U test of tftune's default "
        f"for these problems ({DEFAULT}: AutoSampler's choice for 2-3 objectives over floats "
        "below 200 complete trials) against that sampler. HV at 100 evaluations is that of "
        "the first 100 trials of each 200-trial run. The Keras task's hypervolume (validation "
        "error x parameter count) is shown as a share of its reference box (1.0 x 28,734).",
        "",
    ]
    if config.get("note"):
        lines += [config["note"], ""]
    if OPTUNA_GP not in CONTENDERS:
        lines += [
            "Optuna's GPSampler is not in the table: it needs PyTorch, which the bench extra "
            "does not install (the package index has `torch==2.13.0` as a CPU build, a 192 MB "
            "wheel; with it installed the benchmark adds Optuna's GPSampler by itself).",
            "",
        ]
    names = list(CONTENDERS)
    for budget in BUDGETS:
        lines += [
            f"## {budget} evaluations",
            "",
            "| problem | reference point | seeds | " + " | ".join(names) + " | p vs Optuna TPE | "
            "p vs Optuna NSGA-II | p vs tftune MOTPE |",
            "|---" * (len(names) + 6) + "|",
        ]
        for problem in summary["problems"]:
            reference = PROBLEMS[problem][2]
            cell = summary["table"][problem][str(budget)]
            best = max(cell["median"].values())
            # The Keras task's HV as a share of the reference box (error x parameters).
            scale = float(np.prod(reference)) if problem == KERAS else 1.0
            shown = {
                n: _fmt(v / scale) if scale == 1.0 else f"{v / scale:.4f}"
                for n, v in cell["median"].items()
            }
            meds = [
                "-"
                if n not in cell["median"]
                else f"**{shown[n]}**"
                if cell["median"][n] == best
                else shown[n]
                for n in names
            ]
            seeds = sorted(set(cell["seeds"].values()))
            ps = [_fmt_p(cell["p_vs_default"].get(p, float("nan"))) for p in PEERS]
            ref = f"[1.0, {reference[1]:.4g}]" if problem == KERAS else str(reference)
            lines.append(
                f"| {problem} | {ref} | {'-'.join(map(str, seeds))} | "
                + " | ".join(meds + ps)
                + " |"
            )
        lines.append("")
    ask = summary["ask_median_s"]
    goals = summary["goals"]
    lines += [
        "## Time per ask at 1,000 trials",
        "",
        f"ZDT1 (10 floats), {ASK_PREFILL} random trials, then {ASK_TIMED} asks timed (ask() "
        "and the trial's suggestions; median):",
        "",
        "| sampler | ms per ask |",
        "|---|---|",
        f"| tftune default (AutoSampler: MOTPE past 200 trials) | {ask['tftune'] * 1e3:.2f} |",
        f"| Optuna TPESampler (MOTPE) | {ask['optuna'] * 1e3:.2f} |",
        "",
        f"Ratio tftune / Optuna: {goals['ask_time_ratio_at_1000']['ratio']:.3f}.",
        "",
        "## Time per ask at 200 trials (the GP's regime)",
        "",
        f"ZDT1 (10 floats), {GP_ASK_PREFILL} random trials, then {GP_ASK_TIMED} asks timed "
        "(median):",
        "",
        "| sampler | ms per ask |",
        "|---|---|",
        *[
            f"| {name} | {ask[key] * 1e3:.1f} |"
            for key, name in (
                ("tftune_gp_200", GP),
                ("optuna_tpe_200", "Optuna TPESampler (MOTPE)"),
                ("optuna_gp_200", OPTUNA_GP),
            )
            if key in ask
        ],
        "",
        "## GPSampler against tftune's MOTPE (AutoSampler's choice)",
        "",
        *[
            f"- GPSampler's median is higher on {len(v)} of {len(summary['problems'])} problems "
            f"at {b} "
            f"evaluations: {', '.join(v) or 'none'}."
            for b, v in summary["gp_beats_tftune_motpe"].items()
        ],
        "",
        "## Goals (issue 16)",
        "",
        f"- Default beats Optuna's MOTPE (higher median) on >= 75 % of the problems at 100 "
        f"evaluations: {len(goals['beats_optuna_motpe_at_100']['problems'])} of "
        f"{len(summary['problems'])} ({goals['beats_optuna_motpe_at_100']['share']:.0%}): "
        f"**{'met' if goals['beats_optuna_motpe_at_100']['met'] else 'not met'}**"
        + _significant(goals["beats_optuna_motpe_at_100"]),
        f"- No worse than Optuna's NSGA-II at 200 (not lower with p < 0.05): "
        f"{len(goals['no_worse_than_optuna_nsga2_at_200']['problems'])} of "
        f"{len(summary['problems'])}: "
        f"**{'met' if goals['no_worse_than_optuna_nsga2_at_200']['met'] else 'not met'}**.",
        f"- Ask time <= 1/10 of Optuna's MOTPE at 1,000 trials: ratio "
        f"{goals['ask_time_ratio_at_1000']['ratio']:.3f}: "
        f"**{'met' if goals['ask_time_ratio_at_1000']['met'] else 'not met'}**.",
        "",
        *_lost_lines(summary),
        "With n seeds a side and no ties, the test used (scipy "
        f"{dist_version('scipy')}'s `mannwhitneyu` default: exact with at most 8 values on a "
        "side and no ties, else the normal approximation with continuity and tie "
        f"correction) gives p = {_best_p(4)} for fully separated samples at n = 4, "
        f"{_best_p(8)} at n = 8, {_best_p(20)} at n = 20; ties (as equal zero hypervolumes) "
        f"can give a smaller p{_smallest_p(summary)}; read single medians with care.",
        "",
        "## Time per trial",
        "",
        "Wall seconds per trial of the 200-trial runs (median over runs; objective included: "
        "pymoo's functions cost microseconds, the Keras task's training dominates its column). "
        "Load average at the end of each run: "
        + _load_text(summary.get("load_average_at_run_ends"))
        + "; per sampler in the table.",
        "",
        "| sampler | s per trial (pymoo problems) | s per trial (Keras task) | load at run "
        "ends: min-median-max (runs that recorded it) |",
        "|---|---|---|---|",
    ]
    per_trial = summary["seconds_per_trial"]
    load_by = summary.get("load_average_by_contender", {})
    for name in names:
        numeric = per_trial["numeric"].get(name)
        keras = per_trial["keras"].get(name)
        load = load_by.get(name)
        load_shown = (
            "-"
            if not load
            else f"{load['min']:.2f}-{load['median']:.2f}-{load['max']:.2f} "
            f"({load['recorded']} of {load['runs']})"
        )
        lines.append(
            f"| {name} | {'-' if numeric is None else f'{numeric:.3f}'} | "
            f"{'-' if keras is None else f'{keras:.3f}'} | {load_shown} |"
        )
    lines.append("")
    lines += _log_ehvi_ab_lines()
    (RESULTS_DIR / f"multi_objective{suffix}.md").write_text("\n".join(lines))
    (RESULTS_DIR / f"multi_objective{suffix}.json").write_text(json.dumps(result, indent=1))


def _log_ehvi_ab_lines() -> list[str]:
    """A pointer to the acquisition's A/B (``_multi_objective/log_ehvi_ab.py``), which keeps
    its own results, with its range of speed-ups."""
    file = log_ehvi_ab.RESULTS.with_suffix(".json")
    if not file.exists():
        return []
    ab = json.loads(file.read_text())
    ups = log_ehvi_ab.speed_ups(ab)
    same = sum(v["same_argmax"] for v in ab["cases"].values())
    return [
        "## The GP's acquisition: before and after the fast log EHVI paths",
        "",
        f"In `log_ehvi_ab.md`: one ask's box decomposition and log EHVI, tftune "
        f"{ab['config']['before']} against {ab['config']['after']}, {min(ups):.1f}-"
        f"{max(ups):.1f}x faster, the same argmax in {same} of {len(ups)} cases "
        f"({ab['load']}).",
        "",
    ]


def whole_seeds(
    runs: list[dict[str, Any]], planned: list[tuple[str, str, int]]
) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """The runs of the seeds that every contender finished, on every pymoo problem alike (and
    on the Keras task for its contenders), so that a run cut by its deadline compares the same
    seeds; and those seeds (``pymoo`` and ``keras``)."""
    done = {(r["contender"], r["problem"], r["seed"]) for r in runs}
    kept: dict[str, list[int]] = {}
    for kind in ("pymoo", "keras"):
        mine = [j for j in planned if (j[1] == KERAS) == (kind == "keras")]
        seeds = sorted({j[2] for j in mine})
        kept[kind] = [s for s in seeds if all(j in done for j in mine if j[2] == s)]
    keep = [r for r in runs if r["seed"] in kept["keras" if r["problem"] == KERAS else "pymoo"]]
    return keep, kept


def elapsed(started: float) -> float:
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="20 seeds (the issue's protocol)")
    parser.add_argument("--quick", action="store_true", help="2 seeds, results in *.quick.*")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="JSON-lines file of finished runs to reuse")
    parser.add_argument(
        "--deadline-s",
        type=float,
        help="stop the runs after this many seconds and report (0: report the cache's runs)",
    )
    parser.add_argument(
        "--note", default="", help="a paragraph for the report (where runs came from)"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild the summary and the .md from the existing .json's runs",
    )
    parser.add_argument(
        "--keras-seeds", type=int, help="seeds of the Keras task (default: half the seeds)"
    )
    parser.add_argument(
        "--runs-only", action="store_true", help="only add runs to --cache (no asks, no report)"
    )
    args = parser.parse_args()
    if args.keras_seeds is not None and args.keras_seeds < 0:
        parser.error(f"--keras-seeds must be >= 0, got {args.keras_seeds}")
    if args.runs_only and args.cache is None:
        parser.error("--runs-only needs --cache (where the runs are kept), got none")
    if args.report_only:
        suffix = ".quick" if args.quick else ""
        result = json.loads((RESULTS_DIR / f"multi_objective{suffix}.json").read_text())
        result["summary"] = summarise(result["runs"], result["ask_times_s"])
        write_report(result, suffix)
        return
    seeds = 20 if args.full else 2 if args.quick else args.seeds
    silence()
    load_before = os.getloadavg()[0]
    # Seed-major, so that a run cut by its deadline has whole seeds; the Keras task (~100x
    # dearer) gets one seed per two of the pymoo problems.
    numeric = [p for p in PROBLEMS if p != KERAS]
    keras_seeds = seeds // 2 if args.keras_seeds is None else args.keras_seeds
    jobs = []
    for s in range(seeds):
        jobs += [(c, p, s) for p in numeric for c in CONTENDERS]
        if s % 2 == 1 and s // 2 < keras_seeds:
            jobs += [(c, KERAS, s // 2) for c in contenders_of(KERAS)]
    for k in range(seeds // 2, keras_seeds):
        jobs += [(c, KERAS, k) for c in contenders_of(KERAS)]
    planned = list(jobs)
    started = time.perf_counter()
    runs = []
    if args.cache is not None and args.cache.exists():
        cached = {
            (r["contender"], r["problem"], r["seed"]): r
            for r in map(json.loads, args.cache.read_text().splitlines())
        }
        runs = [cached[j] for j in jobs if j in cached]
        jobs = [j for j in jobs if j not in cached]
        print(f"{len(runs)} runs from the cache, {len(jobs)} to run", flush=True)
    stop_note = "all runs finished"
    with multiprocessing.get_context("spawn").Pool(
        args.processes, initializer=worker_init
    ) as pool:
        results = pool.imap_unordered(run_job, jobs)
        for i in range(1, len(jobs) + 1):
            left = None if args.deadline_s is None else args.deadline_s - elapsed(started)
            try:
                if left is not None and left <= 0:
                    raise multiprocessing.TimeoutError
                run = results.next(timeout=left)
            except multiprocessing.TimeoutError:
                stop_note = f"stopped at its time limit after {i - 1} of {len(jobs)} new runs"
                pool.terminate()
                break
            runs.append(run)
            if args.cache is not None:
                with args.cache.open("a") as cache:
                    cache.write(json.dumps(run) + "\n")
            if i % 20 == 0:
                print(f"{i}/{len(jobs)} runs, {elapsed(started):.0f} s", flush=True)
    if args.runs_only:
        print(f"{stop_note}; runs kept in {args.cache}", flush=True)
        return
    runs, reported = whole_seeds(runs, planned)
    asks = {
        "tftune": ask_times("tftune", "auto"),
        "optuna": ask_times("optuna", "tpe"),
        "tftune_gp_200": ask_times("tftune", "gp", GP_ASK_PREFILL, GP_ASK_TIMED),
        "optuna_tpe_200": ask_times("optuna", "tpe", GP_ASK_PREFILL, GP_ASK_TIMED),
    }
    if has_torch():
        asks["optuna_gp_200"] = ask_times("optuna", "gp", GP_ASK_PREFILL, GP_ASK_TIMED)
    summary = summarise(runs, asks)
    result = {
        "config": {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "processes": args.processes,
            "niceness": os.nice(0),
            "seeds": seeds,
            "stop_note": stop_note,
            "seeds_reported": reported,
            "note": args.note,
            "budgets": list(BUDGETS),
            "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2),
            "git": git("rev-parse", "--short", "HEAD"),
            "optuna": dist_version("optuna"),
            "torch": dist_version("torch") if has_torch() else None,
            "pymoo": dist_version("pymoo"),
            "scipy": dist_version("scipy"),
            "python": platform.python_version(),
            "wall_s": round(time.perf_counter() - started, 1),
            "problems": {
                k: {"pymoo": v[0], **v[1], "reference": v[2]} for k, v in PROBLEMS.items()
            },
        },
        "summary": summary,
        "runs": runs,
        "ask_times_s": asks,
    }
    write_report(result, ".quick" if args.quick else "")
    print(json.dumps(summary["goals"], indent=1))


if __name__ == "__main__":
    main()
