"""One numeric column per parameter, from the trials that have it, for the evaluators.

Numbers are taken as the sampler sees them: log10 of log-scale ones. Categorical values become
the index of the choice among every choice the trials' distributions list (``True``, ``1`` and
``1.0`` stay apart). Trials without the parameter (a conditional, define-by-run space) are
marked absent rather than dropped; each evaluator says how it treats them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tftune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tftune.trial._frozen import FrozenTrial


@dataclasses.dataclass(frozen=True)
class ParamColumn:
    """A parameter across trials: ``values[i]`` is meaningful where ``present[i]``."""

    name: str
    categorical: bool
    values: np.ndarray
    present: np.ndarray
    low: float  # the declared range (transformed); for categories 0 and n_choices - 1
    high: float
    grid_step: float | None  # the spacing of int and stepped float values (transformed scale)

    @property
    def n_choices(self) -> int:
        return int(self.high) + 1


def choice_key(value: Any) -> tuple[str, str]:
    """A key that keeps ``True``, ``1`` and ``1.0`` apart."""
    return type(value).__name__, repr(value)


def param_column(trials: Sequence[FrozenTrial], name: str) -> ParamColumn:
    """The column of ``name``: ranges from every trial's distribution of it."""
    distributions = [t.distributions[name] for t in trials if name in t.distributions]
    present = np.array([name in t.params for t in trials], dtype=bool)
    if any(isinstance(d, CategoricalDistribution) for d in distributions):
        index: dict[tuple[str, str], int] = {}
        listed: set[tuple[Any, ...]] = set()
        for distribution in distributions:  # a distribution per trial, mostly the same choices
            choices = getattr(distribution, "choices", ())
            key = (choices, tuple(map(type, choices)))  # keeps (1,) and (True,) apart
            if key not in listed:
                listed.add(key)
                for choice in choices:
                    index.setdefault(choice_key(choice), len(index))
        cache: dict[tuple[type, Any], int] = {}  # (type, value) is cheaper than choice_key
        codes = []
        for trial in trials:  # a value no distribution listed (a changed space) is added
            if name not in trial.params:
                codes.append(-1)
                continue
            value = trial.params[name]
            code = cache.get((type(value), value))
            if code is None:
                code = index.setdefault(choice_key(value), len(index))
                cache[(type(value), value)] = code
            codes.append(code)
        values = np.array(codes, dtype=float)
        values[values < 0] = np.nan
        return ParamColumn(name, True, values, present, 0.0, float(len(index) - 1), 1.0)
    raw = np.array([float(t.params[name]) if name in t.params else np.nan for t in trials])
    seen = raw[present]
    low, high = float(seen.min()), float(seen.max())
    log, steps = False, set()
    for d in distributions:  # one pass: there is a distribution per trial
        if isinstance(d, (FloatDistribution, IntDistribution)):
            low, high = min(low, d.low), max(high, d.high)
            log = log or d.log
            steps.add(d.step)
    only = next(iter(steps)) if len(steps) == 1 else None
    step = float(only) if only is not None else None
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = np.log10(raw)
        low, high = math.log10(low), math.log10(high)
        step = None  # integer steps are not even on a log axis
    return ParamColumn(name, False, raw, present, low, high, step)
