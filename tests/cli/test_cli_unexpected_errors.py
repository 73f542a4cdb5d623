"""Whatever still goes wrong inside a command, the CLI prints one ``tftune: error:`` line and
exits 1: never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tftune
from tftune.cli import _commands, main


@pytest.mark.parametrize(
    "error",
    [ValueError("bad row"), KeyError("k"), RecursionError("too deep"), TypeError("odd")],
    ids=lambda error: type(error).__name__,
)
def test_an_unexpected_error_is_one_line(sqlite_url, capsys, monkeypatch, error):
    tftune.create_study("s", storage=sqlite_url)

    def broken(storage, study_name):
        raise error

    monkeypatch.setattr(_commands, "open_study", broken)
    assert main(["trials", "s", "--storage", sqlite_url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"tftune: error: unexpected {type(error).__name__}: ")


def test_no_traceback_from_the_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'tftune.db'}"
    tftune.create_study("s", storage=url)
    code = (
        "import sys; from tftune.cli import _commands, main\n"
        "def broken(storage, name): raise ValueError('bad row')\n"
        "_commands.open_study = broken\n"
        f"sys.exit(main(['best', 's', '--storage', {url!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == "tftune: error: unexpected ValueError: bad row\n"
