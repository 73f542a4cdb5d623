"""Bookkeeping per trial on Ray: tftune's Ray backend vs Ray Tune + OptunaSearch vs Optuna
with N processes on PostgreSQL; and the Ray backend's scaling on a 50 ms objective.

Everything runs inside the Ray sandbox (benchmarks/_ray_sandbox.py: a private network
namespace, one local Ray node with 2 CPUs). The cost of one trial is measured in steady state:
the time between trial completions (as each tool records them) after the first few, so the
fixed costs of starting workers, Ray Tune or processes are left out. With a trivial objective
that spacing is the bookkeeping per trial; with N workers, ``x N`` gives the worker time each
trial holds. Each point is the median of ``--repeats`` runs. Logging of every library is
silenced alike.

With ``--keras`` it measures instead a tiny Keras search (``tftune.keras.Tuner``, trials in
fused packs) in this process vs on Ray with 2 pack workers, in trials per minute, the wall
clock of whole searches (workers' start included) and after the first pack of each worker.

Usage:  nice -n 5 .venv/bin/python benchmarks/bench_ray.py [--quick] [--repeats N] [--keras]
Writes benchmarks/results/ray.md and ray.json (``--keras``: ray_keras.md and ray_keras.json).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _environment import cpu_model, dist_version, git  # noqa: E402
from _ray_sandbox import POSTGRES_SOCKET_URL, print_result, run_sandboxed  # noqa: E402

RESULTS = HERE / "results"
PG_TCP = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def trivial(trial: Any) -> float:
    return float(trial.suggest_float("x", -1.0, 1.0) ** 2)


def sleepy(trial: Any) -> float:
    time.sleep(0.05)
    return float(trial.suggest_float("x", -1.0, 1.0) ** 2)


def quiet() -> None:
    import optuna

    import tftune

    tftune.logging.set_verbosity(tftune.logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("ray").setLevel(logging.WARNING)


# --- contenders (each returns the wall seconds of one study of n trials) -------------------
_STORAGES: dict[str, Any] = {}  # one storage object (one connection pool) per URL


def storage_for(url: str) -> Any:
    from tftune.storages import RDBStorage

    if url not in _STORAGES:
        _STORAGES[url] = RDBStorage(url)
    return _STORAGES[url]


def tftune_ray(url: str, n: int, workers: int, objective: Any) -> list[float]:
    import tftune

    study = tftune.create_study(
        study_name=f"s-{uuid.uuid4().hex[:8]}",
        storage=storage_for(url),
        sampler=tftune.samplers.RandomSampler(),
    )
    study.optimize(objective, n_trials=n, n_jobs=workers, backend="ray")
    trials = study.get_trials(states=(tftune.TrialState.COMPLETE,))
    assert len(trials) == n
    return [t.datetime_complete.timestamp() for t in trials]


def ray_tune(n: int, workers: int, workdir: Path) -> list[float]:
    from ray import tune
    from ray.tune.search.optuna import OptunaSearch

    def trainable(config: dict[str, float]) -> dict[str, float]:
        return {"loss": config["x"] ** 2, "finished_at": time.time()}

    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space={"x": tune.uniform(-1.0, 1.0)},
        tune_config=tune.TuneConfig(
            search_alg=OptunaSearch(metric="loss", mode="min"),
            num_samples=n,
            max_concurrent_trials=workers,
            reuse_actors=True,  # Ray Tune's fastest setting (a new actor per trial is slower)
        ),
        run_config=tune.RunConfig(
            storage_path=str(workdir / "tune"), name=uuid.uuid4().hex[:8], verbose=0
        ),
    )
    grid = tuner.fit()
    assert len(grid) == n and not grid.errors
    return [result.metrics["finished_at"] for result in grid]


def _optuna_worker(url: str, name: str, n: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(
        study_name=name, storage=url, sampler=optuna.samplers.RandomSampler()
    )
    study.optimize(trivial, n_trials=n)


def optuna_processes(url: str, n: int, workers: int) -> list[float]:
    import optuna

    name = f"o-{uuid.uuid4().hex[:8]}"
    key = "optuna:" + url
    if key not in _STORAGES:
        _STORAGES[key] = optuna.storages.RDBStorage(url)
    storage = _STORAGES[key]
    optuna.create_study(study_name=name, storage=storage)
    context = multiprocessing.get_context("spawn")
    shares = [n // workers + (1 if i < n % workers else 0) for i in range(workers)]
    processes = [context.Process(target=_optuna_worker, args=(url, name, k)) for k in shares]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=600)
    assert [p.exitcode for p in processes] == [0] * workers
    trials = optuna.load_study(study_name=name, storage=storage).trials
    assert len(trials) == n
    return [t.datetime_complete.timestamp() for t in trials]


# --- the Keras search: in process vs packs on Ray ------------------------------------------
KERAS_TRIALS, KERAS_PACK, KERAS_EPOCHS = 64, 16, 2


def keras_data() -> tuple[Any, ...]:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1024, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1)) + 0.1 * rng.normal(size=(1024, 1))).astype("float32")
    return x[:768], y[:768], x[768:], y[768:]


def keras_build(trial: Any) -> Any:
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(trial.suggest_int("units", 8, 32), activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    rate = trial.suggest_float("lr", 1e-3, 3e-2, log=True)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="mse")
    return model


def keras_search(workdir: Path, n: int, backend: str) -> dict[str, float]:
    """One search of ``n`` trials; its wall seconds and the trials per minute after the first
    pack of each worker finished."""
    import tftune
    from tftune.keras import Tuner

    x, y, xv, yv = keras_data()
    name = f"k-{uuid.uuid4().hex[:8]}"
    extra: dict[str, Any] = {}
    if backend != "threads":  # "ray", or "ray0": no retries, so no per-epoch checkpoints
        extra = {"backend": "ray", "n_jobs": 2, "max_retries": 0 if backend == "ray0" else 3}
    with Tuner(
        keras_build,
        directory=workdir / "keras",
        project_name=name,
        sampler=tftune.samplers.RandomSampler(seed=0),
        pack_size=KERAS_PACK,
    ) as tuner:
        start = time.perf_counter()
        tuner.search(x, y, validation_data=(xv, yv), epochs=KERAS_EPOCHS, n_trials=n, **extra)
        seconds = time.perf_counter() - start
        done = sorted(
            t.datetime_complete.timestamp()
            for t in tuner.study.get_trials(states=(tftune.TrialState.COMPLETE,))
        )
    workers = 1 if backend == "threads" else 2
    skip = workers * KERAS_PACK  # the first pack of each worker: its start-up and tracing
    after = (len(done) - skip) / (done[-1] - done[skip - 1]) * 60 if len(done) > skip else None
    return {"seconds": seconds, "per_min": 60 * n / seconds, "steady_per_min": after}


def keras_inner(args: argparse.Namespace) -> None:
    """Inside the sandbox: both contenders, alternating, ``repeats`` times each."""
    import ray
    from _ray_sandbox import LocalCluster, network_report

    quiet()
    logging.getLogger("tftune").setLevel(logging.WARNING)
    workdir = Path(os.environ["TFTUNE_SANDBOX_DIR"])
    n = 32 if args.quick else KERAS_TRIALS
    load_before = os.getloadavg()
    cluster = LocalCluster(head_cpus=2, worker_cpus=())
    runs: dict[str, list[dict[str, float]]] = {"threads": [], "ray": [], "ray0": []}
    results: dict[str, Any] = {"n": n, "pack_size": KERAS_PACK, "epochs": KERAS_EPOCHS}
    try:
        ray.init(address=cluster.address, logging_level="WARNING", log_to_driver=False)
        results["network"] = network_report()
        for _ in range(args.repeats):
            for backend in runs:
                runs[backend].append(keras_search(workdir, n, backend))
                print(json.dumps({backend: runs[backend][-1]}), flush=True)
    finally:
        ray.shutdown()
        results["left_running_after_close"] = cluster.close()
    results["runs"] = runs
    results["load_before"] = load_before
    results["load_after"] = os.getloadavg()
    print_result(results)


def write_keras(result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ray_keras.json").write_text(json.dumps(result, indent=1) + "\n")

    def median(backend: str, key: str) -> float | None:
        values = [run[key] for run in result["runs"][backend] if run[key] is not None]
        return statistics.median(values) if values else None

    rows = {
        "threads": "in this process (`backend='threads'`)",
        "ray": "Ray, 2 pack workers of 1 CPU (`backend='ray', n_jobs=2`)",
        "ray0": "the same, `max_retries=0` (no per-epoch checkpoints)",
    }
    lines = [
        "# A Keras search in packs: in process vs on Ray",
        "",
        "Written by `benchmarks/bench_ray.py --keras`"
        + (" (`--quick`)" if result["quick"] else "")
        + f"; {result['env']['cpus']} CPUs ({result['env']['cpu']}), shared with other "
        f"users: load average {result['load_before'][0]:.1f} before, "
        f"{result['load_after'][0]:.1f} after; run with nice {result['env']['nice']}. "
        f"Ray {result['env']['ray']}, one local Ray node with 2 CPUs inside a private network "
        "namespace; both contenders run in the same process, alternating.",
        "",
        f"A search of {result['n']} trials (a 1-hidden-layer MLP on 768 rows, "
        f"{result['epochs']} epochs, packs of {result['pack_size']}, SQLite, RandomSampler); "
        f"medians of {len(result['runs']['threads'])} runs. *Steady* leaves out the first pack "
        "of each worker (workers' start, TensorFlow's import and tracing).",
        "",
        "| contender | seconds | trials/min | steady trials/min |",
        "|---|---:|---:|---:|",
    ]
    for backend, label in rows.items():
        if backend not in result["runs"]:
            continue
        seconds, per_min = median(backend, "seconds"), median(backend, "per_min")
        steady_min = median(backend, "steady_per_min")
        lines.append(f"| {label} | {_num(seconds)} | {_num(per_min)} | {_num(steady_min)} |")
    threads, ray_ = median("threads", "per_min"), median("ray", "per_min")
    if threads and ray_:
        lines += ["", f"Ray / in process, trials per minute: {ray_ / threads:.2f}x."]
    ray0 = median("ray0", "per_min") if "ray0" in result["runs"] else None
    if ray_ and ray0:
        lines += [
            "",
            "Per-epoch checkpoints (on with retries, so a retry after a lost worker resumes): "
            f"without them the Ray search runs {ray0 / ray_:.2f}x the trials per minute.",
        ]
    lines += [
        "",
        "On this 2-CPU machine TensorFlow in one process already uses both CPUs, so two pack "
        "workers find no idle CPU to gain from; what Ray adds per pack is each worker's start "
        "and TensorFlow import (its first pack), the tracing of every pack in a worker "
        "process, and every storage call (report, tell, attributes) made as a call to the "
        "storage proxy actor. Single runs vary widely with the machine's load (see "
        "ray_keras.json).",
        "",
    ]
    (RESULTS / "ray_keras.md").write_text("\n".join(lines))


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def steady(run: Any, n: int, warmup: int, repeats: int) -> dict[str, Any]:
    """Median over repeats of the time between trial completions once ``warmup`` trials are
    done: (last completion - completion number ``warmup``) / (n - 1 - warmup)."""
    spacings = []
    try:
        for _ in range(repeats):
            done = sorted(run(n))
            spacings.append((done[-1] - done[warmup]) / (n - 1 - warmup))
    except Exception as error:  # noqa: BLE001 - recorded in the table, the others still run
        return {"ms_per_trial": None, "error": f"{type(error).__name__}: {error}"}
    return {
        "ms_per_trial": 1000 * statistics.median(spacings),
        "runs_ms": [1000 * x for x in spacings],
    }


def inner(args: argparse.Namespace) -> None:
    """Inside the sandbox: start the node, measure, print the result."""
    import ray
    from _ray_sandbox import LocalCluster, network_report

    quiet()
    workdir = Path(os.environ["TFTUNE_SANDBOX_DIR"])
    n, warmup = (30, 5) if args.quick else (80, 10)
    load_before = os.getloadavg()
    cluster = LocalCluster(head_cpus=2, worker_cpus=())
    results: dict[str, Any] = {"n": n, "warmup": warmup, "repeats": args.repeats}
    try:
        ray.init(address=cluster.address, logging_level="WARNING", log_to_driver=False)
        results["network"] = network_report()
        sqlite = f"sqlite:///{workdir / 'bench.db'}"
        bookkeeping: dict[str, dict[str, Any]] = {}
        for workers in (1, 2):
            point = bookkeeping[str(workers)] = {}
            point["tftune_ray_sqlite"] = steady(
                lambda k, w=workers: tftune_ray(sqlite, k, w, trivial), n, warmup, args.repeats
            )
            point["tftune_ray_postgres"] = steady(
                lambda k, w=workers: tftune_ray(args.postgres, k, w, trivial),
                n,
                warmup,
                args.repeats,
            )
            point["ray_tune_optuna"] = steady(
                lambda k, w=workers: ray_tune(k, w, workdir), n, warmup, args.repeats
            )
            point["optuna_processes_postgres"] = steady(
                lambda k, w=workers: optuna_processes(args.postgres, k, w),
                n,
                warmup,
                args.repeats,
            )
            print(
                json.dumps({workers: {k: v["ms_per_trial"] for k, v in point.items()}}), flush=True
            )
        results["bookkeeping"] = bookkeeping
        s_n = 24 if args.quick else 50
        results["scaling_50ms"] = {
            str(workers): steady(
                lambda k, w=workers: tftune_ray(sqlite, k, w, sleepy),
                s_n,
                warmup,
                args.repeats,
            )
            for workers in (1, 2)
        }
        results["scaling_trials"] = s_n
    finally:
        ray.shutdown()
        for storage in _STORAGES.values():
            if hasattr(storage, "close"):
                storage.close()
        results["left_running_after_close"] = cluster.close()
    results["load_before"] = load_before
    results["load_after"] = os.getloadavg()
    print_result(results)


def environment() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain")),
        "python": sys.version.split()[0],
        "ray": dist_version("ray"),
        "optuna": dist_version("optuna"),
        "nice": os.nice(0),
    }


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ray.json").write_text(json.dumps(result, indent=1) + "\n")
    book = result["bookkeeping"]
    names = {
        "tftune_ray_sqlite": "tftune, backend='ray', SQLite via the storage proxy",
        "tftune_ray_postgres": "tftune, backend='ray', PostgreSQL (workers write directly)",
        "ray_tune_optuna": "Ray Tune + OptunaSearch",
        "optuna_processes_postgres": "Optuna, N processes on PostgreSQL",
    }
    lines = [
        "# Ray backend: bookkeeping per trial and scaling",
        "",
        "Written by `benchmarks/bench_ray.py`"
        + (" (`--quick`)" if result["quick"] else "")
        + f"; {result['env']['cpus']} CPUs ({result['env']['cpu']}), shared with other "
        f"users: load average {result['load_before'][0]:.1f} before, "
        f"{result['load_after'][0]:.1f} after; run with nice {result['env']['nice']}. "
        f"Ray {result['env']['ray']}, Optuna {result['env']['optuna']}, one local Ray node "
        "with 2 CPUs inside a private network namespace.",
        "",
        "Milliseconds of wall clock between trial completions in steady state, a trivial "
        f"objective (studies of {result['n']} trials; the spacing after the first "
        f"{result['warmup']} completions, so workers' start-up is excluded; median of "
        f"{result['repeats']} runs). With 2 workers, x 2 is the worker time each trial holds.",
        "",
        "| contender | 1 worker | 2 workers | 2 workers x 2 |",
        "|---|---:|---:|---:|",
    ]
    errors = []
    for key, label in names.items():
        one, two = book["1"][key]["ms_per_trial"], book["2"][key]["ms_per_trial"]
        double = None if two is None else 2 * two
        lines.append(f"| {label} | {_ms(one)} | {_ms(two)} | {_ms(double)} |")
        errors += [
            f"{label}, {w} worker(s): {book[w][key]['error']}"
            for w in ("1", "2")
            if "error" in book[w][key]
        ]
    ours = book["1"]["tftune_ray_sqlite"]["ms_per_trial"]
    tune = book["1"]["ray_tune_optuna"]["ms_per_trial"]
    scaling = result["scaling_50ms"]
    one, two = scaling["1"]["ms_per_trial"], scaling["2"]["ms_per_trial"]
    lines.append("")
    if ours and tune:
        lines.append(
            f"Ray Tune + OptunaSearch / tftune on Ray (SQLite, 1 worker): {tune / ours:.1f}x."
        )
    if one and two:
        lines += [
            "",
            "Scaling on a 50 ms objective (tftune, backend='ray', SQLite; studies of "
            f"{result['scaling_trials']} trials, steady state): "
            f"{one:.1f} ms per trial with 1 worker, {two:.1f} ms with 2: efficiency "
            f"{one / (2 * two):.0%} from 1 to 2 workers (100 % = twice the trials per second).",
        ]
    if ours:
        verdict = "met" if ours <= 2.0 else "not met"
        lines += [
            "",
            f"Goal, at most 2 ms of bookkeeping per trial on the Ray backend: {verdict} "
            f"({ours:.1f} ms with 1 worker on SQLite). On this machine every contender is slow "
            "(Optuna on PostgreSQL takes "
            f"{_ms(book['1']['optuna_processes_postgres']['ms_per_trial'])} ms per trial in one "
            "process); the Ray backend's cost is a few Ray actor calls per trial (the proxy's "
            "get_trial, set_trial_param, finish) plus the driver's ask, each a few ms here.",
        ]
    if errors:
        lines += ["", "Runs that failed:", ""] + [f"- {e}" for e in errors]
    lines.append("")
    (RESULTS / "ray.md").write_text("\n".join(lines))


def _ms(value: float | None) -> str:
    return "failed" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--keras", action="store_true", help="the Keras search instead")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--postgres", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--rewrite", action="store_true", help="rewrite ray.md from ray.json, measure nothing"
    )
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.inner:
        (keras_inner if args.keras else inner)(args)
        return
    if args.rewrite:
        if args.keras:
            write_keras(json.loads((RESULTS / "ray_keras.json").read_text()))
        else:
            write(json.loads((RESULTS / "ray.json").read_text()))
        return
    if args.keras:
        forwarded = ["--inner", "--keras", "--repeats", str(args.repeats)]
        result, _ = run_sandboxed(
            Path(__file__), forwarded + (["--quick"] if args.quick else []), timeout=3000
        )
        result["quick"] = args.quick
        result["env"] = environment()
        write_keras(result)
        print((RESULTS / "ray_keras.md").read_text())
        return
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_TCP)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    forwarded = ["--inner", "--repeats", str(args.repeats)] + (["--quick"] if args.quick else [])
    postgres = f"{POSTGRES_SOCKET_URL}&options=-csearch_path%3D{schema}"
    try:
        result, output = run_sandboxed(
            Path(__file__), [*forwarded, "--postgres", postgres], timeout=3000
        )
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    result["quick"] = args.quick
    result["env"] = environment()
    write(result)
    print((RESULTS / "ray.md").read_text())


if __name__ == "__main__":
    main()
