"""The examples run, at reduced size: the blog's three recipes and the quickstart."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _run(args: list[str], cwd: pathlib.Path, timeout: float = 600) -> str:
    env = dict(os.environ, TFTUNE_EXAMPLES_QUICK="1", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("name", ["recipe_grid_search.py", "recipe_random_search.py"])
def test_the_scikit_learn_recipes_run_unchanged(name, tmp_path):
    out = _run([str(EXAMPLES / name)], cwd=tmp_path)
    assert "Best parameters: {" in out and "'dropout_rate'" in out and "'learning_rate'" in out
    assert re.search(r"Held-out accuracy of the refitted best model: (0\.\d{4}|1\.0000)\n", out)


def test_the_define_by_run_recipe_runs_with_import_optuna_replaced(tmp_path):
    source = (EXAMPLES / "recipe_bayesian.py").read_text()
    assert "study.optimize(objective, n_trials=100)" in source
    # The recipe's 100 one-epoch trials take minutes; CI runs three. Nothing else is changed.
    script = tmp_path / "recipe_bayesian.py"
    script.write_text(source.replace("n_trials=100", "n_trials=3"))
    (tmp_path / "_data.py").write_text((EXAMPLES / "_data.py").read_text())
    out = _run([str(script)], cwd=tmp_path)
    assert "Best parameters: {'learning_rate'" in out
    assert re.search(r"Held-out accuracy of the best parameters: (0\.\d{4}|1\.0000)\n", out)


def test_the_quickstart_tunes_keras_in_sqlite_and_resumes(tmp_path):
    storage = f"sqlite:///{tmp_path / 'tftune.db'}"
    out = _run(
        [str(EXAMPLES / "quickstart.py"), "--storage", storage, "--n-trials", "2"], cwd=tmp_path
    )
    assert "Study 'quickstart' in " + storage + ": 2 trials" in out
    assert re.search(r"Held-out test accuracy of the best model: (0\.\d{4}|1\.0000)\n", out)
    out = _run(
        [str(EXAMPLES / "quickstart.py"), "--storage", storage, "--n-trials", "1"], cwd=tmp_path
    )
    assert ": 3 trials" in out
