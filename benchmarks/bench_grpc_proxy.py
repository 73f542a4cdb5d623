"""Many workers on one storage server: tftune's GrpcStorageProxy vs Optuna's, side by side.

For each library, a server process holds a SQLite storage and W worker processes each run
``n`` trials of a trivial objective (RandomSampler: the storage is what is timed) through the
library's gRPC storage proxy; the same workers opening the SQLite file directly are the
baseline. Reported: trials per second of the whole run (median of repeats, the libraries
interleaved), and the worker's mean time per trial late in a long study (the proxy's reads
fetch only what changed: flat per-trial cost). Every library's logging is silenced alike.

Run:  .venv/bin/python benchmarks/bench_grpc_proxy.py [--quick]
Writes benchmarks/results/grpc_proxy.{md,json} (``--quick``: grpc_proxy.quick.*).
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _environment import cpu_model, dist_version, git

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LIBS = ("tftune", "optuna")


def _quiet() -> None:
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    import optuna

    import tftune

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    tftune.logging.set_verbosity(logging.ERROR)


def _module(lib: str) -> Any:
    import importlib

    return importlib.import_module(lib)


def _serve(lib: str, url: str, port_queue: Any) -> None:
    """The server process: hold ``url``'s storage and serve it until terminated."""
    _quiet()
    module = _module(lib)
    storage = module.storages.RDBStorage(url)
    if lib == "tftune":
        from tftune.storages._grpc import get_server

        server = get_server(storage, host="127.0.0.1", port=0)
        port = server.tftune_port
        server.start()
        port_queue.put(port)
        server.wait_for_termination()
    else:
        port = _free_port()
        port_queue.put(port)  # the proxies wait until it answers
        module.storages.run_grpc_proxy_server(storage, host="127.0.0.1", port=port)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _storage(lib: str, mode: str, url: str, port: int) -> Any:
    module = _module(lib)
    if mode == "direct":
        return module.storages.RDBStorage(url)
    proxy = module.storages.GrpcStorageProxy(host="127.0.0.1", port=port)
    proxy.wait_server_ready(timeout=30)
    return proxy


def _work(lib: str, mode: str, url: str, port: int, n: int, out: Any) -> None:
    """A worker: ``n`` trials; reports its per-trial times."""
    _quiet()
    module = _module(lib)
    study = module.load_study(
        study_name="bench",
        storage=_storage(lib, mode, url, port),
        sampler=module.samplers.RandomSampler(seed=os.getpid()),
    )
    times: list[float] = []

    def objective(trial: Any) -> float:
        return trial.suggest_float("x", -1.0, 1.0) ** 2

    def timed(study_: Any, trial: Any) -> None:
        times.append(time.perf_counter())

    start = time.time()  # wall clock: compared across processes
    began = time.perf_counter()
    study.optimize(objective, n_trials=n, callbacks=[timed])
    gaps = [b - a for a, b in zip([began, *times[:-1]], times, strict=True)]
    out.put((start, time.time(), gaps))


def _run(lib: str, mode: str, workers: int, n: int) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        module = _module(lib)
        module.create_study(study_name="bench", storage=module.storages.RDBStorage(url))
        server = None
        port = 0
        if mode == "proxy":
            ports = ctx.Queue()
            server = ctx.Process(target=_serve, args=(lib, url, ports), daemon=True)
            server.start()
            port = ports.get(timeout=120)
        out = ctx.Queue()
        procs = [
            ctx.Process(target=_work, args=(lib, mode, url, port, n, out)) for _ in range(workers)
        ]
        for p in procs:
            p.start()
        reports = [out.get(timeout=900) for _ in procs]
        wall = max(r[1] for r in reports) - min(r[0] for r in reports)
        gaps = [r[2] for r in reports]
        for p in procs:
            p.join(timeout=60)
        if server is not None:
            server.terminate()
            server.join(timeout=30)
        trials = len(module.load_study(study_name="bench", storage=url).trials)
    late = [g for worker in gaps for g in worker[len(worker) * 3 // 4 :]]
    early = [g for worker in gaps for g in worker[1 : max(2, len(worker) // 4)]]
    return {
        "wall_s": wall,
        "trials": trials,
        "trials_per_s": trials / wall,
        "early_ms": 1000 * statistics.fmean(early),
        "late_ms": 1000 * statistics.fmean(late),
    }


def _load(values: Any) -> str:
    return ", ".join(f"{x:.1f}" for x in values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--trials", type=int, default=None, help="per worker")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    n = args.trials or (50 if args.quick else 500)
    repeats = args.repeats or (1 if args.quick else 3)
    rows: dict[str, list[dict[str, float]]] = {}
    for r in range(repeats):
        order = LIBS if r % 2 == 0 else LIBS[::-1]
        for lib in order:
            for mode in ("proxy", "direct"):
                key = f"{lib} {mode}"
                result = _run(lib, mode, args.workers, n)
                rows.setdefault(key, []).append(result)
                print(key, {k: round(v, 2) for k, v in result.items()}, flush=True)
    summary = {
        key: {k: statistics.median(r[k] for r in results) for k in results[0]}
        for key, results in rows.items()
    }
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "optuna": dist_version("optuna"),
        "grpcio": dist_version("grpcio"),
        "load_average": os.getloadavg(),
        "workers": args.workers,
        "trials_per_worker": n,
        "repeats": repeats,
    }
    suffix = ".quick" if args.quick else ""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"grpc_proxy{suffix}.json").write_text(
        json.dumps({"meta": meta, "summary": summary, "runs": rows}, indent=2) + "\n"
    )
    lines = [
        "# Many workers on one storage server: gRPC storage proxies",
        "",
        f"Written by `benchmarks/bench_grpc_proxy.py`: {args.workers} worker processes, {n} "
        f"trials each, one study on one SQLite file; median of {repeats} repeats, libraries "
        f"interleaved. {meta['cpu']}, {meta['cores']} cores (shared), Python {meta['python']}, "
        f"tftune {meta['commit']}, Optuna {meta['optuna']}, grpcio {meta['grpcio']}, "
        f"{meta['date']}; load average at the end {_load(meta['load_average'])}.",
        "",
        "*proxy*: a server process holds the storage and the workers reach it through the "
        "library's `GrpcStorageProxy`; *direct*: every worker opens the SQLite file. Trials/s: "
        "all trials over the time from the first worker's first trial to the last worker's "
        "last (process start and imports excluded). Per-trial "
        "times: the mean time from one finished trial to the next in a worker, over its first "
        "and its last quarter of trials (flat when a read costs the same late in the study).",
        "",
        "| library | storage | trials/s | ratio vs Optuna | ms/trial, early | ms/trial, late |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for key, row in summary.items():
        lib, mode = key.split()
        peer = summary.get(f"optuna {mode}")
        ratio = row["trials_per_s"] / peer["trials_per_s"] if peer else float("nan")
        lines.append(
            f"| {lib} | {mode} | {row['trials_per_s']:.0f} | {ratio:.2f}x | "
            f"{row['early_ms']:.1f} | {row['late_ms']:.1f} |"
        )
    (RESULTS / f"grpc_proxy{suffix}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
