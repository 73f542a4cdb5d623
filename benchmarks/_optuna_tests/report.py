"""Summaries of the two phases: per module counts and the most common failure causes."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

TOP_CAUSES = 5


def module_of(nodeid: str) -> str:
    """``tests/study_tests/test_study.py::test_x[a]`` -> ``study_tests/test_study.py``."""
    path = nodeid.split("::", 1)[0]
    return path.removeprefix("tests/")


_PATH = re.compile(r"(?<![\w.\-])(?:/[\w.\-]+)+/([\w.\-]+)")


def scrub_paths(text: str) -> str:
    """``/any/dir/file.py`` -> ``file.py``: results name no machine's directories."""
    return _PATH.sub(r"\1", text)


def _normalize(message: str) -> str:
    message = scrub_paths(message)
    message = message.strip().splitlines()[0] if message.strip() else ""
    message = re.sub(r"^\S+\.py:\d+: ", "", message)
    message = re.sub(r"0x[0-9a-f]+", "0x..", message)
    message = re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "N", message)
    return message[:140]


def cause(message: str) -> tuple[str, str]:
    """(kind, normalized cause) of one failure: kind is missing name, missing argument,
    wrong error type, wrong behaviour, timeout or error."""
    text = message.strip()
    norm = _normalize(text)
    if "Timeout" in text or "timeout" in text.split(":", 1)[0]:
        return "timeout", "timeout"
    if re.search(
        r"(ImportError|ModuleNotFoundError|AttributeError): .*(cannot import|no "
        r"attribute|No module named)",
        text,
    ):
        return "missing name", norm
    if re.search(
        r"TypeError: .*(unexpected keyword|positional argument|missing \d+ required)", text
    ):
        return "missing argument", norm
    if "DID NOT RAISE" in text or "Regex pattern did not match" in text:
        return "wrong error type", norm
    if text.startswith("AssertionError") or text.startswith("assert ") or "assert" in text[:20]:
        return "wrong behaviour", norm
    return "error", norm


def summarize(
    manifest: list[dict[str, Any]],
    first: list[dict[str, Any]],
    second: list[dict[str, Any]],
    passed: list[str],
) -> dict[str, Any]:
    modules: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        return modules.setdefault(
            name,
            {
                "collected": 0,
                "sampled": 0,
                "excluded": 0,
                "run_optuna": 0,
                "optuna_passed": 0,
                "tftune_passed": 0,
                "causes": Counter(),
                "kinds": Counter(),
            },
        )

    reasons: Counter[str] = Counter()
    for test in manifest:
        m = entry(module_of(test["nodeid"]))
        m["collected"] += 1
        if test["sampled"]:
            m["sampled"] += 1
            if test["excluded"]:
                m["excluded"] += 1
                for reason in test["excluded"]:
                    reasons[reason.split(":", 1)[0]] += 1
    seen_first = {r["nodeid"] for r in first if r.get("when") != "collect"}
    for nodeid in seen_first:
        entry(module_of(nodeid))["run_optuna"] += 1
    for nodeid in passed:
        entry(module_of(nodeid))["optuna_passed"] += 1
    collect_errors = {
        r["nodeid"]: r.get("message", "") for r in second if r.get("when") == "collect"
    }
    outcome: dict[str, dict[str, Any]] = {}
    for r in second:
        if r.get("when") == "collect":
            continue
        previous = outcome.get(r["nodeid"])
        if previous is None or r["outcome"] != "passed":
            outcome[r["nodeid"]] = r
    total_causes: Counter[str] = Counter()
    total_kinds: Counter[str] = Counter()
    failures: list[dict[str, str]] = []
    for nodeid in passed:
        m = entry(module_of(nodeid))
        r = outcome.get(nodeid)
        if r is not None and r["outcome"] == "passed":
            m["tftune_passed"] += 1
            continue
        if r is None:
            path = nodeid.split("::", 1)[0]
            message = collect_errors.get(path, "not collected or not run")
            kind, norm = cause(_last_error_line(message))
            kind, norm = kind, f"collection: {norm}"
        else:
            message = str(r.get("message", r["outcome"]))
            kind, norm = cause(message)
            if r["outcome"] == "skipped":
                kind, norm = "skipped", _normalize(message)
        m["causes"][norm] += 1
        m["kinds"][kind] += 1
        total_causes[norm] += 1
        total_kinds[kind] += 1
        failures.append({"nodeid": scrub_paths(nodeid), "kind": kind, "cause": norm})
    table = []
    for name in sorted(modules):
        m = modules[name]
        table.append(
            {
                "module": name,
                "collected": m["collected"],
                "sampled": m["sampled"],
                "excluded": m["excluded"],
                "run_optuna": m["run_optuna"],
                "optuna_passed": m["optuna_passed"],
                "tftune_passed": m["tftune_passed"],
                "rate": m["tftune_passed"] / m["optuna_passed"] if m["optuna_passed"] else None,
                "kinds": dict(m["kinds"].most_common()),
                "top_causes": m["causes"].most_common(TOP_CAUSES),
            }
        )
    n_opt = sum(m["optuna_passed"] for m in table)
    n_tft = sum(m["tftune_passed"] for m in table)
    return {
        "total": {
            "collected": sum(m["collected"] for m in table),
            "sampled": sum(m["sampled"] for m in table),
            "excluded": sum(m["excluded"] for m in table),
            "optuna_passed": n_opt,
            "tftune_passed": n_tft,
            "rate": n_tft / n_opt if n_opt else 0.0,
            "exclusion_reasons": dict(reasons.most_common()),
            "kinds": dict(total_kinds.most_common()),
            "top_causes": total_causes.most_common(40),
        },
        "modules": table,
        "failures": failures,
    }


def _last_error_line(message: str) -> str:
    lines = [ln[1:].strip() for ln in message.splitlines() if ln.startswith("E ")]
    return lines[-1] if lines else message.strip().splitlines()[-1] if message.strip() else ""


#: How the harness itself changed, so that rates of different runs can be compared.
HARNESS_NOTES = [
    "Classification reads a test's own source: a test decorated with `mock.patch` is a "
    "wrapper whose code lives in `unittest/mock.py`, so until this run its patch targets "
    "(`optuna.study._optimize.gc.collect`, `optuna.storages.journal._redis.redis`, ...) went "
    "unseen and 7 tests that patch Optuna's internals were counted (576 before, 569 after; "
    "all 7 failed with tftune, so the run before, 481 / 576, reads 481 / 569 = 84.5% now). "
    "`plugin.py` now unwraps the function first; the rule in `rules.py` is unchanged.",
    "`optuna.visualization._plotly_imports._imports` and "
    "`optuna.visualization.matplotlib._matplotlib_imports._imports` are answered by the shim "
    "with a harness flag whose `is_successful()` says whether plotly / matplotlib imports. "
    "Optuna's EDF and timeline test files use them only at module level, to decide whether to "
    "import `go` and `plt`; the tests that name them stay excluded as internal, so the flag "
    "only lets those files import and their other tests run their real assertions. Before "
    "the flag, those two files failed at collection (EDF 10 tests, timeline 6): 16 of this "
    "run's passes come with the harness change, so the run before, on this harness, would "
    "read at most 497 / 569 (87.3%).",
]

#: Failures left on purpose: tftune's documented behaviour differs there.
KEPT_DIFFERENCES = [
    "Default sampler: `AutoSampler` (GP for small, TPE for larger studies), not TPE "
    "(`test_create_study_default_sampler`, `test_load_study_default_sampler`).",
    "Grid and brute-force samplers start no trial once their space is exhausted "
    "(SearchSpaceExhausted) instead of running a repeat; a changed space after that cannot "
    "raise either (grid `test_study_optimize_with_exceeding_number_of_trials`, brute force "
    "increasing/decreasing search space). The brute-force order is tftune's, not Optuna's "
    "seeded stream (the two premature-stop tests check Optuna's exact draws).",
    "`n_jobs > 1` does not reseed the sampler per trial: tftune's seeded samplers give trial "
    "n the same parameters with threads as without (`test_optimize_with_reseeding[*-1]`).",
    "A failed trial keeps its traceback in `system_attrs['fail_reason']`, so a data frame "
    "of failed trials has that column (`test_trials_dataframe_with_failure`).",
    "User attributes must be JSON in every storage, in memory too (`enqueue_trial` in "
    "`test_intersection_search_space` passes distributions as user attributes).",
    "`study.stop()` outside `optimize` does not raise: tftune's Keras search loops call it.",
    "RDBStorage opens tftune's schema only; an Optuna database (the `test_upgrade_*` "
    "assets) is refused, untouched, with a StorageError naming its revision and the way over "
    "(Optuna's `copy_study` into a journal file, which both read).",
]


def write_markdown(summary: dict[str, Any]) -> str:
    total = summary["total"]
    setup = summary["setup"]
    lines = [
        "# Optuna's test suite against tftune",
        "",
        "`benchmarks/bench_optuna_tests.py`: Optuna 5.0.0's own tests (from its sdist), run "
        "once with Optuna and once with `optuna` = tftune (`benchmarks/_optuna_tests/shim`). "
        "Counted: the tests that pass with Optuna and do not depend on Optuna's internals "
        "(the rule: `benchmarks/_optuna_tests/rules.py`).",
        "",
        f"- Optuna {setup['optuna']}, tftune at `{setup['tftune_commit']}`"
        f"{' (with uncommitted changes)' if setup['tftune_dirty'] else ''}; {setup['cpu']}, "
        f"pytest-xdist -n {setup['workers']}, {setup['timeout_per_test_s']} s per test.",
        f"- Subset: at most {setup['cap']} parametrized cases per test function "
        "(stable hash of the node id; 0 = all)."
        if setup["cap"]
        else "- All cases run.",
        f"- Load average before/after: {setup['loadavg_before'][0]:.1f} / "
        f"{setup['loadavg_after'][0]:.1f} (shared machine).",
        f"- Collected {total['collected']}, in the subset {total['sampled']}, of which "
        f"excluded as internal {total['excluded']} "
        f"({', '.join(f'{k} {v}' for k, v in total['exclusion_reasons'].items())}).",
        "",
        f"**Passed with Optuna: {total['optuna_passed']}; with tftune: "
        f"{total['tftune_passed']} ({total['rate']:.1%}).**",
        "",
        "Failures by kind: " + ", ".join(f"{k} {v}" for k, v in total["kinds"].items()),
        "",
        "## Per module",
        "",
        "| module | in subset | internal | passed with Optuna | passed with tftune | rate "
        "| top failure causes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in summary["modules"]:
        rate = "-" if m["rate"] is None else f"{m['rate']:.0%}"
        causes = "; ".join(f"{c.replace('|', '/')} ({n})" for c, n in m["top_causes"][:3])
        lines.append(
            f"| {m['module']} | {m['sampled']} | {m['excluded']} | {m['optuna_passed']} "
            f"| {m['tftune_passed']} | {rate} | {causes} |"
        )
    lines += ["", "## Most common failure causes", "", "| count | cause |", "|---:|---|"]
    for c, n in total["top_causes"][:30]:
        lines.append(f"| {n} | {c.replace('|', '/')} |")
    lines += ["", "## Harness notes", ""] + [f"- {note}" for note in HARNESS_NOTES]
    lines += ["", "## Differences kept on purpose", ""] + [f"- {d}" for d in KEPT_DIFFERENCES]
    return "\n".join(lines) + "\n"
