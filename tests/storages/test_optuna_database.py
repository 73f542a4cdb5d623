"""An Optuna SQLite database is refused with the way to bring its studies over, and untouched."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import tftune
from tftune.exceptions import StorageError
from tftune.storages import JournalStorage, RDBStorage
from tftune.storages.journal import JournalFileBackend

optuna = pytest.importorskip("optuna")  # the test extra installs it (tftune[dashboard])


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("skip_table_creation", [False, True])
def test_an_optuna_database_is_refused_and_left_alone(tmp_path, skip_table_creation):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.create_study(study_name="o", storage=url).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=2
    )
    before = _tables(url)
    with pytest.raises(
        StorageError,
        match=r"holds Optuna's schema \(revision v\d[\w.]*\), which tftune does not read or "
        r"change\. Copy its studies into a journal file",
    ):
        RDBStorage(url, skip_table_creation=skip_table_creation)
    assert _tables(url) == before  # no tftune table was added


def test_the_journal_route_the_error_names_brings_the_studies_over(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.create_study(study_name="o", storage=url).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=3
    )
    path = str(tmp_path / "moved.log")
    optuna.copy_study(
        from_study_name="o",
        from_storage=url,
        to_storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(path)
        ),
    )
    study = tftune.load_study(study_name="o", storage=JournalStorage(JournalFileBackend(path)))
    assert len(study.trials) == 3 and all(0 <= t.params["x"] <= 1 for t in study.trials)
