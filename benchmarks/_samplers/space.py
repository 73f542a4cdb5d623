"""Library-neutral search spaces.

A space is a tuple of :class:`Param`. A parameter may be *conditional*: it exists only when an
unconditional categorical parameter (its ``parent``) takes one of ``parent_values``. Parents come
before their children. Every contender receives the same space: define-by-run libraries (tftune,
Optuna) call ``suggest_*`` in this order and skip inactive children; hyperopt gets nested
``hp.choice`` branches; KerasTuner gets ``conditional_scope``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np


@dataclasses.dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "float" | "int" | "cat"
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple[Any, ...] = ()
    parent: str | None = None
    parent_values: tuple[Any, ...] = ()

    def describe(self) -> str:
        if self.kind == "cat":
            text = f"{self.name} ∈ {{{', '.join(map(str, self.choices))}}}"
        else:
            kind = "int" if self.kind == "int" else "float"
            text = f"{self.name} {kind} [{self.low:g}, {self.high:g}]" + (
                " log" if self.log else ""
            )
        if self.parent:
            text += f" (if {self.parent} ∈ {{{', '.join(map(str, self.parent_values))}}})"
        return text


def Float(name: str, low: float, high: float, log: bool = False, **cond: Any) -> Param:  # noqa: N802
    return Param(name, "float", float(low), float(high), log, **cond)


def Int(name: str, low: int, high: int, log: bool = False, **cond: Any) -> Param:  # noqa: N802
    return Param(name, "int", int(low), int(high), log, **cond)


def Cat(name: str, choices: Sequence[Any], **cond: Any) -> Param:  # noqa: N802
    return Param(name, "cat", choices=tuple(choices), **cond)


def is_active(param: Param, values: dict[str, Any]) -> bool:
    return param.parent is None or values.get(param.parent) in param.parent_values


def suggest_all(trial: Any, space: Sequence[Param]) -> dict[str, Any]:
    """Ask a tftune or Optuna trial for every active parameter, in order."""
    values: dict[str, Any] = {}
    for p in space:
        if not is_active(p, values):
            continue
        if p.kind == "float":
            values[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
        elif p.kind == "int":
            values[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high), log=p.log)
        else:
            values[p.name] = trial.suggest_categorical(p.name, list(p.choices))
    return values


def sample_uniform(rng: np.random.Generator, space: Sequence[Param]) -> dict[str, Any]:
    """One uniform draw (log-uniform for log parameters; ints uniform over their values)."""
    values: dict[str, Any] = {}
    for p in space:
        if not is_active(p, values):
            continue
        if p.kind == "cat":
            values[p.name] = p.choices[int(rng.integers(len(p.choices)))]
        elif p.kind == "int":
            if p.log:
                x = math.exp(rng.uniform(math.log(p.low - 0.5), math.log(p.high + 0.5)))
                values[p.name] = int(min(p.high, max(p.low, round(x))))
            else:
                values[p.name] = int(rng.integers(int(p.low), int(p.high) + 1))
        elif p.log:
            values[p.name] = float(math.exp(rng.uniform(math.log(p.low), math.log(p.high))))
        else:
            values[p.name] = float(rng.uniform(p.low, p.high))
    return values


def has_conditionals(space: Sequence[Param]) -> bool:
    return any(p.parent for p in space)
