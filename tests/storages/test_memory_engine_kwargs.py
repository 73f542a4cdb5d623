"""An in-memory SQLite RDBStorage takes Optuna callers' pool sizes (they mean nothing there)."""

from __future__ import annotations

import tftune
from tftune.storages import RDBStorage


def test_pool_sizes_are_ignored_for_an_in_memory_database():
    storage = RDBStorage("sqlite:///:memory:", engine_kwargs={"pool_size": 5, "max_overflow": 2})
    study = tftune.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(study.trials) == 3  # one connection holds the database
    assert type(storage.engine.pool).__name__ == "StaticPool"
