"""Fused convolutions on both of TensorFlow's CPU kernel paths: a digits CNN searched in packs and
one trial at a time.

TensorFlow differentiates grouped convolutions on CPU only through oneDNN, which it turns on only
on CPUs with AVX-512-class features; ``TF_ENABLE_ONEDNN_OPTS=0`` gives any CPU the kernels of one
without. Packs pick their per-copy convolution by a probe: one grouped convolution where its
gradients run, else one convolution per copy in the same compiled step. For each kernel setting
(``default`` and ``onednn_off``) a child process (the variable must be set before TensorFlow is
imported) runs, repeat after repeat, in alternating order:

- ``fused``: ``tftune.keras.Tuner(fuse=True, pack_size=K)`` on ``--configs`` configurations;
- ``alone``: the same Tuner with ``fuse=False`` on the first ``--alone-configs`` of them.

The CNN: ``Conv2D(f1, 3) -> Conv2D(f2, 3, same) -> MaxPooling2D -> Flatten -> Dropout -> Dense(10,
softmax)`` on scikit-learn's 8x8 digits (1,437 training and 360 validation images), Adam, batch 64.
The configurations are drawn once with NumPy and enqueued in the same order in every study; trial
``i`` is seeded ``i``. Reported: configurations per minute (median over repeats), the fused/alone
ratio, the formulation the probe chose, and the per-configuration agreement of the final
validation accuracy of the configurations both ran.

Results: ``benchmarks/results/fusion_conv.{md,json}`` (``--quick``: ``fusion_conv.quick.*``).

Run:  .venv/bin/python benchmarks/bench_fusion_conv.py [--quick] [--repeats N] [--configs N]
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _environment import cpu_model, dist_version, git  # noqa: E402 - after the path set-up

RESULTS_DIR = HERE / "results"
STEM = "fusion_conv"
KERNEL_SETTINGS = {"default": None, "onednn_off": "0"}
BATCH_SIZE = 64


def load_digits_images() -> tuple[Any, Any, Any, Any]:
    """Digits as (n, 8, 8, 1) images in [0, 1]: a stratified 80/20 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    images, labels = load_digits(return_X_y=True)
    x = (images / 16.0).astype("float32").reshape(-1, 8, 8, 1)
    return tuple(train_test_split(x, labels, test_size=0.2, random_state=0, stratify=labels))


def draw_configs(n: int, seed: int = 0) -> list[dict[str, Any]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    return [
        {
            "filters": int(rng.integers(4, 17)),
            "filters2": int(rng.integers(4, 17)),
            "dropout": float(rng.uniform(0.0, 0.4)),
            "lr": float(10 ** rng.uniform(-3.5, -1.5)),
        }
        for _ in range(n)
    ]


def build(trial: Any) -> Any:
    import keras

    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(trial.suggest_int("filters", 4, 16), 3, activation="relu"),
            layers.Conv2D(
                trial.suggest_int("filters2", 4, 16), 3, padding="same", activation="relu"
            ),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(trial.suggest_float("dropout", 0.0, 0.4)),
            layers.Dense(10, activation="softmax"),
        ]
    )
    rate = trial.suggest_float("lr", 10**-3.5, 10**-1.5, log=True)
    model.compile(
        keras.optimizers.Adam(rate), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def search(configs: list[dict[str, Any]], fuse: bool, epochs: int, pack: int) -> dict[str, Any]:
    """One timed search over ``configs``; wall seconds and each trial's final val accuracy."""
    import tftune
    from tftune.keras import Tuner

    x, x_val, y, y_val = load_digits_images()
    with tempfile.TemporaryDirectory() as directory:
        tuner = Tuner(
            build,
            objective="val_accuracy",
            directory=directory,
            sampler=tftune.samplers.RandomSampler(seed=0),
            fuse=fuse,
            pack_size=pack,
            max_consecutive_failures=len(configs),
        )
        with tuner:
            for params in configs:
                tuner.study.enqueue_trial(params)
            start = time.perf_counter()
            tuner.search(
                x,
                y,
                validation_data=(x_val, y_val),
                epochs=epochs,
                n_trials=len(configs),
                batch_size=BATCH_SIZE,
            )
            seconds = time.perf_counter() - start
            trials = tuner.study.trials
    return {
        "seconds": seconds,
        "configs_per_minute": 60 * len(trials) / seconds,
        "states": sorted({t.state.name for t in trials}),
        "val_accuracy": [t.value for t in trials],
    }


def child(args: argparse.Namespace) -> None:
    """Runs in the process whose TensorFlow has the kernel setting under test."""
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    import tensorflow as tf

    import tftune
    from tftune.keras._fusion import _conv

    tftune.logging.set_verbosity(logging.WARNING)
    tf.get_logger().setLevel(logging.ERROR)
    configs = draw_configs(args.configs)
    alone_configs = configs[: args.alone_configs]
    search(configs[:4], True, 1, args.pack_size)  # warm-up: traces, caches, the probe
    search(configs[:1], False, 1, args.pack_size)
    repeats = []
    for repeat in range(args.repeats):
        order = ("fused", "alone") if repeat % 2 == 0 else ("alone", "fused")
        runs = {}
        for name in order:
            if name == "fused":
                runs[name] = search(configs, True, args.epochs, args.pack_size)
            else:
                runs[name] = search(alone_configs, False, args.epochs, args.pack_size)
        repeats.append(runs)
    result = {
        "formulation": _conv.per_copy_formulation(2),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(default)"),
        "repeats": repeats,
    }
    Path(args.out).write_text(json.dumps(result))


def run_setting(name: str, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(HERE.parent / "src"))
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)
    if KERNEL_SETTINGS[name] is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = KERNEL_SETTINGS[name]
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, __file__, "--child", "--out", out.name, *child_flags(args)]
        subprocess.run(command, env=env, check=True, timeout=args.timeout)
        return dict(json.loads(Path(out.name).read_text()))


def child_flags(args: argparse.Namespace) -> list[str]:
    return [
        f"--{flag.replace('_', '-')}={getattr(args, flag)}"
        for flag in ("repeats", "configs", "alone_configs", "epochs", "pack_size")
    ]


def summarize(setting: dict[str, Any]) -> dict[str, Any]:
    fused = [r["fused"]["configs_per_minute"] for r in setting["repeats"]]
    alone = [r["alone"]["configs_per_minute"] for r in setting["repeats"]]
    deltas = []
    for r in setting["repeats"]:
        pairs = zip(r["alone"]["val_accuracy"], r["fused"]["val_accuracy"], strict=False)
        deltas += [abs(a - f) for a, f in pairs if a is not None and f is not None]
    return {
        "fused_per_minute": statistics.median(fused),
        "alone_per_minute": statistics.median(alone),
        "ratio": statistics.median(f / a for f, a in zip(fused, alone, strict=True)),
        "per_repeat_ratios": [f / a for f, a in zip(fused, alone, strict=True)],
        "median_abs_delta": statistics.median(deltas) if deltas else None,
        "best_fused": max(
            max(v for v in r["fused"]["val_accuracy"] if v is not None) for r in setting["repeats"]
        ),
        "states": sorted({s for r in setting["repeats"] for p in r.values() for s in p["states"]}),
    }


def render(env: dict[str, Any], args: argparse.Namespace, results: dict[str, Any]) -> str:
    lines = [
        "# Fused convolutions on both CPU kernel paths",
        "",
        f"Run {env['date']} on {env['cpu']} ({env['cores']} cores, load {env['load']}), "
        f"TensorFlow {env['tensorflow']}, Keras {env['keras']}, commit {env['commit']}. "
        "Produced by `benchmarks/bench_fusion_conv.py`"
        + (" --quick (not a full run)." if args.quick else "."),
        "",
        f"Digits CNN (`Conv2D(f1) -> Conv2D(f2, same) -> MaxPool -> Flatten -> Dropout -> "
        f"Dense(10)`), {args.epochs} epochs, batch {BATCH_SIZE}; fused: {args.configs} "
        f"configurations in packs of {args.pack_size}; alone: the first {args.alone_configs} of "
        f"them with `fuse=False`; {args.repeats} repeats, medians.",
        "",
        "| kernels | per-copy convolution | fused configs/min | alone configs/min | ratio "
        "| per repeat | median abs. delta val acc | trial states |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, setting in results.items():
        s = setting["summary"]
        delta = "—" if s["median_abs_delta"] is None else f"{s['median_abs_delta']:.4f}"
        lines.append(
            f"| {name} (TF_ENABLE_ONEDNN_OPTS={setting['onednn']}) | {setting['formulation']} "
            f"| {s['fused_per_minute']:.1f} | {s['alone_per_minute']:.1f} | {s['ratio']:.1f}x "
            f"| {' / '.join(f'{r:.1f}x' for r in s['per_repeat_ratios'])} | {delta} "
            f"| {', '.join(s['states'])} |"
        )
    lines += [
        "",
        "Read: `grouped` is one grouped convolution for all copies (oneDNN's kernels); "
        "`per_copy` is one convolution per copy inside the same compiled step, the formulation "
        "chosen where grouped-convolution gradients do not run. The delta compares each "
        "configuration's final validation accuracy fused and alone (dropout and shuffling "
        "draw differently, so they agree statistically, not exactly).",
        "",
    ]
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load": " ".join(f"{v:.1f}" for v in os.getloadavg()),
        "tensorflow": dist_version("tensorflow"),
        "keras": dist_version("keras"),
        "commit": git("rev-parse", "--short", "HEAD"),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (quick: 1)")
    parser.add_argument("--configs", type=int, default=None, help="default 64 (quick: 8)")
    parser.add_argument("--alone-configs", type=int, default=None, help="default 12 (quick: 2)")
    parser.add_argument("--epochs", type=int, default=None, help="default 10 (quick: 2)")
    parser.add_argument("--pack-size", type=int, default=32)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per kernel setting")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    defaults = {"repeats": (3, 1), "configs": (64, 8), "alone_configs": (12, 2), "epochs": (10, 2)}
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child(args)
        return 0
    env = environment()
    results = {}
    for name in KERNEL_SETTINGS:
        print(f"kernel setting {name} ...", flush=True)
        setting = run_setting(name, args)
        setting["summary"] = summarize(setting)
        results[name] = setting
        print(json.dumps(setting["summary"]), flush=True)
    stem = STEM + (".quick" if args.quick else "")
    RESULTS_DIR.mkdir(exist_ok=True)
    payload = {"environment": env, "arguments": vars(args), "results": results}
    (RESULTS_DIR / f"{stem}.json").write_text(json.dumps(payload, indent=1) + "\n")
    (RESULTS_DIR / f"{stem}.md").write_text(render(env, args, results))
    print(f"wrote {RESULTS_DIR / stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
