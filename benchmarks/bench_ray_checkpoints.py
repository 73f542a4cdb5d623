"""What per-epoch pack checkpoints cost on Ray: bytes and milliseconds per epoch of one pack.

With ``max_retries > 0`` (the default) a pack on Ray sends every trial's weights and optimizer
state to the checkpoint actor on the driver's node, so a retry on any node resumes there:
after its first epoch always, after a later one only while its checkpoints so far took at
most ``checkpoint_budget`` of its time (the default, 0.1, which this runs with and records).
This measures, for one pack of the recipe model and one of the digits
CNN (bench_ray.py's tasks, packs of 32): the bytes sent per pack epoch, the milliseconds the
pack spends per epoch turning weights into bytes and sending them, and the pack's training
time with checkpoints (``max_retries=3``) and without (``max_retries=0``), the two run
alternately, ``--repeats`` rounds, medians. One local Ray node with 2 CPUs in the Ray sandbox
(benchmarks/_ray_sandbox.py); one pack trains at a time (``n_jobs=1``, one CPU).

Usage:  nice -n 19 .venv/bin/python benchmarks/bench_ray_checkpoints.py [--quick] [--repeats N]
Writes benchmarks/results/ray_checkpoints.md and ray_checkpoints.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _ray_sandbox import print_result, run_sandboxed  # noqa: E402
from bench_ray import (  # noqa: E402
    KERAS_TASKS,
    connect_for_keras,
    environment,
    quiet,
    timed_keras_search,
)

RESULTS = HERE / "results"
PACK = 32
MODES = {"off": 0, "on": 3}  # max_retries: no checkpoints / within the default budget


def one_pack(workdir: Path, task: str, max_retries: int) -> dict[str, Any]:
    """One search of one pack of ``PACK`` trials on Ray; its pack's timing and checkpoints."""
    run = timed_keras_search(
        workdir, task, n_trials=PACK, pack=PACK, backend="ray", n_jobs=1, max_retries=max_retries
    )
    timings = run["pack_timings"]
    assert len(run["done"]) == PACK and len(timings) == 1, (run["done"], timings)
    timing = timings[0]
    saved = timing["checkpoints"]
    epochs_saved = max(1, saved.get("epochs", 0))  # the epochs checkpointed
    return {
        "seconds": run["seconds"],
        "trained": timing["trained"],
        "first_in_process": timing["first_in_process"],
        "checkpoints": saved,
        "epochs_saved": saved.get("epochs", 0),
        "bytes_per_epoch": saved.get("bytes", 0) / epochs_saved,
        "ms_per_epoch": 1000 * saved.get("pack_seconds", 0) / epochs_saved,
        "encode_ms_per_epoch": 1000 * saved.get("encode_seconds", 0) / epochs_saved,
        "send_ms_per_epoch": 1000 * saved.get("send_seconds", 0) / epochs_saved,
        "files_left": run["files_left"],
    }


def inner(args: argparse.Namespace) -> None:
    import ray
    from _ray_sandbox import LocalCluster

    quiet()
    logging.getLogger("tftune").setLevel(logging.WARNING)
    workdir = Path(os.environ["TFTUNE_SANDBOX_DIR"])
    tasks = args.tasks
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        task: {mode: [] for mode in MODES} for task in tasks
    }
    load_before = os.getloadavg()
    cluster = LocalCluster(head_cpus=2, worker_cpus=())
    from tftune.keras._pack_job import CHECKPOINT_BUDGET

    result: dict[str, Any] = {"pack": PACK, "tasks": {t: KERAS_TASKS[t] for t in tasks}}
    result["budget"] = CHECKPOINT_BUDGET
    try:
        result["network"] = connect_for_keras(cluster.address)
        for repeat in range(args.repeats):
            order = list(MODES) if repeat % 2 == 0 else list(reversed(MODES))
            for task in tasks:
                for mode in order:
                    runs[task][mode].append(one_pack(workdir, task, MODES[mode]))
                    print(json.dumps({task: {mode: runs[task][mode][-1]}}), flush=True)
    finally:
        ray.shutdown()
        result["left_running_after_close"] = cluster.close()
    result.update(runs=runs, load_before=load_before, load_after=os.getloadavg())
    print_result(result)


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ray_checkpoints.json").write_text(json.dumps(result, indent=1) + "\n")
    names = {"recipe": "recipe MLP (breast cancer)", "digits_cnn": "digits CNN (8x8)"}
    env = result["env"]
    repeats = len(next(iter(next(iter(result["runs"].values())).values())))
    lines = [
        "# Per-epoch pack checkpoints on Ray: bytes and time per epoch",
        "",
        f"Written by `benchmarks/bench_ray_checkpoints.py`; {env['cpus']} CPUs ({env['cpu']}), "
        f"shared with other users: load average {result['load_before'][0]:.1f} before, "
        f"{result['load_after'][0]:.1f} after; run with nice {env['nice']}; Ray {env['ray']}, "
        "one local node with 2 CPUs in a private network namespace; commit "
        f"{env['commit']}{' (dirty)' if env['dirty'] else ''}. One search of one pack of "
        f"{result['pack']} trials per run (`n_jobs=1`, one CPU), with checkpoints "
        "(`max_retries=3`: after a completed epoch but the last, every trial's weights and "
        "optimizer state sent as bytes to the checkpoint actor on the driver's node; "
        f"checkpoint budget {result.get('budget', 'none (every epoch)')}) and without "
        f"(`max_retries=0`), alternating; medians of {repeats} rounds. *checkpointed*: the "
        "epochs checkpointed; the per-epoch columns are per checkpointed epoch: bytes sent, "
        "and the pack's milliseconds for them (each trial's weights copied out of the fused "
        "pack, saved to bytes, sent).",
        "",
        "| pack | epochs | checkpointed | KiB per pack epoch | KiB per trial epoch | ms per "
        "pack epoch | of which to bytes | of which send | pack training s, off | on | on / off | "
        "on - off s | of it measured s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for task, modes in result["runs"].items():
        on, off = modes["on"], modes["off"]
        per_epoch = statistics.median(r["bytes_per_epoch"] for r in on)
        ms = statistics.median(r["ms_per_epoch"] for r in on)
        send = statistics.median(r["send_ms_per_epoch"] for r in on)
        encode = statistics.median(r.get("encode_ms_per_epoch", 0.0) for r in on)
        taken = statistics.median(r.get("epochs_saved", 0) for r in on)
        t_on = statistics.median(r["trained"] for r in on)
        t_off = statistics.median(r["trained"] for r in off)
        lines.append(
            f"| {names[task]}, {result['pack']} trials | {result['tasks'][task]['epochs']} | "
            f"{taken:g} | {per_epoch / 1024:.0f} | {per_epoch / result['pack'] / 1024:.1f} | "
            f"{ms:.0f} | {encode:.0f} | {send:.0f} | {t_off:.1f} | {t_on:.1f} | "
            f"{t_on / t_off:.2f} | {t_on - t_off:.1f} | {ms * taken / 1000:.1f} |"
        )
    left = sorted(
        {name for m in result["runs"].values() for r in m["on"] for name in r["files_left"]}
    )
    lines += [
        "",
        "Training time is the pack task's (building, tracing, fitting, reporting, checkpoints), "
        "from the pack's own timing; single runs vary with the machine's load (see "
        "ray_checkpoints.json). Only the latest checkpoint per trial is kept, and the driver "
        "removes them as each pack completes: checkpoint files left after the searches: "
        f"{len(left)}.",
        "",
        "Where a checkpointed epoch's milliseconds go: saving to bytes (`.npz` of the model's "
        "and the optimizer's variables) and sending are the *to bytes* and *send* columns; the "
        "rest, most of it, is copying each trial's weights and optimizer state out of the fused"
        " pack into its model (`write_back`, one copy at a time). The first checkpointed epoch "
        "is always taken, so a pack of a few seconds pays about one; the budget keeps the later "
        "ones' measured milliseconds to at most 10 % of a longer pack's time. *on - off*: what "
        "checkpoints added to the pack's training, against *measured*, the milliseconds the "
        "budget counts; where the first is larger, the difference is cost not yet traced (the "
        "checkpoint actor's start and the first `write_back`'s tracing are the candidates) "
        "and is not counted against the budget. Before the budget, with every epoch "
        "checkpointed as `.weights.h5`: see ray_checkpoints_every_epoch.md (2.95x and 1.68x).",
        "",
    ]
    (RESULTS / "ray_checkpoints.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--tasks", nargs="+", default=["recipe", "digits_cnn"])
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rewrite", action="store_true", help="rewrite the .md from the .json")
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.inner:
        inner(args)
        return
    if args.rewrite:
        write(json.loads((RESULTS / "ray_checkpoints.json").read_text()))
        return
    forwarded = ["--inner", "--repeats", str(args.repeats), "--tasks", *args.tasks]
    result, _ = run_sandboxed(Path(__file__), forwarded, timeout=3000)
    result["env"] = environment()
    write(result)
    print((RESULTS / "ray_checkpoints.md").read_text())


if __name__ == "__main__":
    main()
