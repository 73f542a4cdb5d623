"""``tftune`` alone or ``tftune help`` prints the overview and succeeds, as Optuna's command."""

from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tftune", *args], capture_output=True, text=True, check=False
    )


def test_no_arguments_and_help_print_the_same_overview():
    bare, helped = _run(), _run("help")
    assert bare.returncode == helped.returncode == 0
    assert bare.stdout == helped.stdout
    assert bare.stdout.startswith("usage: tftune")
    assert "studies" in bare.stdout and "importance" in bare.stdout


def test_an_unknown_command_still_fails():
    result = _run("nonsense")
    assert result.returncode == 2
    assert "invalid choice: 'nonsense'" in result.stderr
