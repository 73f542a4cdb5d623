"""pytest plugin of the benchmark: classify, subset and record Optuna's tests.

Environment: ``OPTUNA_TESTS_PHASE`` (``optuna`` or ``tftune``), ``OPTUNA_TESTS_OUT`` (a JSON
lines file the controller appends results to), ``OPTUNA_TESTS_MANIFEST`` (phase ``optuna``:
where the first worker writes every collected test with its classification),
``OPTUNA_TESTS_ALIASES`` (phase ``optuna``: where it writes the alias table of
``rules.ALIASES``), ``OPTUNA_TESTS_SELECT`` (phase ``tftune``: the JSON list of node ids
to run) and
``OPTUNA_TESTS_CAP`` (phase ``optuna``: at most this many parametrized cases per test
function, chosen by a stable hash of the node id; 0 keeps all).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from typing import Any

import pytest

from _optuna_tests import rules


def _is_controller_or_alone(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def _is_first_collector(config: pytest.Config) -> bool:
    workerinput = getattr(config, "workerinput", None)
    return workerinput is None or workerinput.get("workerid") == "gw0"


def _classify(item: pytest.Item) -> list[str]:
    function = getattr(item, "function", None)
    if function is None:
        return ["not-a-function"]
    try:
        # ``inspect.unwrap``: a test decorated with ``mock.patch`` is a wrapper whose code
        # lives in ``unittest/mock.py``; its own source (and its patch targets) are the test's.
        path = inspect.getsourcefile(inspect.unwrap(function)) or str(item.path)
    except TypeError:
        path = str(item.path)
    callspec = getattr(item, "callspec", None)
    param_id = callspec.id if callspec is not None else ""
    qualname = [p for p in function.__qualname__.split(".") if p != "<locals>"]
    return rules.classify(path, qualname, list(getattr(item, "fixturenames", [])), param_id)


def _stable_rank(nodeid: str) -> str:
    return hashlib.sha1(nodeid.encode()).hexdigest()


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    phase = os.environ.get("OPTUNA_TESTS_PHASE", "optuna")
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    if phase == "tftune":
        with open(os.environ["OPTUNA_TESTS_SELECT"]) as f:
            wanted = set(json.load(f))
        for item in items:
            (keep if item.nodeid in wanted else drop).append(item)
    else:
        cap = int(os.environ.get("OPTUNA_TESTS_CAP", "0"))
        by_function: dict[str, list[pytest.Item]] = {}
        for item in items:
            by_function.setdefault(item.nodeid.split("[", 1)[0], []).append(item)
        sampled: set[str] = set()
        for group in by_function.values():
            ranked = sorted(group, key=lambda it: _stable_rank(it.nodeid))
            chosen = ranked if cap <= 0 else ranked[:cap]
            sampled.update(it.nodeid for it in chosen)
        manifest: list[dict[str, Any]] = []
        for item in items:
            reasons = _classify(item)
            in_subset = item.nodeid in sampled
            manifest.append({"nodeid": item.nodeid, "excluded": reasons, "sampled": in_subset})
            (keep if in_subset and not reasons else drop).append(item)
        path = os.environ.get("OPTUNA_TESTS_MANIFEST")
        if path and _is_first_collector(config):
            with open(path, "w") as f:
                json.dump(manifest, f)
            with open(os.environ["OPTUNA_TESTS_ALIASES"], "w") as f:
                json.dump(rules.ALIASES, f, indent=1, sort_keys=True)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def _write(config: pytest.Config, record: dict[str, Any]) -> None:
    path = os.environ.get("OPTUNA_TESTS_OUT")
    if not path or not _is_controller_or_alone(config):
        return
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def _crash(report: Any) -> str:
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    if isinstance(longrepr, tuple):
        return str(longrepr[-1])
    return str(longrepr)[-2000:]


_CONFIG: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG.append(config)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _CONFIG[-1]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfail" if report.skipped else "xpass"
        record = {"nodeid": report.nodeid, "when": report.when, "outcome": outcome}
        if report.failed or report.skipped:
            record["message"] = _crash(report)[:2000]
        record["duration"] = round(report.duration, 3)
        _write(config, record)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write(
            _CONFIG[-1],
            {
                "nodeid": report.nodeid,
                "when": "collect",
                "outcome": "error",
                "message": _crash(report)[:2000],
            },
        )
