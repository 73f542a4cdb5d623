"""Where a Tuner keeps its files: ``directory/project_name``, and nowhere else.

``project_name`` is also the study name, and a path inside it used to escape: ``"../../x"`` or
an absolute path wrote outside ``directory``, and ``"b/../a"`` shared project ``a``'s folder, so
``a``'s best weights were overwritten by ``b``'s. A project name is therefore one plain folder
name; this is checked before anything is created on disk.
"""

from __future__ import annotations

import os
import pathlib

#: Characters that separate folders: ``/`` and ``\\`` (on every platform, so that a project
#: name means one folder everywhere), and this platform's own separators.
SEPARATORS = tuple(dict.fromkeys(sep for sep in ("/", "\\", os.sep, os.altsep) if sep))


def check_project_name(project_name: object) -> str:
    """``project_name`` if it is one plain folder name; ValueError naming the rule otherwise."""
    if not isinstance(project_name, str):
        raise TypeError(f"`project_name` must be a str, got {project_name!r}.")
    rule = None
    if not project_name:
        rule = "must not be empty"
    elif "\0" in project_name:
        rule = "must not contain a NUL character"
    elif pathlib.PurePath(project_name).anchor or os.path.isabs(project_name):
        rule = "must be a folder name inside `directory`, not an absolute path"
    elif any(sep in project_name for sep in SEPARATORS):
        separators = " or ".join(repr(sep) for sep in SEPARATORS)
        rule = (
            f"must be one folder name inside `directory`, without a path separator ({separators})"
        )
    elif project_name in (".", ".."):
        rule = "must not be '.' or '..' (the folder itself or its parent)"
    if rule is not None:
        raise ValueError(f"`project_name` {rule}, got {project_name!r}.")
    return project_name


def project_dir(directory: str | os.PathLike[str], project_name: str) -> pathlib.Path:
    """``directory/project_name``, after ``check_project_name``; creates nothing."""
    return pathlib.Path(directory) / check_project_name(project_name)
