"""From the runs' candidate events to incumbent curves, budget tables and the issue's goals.

A run's events are ``[cumulative epochs, score, held-out value]``, one per candidate (a trial
that trained to its end). The incumbent at E epochs is the candidate with the best score among
those recorded at or before E (ties: the earliest, as every tool here breaks them); the curve
is the incumbent's held-out value (Keras: test accuracy; synthetic: the noise-free f(x, z)).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

# The goals.
GOAL_EPOCH_FRACTION = 1 / 3  # reach the unpruned search's best with at most a third of its epochs
GOAL_ACCURACY_TOLERANCE = 0.005  # within 0.5 percentage points (Keras tasks)
SYNTHETIC_TOLERANCE = 0.005  # synthetic tasks: within 0.5 % of |f*| in f (the analogue)
BUDGET_FRACTIONS = (0.05, 0.1, 0.2, 1 / 3, 0.5, 1.0)
GOAL_CONTENDERS = ("tftune_asha", "tftune_hyperband")
UNPRUNED = "tftune_nop"
KERASTUNER = "kerastuner_hyperband"


def incumbent_curve(events: list[list[float]], maximize: bool) -> list[tuple[float, float]]:
    """[(epochs, held-out value)] at each change of incumbent."""
    curve: list[tuple[float, float]] = []
    best = -math.inf if maximize else math.inf
    for epochs, score, heldout in sorted(events, key=lambda e: e[0]):
        if score is None or (isinstance(score, float) and math.isnan(score)):
            continue
        if (score > best) if maximize else (score < best):
            best = score
            curve.append((epochs, heldout))
    return curve


def value_at(curve: list[tuple[float, float]], epochs: float) -> float | None:
    value = None
    for at, heldout in curve:
        if at > epochs:
            break
        value = heldout
    return value


def epochs_to(curve: list[tuple[float, float]], target: float, maximize: bool) -> float | None:
    """The first cumulative epoch at which the incumbent's held-out value meets ``target``."""
    for at, heldout in curve:
        if (heldout >= target - 1e-12) if maximize else (heldout <= target + 1e-12):
            return at
    return None


def budgets(unpruned_epochs: int) -> list[int]:
    return [max(1, round(unpruned_epochs * f)) for f in BUDGET_FRACTIONS]


def available(run: dict[str, Any], epochs: float) -> bool:
    """Whether the run says anything at ``epochs``: a finished search holds its final incumbent
    at any larger budget; a search stopped by an epoch cap (KerasTuner) does not."""
    cap = run.get("epoch_cap")
    if cap is None or run["epochs"] < cap:
        return True
    return epochs <= run["epochs"]


def at_budget(run: dict[str, Any], epochs: float, maximize: bool) -> float | None:
    if not available(run, epochs):
        return None
    return value_at(incumbent_curve(run["events"], maximize), epochs)


# --- Keras: one seed at a time -------------------------------------------------------------------
def keras_summary(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per seed: the budget table and the goals (maximize test accuracy)."""
    unpruned = runs.get(UNPRUNED)
    if not unpruned or "error" in unpruned:
        return {"error": "the unpruned search did not finish"}
    full = unpruned["epochs"]
    grid = budgets(full)
    table = {
        name: [at_budget(run, b, True) for b in grid]
        for name, run in runs.items()
        if "error" not in run
    }
    unpruned_best = value_at(incumbent_curve(unpruned["events"], True), full)
    target = None if unpruned_best is None else unpruned_best - GOAL_ACCURACY_TOLERANCE
    goals = {}
    kt = runs.get(KERASTUNER)
    for name in GOAL_CONTENDERS:
        run = runs.get(name)
        if not run or "error" in run or target is None:
            continue
        curve = incumbent_curve(run["events"], True)
        needed = epochs_to(curve, target, True)
        own_final = value_at(curve, run["epochs"])
        third = full * GOAL_EPOCH_FRACTION
        row: dict[str, Any] = {
            "target": target,
            "epochs_needed": needed,
            "fraction_needed": None if needed is None else needed / full,
            "reach_met": needed is not None and needed <= third,
            "total_epochs": run["epochs"],
            "final": own_final,
            "at_third": value_at(curve, third),
        }
        if kt and "error" not in kt:
            for label, at in (("own_total", run["epochs"]), ("third", third)):
                mine, theirs = value_at(curve, at), at_budget(kt, at, True)
                row[f"kt_{label}"] = {
                    "epochs": at,
                    "tftune": mine,
                    "kerastuner": theirs,
                    "result": _compare(mine, theirs, True),
                }
        goals[name] = row
    return {
        "unpruned_epochs": full,
        "budgets": grid,
        "table": table,
        "unpruned_best": unpruned_best,
        "goals": goals,
    }


def _compare(mine: float | None, theirs: float | None, maximize: bool, tol: float = 1e-12) -> str:
    if mine is None and theirs is None:
        return "n/a"
    if theirs is None:
        return "beats" if mine is not None else "n/a"
    if mine is None:
        return "loses"
    if abs(mine - theirs) <= tol:
        return "ties"
    return "beats" if (mine > theirs) == maximize else "loses"


# --- synthetic: across seeds (minimize; regret = f - f*) -----------------------------------------
def synthetic_summary(
    per_seed: dict[int, dict[str, dict[str, Any]]], f_star: float
) -> dict[str, Any]:
    seeds = sorted(per_seed)
    contenders = sorted({c for runs in per_seed.values() for c in runs}, key=_order)
    full = max(per_seed[s][UNPRUNED]["epochs"] for s in seeds)
    grid = budgets(full)
    regrets: dict[str, list[list[float | None]]] = {c: [] for c in contenders}
    for s in seeds:
        for c in contenders:
            run = per_seed[s].get(c)
            row = []
            for b in grid:
                v = None if run is None or "error" in run else at_budget(run, b, False)
                row.append(None if v is None else v - f_star)
            regrets[c].append(row)
    table = {
        c: [_mean_se([r[i] for r in regrets[c]]) for i in range(len(grid))] for c in contenders
    }
    totals = {
        c: _mean_se(
            [
                per_seed[s][c]["epochs"]
                for s in seeds
                if c in per_seed[s] and "error" not in per_seed[s][c]
            ]
        )
        for c in contenders
    }
    configs = {
        c: _mean_se(
            [
                per_seed[s][c].get("n_configs")
                for s in seeds
                if c in per_seed[s] and "error" not in per_seed[s][c]
            ]
        )
        for c in contenders
    }
    walls = {
        c: _mean_se(
            [
                per_seed[s][c]["wall_s"]
                for s in seeds
                if c in per_seed[s] and "error" not in per_seed[s][c]
            ]
        )
        for c in contenders
    }
    tolerance = SYNTHETIC_TOLERANCE * abs(f_star)
    unpruned_final = [
        value_at(incumbent_curve(per_seed[s][UNPRUNED]["events"], False), full) for s in seeds
    ]
    unpruned_mean = _mean_se([None if v is None else v - f_star for v in unpruned_final])["mean"]
    goals = {}
    third_index = BUDGET_FRACTIONS.index(1 / 3)
    for name in [c for c in GOAL_CONTENDERS if c in contenders]:
        needed, reached = [], 0
        for s, base in zip(seeds, unpruned_final, strict=True):
            run = per_seed[s].get(name)
            if run is None or "error" in run or base is None:
                continue
            at = epochs_to(incumbent_curve(run["events"], False), base + tolerance, False)
            needed.append(None if at is None else at / full)
            reached += at is not None and at <= full * GOAL_EPOCH_FRACTION
        at_third = table[name][third_index]["mean"]
        row: dict[str, Any] = {
            "unpruned_final_regret": unpruned_mean,
            "tolerance": tolerance,
            "regret_at_third": at_third,
            "reach_met": at_third is not None
            and unpruned_mean is not None
            and at_third <= unpruned_mean + tolerance,
            "seeds_within_third": reached,
            "seeds": len(needed),
            "median_fraction_needed": _median([n for n in needed]),
        }
        if KERASTUNER in contenders:
            row["vs_kt"] = {
                label: _paired(per_seed, seeds, name, at_fn, f_star)
                for label, at_fn in (
                    ("own_total", lambda run: run["epochs"]),
                    ("third", lambda run: full * GOAL_EPOCH_FRACTION),
                )
            }
        goals[name] = row
    return {
        "seeds": seeds,
        "unpruned_epochs": full,
        "budgets": grid,
        "table": table,
        "totals": totals,
        "walls": walls,
        "configs": configs,
        "goals": goals,
        "curves": _mean_curves(per_seed, seeds, contenders, full, f_star),
    }


def _paired(
    per_seed: dict[int, dict[str, Any]], seeds: list[int], name: str, at_fn: Any, f_star: float
) -> dict[str, Any]:
    """tftune ``name`` against KerasTuner's Hyperband at the same cumulative epochs, seed by
    seed."""
    mine, theirs = [], []
    for s in seeds:
        run, kt = per_seed[s].get(name), per_seed[s].get(KERASTUNER)
        if not run or not kt or "error" in run or "error" in kt:
            continue
        at = at_fn(run)
        a, b = value_at(incumbent_curve(run["events"], False), at), at_budget(kt, at, False)
        if a is None or b is None:
            continue
        mine.append(a - f_star)
        theirs.append(b - f_star)
    out: dict[str, Any] = {
        "n": len(mine),
        "tftune_mean_regret": _mean_se(mine)["mean"],
        "kerastuner_mean_regret": _mean_se(theirs)["mean"],
        "wins": sum(a < b for a, b in zip(mine, theirs, strict=True)),
        "ties": sum(a == b for a, b in zip(mine, theirs, strict=True)),
        "losses": sum(a > b for a, b in zip(mine, theirs, strict=True)),
        "p_value": None,
    }
    if len(mine) >= 5 and any(a != b for a, b in zip(mine, theirs, strict=True)):
        try:
            from scipy.stats import wilcoxon

            out["p_value"] = float(wilcoxon(mine, theirs).pvalue)
        except Exception:  # noqa: BLE001
            pass
    return out


def _mean_curves(
    per_seed: dict[int, dict[str, Any]],
    seeds: list[int],
    contenders: list[str],
    full: int,
    f_star: float,
    points: int = 120,
) -> dict[str, Any]:
    """Mean regret over seeds on a log grid of epochs, where every seed has an incumbent."""
    grid = sorted(
        {max(1, round(math.exp(math.log(full) * i / (points - 1)))) for i in range(points)}
    )
    out = {}
    for c in contenders:
        xs, ys = [], []
        curves = [
            (per_seed[s][c], incumbent_curve(per_seed[s][c]["events"], False))
            for s in seeds
            if c in per_seed[s] and "error" not in per_seed[s][c]
        ]
        for e in grid:
            vals = [value_at(curve, e) if available(run, e) else None for run, curve in curves]
            if curves and all(v is not None for v in vals):
                xs.append(e)
                ys.append(statistics.fmean(v - f_star for v in vals))
        out[c] = {"epochs": xs, "mean_regret": ys}
    return out


def _mean_se(values: list[float | None]) -> dict[str, Any]:
    vals = [v for v in values if v is not None]
    if not vals or len(vals) < len(values):  # a seed without an incumbent yet: no mean
        return {"mean": None, "se": None, "n": len(vals), "of": len(values)}
    se = statistics.stdev(vals) / math.sqrt(len(vals)) if len(vals) > 1 else 0.0
    return {"mean": statistics.fmean(vals), "se": se, "n": len(vals), "of": len(values)}


def _median(values: list[float | None]) -> float | None:
    """Median with a never-reached seed counted as +inf."""
    if not values:
        return None
    vals = sorted(math.inf if v is None else v for v in values)
    m = statistics.median(vals)
    return None if math.isinf(m) else m


ORDER = (
    "tftune_nop",
    "tftune_median",
    "tftune_asha",
    "tftune_hyperband",
    "tftune_asha_noresume",
    "optuna_median",
    "optuna_hyperband",
    "kerastuner_hyperband",
)


def _order(name: str) -> int:
    return ORDER.index(name) if name in ORDER else len(ORDER)
