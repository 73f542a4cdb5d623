"""A/B of one multi-objective GP ask's acquisition: the code before the fast log EHVI paths
(commit ``BEFORE``, read with ``git show``) against the working tree's, interleaved in one
process on the same synthetic fronts and candidates; best of 5 repeats.

Results: ``benchmarks/results/log_ehvi_ab.{md,json}``.
Run:  PYTHONPATH=src .venv/bin/python benchmarks/_multi_objective/log_ehvi_ab.py [--report-only]
      (--report-only: rewrite the .md from the existing .json)
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _environment import cpu_model, git  # noqa: E402

RESULTS = HERE / "results" / "log_ehvi_ab"
BEFORE = "c0945b2"
CASES = ((2, 30), (2, 100), (3, 40), (3, 80))  # (objectives, front size)
N_CANDIDATES = 512 + 4 * 63  # the first batch and four polishing rounds of GPSampler


def _module_at(commit: str, path: str, name: str, directory: str) -> Any:
    source = subprocess.run(
        ["git", "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout
    file = Path(directory) / f"{name}.py"
    file.write_text(source)
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure() -> dict[str, Any]:
    """The four cases' best-of-5 times before and after, their largest difference and argmax."""
    from tftune.hypervolume import non_dominated_box_bounds
    from tftune.samplers._gp import _multi_objective as after

    with tempfile.TemporaryDirectory() as directory:
        before = _module_at(
            BEFORE, "src/tftune/samplers/_gp/_multi_objective.py", "b_mo", directory
        )
        before_boxes = _module_at(
            BEFORE, "src/tftune/hypervolume/_box_decomposition.py", "b_box", directory
        )
    rng = np.random.default_rng(0)
    cases = {}
    for k, n in CASES:
        points = rng.random((n, k))
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        reference = np.full(k, 1.1)
        mean = rng.normal(0.5, 0.5, (N_CANDIDATES, k))
        std = 0.05 + 0.3 * rng.random((N_CANDIDATES, k))
        samples = after.normal_qmc_samples(k, 128, 0)
        t_before, t_after = [], []
        for _ in range(5):
            started = time.perf_counter()
            lower, upper = before_boxes.non_dominated_box_bounds(points, reference)
            a = before.log_ehvi(mean, std, samples, lower, upper)
            t_before.append(time.perf_counter() - started)
            started = time.perf_counter()
            lower2, upper2 = non_dominated_box_bounds(points, reference)
            b = after.log_ehvi(mean, std, samples, lower2, upper2)
            t_after.append(time.perf_counter() - started)
        cases[f"k={k} front={n} boxes={len(lower)}"] = {
            "old_ms": 1e3 * min(t_before),
            "new_ms": 1e3 * min(t_after),
            "max_abs_diff_log": float(np.max(np.abs(a - b))),
            "same_argmax": bool(np.argmax(a) == np.argmax(b)),
        }
    return {
        "config": {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "niceness": os.nice(0),
            "before": BEFORE,
            "after": git("rev-parse", "--short", "HEAD"),
        },
        "cases": cases,
        "load": f"load average {os.getloadavg()[0]:.1f} after",
    }


def speed_ups(result: dict[str, Any]) -> list[float]:
    """Before over after, per case."""
    return [v["old_ms"] / v["new_ms"] for v in result["cases"].values()]


def write_report(result: dict[str, Any]) -> None:
    config = result["config"]
    lines = [
        "# The GP's acquisition: before and after the fast log EHVI paths",
        "",
        "One multi-objective GPSampler ask's box decomposition and log EHVI over "
        f"{N_CANDIDATES} candidates (the first 512 and four polishing rounds of 63) x 128 "
        f"draws, on a synthetic front; the code before (tftune {config['before']}) and after "
        f"(tftune {config['after']}), interleaved in one process, best of 5 "
        f"({result['load']}; {config['cpu']}, {config['cores']} cores, shared). "
        f"{config.get('note', '')}".rstrip(),
        "",
        "| objectives, front, boxes | before (ms) | after (ms) | speed-up | max abs. diff "
        "of log EHVI | same argmax |",
        "|---|---|---|---|---|---|",
        *[
            f"| {name} | {v['old_ms']:.0f} | {v['new_ms']:.0f} | "
            f"{v['old_ms'] / v['new_ms']:.1f}x | {v['max_abs_diff_log']:.1e} | "
            f"{v['same_argmax']} |"
            for name, v in result["cases"].items()
        ],
        "",
    ]
    RESULTS.with_suffix(".md").write_text("\n".join(lines))
    RESULTS.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the .md from the existing .json"
    )
    args = parser.parse_args()
    if args.report_only:
        result = json.loads(RESULTS.with_suffix(".json").read_text())
    else:
        result = measure()
        print(json.dumps(result, indent=1))
    write_report(result)


if __name__ == "__main__":
    main()
