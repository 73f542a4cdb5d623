"""The Markdown page and the PNG curves of bench_pruning.py."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from _pruning.analysis import (
    BUDGET_FRACTIONS,
    GOAL_ACCURACY_TOLERANCE,
    GOAL_CONTENDERS,
    KERASTUNER,
    SYNTHETIC_TOLERANCE,
    UNPRUNED,
    _order,
    incumbent_curve,
)

LABELS = {
    "tftune_nop": "tftune, no pruning (NopPruner)",
    "tftune_median": "tftune MedianPruner",
    "tftune_asha": "tftune ASHA (SuccessiveHalvingPruner), resume",
    "tftune_hyperband": "tftune HyperbandPruner, resume",
    "tftune_asha_noresume": "tftune ASHA, no resume (pruning final)",
    "optuna_median": "Optuna MedianPruner",
    "optuna_hyperband": "Optuna HyperbandPruner",
    "kerastuner_hyperband": "KerasTuner Hyperband",
}
SHORT = {
    "tftune_nop": "tftune none",
    "tftune_median": "tftune median",
    "tftune_asha": "tftune ASHA+resume",
    "tftune_hyperband": "tftune HB+resume",
    "tftune_asha_noresume": "tftune ASHA no resume",
    "optuna_median": "Optuna median",
    "optuna_hyperband": "Optuna HB",
    "kerastuner_hyperband": "KerasTuner HB",
}
STYLE = {
    "tftune_nop": ("black", ":", 1.6),
    "tftune_median": ("tab:gray", "-", 1.4),
    "tftune_asha": ("tab:red", "-", 2.4),
    "tftune_hyperband": ("tab:orange", "-", 2.0),
    "tftune_asha_noresume": ("tab:pink", "--", 1.4),
    "optuna_median": ("tab:cyan", "--", 1.4),
    "optuna_hyperband": ("tab:blue", "-", 1.8),
    "kerastuner_hyperband": ("tab:green", "-", 1.8),
}
FRACTION_LABELS = ["5 %", "10 %", "20 %", "⅓", "50 %", "100 %"]


def _f(value: Any, digits: int = 3, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if pct:
        return f"{100 * value:.{digits}f} %"
    return f"{value:,.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _met(flag: bool | None) -> str:
    return "n/a" if flag is None else ("**met**" if flag else "**missed**")


# --- Keras ---------------------------------------------------------------------------------------
def keras_totals_rows(runs: dict[str, Any], unpruned_epochs: int) -> list[list[str]]:
    rows = []
    for name in sorted(runs, key=_order):
        run = runs[name]
        if "error" in run:
            rows.append([SHORT.get(name, name), "error"] + ["—"] * 11)
            continue
        final = run.get("final", {})
        resumed = run.get("n_resumed")
        rows.append(
            [
                SHORT.get(name, name),
                f"{run['epochs']:,}",
                _f(run["epochs"] / unpruned_epochs, 0, pct=True),
                str(run.get("n_configs", "—")),
                str(run["n_trials"]),
                str(run["n_complete"]),
                str(run.get("n_pruned", 0)),
                "—" if resumed is None else str(resumed),
                str(run.get("reused_epochs", 0)),
                _f(run["wall_s"], 0),
                _f(run["cpu_s"], 0),
                _f(final.get("val"), 4),
                _f(final.get("test"), 4),
            ]
        )
    return rows


def keras_budget_rows(summary: dict[str, Any], runs: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name in sorted(summary["table"], key=_order):
        values = summary["table"][name]
        cells = []
        for b, v in zip(summary["budgets"], values, strict=True):
            cell = _f(v, 4)
            if v is not None and b > runs[name]["epochs"] and name != KERASTUNER:
                cell += "†"
            cells.append(cell)
        rows.append([SHORT.get(name, name)] + cells)
    return rows


def keras_goal_lines(task: str, seed: str, summary: dict[str, Any]) -> list[list[str]]:
    rows = []
    full = summary["unpruned_epochs"]
    for name, g in summary["goals"].items():
        needed = (
            "never"
            if g["epochs_needed"] is None
            else f"{g['epochs_needed']:,} ({_f(g['fraction_needed'], 0, pct=True)})"
        )
        rows.append(
            [
                task,
                seed,
                SHORT[name],
                f"reach {_f(g['target'] + GOAL_ACCURACY_TOLERANCE, 4)} − 0.5 pp "
                f"= {_f(g['target'], 4)} within ⅓ of {full:,} epochs",
                needed,
                _met(g["reach_met"]),
            ]
        )
        for key, label in (
            ("kt_own_total", "at its own total epochs"),
            ("kt_third", "at ⅓ of the unpruned epochs"),
        ):
            kt = g.get(key)
            if kt:
                rows.append(
                    [
                        task,
                        seed,
                        SHORT[name],
                        f"vs KerasTuner HB {label} ({kt['epochs']:,.0f})",
                        f"{_f(kt['tftune'], 4)} vs {_f(kt['kerastuner'], 4)}",
                        {"beats": "**beats**", "ties": "ties", "loses": "**loses**"}.get(
                            kt["result"], kt["result"]
                        ),
                    ]
                )
    return rows


# --- synthetic -----------------------------------------------------------------------------------
def synthetic_budget_rows(summary: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name in sorted(summary["table"], key=_order):
        cells = []
        for cell in summary["table"][name]:
            if cell["mean"] is None:
                cells.append(f"— ({cell['n']}/{cell['of']})" if cell["n"] else "—")
            else:
                cells.append(f"{cell['mean']:.4f} ± {cell['se']:.4f}")
        total = summary["totals"].get(name, {})
        wall = summary["walls"].get(name, {})
        configs = summary.get("configs", {}).get(name, {})
        rows.append(
            [
                SHORT.get(name, name),
                _f(total.get("mean"), 0),
                _f(configs.get("mean"), 0),
                _f(wall.get("mean"), 2),
            ]
            + cells
        )
    return rows


def synthetic_goal_rows(task: str, summary: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, g in summary["goals"].items():
        rows.append(
            [
                task,
                SHORT[name],
                f"mean regret at ⅓ budget ≤ unpruned final {_f(g['unpruned_final_regret'], 4)} + "
                f"{_f(g['tolerance'], 4)}",
                f"{_f(g['regret_at_third'], 4)}; seeds within ⅓: "
                f"{g['seeds_within_third']}/{g['seeds']}; median epochs needed "
                f"{_f(g['median_fraction_needed'], 0, pct=True)}",
                _met(g["reach_met"]),
            ]
        )
        for key, label in (
            ("own_total", "at its own total epochs (per seed)"),
            ("third", "at ⅓ of the unpruned epochs"),
        ):
            kt = g.get("vs_kt", {}).get(key)
            if kt and kt["n"]:
                better = (
                    kt["tftune_mean_regret"] is not None
                    and kt["kerastuner_mean_regret"] is not None
                    and kt["tftune_mean_regret"] < kt["kerastuner_mean_regret"]
                )
                p = "" if kt["p_value"] is None else f", Wilcoxon p = {kt['p_value']:.3g}"
                rows.append(
                    [
                        task,
                        SHORT[name],
                        f"vs KerasTuner HB {label}",
                        f"mean regret {_f(kt['tftune_mean_regret'], 4)} vs "
                        f"{_f(kt['kerastuner_mean_regret'], 4)}; wins/ties/losses "
                        f"{kt['wins']}/{kt['ties']}/{kt['losses']}{p}",
                        "**beats**" if better else "**loses**",
                    ]
                )
    return rows


# --- plots ---------------------------------------------------------------------------------------
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _log_epochs_axis(ax: Any) -> None:
    """Log x axis labelled with plain numbers (no minor labels)."""
    from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def keras_plot(path: Path, keras_results: dict[str, Any], summaries: dict[str, Any]) -> str | None:
    try:
        plt = _pyplot()
    except Exception as error:  # noqa: BLE001
        return f"matplotlib unavailable: {error}"
    panels = [
        (task, seed)
        for task in keras_results
        for seed in keras_results[task]
        if "error" not in summaries[task][seed]
    ]
    if not panels:
        return "no complete Keras task"
    fig, axes = plt.subplots(1, len(panels), figsize=(6.4 * len(panels), 4.4), squeeze=False)
    for ax, (task, seed) in zip(axes.flat, panels, strict=True):
        runs, summary = keras_results[task][seed], summaries[task][seed]
        full = summary["unpruned_epochs"]
        lowest = 1.0
        for name in sorted(runs, key=_order):
            run = runs[name]
            if "error" in run:
                continue
            curve = incumbent_curve(run["events"], True)
            if not curve:
                continue
            end = run["epochs"] if name == KERASTUNER else max(run["epochs"], full)
            xs = [c[0] for c in curve] + [end]
            ys = [c[1] for c in curve] + [curve[-1][1]]
            lowest = min(lowest, min(ys))
            color, ls, lw = STYLE.get(name, ("purple", "-", 1.0))
            ax.step(
                xs,
                ys,
                where="post",
                color=color,
                linestyle=ls,
                linewidth=lw,
                label=SHORT.get(name, name),
            )
            ax.plot(
                [run["epochs"]],
                [ys[-2] if len(ys) > 1 else ys[-1]],
                marker="o",
                color=color,
                markersize=4,
            )
        ax.axvline(full / 3, color="gray", linewidth=0.8, linestyle="--")
        ax.text(
            full / 3,
            0.99,
            " ⅓ of unpruned",
            fontsize=7,
            va="top",
            color="gray",
            transform=ax.get_xaxis_transform(),
        )
        _log_epochs_axis(ax)
        ax.set_ylim(max(0.0, max(lowest, summary["unpruned_best"] - 0.08) - 0.005), None)
        ax.set_xlabel("cumulative epochs trained (log)")
        ax.set_ylabel("test accuracy of the incumbent")
        ax.set_title(f"{task}, seed {seed}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(
        "Held-out accuracy of the best trial so far vs epochs trained (dot: the search's end)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def synthetic_plot(path: Path, summaries: dict[str, Any]) -> str | None:
    try:
        plt = _pyplot()
    except Exception as error:  # noqa: BLE001
        return f"matplotlib unavailable: {error}"
    tasks = [t for t, s in summaries.items() if "error" not in s]
    if not tasks:
        return "no synthetic task"
    cols = min(2, len(tasks))
    rows = math.ceil(len(tasks) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, 4.2 * rows), squeeze=False)
    for ax, task in zip(axes.flat, tasks, strict=False):
        summary = summaries[task]
        for name in sorted(summary["curves"], key=_order):
            curve = summary["curves"][name]
            if not curve["epochs"]:
                continue
            color, ls, lw = STYLE.get(name, ("purple", "-", 1.0))
            ax.plot(
                curve["epochs"],
                [max(v, 1e-4) for v in curve["mean_regret"]],
                color=color,
                linestyle=ls,
                linewidth=lw,
                label=SHORT.get(name, name),
            )
        full = summary["unpruned_epochs"]
        ax.axvline(full / 3, color="gray", linewidth=0.8, linestyle="--")
        _log_epochs_axis(ax)
        ax.set_yscale("log")
        ax.set_xlabel("cumulative epochs (fidelity steps, log)")
        ax.set_ylabel("mean regret f(x_inc) − f*")
        ax.set_title(f"{task} ({len(summary['seeds'])} seeds)", fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    fig.suptitle(
        "Mean regret of the incumbent (noise-free, z = 1) vs cumulative epochs; "
        "dashed: ⅓ of unpruned",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


__all__ = [
    "BUDGET_FRACTIONS",
    "FRACTION_LABELS",
    "GOAL_CONTENDERS",
    "LABELS",
    "SHORT",
    "SYNTHETIC_TOLERANCE",
    "UNPRUNED",
    "keras_budget_rows",
    "keras_goal_lines",
    "keras_plot",
    "keras_totals_rows",
    "synthetic_budget_rows",
    "synthetic_goal_rows",
    "synthetic_plot",
    "_table",
    "_f",
]
