"""Optuna's sampler arguments that tftune's design makes moot: accepted, and a warning when
a value other than Optuna's default asks for a behaviour tftune does not have."""

from __future__ import annotations

import warnings
from typing import Any

from tftune.samplers._base import BaseSampler


def moot_argument(sampler: str, name: str, value: Any, default: Any, reason: str) -> None:
    """Warn (once per call site) that ``name=value`` changes nothing in ``sampler``."""
    if value is None or value is default or value == default:
        return
    warnings.warn(
        f"{sampler}({name}={value!r}) has no effect in tftune: {reason}",
        UserWarning,
        stacklevel=3,
    )


def checked_sampler(name: str, value: Any) -> BaseSampler | None:
    """``value`` if it is a sampler or None; TypeError naming the argument otherwise."""
    if value is not None and not isinstance(value, BaseSampler):
        raise TypeError(f"`{name}` must be a sampler or None, got {value!r}.")
    return value


def check_optuna_tpe_arguments(
    *,
    consider_prior: bool | None,
    consider_magic_clip: bool | None,
    consider_endpoints: bool | None,
    weights: Any,
    group: bool,
    warn_independent_sampling: bool | None,
) -> None:
    """TPESampler's Optuna arguments: each accepted, each non-default value warned about."""
    moot_argument(
        "TPESampler",
        "consider_prior",
        consider_prior,
        True,
        "the prior kernel is always part of both densities (its weight is `prior_weight`).",
    )
    moot_argument(
        "TPESampler",
        "consider_magic_clip",
        consider_magic_clip,
        True,
        "bandwidths always have tftune's floor, which shrinks as trials accumulate.",
    )
    moot_argument(
        "TPESampler",
        "consider_endpoints",
        consider_endpoints,
        False,
        "kernels are truncated at the range's ends, their bandwidths are not widened there.",
    )
    if weights is not None:
        moot_argument(
            "TPESampler",
            "weights",
            "a function",
            None,
            "observations are weighted by rank (the nearly-good bad ones count less), not by age.",
        )
    moot_argument(
        "TPESampler",
        "group",
        group,
        False,
        "parameters outside the joint space (define-by-run branches) are modelled one at a time.",
    )
    moot_argument(
        "TPESampler",
        "warn_independent_sampling",
        warn_independent_sampling,
        True,
        "tftune does not warn when a parameter is sampled independently.",
    )
