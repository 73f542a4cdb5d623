"""Whether an objective is minimized or maximized."""

from __future__ import annotations

import enum
from typing import Any


class StudyDirection(enum.IntEnum):
    """The direction of one objective."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self) -> str:
        return f"StudyDirection.{self.name}"


def parse_direction(direction: Any, parameter: str = "direction") -> StudyDirection:
    """Turn ``"minimize"``/``"maximize"`` (or a StudyDirection) into a StudyDirection."""
    if isinstance(direction, StudyDirection) and direction != StudyDirection.NOT_SET:
        return direction
    if isinstance(direction, str) and direction.lower() in ("minimize", "maximize"):
        return StudyDirection[direction.upper()]
    raise ValueError(f"`{parameter}` must be 'minimize' or 'maximize', got {direction!r}.")
