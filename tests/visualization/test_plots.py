"""Plots show what the study holds: values, best-so-far, learning curves, pruned trials."""

from __future__ import annotations

import json
import re

import pytest

import tftune
from tftune.cli import main
from tftune.trial import TrialState
from tftune.visualization import plot_intermediate_values, plot_optimization_history


@pytest.fixture
def study(sqlite_url):
    study = tftune.create_study(study_name="curves", storage=sqlite_url, direction="maximize")
    for number, curve in enumerate([[0.5, 0.6, 0.7], [0.4, 0.45], [0.6, 0.8, 0.9]]):
        trial = study.ask()
        for step, value in enumerate(curve):
            trial.report(value, step)
        if number == 1:  # a pruned trial keeps its last reported value
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, curve[-1])
    return study


def test_history_plots_values_and_the_best_so_far(study):
    figure = plot_optimization_history(study)
    values, best = figure.data
    assert list(values.x) == [0, 2] and list(values.y) == [0.7, 0.9]
    assert list(best.y) == [0.7, 0.9] and best.name == "Best value"
    assert "curves" in figure.layout.title.text


def test_intermediate_values_mark_pruned_trials(study):
    figure = plot_intermediate_values(study)
    assert [trace.name for trace in figure.data] == [
        "Trial 0 (complete)",
        "Trial 1 (pruned)",
        "Trial 2 (complete)",
    ]
    pruned = figure.data[1]
    assert list(pruned.x) == [0, 1] and list(pruned.y) == [0.4, 0.45]
    assert pruned.line.dash == "dot" and list(pruned.marker.symbol) == ["circle", "x"]
    assert figure.data[0].line.dash == "solid"


def test_history_refuses_several_objectives():
    study = tftune.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"study .* has 2 objectives: pass `target`"):
        plot_optimization_history(study)


def test_cli_writes_an_offline_html_page(study, sqlite_url, tmp_path, capsys):
    output = tmp_path / "curves.html"
    assert (
        main(
            [
                "plot",
                "curves",
                "--kind",
                "intermediate",
                "--output",
                str(output),
                "--storage",
                sqlite_url,
            ]
        )
        == 0
    )
    html = output.read_text()
    assert not re.search(
        r"<script[^>]*\ssrc=", html
    )  # no script is fetched: plotly.js is embedded
    assert len(html) > 1_000_000  # ... all of it
    assert json.dumps("Trial 1 (pruned)")[1:-1] in html
    assert "Wrote the intermediate plot of study 'curves'" in capsys.readouterr().err
    assert (
        main(["plot", "curves", "--kind", "pie", "--output", str(output), "--storage", sqlite_url])
        == 1
    )
    assert "--kind must be one of 'history', 'intermediate', 'slice'" in capsys.readouterr().err


def test_plots_and_importances_load_neither_optuna_nor_scikit_learn():
    import subprocess
    import sys

    code = (
        "import sys, tftune\n"
        "from tftune import visualization as v\n"
        "s = tftune.create_study()\n"
        "s.optimize(lambda t: t.suggest_float('x', 0, 1) + t.suggest_int('n', 1, 3), 8)\n"
        "for plot in (v.plot_slice, v.plot_contour, v.plot_rank, v.plot_parallel_coordinate,\n"
        "             v.plot_edf, v.plot_param_importances, v.plot_timeline):\n"
        "    assert plot(s).data\n"
        "m = tftune.create_study(directions=['minimize', 'minimize'])\n"
        "m.optimize(lambda t: (t.suggest_float('x', 0, 1), t.suggest_float('y', 0, 1)), 5)\n"
        "assert v.plot_pareto_front(m).data and v.plot_hypervolume_history(m, [2, 2]).data\n"
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'optuna', 'sklearn'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
