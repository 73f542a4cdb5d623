"""What the rung's second ranking (commit a6e2702) costs: one more system attribute per rung.

  PYTHONPATH=src python benchmarks/_pruning/rung_attribute_cost.py [--before b3a4ca0] \
      [--rounds 3] [--memory-trials 10000] [--sqlite-trials 2000]
  python benchmarks/_pruning/rung_attribute_cost.py --report-only  # .md from the json

The long-study search of ``bench_long_study.py`` (random sampler, ASHA min 1 / factor 3, 9
reports per trial, each asking the pruner) with tftune's source at ``--before`` (exported with
``git archive``) and with this checkout's ``src/``, in interleaved rounds (the order flips
every round), each run in a fresh process. Per backend: the median over rounds of the storage
+ bookkeeping ms per trial over the last 10 % of the trials (as in
``results/long_study_pruners*.md``), the ratio after / before, and, on smaller studies of the
same search (``ATTR_TRIALS`` in memory, ``SQLITE_SIZE_TRIALS`` in SQLite), the system
attributes the pruner wrote per trial and the SQLite file's bytes per trial. Writes
``results/long_study_pruners_rung_attr.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1]
ROOT = BENCH.parent
RESULTS = BENCH / "results"
# the studies that count the attributes and bytes per trial (smaller than the timed ones)
ATTR_TRIALS = 2_000
SQLITE_SIZE_TRIALS = 500
COUNTED = {"memory": ATTR_TRIALS, "sqlite": SQLITE_SIZE_TRIALS}
HAND_NOTE = "Reading (added by hand)"

WORKER = r"""
import json, os, sys, tempfile
import bench_long_study as b
backend, size, counted = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = b.run_one("tftune", backend, "random", size, "", "asha")
row = {"last_storage_ms": out["last"]["storage"]["mean_ms"], "total_s": out["total_s"]}
if backend == "memory":
    import tftune
    study = tftune.create_study(
        sampler=tftune.samplers.RandomSampler(seed=0), pruner=b.make_pruner(tftune, "asha")
    )
    study.optimize(b.reporting_objective(tftune), n_trials=counted)
    keys = [k for t in study.trials for k in t.system_attrs]
    row["system_attrs_per_trial"] = len(keys) / len(study.trials)
    row["reported_rung_attrs_per_trial"] = sum("reported_rung" in k for k in keys) / len(
        study.trials
    )
else:
    with tempfile.TemporaryDirectory() as tmp:
        import tftune
        url = f"sqlite:///{tmp}/s.db"
        study = tftune.create_study(
            storage=url,
            sampler=tftune.samplers.RandomSampler(seed=0),
            pruner=b.make_pruner(tftune, "asha"),
        )
        study.optimize(b.reporting_objective(tftune), n_trials=counted)
        study.storage.close()
        row["sqlite_bytes_per_trial"] = os.path.getsize(f"{tmp}/s.db") / counted
print(json.dumps(row))
"""


def _measure(src: Path, backend: str, size: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{BENCH}"}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, backend, str(size), str(COUNTED[backend])],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default="b3a4ca0")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-trials", type=int, default=10_000)
    parser.add_argument("--sqlite-trials", type=int, default=2_000)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the .md from results/long_study_pruners_rung_attr.json, running nothing",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        return _report_only()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    load_start = [round(x, 2) for x in os.getloadavg()]
    sizes = {"memory": args.memory_trials, "sqlite": args.sqlite_trials}
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rung_attr_") as tmp:
        archive = subprocess.run(
            ["git", "archive", args.before, "src"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        trees = {"before": Path(tmp) / "src", "after": ROOT / "src"}
        for round_ in range(args.rounds):
            order = ["before", "after"] if round_ % 2 == 0 else ["after", "before"]
            for backend, size in sizes.items():
                for name in order:
                    row = _measure(trees[name], backend, size)
                    runs.append({"round": round_, "tree": name, "backend": backend, **row})
                    print(name, backend, row, flush=True)
    summary: dict[str, dict[str, Any]] = {}
    for backend in sizes:
        per = {
            name: [r for r in runs if r["backend"] == backend and r["tree"] == name]
            for name in ("before", "after")
        }
        med = {n: statistics.median(r["last_storage_ms"] for r in rs) for n, rs in per.items()}
        extra = {
            key: {n: rs[0][key] for n, rs in per.items()}
            for key in (
                "system_attrs_per_trial",
                "reported_rung_attrs_per_trial",
                "sqlite_bytes_per_trial",
            )
            if key in per["before"][0]
        }
        summary[backend] = {
            "trials": sizes[backend],
            "counted_trials": COUNTED[backend],
            "median_last_storage_ms": med,
            "ratio_after_before": med["after"] / med["before"],
            "rounds_ms": {n: [r["last_storage_ms"] for r in rs] for n, rs in per.items()},
            **extra,
        }
    load_end = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "before": args.before,
        "after": head,
        "rounds": args.rounds,
        "run_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "runs": runs,
        "summary": summary,
        "load_start": load_start,
        "load_end": load_end,
    }
    (RESULTS / "long_study_pruners_rung_attr.json").write_text(json.dumps(payload, indent=1))
    _write_report(payload, "")
    return 0


def _write_report(payload: dict[str, Any], hand_note: str) -> None:
    """Write the .md table of ``payload`` (the json), then ``hand_note``, and print it."""
    summary = payload["summary"]
    lines = [
        "# ASHA's second ranking at a rung: what the extra system attribute costs",
        "",
        "Written by `benchmarks/_pruning/rung_attribute_cost.py`: the long-study search of "
        "`bench_long_study.py` (random sampler, ASHA min 1 / factor 3, 9 reports per trial, "
        f"each asking the pruner), tftune at {payload['before']} (one attribute per rung) "
        f"against {payload['after']} (the checkout measured, with the second attribute of "
        f"a6e2702, `completed_reported_rung_<k>`), {payload['rounds']} interleaved rounds, a "
        "fresh process per run. Storage + bookkeeping: ms per trial over the last 10 % of the "
        "trials of the timed study, median over rounds (each round's value in brackets). "
        "Attributes and bytes per trial: counted on a smaller study of the same search, once "
        "per tree (the counted trials column).",
        "",
        f"Run {payload['run_utc']}. Load average at start {payload['load_start']}, at end "
        f"{payload['load_end']} (2 shared cores, other jobs running).",
        "",
        "| backend | timed trials | before (ms) | after (ms) | after / before | counted trials "
        "| system attrs per trial (before -> after) | of which reported-rung "
        "| SQLite bytes per trial |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for backend, s in summary.items():
        ms, rounds = s["median_last_storage_ms"], s["rounds_ms"]
        attrs = s.get("system_attrs_per_trial")
        reported = s.get("reported_rung_attrs_per_trial")
        size_b = s.get("sqlite_bytes_per_trial")
        lines.append(
            f"| {backend} | {s['trials']:,} | {ms['before']:.2f} "
            f"({', '.join(f'{x:.2f}' for x in rounds['before'])}) | {ms['after']:.2f} "
            f"({', '.join(f'{x:.2f}' for x in rounds['after'])}) | "
            f"{s['ratio_after_before']:.2f} | {s['counted_trials']:,} | "
            + (f"{attrs['before']:.2f} -> {attrs['after']:.2f}" if attrs else "-")
            + " | "
            + (f"{reported['before']:.2f} -> {reported['after']:.2f}" if reported else "-")
            + " | "
            + (f"{size_b['before']:.0f} -> {size_b['after']:.0f}" if size_b else "-")
            + " |"
        )
    text = "\n".join(lines) + "\n" + (f"\n{hand_note}" if hand_note else "")
    (RESULTS / "long_study_pruners_rung_attr.md").write_text(text)
    print(text, end="")


def _report_only() -> int:
    """Rewrite the .md from the json, keeping its hand-written reading. Runs before the json
    recorded them: the rounds from the per-round values, the counted trials from
    ``COUNTED`` (the worker's sizes then), the time from the .md being replaced."""
    payload = json.loads((RESULTS / "long_study_pruners_rung_attr.json").read_text())
    md_path = RESULTS / "long_study_pruners_rung_attr.md"
    md = md_path.read_text() if md_path.exists() else ""
    if "run_utc" not in payload:
        found = re.search(r"^Run (.+? UTC)\.", md, re.M)
        payload["run_utc"] = found.group(1) if found else "(time not recorded)"
    if "rounds" not in payload:
        payload["rounds"] = max(r["round"] for r in payload["runs"]) + 1
    for backend, row in payload["summary"].items():
        row.setdefault("counted_trials", COUNTED[backend])
    _write_report(payload, md[md.find(HAND_NOTE) :] if HAND_NOTE in md else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
