"""Run every benchmark script in this folder (``bench_*.py``), one subprocess each.

Each script runs in a fresh interpreter (so one benchmark's imports, caches and threads cannot
skew the next) with ``--quick`` forwarded when given. A failing script is reported and the
others still run; the exit status is non-zero if any failed.

Usage:  .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME] [--list]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(only: list[str] | None = None) -> list[Path]:
    """The ``bench_*.py`` scripts next to this file, sorted; ``only`` keeps names containing one of
    its words."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        scripts = [path for path in scripts if any(word in path.stem for word in only)]
    return scripts


def run_script(path: Path, forwarded: list[str], timeout: float | None) -> tuple[int, float]:
    """Run one script with this interpreter; return (exit status, seconds)."""
    print(f"=== {path.name} {' '.join(forwarded)}".rstrip(), flush=True)
    start = time.perf_counter()
    try:
        status = subprocess.run(
            [sys.executable, str(path), *forwarded], cwd=HERE.parent, timeout=timeout
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"=== {path.name} timed out after {timeout:.0f} s", flush=True)
        status = 124
    return status, time.perf_counter() - start


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="forward --quick to every benchmark")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only scripts whose name contains NAME (repeatable)",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmark scripts and exit")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds allowed per script (default: none)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scripts = discover(args.only)
    if args.list:
        print("\n".join(path.name for path in scripts))
        return 0
    if not scripts:
        print("No benchmark scripts (bench_*.py) found.", file=sys.stderr)
        return 1
    forwarded = ["--quick"] if args.quick else []
    outcomes = [(path.name, *run_script(path, forwarded, args.timeout)) for path in scripts]
    print("\n=== summary")
    for name, status, seconds in outcomes:
        print(f"{name:<32} {'ok' if status == 0 else f'FAILED ({status})':<12} {seconds:7.1f} s")
    return 0 if all(status == 0 for _, status, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
