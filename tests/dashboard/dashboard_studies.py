"""Studies for the dashboard tests: every trial state, distribution kind and field the
dashboard shows, in a real SQLite file; and a dump of a SQLite file to compare."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import tftune
from tftune.storages import RDBStorage

#: A parameter name, a study name and an attribute that are HTML: they must show as text.
HTML_PARAM = "<img src=x onerror=alert(1)>"
HTML_STUDY = "probe <b>bold</b> <script>alert(2)</script>"
HTML_ATTR = "<img src=y onerror=alert(3)>"

N_COMPLETE, N_PRUNED, N_FAIL = 8, 3, 2
N_STEPS_COMPLETE, N_STEPS_PRUNED = 4, 2
PARAMS = ("lr", "dropout", "units", "layers", "act")
CHOICES = [None, True, 3, 2.5, "relu"]


def suggest(trial: tftune.Trial) -> tuple[float, float, int, int]:
    """Every kind of distribution: float log and step, int log and step, mixed categorical."""
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
    units = trial.suggest_int("units", 8, 256, log=True)
    layers = trial.suggest_int("layers", 1, 7, step=2)
    trial.suggest_categorical("act", CHOICES)
    return lr, dropout, units, layers


def objective(trial: tftune.Trial) -> float:
    """Completes, prunes or fails by trial number."""
    lr, dropout, units, layers = suggest(trial)
    kind = trial.number % 13
    steps = N_STEPS_PRUNED if kind in (8, 9, 10) else N_STEPS_COMPLETE
    if kind in (11, 12):
        raise ValueError(f"diverged at trial {trial.number}")
    loss = lr * 10 + dropout + layers / units
    for step in range(steps):
        trial.report(loss + 1.0 / (step + 1), step)
    if kind in (8, 9, 10):
        raise tftune.TrialPruned()
    trial.set_user_attr("history", {"loss": [loss + 1, loss], "val_loss": [loss + 2, loss + 1]})
    trial.set_user_attr("note", f"trial {trial.number}")
    return loss


def build_studies(path: Path) -> str:
    """A SQLite file with three studies; returns its URL.

    ``mixed``: 8 COMPLETE, 3 PRUNED, 2 FAIL (with reasons), 1 RUNNING (with params);
    ``two-goals``: 5 COMPLETE trials of (minimize, maximize) and 1 WAITING (a WAITING trial
    has no distributions, which empties the dashboard's parallel coordinates: it is kept out
    of ``mixed``); ``HTML_STUDY``: 3 COMPLETE
    trials of a parameter named ``HTML_PARAM`` with a user attr ``HTML_ATTR``.
    """
    url = f"sqlite:///{path}"
    storage = RDBStorage(url, heartbeat_interval=None)
    tftune.logging.set_verbosity(tftune.logging.ERROR)
    mixed = tftune.create_study(
        study_name="mixed", storage=storage, sampler=tftune.samplers.RandomSampler(seed=0)
    )
    mixed.optimize(objective, n_trials=13, catch=(ValueError,))
    suggest(mixed.ask())  # left RUNNING (no heartbeat: it stays so)
    two = tftune.create_study(
        study_name="two-goals", storage=storage, directions=["minimize", "maximize"]
    )
    two.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("y", 0, 9)), n_trials=5)
    two.enqueue_trial({"x": 0.5})  # WAITING
    probe = tftune.create_study(study_name=HTML_STUDY, storage=storage)

    def probe_objective(trial: tftune.Trial) -> float:
        trial.set_user_attr("label", HTML_ATTR)
        return trial.suggest_float(HTML_PARAM, 0, 1)

    probe.optimize(probe_objective, n_trials=3)
    storage.close()
    return url


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table of a SQLite file with all its rows (the schema included), for comparing."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        result = {"sqlite_master": connection.execute("SELECT * FROM sqlite_master").fetchall()}
        for table in tables:
            result[table] = connection.execute(f'SELECT * FROM "{table}"').fetchall()
        return result
    finally:
        connection.close()
