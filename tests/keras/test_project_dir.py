"""tftune.keras.Tuner keeps every file under ``directory/project_name`` (no training here)."""

from __future__ import annotations

import re

import pytest

from tftune.keras import Tuner


def no_build(trial):  # never called: these tests construct tuners without searching
    raise AssertionError("build must not be called")


@pytest.mark.parametrize(
    ("project_name", "rule"),
    [
        ("../../x", "without a path separator"),
        ("b/../a", "without a path separator"),
        ("a/b", "without a path separator"),
        ("a\\b", "without a path separator"),
        ("/tmp/elsewhere", "not an absolute path"),
        (".", "must not be '.' or '..'"),
        ("..", "must not be '.' or '..'"),
        ("", "must not be empty"),
        ("a\0b", "must not contain a NUL character"),
    ],
)
def test_a_project_name_that_is_not_one_folder_is_refused_before_anything_is_created(
    tmp_path, project_name, rule
):
    directory = tmp_path / "one" / "two"
    with pytest.raises(ValueError, match=re.escape(rule)) as raised:
        Tuner(no_build, directory=directory, project_name=project_name)
    message = str(raised.value)
    assert message.startswith("`project_name` ") and message.endswith(f"got {project_name!r}.")
    assert list(tmp_path.iterdir()) == []  # not even `directory`


def test_a_project_name_that_is_not_a_str_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"`project_name` must be a str, got PosixPath"):
        Tuner(no_build, directory=tmp_path, project_name=tmp_path / "p")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("project_name", ["a", "my project", "run.2", "..x", "x.."])
def test_a_plain_folder_name_keeps_the_study_under_directory(tmp_path, project_name):
    directory = tmp_path / "results"
    tuner = Tuner(no_build, directory=directory, project_name=project_name)
    assert tuner.project_dir == directory / project_name
    assert tuner.study.study_name == project_name
    assert (directory / project_name / "study.db").is_file()
    assert [path.name for path in tmp_path.iterdir()] == ["results"]
    assert [path.name for path in directory.iterdir()] == [project_name]
