"""Convergence plots: one PNG per task family, one panel per task, mean regret ± 1 standard error
against the number of evaluations (log y axis)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from _samplers.peers import LABELS

STYLE = {
    "tftune_tpe": ("tab:red", "-", 2.2),
    "tftune_gp": ("tab:orange", "-", 1.6),
    "tftune_auto": ("tab:brown", "-", 1.2),
    "tftune_qmc": ("tab:pink", "--", 1.2),
    "tftune_random": ("tab:gray", "--", 1.0),
    "optuna_tpe": ("tab:blue", "-", 2.0),
    "optuna_gp": ("tab:cyan", "-", 1.6),
    "hyperopt_tpe": ("tab:green", "-", 1.4),
    "keras_tuner_bo": ("tab:olive", "-", 1.2),
    "random_search": ("black", ":", 1.2),
}


def convergence_plot(
    path: Path, title: str, task_summaries: dict[str, dict[str, Any]], ylabel: str
) -> str | None:
    """Write the figure; returns None, or why no figure was written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as error:  # noqa: BLE001
        return f"matplotlib unavailable: {error}"
    tasks = [t for t, s in task_summaries.items() if s["curve_mean"]]
    if not tasks:
        return "no completed runs"
    cols = min(4, len(tasks))
    rows = math.ceil(len(tasks) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    floor = 1e-9
    for ax, task in zip(axes.flat, tasks, strict=False):
        summary = task_summaries[task]
        for c in summary["contenders"]:
            mean = summary["curve_mean"][c]
            se = summary["curve_se"].get(c) or [0.0] * len(mean)
            x = list(range(1, len(mean) + 1))
            color, ls, lw = STYLE.get(c, ("purple", "-", 1.0))
            lo = [max(m - s, floor) for m, s in zip(mean, se, strict=True)]
            hi = [max(m + s, floor) for m, s in zip(mean, se, strict=True)]
            ax.plot(
                x,
                [max(m, floor) for m in mean],
                color=color,
                linestyle=ls,
                linewidth=lw,
                label=LABELS.get(c, c),
            )
            ax.fill_between(x, lo, hi, color=color, alpha=0.12, linewidth=0)
        ax.set_yscale("log")
        ax.set_title(f"{task} ({len(summary['seeds'])} seeds)", fontsize=9)
        ax.set_xlabel("evaluations", fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8, frameon=False
    )
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.07 if rows > 1 else 0.12, 1, 0.96))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return None
