"""Optuna 5.0.0's own test suite, run once with Optuna and once with ``optuna`` = tftune.

    PYTHONPATH=src python benchmarks/bench_optuna_tests.py [--cap 3] [--timeout 60]

1. Gets Optuna's sources offline from the package index (``pip download optuna==5.0.0
   --no-binary :all:``: the sdist holds ``tests/`` and ``optuna/testing/``) into a cache
   directory under the system temp directory.
2. Phase ``optuna``: runs the tests with the installed Optuna (pytest-xdist ``-n 2``,
   ``pytest-timeout`` per test). At collection each test is classified by the mechanical rule
   in ``_optuna_tests/rules.py``; tests that depend on Optuna's internals are not run. With
   ``--cap K`` only K parametrized cases of each test function run (a stable hash of the node
   id picks them), which bounds the time; ``--cap 0`` runs all.
3. Phase ``tftune``: runs the tests that passed in phase 1 with ``_optuna_tests/shim`` first
   on ``sys.path``: a package ``optuna`` whose modules are tftune's.
4. Writes ``benchmarks/results/optuna_tests.md`` and ``.json``: per module the tests that
   passed with Optuna, with tftune, the rate, and the most common failure causes.

Needs the bench extra (optuna, pytest-xdist, pytest-timeout, fakeredis for Optuna's storage
helpers). Tests whose optional dependencies are missing (torch, boto3, google-cloud-storage)
fail in phase 1 and so are not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _environment import cpu_model, dist_version, git  # noqa: E402
from _optuna_tests.report import summarize, write_markdown  # noqa: E402

VERSION = "5.0.0"
RESULTS = HERE / "results"
INI = """[pytest]
markers =
    slow: marks tests as slow
"""


def fetch_sources(cache: Path) -> Path:
    """The directory holding Optuna's ``tests/`` and ``optuna_testing/`` (its helpers)."""
    work = cache / f"optuna-{VERSION}-tests"
    if (work / "tests").is_dir() and (work / "optuna_testing").is_dir():
        return work
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / f"optuna-{VERSION}.tar.gz"
    if not sdist.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                f"optuna=={VERSION}",
                "--no-binary",
                ":all:",
                "--no-deps",
                "--no-build-isolation",
                "-d",
                str(cache),
            ],
            check=True,
        )
    with tarfile.open(sdist) as tar:
        tar.extractall(cache, filter="data")
    root = cache / f"optuna-{VERSION}"
    if not (root / "tests").is_dir():
        raise SystemExit(f"the sdist {sdist} holds no tests/ directory")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    shutil.copytree(root / "tests", work / "tests")
    shutil.copytree(root / "optuna" / "testing", work / "optuna_testing")
    (work / "pytest.ini").write_text(INI)
    return work


def run_phase(
    phase: str, work: Path, out: Path, args: argparse.Namespace, select: Path | None
) -> float:
    """Run pytest for one phase; the wall time in seconds."""
    env = dict(os.environ)
    paths = [str(HERE)]
    if phase == "tftune":
        paths = [str(HERE / "_optuna_tests" / "shim"), str(args.tftune_src), *paths]
        env["TFTUNE_OPTUNA_TESTING"] = str(work / "optuna_testing")
    if args.extra_path:
        paths.append(args.extra_path)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["OPTUNA_TESTS_PHASE"] = phase
    env["OPTUNA_TESTS_OUT"] = str(out)
    env["OPTUNA_TESTS_MANIFEST"] = str(out.with_suffix(".manifest.json"))
    env["OPTUNA_TESTS_CAP"] = str(args.cap)
    env["OPTUNA_TESTS_ALIASES"] = str(out.parent / "aliases.json")
    env["TFTUNE_OPTUNA_ALIASES"] = str(out.parent / "aliases.json")
    env["MPLBACKEND"] = "Agg"
    # Optuna's CLI tests run the ``optuna`` command: Optuna's own in phase 1, and in phase 2
    # a wrapper that runs ``python -m tftune`` (tftune's command line).
    bin_dir = Path(sys.executable).parent
    if phase == "tftune":
        bin_dir = work / "bin-tftune"
        bin_dir.mkdir(exist_ok=True)
        wrapper = bin_dir / "optuna"
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tftune "$@"\n')
        wrapper.chmod(0o755)
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    if select is not None:
        env["OPTUNA_TESTS_SELECT"] = str(select)
    out.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "_optuna_tests.plugin",
        "-n",
        str(args.workers),
        "--timeout",
        str(args.timeout),
        "-o",
        "addopts=",
        "--no-header",
        "-rN",
        "--tb=line",
        "--color=no",
        "-W",
        "ignore::DeprecationWarning",
        "-W",
        "ignore::FutureWarning",
        *args.pytest_args,
    ]
    start = time.perf_counter()
    with open(out.with_suffix(".log"), "w") as log:
        try:
            subprocess.run(
                cmd,
                cwd=work,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=args.phase_timeout,
            )
        except subprocess.TimeoutExpired:
            print(f"phase {phase}: stopped after {args.phase_timeout} s", file=sys.stderr)
    return time.perf_counter() - start


def read_records(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=3, help="parametrized cases per function")
    parser.add_argument("--timeout", type=int, default=60, help="seconds per test")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phase-timeout", type=int, default=1800, help="seconds per phase")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "tftune-optuna-tests"
    )
    parser.add_argument("--extra-path", default="", help="a directory added to PYTHONPATH")
    parser.add_argument(
        "--reuse-optuna", action="store_true", help="keep phase 1's results from the last run"
    )
    parser.add_argument("--name", default="optuna_tests", help="results file stem")
    parser.add_argument(
        "--tftune-src",
        type=Path,
        default=HERE.parent / "src",
        help="the tftune sources of phase 2 (e.g. an export of an older commit)",
    )
    parser.add_argument(
        "--tftune-label",
        default=None,
        help="what the results call that tftune (default: this checkout)",
    )
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest")
    args = parser.parse_args()

    work = fetch_sources(args.cache)
    load_before = os.getloadavg()
    out1 = args.cache / "phase_optuna.jsonl"
    wall1 = None
    if not (args.reuse_optuna and out1.exists()):
        wall1 = run_phase("optuna", work, out1, args, None)
    first = read_records(out1)
    manifest = json.loads(out1.with_suffix(".manifest.json").read_text())
    passed = sorted({str(r["nodeid"]) for r in first if r["outcome"] == "passed"})
    failed_setup = {str(r["nodeid"]) for r in first if r["outcome"] != "passed"}
    passed = [n for n in passed if n not in failed_setup]
    select = args.cache / "select.json"
    select.write_text(json.dumps(passed))
    out2 = args.cache / "phase_tftune.jsonl"
    wall2 = run_phase("tftune", work, out2, args, select)
    second = read_records(out2)
    load_after = os.getloadavg()

    summary = summarize(manifest, first, second, passed)
    summary["setup"] = {
        "optuna": dist_version("optuna"),
        "tftune_commit": git("rev-parse", "--short", "HEAD"),
        "tftune_dirty": bool(git("status", "--porcelain", "--", "src")),
        "cpu": cpu_model(),
        "workers": args.workers,
        "cap": args.cap,
        "timeout_per_test_s": args.timeout,
        "wall_optuna_s": wall1,
        "wall_tftune_s": wall2,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    (RESULTS / f"{args.name}.md").write_text(write_markdown(summary))
    total = summary["total"]
    print(
        f"passed with Optuna: {total['optuna_passed']}, with tftune: "
        f"{total['tftune_passed']} ({total['rate']:.1%})"
    )


if __name__ == "__main__":
    main()
