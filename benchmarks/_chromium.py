"""Debian's Chromium, headless, as playwright launches it for the dashboard's browser tests
(``tests/dashboard``), its benchmark and its screenshots: one executable, one set of flags."""

from __future__ import annotations

import os
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
MISSING = f"{CHROMIUM} is missing: run scripts/bootstrap.sh (apt-get install chromium)"


def available() -> bool:
    """Whether the Chromium executable is installed."""
    return os.path.exists(CHROMIUM)


def launch(playwright: Any) -> Any:
    """A headless Chromium browser of ``playwright`` (sync API); FileNotFoundError if the
    executable is missing."""
    if not available():
        raise FileNotFoundError(MISSING)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
