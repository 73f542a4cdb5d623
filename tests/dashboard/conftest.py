"""Fixtures of the dashboard tests: the test studies in a SQLite file; one Chromium for all
the browser tests, and a fresh recording page of it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import MISSING, VIEWPORT, Page, available, launch
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium context for every browser test (its HTTP cache keeps the
    dashboard's 6 MB script)."""
    if not available():
        pytest.fail(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch(playwright)
        context = launched.new_context(viewport=VIEWPORT)
        yield context
        context.close()
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    opened = Page(browser)
    yield opened
    opened.page.close()
