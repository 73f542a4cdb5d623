"""An in-memory SQLite RDBStorage: Optuna callers' pool sizes (they mean nothing there), and
threads taking turns on its one connection."""

from __future__ import annotations

import tftune
from tftune.storages import RDBStorage


def test_pool_sizes_are_ignored_for_an_in_memory_database():
    storage = RDBStorage("sqlite:///:memory:", engine_kwargs={"pool_size": 5, "max_overflow": 2})
    study = tftune.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(study.trials) == 3  # one connection holds the database
    assert type(storage.engine.pool).__name__ == "StaticPool"


def test_threads_share_an_in_memory_database_without_nested_transactions():
    # the one connection is taken in turns: no thread's BEGIN lands in another's transaction
    study = tftune.create_study(storage="sqlite:///:memory:")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=40, n_jobs=4)
    states = {trial.state for trial in study.trials}
    assert len(study.trials) == 40
    assert states == {tftune.trial.TrialState.COMPLETE}
    assert len({trial.number for trial in study.trials}) == 40
