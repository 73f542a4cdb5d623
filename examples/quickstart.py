"""Quickstart: tune an SVM on scikit-learn's bundled breast-cancer data, stored in SQLite.

Run it twice: the second run continues the same study from ``tftune.db`` (nothing is lost when
a run is interrupted). Inspect the study afterwards with ``tftune trials quickstart``.
"""

from __future__ import annotations

import argparse
import os

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import tftune


def make_model(params: dict) -> object:
    return make_pipeline(StandardScaler(), SVC(**params))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-trials", type=int, default=60)
    parser.add_argument("--storage", default=os.environ.get("TFTUNE_STORAGE", "sqlite:///tftune.db"))
    args = parser.parse_args()

    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)

    def objective(trial: tftune.Trial) -> float:
        params = {
            "C": trial.suggest_float("C", 1e-3, 1e3, log=True),
            "gamma": trial.suggest_float("gamma", 1e-5, 1e0, log=True),
            "kernel": trial.suggest_categorical("kernel", ["rbf", "sigmoid"]),
        }
        return cross_val_score(make_model(params), x_train, y_train, cv=5).mean()

    tftune.logging.set_verbosity(tftune.logging.WARNING)  # the progress bar says it all
    study = tftune.create_study(
        study_name="quickstart", storage=args.storage, direction="maximize",
        sampler=tftune.samplers.RandomSampler(seed=0), load_if_exists=True,
    )
    study.optimize(objective, n_trials=args.n_trials, show_progress_bar=True)

    best = study.best_trial
    held_out = make_model(best.params).fit(x_train, y_train).score(x_test, y_test)
    print(f"Study {study.study_name!r} in {args.storage}: {len(study.trials)} trials")
    print(f"Best trial #{best.number}: cross-validated accuracy {best.value:.4f}")
    print(f"Best parameters: {best.params}")
    print(f"Held-out accuracy of the best parameters: {held_out:.4f}")


if __name__ == "__main__":
    main()
