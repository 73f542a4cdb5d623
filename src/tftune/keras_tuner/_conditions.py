"""A conditional hyperparameter's condition: its parent takes one of some values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Parent:
    """Active while the hyperparameter ``name`` has one of ``values``."""

    def __init__(self, name: str, values: Any) -> None:
        listed = list(values) if isinstance(values, (list, tuple, set)) else [values]
        if not listed:
            raise ValueError(f"`parent_values` of parent {name!r} must not be empty.")
        first = listed[0]
        if isinstance(first, str):
            listed = [str(value) for value in listed]
        elif isinstance(first, int) and not isinstance(first, bool):
            listed = [int(value) for value in listed]
        elif not isinstance(first, (bool, float)):
            raise TypeError(
                "`parent_values` can contain only `int`, `float`, `str`, or `bool`, found "
                f"values: {listed} with types: {type(first)} (parent {name!r})."
            )
        self.name = name
        self.values = listed

    def is_active(self, values: Mapping[str, Any]) -> bool:
        return self.name in values and values[self.name] in self.values

    def get_config(self) -> dict[str, Any]:
        return {"class_name": "Parent", "config": {"name": self.name, "values": self.values}}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parent) and (other.name, other.values) == (self.name, self.values)

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.values)))

    def __repr__(self) -> str:
        return f"Parent(name={self.name!r}, values={self.values!r})"
