"""The package surface: what `import tftune` exposes and what it must not load."""

from __future__ import annotations

import subprocess
import sys

import tftune


def test_import_does_not_load_tensorflow_keras_ray_or_optuna():
    heavy = "('tensorflow', 'keras', 'ray', 'optuna')"
    code = (
        "import sys, tftune, tftune.study, tftune.storages, tftune.samplers; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_public_names_are_pinned():
    # Drift in the public API must be a deliberate change of this list.
    assert sorted(tftune.__all__) == sorted(
        [
            "CategoricalDistribution",
            "FloatDistribution",
            "FrozenTrial",
            "IntDistribution",
            "Study",
            "StudyDirection",
            "Trial",
            "TrialPruned",
            "TrialState",
            "__version__",
            "copy_study",
            "create_study",
            "create_trial",
            "delete_study",
            "distributions",
            "exceptions",
            "get_all_study_names",
            "get_all_study_summaries",
            "load_study",
            "logging",
            "pruners",
            "samplers",
            "search_space",
            "storages",
            "trial",
        ]
    )
    for name in tftune.__all__:
        assert hasattr(tftune, name), name


def test_optuna_style_code_runs_by_changing_the_import():
    import tftune as optuna  # the only change a user makes

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-3, 1e-1, log=True)
        dropout = trial.suggest_float("dropout_rate", 0.2, 0.4)
        return lr * dropout

    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=5)
    assert study.best_value == max(t.value for t in study.trials)
    assert set(study.best_params) == {"learning_rate", "dropout_rate"}
