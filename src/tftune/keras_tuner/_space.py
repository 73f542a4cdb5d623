"""The search space a hypermodel declares, found before the search as KerasTuner finds it:
``build`` runs with the defaults, then again with each never-active conditional scope's parent
set so that scope opens, until every scope was seen active (or ``MAX_BUILDS`` ran)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

from tftune.keras_tuner._conditions import Parent
from tftune.keras_tuner._hyperparameters import HyperParameters
from tftune.keras_tuner.errors import FailedTrialError

MAX_BUILDS = 32


def discover_space(
    build: Callable[[HyperParameters], Any],
    declared: HyperParameters | None,
    after_build: Callable[[], None] = lambda: None,
) -> HyperParameters:
    """Every hyperparameter ``build`` declares (after the ``declared`` ones), with defaults."""
    space = HyperParameters()
    if declared is not None:
        space.merge(declared)
    never_active: list[list[Parent]] = []
    once_active: list[list[Parent]] = []
    hp = space.copy()
    for _ in range(MAX_BUILDS):
        try:
            build(hp)
        except FailedTrialError:
            pass  # a configuration the build rejects; the space seen so far stands
        finally:
            after_build()
        space.merge(hp, overwrite=False)
        for scope in hp.active_scopes:
            if scope not in once_active:
                once_active.append(copy.deepcopy(scope))
            if scope in never_active:
                never_active.remove(scope)
        for scope in hp.inactive_scopes:
            if scope not in once_active and scope not in never_active:
                never_active.append(copy.deepcopy(scope))
        if not never_active:
            break
        hp = space.copy()
        for condition in never_active.pop(0):
            hp.values[condition.name] = condition.values[0]
        _ensure_active_values(hp)
    space.values = {}
    for spec in space.space:
        if space.is_active(spec) and spec.name not in space.values:
            space.values[spec.name] = spec.default
    return space


def _ensure_active_values(hp: HyperParameters) -> None:
    for spec in hp.space:
        if hp.is_active(spec):
            hp.values.setdefault(spec.name, spec.default)
        else:
            hp.values.pop(spec.name, None)


def default_params(space: HyperParameters) -> dict[str, Any]:
    """The tftune parameters of the first trial: every active hyperparameter's default."""
    params: dict[str, Any] = {}
    for spec in space.space:
        if space.is_active(spec):
            params.update(spec.default_params())
    return params


def grid(space: HyperParameters) -> list[dict[str, list[Any]]]:
    """GridSampler sub-grids: one per combination of the conditions' parent values, each with
    the hyperparameters active under it (the defaults first, so the first cell is the
    default configuration)."""
    parents = sorted({c.name for spec in space.space for c in spec.conditions})
    plain = [spec for spec in space.space if not spec.conditions]
    base: dict[str, list[Any]] = {}
    for spec in plain:
        base.update(spec.grid())
    if not parents:
        return [base]
    choices = [_parent_values(space, name) for name in parents]
    sub_grids: list[dict[str, list[Any]]] = []
    for combination in itertools.product(*choices):
        values = dict(zip(parents, combination, strict=True))
        sub = {name: ([values[name]] if name in values else v) for name, v in base.items()}
        for spec in space.space:
            if spec.conditions and all(c.is_active(values) for c in spec.conditions):
                sub.update(spec.grid())
        if sub not in sub_grids:
            sub_grids.append(sub)
    return sub_grids


def _parent_values(space: HyperParameters, name: str) -> list[Any]:
    spec = space.lookup(name)
    if spec is None:
        return [None]
    values = list(spec.grid().get(name, [spec.default]))
    return values
