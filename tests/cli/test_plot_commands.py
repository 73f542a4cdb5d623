"""``tftune plot --kind ...`` for every kind, and ``tftune importance``."""

from __future__ import annotations

import pytest

import tftune
from tftune.cli import main
from tftune.cli._plots import PLOTS


@pytest.fixture(autouse=True)
def _plain_wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TFTUNE_STORAGE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """``single`` (x drives the value, noise does not) and ``double`` (two objectives)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('plots') / 'tftune.db'}"
    single = tftune.create_study(
        study_name="single", storage=url, sampler=tftune.samplers.RandomSampler(seed=0)
    )

    def objective(trial):
        x = trial.suggest_float("x", -1, 1)
        trial.suggest_float("noise", 1e-3, 1, log=True)
        trial.report(x, 0)
        return x * x

    single.optimize(objective, n_trials=30)
    double = tftune.create_study(
        study_name="double",
        storage=url,
        directions=["minimize", "maximize"],
        sampler=tftune.samplers.RandomSampler(seed=0),
    )
    double.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 20)
    return url


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def plot(capsys, url, tmp_path, study, kind, *extra):
    output = tmp_path / f"{study}-{kind}.html"
    code, out, err = run(
        capsys, "plot", study, "--kind", kind, "--output", str(output), "--storage", url, *extra
    )
    return code, err, output


@pytest.mark.parametrize("kind", sorted(set(PLOTS) - {"pareto", "hypervolume"}))
def test_every_kind_of_a_single_objective_study(capsys, url, tmp_path, kind):
    code, err, output = plot(capsys, url, tmp_path, "single", kind)
    assert code == 0, err
    assert f"Wrote the {kind} plot of study 'single'" in err
    html = output.read_text()
    assert "plotly" in html and len(html) > 1_000_000


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("pareto", []),
        ("hypervolume", ["--reference-point", "1", "0"]),
        ("slice", ["--target-index", "1"]),
        ("importances", []),
        ("timeline", []),
    ],
)
def test_kinds_of_a_two_objective_study(capsys, url, tmp_path, kind, extra):
    code, err, output = plot(capsys, url, tmp_path, "double", kind, *extra)
    assert code == 0, err
    assert output.stat().st_size > 1_000_000


def test_params_and_target_reach_the_figure(capsys, url, tmp_path):
    code, err, output = plot(capsys, url, tmp_path, "single", "slice", "--params", "noise")
    assert code == 0, err
    html = output.read_text()
    assert '"type":"log"' in html.replace(" ", "")  # the log-scale parameter's axis
    code, err, output = plot(capsys, url, tmp_path, "double", "edf", "--target-index", "1")
    assert code == 0 and "Objective 1" in output.read_text()


@pytest.mark.parametrize(
    "study, kind, extra, message",
    [
        ("double", "slice", [], "--kind slice plots one number per trial, and study 'double' "
         "has 2 objectives: pass --target-index 0 to 1"),
        ("double", "rank", ["--target-index", "2"], "--target-index must be an objective index "
         "from 0 to 1 for study 'double', got 2"),
        ("double", "hypervolume", [], "--kind hypervolume needs --reference-point"),
        ("double", "hypervolume", ["--reference-point", "1"], "`reference_point` must be 2"),
        ("single", "pareto", [], "needs a study with several objectives; study 'single' has 1"),
        ("single", "timeline", ["--params", "x"], "--params applies to --kind slice, contour"),
        ("single", "history", ["--reference-point", "1"], "--reference-point applies to --kind "
         "hypervolume, not to --kind history"),
        ("single", "slice", ["--params", "nope"], "`params` names 'nope', which no complete"),
        ("single", "importances", ["--evaluator", "shap"], "--evaluator must be one of "
         "'ped-anova', 'fanova', 'mdi', got 'shap'"),
        ("single", "pie", [], "--kind must be one of 'history', 'intermediate', 'slice'"),
    ],
)  # fmt: skip
def test_bad_options_are_one_clear_line(capsys, url, tmp_path, study, kind, extra, message):
    code, err, output = plot(capsys, url, tmp_path, study, kind, *extra)
    assert code == 1 and message in err and err.count("\n") == 1, err
    assert not output.exists()


def importance_rows(out):
    return [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in out.splitlines()
        if line.startswith("│")
    ]


@pytest.mark.parametrize("evaluator", ["ped-anova", "fanova", "mdi"])
def test_importance_prints_a_table_most_important_first(capsys, url, evaluator):
    code, out, err = run(
        capsys, "importance", "single", "--evaluator", evaluator, "--seed", "0", "--storage", url
    )
    assert code == 0, err
    rows = importance_rows(out)
    assert [name for name, _ in rows] == ["x", "noise"]
    assert float(rows[0][1]) > 0.6 and sum(float(v) for _, v in rows) == pytest.approx(1, abs=1e-3)
    assert f"Parameter importances of study 'single' ({evaluator})" in out


def test_importance_of_several_objectives_needs_the_index(capsys, url):
    code, out, err = run(capsys, "importance", "double", "--storage", url)
    assert code == 1 and "study 'double' has 2 objectives: pass --target-index 0 to 1" in err
    code, out, err = run(
        capsys, "importance", "double", "--target-index", "1", "--params", "y", "--storage", url
    )
    assert code == 0 and importance_rows(out) == [["y", "1.0000"]]
    assert "(ped-anova, objective 1)" in out
