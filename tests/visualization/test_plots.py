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
        study.tell(trial, curve[-1], state=TrialState.PRUNED if number == 1 else None)
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
