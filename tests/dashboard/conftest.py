"""Fixtures of the dashboard tests: the test studies in a SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from dashboard_studies import build_studies


@pytest.fixture(scope="session")
def studies_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three studies, built once per session (treat as read-only)."""
    path = tmp_path_factory.mktemp("dashboard") / "studies.db"
    build_studies(path)
    return path


@pytest.fixture
def studies_copy(studies_file: Path, tmp_path: Path) -> Path:
    """A private copy of the three studies, for tests that write."""
    target = tmp_path / "studies.db"
    source = sqlite3.connect(studies_file)
    destination = sqlite3.connect(target)
    source.backup(destination)
    source.close()
    destination.close()
    return target
