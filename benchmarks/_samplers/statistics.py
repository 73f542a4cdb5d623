"""From raw runs to the reported numbers.

Definitions (all losses are minimised)
  incumbent at t   the evaluation with the lowest *observed* value among the first t (first one on
                   ties)
  regret at t      true value of the incumbent - optimum. Synthetic: f(best) - f*. HPOBench: mean
                   validation loss (over the table's 5 seeds) of the incumbent - the table's best
                   mean. Bayesmark-style: best CV loss so far - opt_p, where opt_p is the lowest CV
                   loss any contender found on that task in this run (Bayesmark's own estimate of
                   the optimum).
  mean rank        per task and seed, the contenders ranked by regret at t (1 = best, ties share
                   the average rank, regrets equal to 1e-12 relative count as ties); averaged over
                   seeds (the task's mean rank), then over tasks (the suite's).
  test             two-sided Mann-Whitney U between the regrets at t over the seeds of tftune's
                   default sampler (tftune Auto; tftune TPE where Auto did not run) and those of
                   the strongest peer (the non-tftune contender with the lowest median regret at t,
                   then the lowest mean).
  Bayesmark score  see ``bayesmark_scores``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import stats

TFTUNE_TPE, TFTUNE_AUTO, OPTUNA_TPE = "tftune_tpe", "tftune_auto", "optuna_tpe"


def regret_curve(observed: Sequence[float], true: Sequence[float], optimum: float) -> np.ndarray:
    """Regret of the incumbent after 1, 2, ..., len(observed) evaluations."""
    obs = np.asarray(observed, dtype=float)
    tru = np.asarray(true, dtype=float)
    out = np.empty(len(obs))
    best_i = 0
    for i in range(len(obs)):
        if obs[i] < obs[best_i]:
            best_i = i
        out[i] = tru[best_i] - optimum
    return np.maximum(out, 0.0)


def best_so_far(values: Sequence[float]) -> np.ndarray:
    return np.minimum.accumulate(np.asarray(values, dtype=float))


def group_runs(
    runs: Iterable[dict[str, Any]],
) -> dict[tuple[str, int], dict[str, dict[int, dict[str, Any]]]]:
    """{(task, batch): {contender: {seed: run}}} for the runs without errors."""
    out: dict[tuple[str, int], dict[str, dict[int, dict[str, Any]]]] = {}
    for run in runs:
        if run.get("error"):
            continue
        job = run["job"]
        out.setdefault((job["task"], job["batch"]), {}).setdefault(job["contender"], {})[
            job["seed"]
        ] = run
    return out


def estimated_optimum(runs_by_contender: dict[str, dict[int, dict[str, Any]]]) -> float:
    return min(
        min(run["true"])
        for per_seed in runs_by_contender.values()
        for run in per_seed.values()
        if run["true"]
    )


def _key(x: float) -> float:
    """Regrets within 1e-12 (relative) of each other tie."""
    return float(f"{x:.12g}") if math.isfinite(x) else x


def _sig(x: float, digits: int = 7) -> float:
    return float(f"{x:.{digits}g}") if math.isfinite(x) else x


def summarize_task(
    runs_by_contender: dict[str, dict[int, dict[str, Any]]], optimum: float, budgets: Sequence[int]
) -> dict[str, Any]:
    """The stored form of one task's results: mean and standard error curves, and every seed's
    regret at each budget (``values[budget][contender]``, aligned with ``seeds``), from which
    :func:`budget_stats` derives means, ranks and tests for any subset of contenders."""
    present = sorted(runs_by_contender)
    seeds = (
        sorted(set.intersection(*(set(runs_by_contender[c]) for c in present))) if present else []
    )
    curves = {
        c: {
            s: regret_curve(
                runs_by_contender[c][s]["observed"], runs_by_contender[c][s]["true"], optimum
            )
            for s in seeds
        }
        for c in present
    }
    length = min((len(curve) for per in curves.values() for curve in per.values()), default=0)
    result: dict[str, Any] = {
        "optimum": optimum,
        "seeds": seeds,
        "contenders": present,
        "length": length,
        "values": {},
        "curve_mean": {},
        "curve_se": {},
    }
    for c in present:
        if not seeds:
            continue
        matrix = np.array([curves[c][s][:length] for s in seeds])
        result["curve_mean"][c] = [_sig(v) for v in matrix.mean(axis=0)]
        result["curve_se"][c] = (
            [_sig(v) for v in matrix.std(axis=0, ddof=1) / math.sqrt(len(seeds))]
            if len(seeds) > 1
            else []
        )
    for b in budgets:
        if b <= length and seeds:
            result["values"][str(b)] = {
                c: [_sig(float(curves[c][s][b - 1]), 12) for s in seeds] for c in present
            }
    return result


def budget_stats(
    summary: dict[str, Any], budget: int, contenders: Sequence[str]
) -> dict[str, Any] | None:
    """Mean, standard error, median and mean rank of each contender at ``budget`` (ranked among
    ``contenders`` that ran on the task), and tftune TPE's test against the strongest peer."""
    values = summary["values"].get(str(budget))
    if not values:
        return None
    present = [c for c in contenders if c in values]
    at = {c: np.asarray(values[c], dtype=float) for c in present}
    n = len(summary["seeds"])
    ranks: dict[str, list[float]] = {c: [] for c in present}
    for i in range(n):
        row = stats.rankdata([_key(at[c][i]) for c in present], method="average")
        for c, r in zip(present, row, strict=True):
            ranks[c].append(float(r))
    per = {}
    for c in present:
        v = at[c]
        per[c] = {
            "mean": float(v.mean()),
            "se": float(v.std(ddof=1) / math.sqrt(n)) if n > 1 else None,
            "median": float(np.median(v)),
            "mean_rank": float(np.mean(ranks[c])),
        }
    return {"per_contender": per, "test": _test(at, present), "n_seeds": n}


def _test(at: dict[str, np.ndarray], present: Sequence[str]) -> dict[str, Any] | None:
    peers = [c for c in present if not c.startswith("tftune_")]
    mine = TFTUNE_AUTO if TFTUNE_AUTO in at else TFTUNE_TPE
    if mine not in at or not peers:
        return None
    peer = min(peers, key=lambda c: (float(np.median(at[c])), float(np.mean(at[c]))))
    a, b = at[mine], at[peer]
    if len(a) < 2 or len(b) < 2:
        p = None
    elif np.all(a == a[0]) and np.all(b == b[0]) and a[0] == b[0]:
        p = 1.0
    else:
        p = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    med_a, med_b = _key(float(np.median(a))), _key(float(np.median(b)))
    better = (
        ("tftune Auto" if mine == TFTUNE_AUTO else "tftune TPE")
        if med_a < med_b
        else "peer"
        if med_b < med_a
        else "tie"
    )
    return {
        "tftune": mine,
        "peer": peer,
        "p_value": p,
        "tftune_median": med_a,
        "peer_median": med_b,
        "lower_median": better,
    }


def common_contenders(
    task_summaries: dict[str, dict[str, Any]], contenders: Sequence[str]
) -> list[str]:
    return [c for c in contenders if all(c in s["contenders"] for s in task_summaries.values())]


def suite_ranks(
    task_summaries: dict[str, dict[str, Any]], budget: int, contenders: Sequence[str]
) -> dict[str, Any]:
    """Mean over tasks of each contender's mean rank at ``budget`` (tasks that reach it), ranking
    on every task only the contenders that ran on all of them."""
    common = common_contenders(task_summaries, contenders)
    per_task = {}
    for t, s in task_summaries.items():
        st = budget_stats(s, budget, common)
        if st is not None:
            per_task[t] = st["per_contender"]
    if not per_task:
        return {"n_tasks": 0, "mean_rank": {}, "tasks": []}
    return {
        "n_tasks": len(per_task),
        "tasks": sorted(per_task),
        "mean_rank": {
            c: float(np.mean([per[c]["mean_rank"] for per in per_task.values()])) for c in common
        },
    }


def head_to_head(
    task_summaries: dict[str, dict[str, Any]],
    budget: int,
    a: str = TFTUNE_TPE,
    b: str = OPTUNA_TPE,
) -> dict[str, Any]:
    """Tasks where ``a``'s median regret at ``budget`` is lower than ``b``'s (wins), equal,
    higher."""
    wins, ties, losses = [], [], []
    for task, summary in sorted(task_summaries.items()):
        st = budget_stats(summary, budget, [a, b])
        per = st["per_contender"] if st else {}
        if a not in per or b not in per:
            continue
        ma, mb = _key(per[a]["median"]), _key(per[b]["median"])
        (wins if ma < mb else losses if ma > mb else ties).append(task)
    n = len(wins) + len(ties) + len(losses)
    return {
        "budget": budget,
        "a": a,
        "b": b,
        "wins": wins,
        "ties": ties,
        "losses": losses,
        "n_tasks": n,
        "win_fraction": len(wins) / n if n else None,
    }


def bayesmark_scores(
    grouped: dict[tuple[str, int], dict[str, dict[int, dict[str, Any]]]],
    tasks: Sequence[str],
    budgets: Sequence[int],
    batch: int,
    contenders: Sequence[str],
) -> dict[str, Any]:
    """The Bayesmark / BBO-challenge score (Bayesmark's ``docs/scoring.rst``, mean scores).

    For task p, contender m, evaluation budget t and seed n, S = the best CV loss among the first t
    evaluations (with batches of 8: after t/8 rounds; the challenge took the minimum of a batch),
    and S' = min(S, clip_p).
      opt_p   the lowest CV loss any contender found on p in this run (sequential and batched)
      clip_p  the median of random search's single evaluations on p (all of random_search's
              evaluations of p pooled: the median loss after one random evaluation, Bayesmark's
              ``PERF_CLIP``; tftune_random's if random_search did not run)
      normalized_{p,m,t} = (mean_n S' - opt_p) / (clip_p - opt_p)   (0 = optimum, 1 = no better
              than one random guess; 0 when clip_p = opt_p)
      score_{m,t} = 100 x (1 - mean_p normalized_{p,m,t})   (the challenge's leaderboard score)
    """
    out: dict[str, Any] = {"per_task": {}, "score": {}, "batch": batch}
    norms: dict[str, dict[int, list[float]]] = {c: {b: [] for b in budgets} for c in contenders}
    for task in tasks:
        seq = grouped.get((task, 1), {})
        bat = grouped.get((task, batch), {}) if batch != 1 else seq
        if not bat:
            continue
        everything = {
            **{f"s:{c}": v for c, v in seq.items()},
            **{f"b:{c}": v for c, v in bat.items()},
        }
        opt = estimated_optimum(everything)
        reference = seq.get("random_search") or seq.get("tftune_random")
        if not reference:
            continue
        clip = float(np.median([v for run in reference.values() for v in run["true"]]))
        per_task: dict[str, Any] = {"opt": opt, "clip": clip, "normalized": {}}
        for c in contenders:
            if c not in bat:
                continue
            per_task["normalized"][c] = {}
            for b in budgets:
                s_values = [
                    min(min(run["true"][:b]), clip)
                    for run in bat[c].values()
                    if len(run["true"]) >= b
                ]
                if not s_values:
                    continue
                norm = 0.0 if clip <= opt else (float(np.mean(s_values)) - opt) / (clip - opt)
                per_task["normalized"][c][str(b)] = norm
                norms[c][b].append(norm)
        out["per_task"][task] = per_task
    n_tasks = len(out["per_task"])
    for c in contenders:
        out["score"][c] = {
            str(b): 100.0 * (1.0 - float(np.mean(v)))
            for b, v in norms[c].items()
            if v and len(v) == n_tasks
        }
    out["n_tasks"] = n_tasks
    return out
