"""The define-by-run trial handed to an objective."""

from __future__ import annotations

import datetime
import json
import sys
import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tftune.distributions import (
    MAX_EXACT_INT,
    BaseDistribution,
    CategoricalDistribution,
    IntDistribution,
    check_distribution_compatibility,
)
from tftune.search_space import to_distributions
from tftune.storages._base import FIXED_PARAMS_KEY
from tftune.trial._frozen import FrozenTrial
from tftune.trial._names import check_name
from tftune.trial._suggest import SuggestMethods, make_named
from tftune.trial._param_distributions import check_param_distribution
from tftune.trial._constraints import constraints_from_attrs, set_constraint

if TYPE_CHECKING:
    from tftune.study._study import Study


class Trial(SuggestMethods):
    """One evaluation of the objective: suggests parameters and receives reports.

    Parameters are chosen as the objective asks for them (define-by-run). Asking again for a
    name returns the value already chosen, provided the distribution is the same.
    """

    def __init__(self, study: Study, frozen: FrozenTrial) -> None:
        self.study = study
        self._trial_id = frozen.trial_id
        self._frozen = frozen
        self._relative: dict[str, Any] | None = None
        self._relative_space: dict[str, BaseDistribution] = {}

    # --- identity --------------------------------------------------------------------------
    @property
    def trial_id(self) -> int:
        """The trial's id in its storage (unique across the storage's studies)."""
        return self._trial_id

    @property
    def number(self) -> int:
        """The trial's number in its study, counted from 0."""
        return self._frozen.number

    @property
    def params(self) -> dict[str, Any]:
        """The parameters suggested so far."""
        return dict(self._frozen.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._frozen.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._frozen.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._frozen.system_attrs)

    @property
    def intermediate_values(self) -> dict[int, float]:
        """The values reported so far, by step (a copy)."""
        return dict(self._frozen.intermediate_values)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._frozen.datetime_start

    # --- suggestions -----------------------------------------------------------------------
    def suggest_params(self, space: Mapping[str, Any]) -> dict[str, Any]:
        """Suggest every parameter of a scikit-learn style space (lists, scipy.stats) at once."""
        return {
            name: self._suggest(name, lambda d=d: d) for name, d in to_distributions(space).items()
        }

    def _suggest(self, name: str, make_distribution: Callable[..., BaseDistribution]) -> Any:
        """The parameter's external value: already suggested, fixed, or sampled.

        The value returned is the one stored and reloaded: the distribution's external form of
        the internal float written to the storage (a fixed value outside the range included).
        """
        check_name(name)
        distribution = make_named(name, make_distribution)
        frozen = self._frozen
        if name in frozen.distributions:
            return self._suggested_again(name, frozen.distributions[name], distribution)
        check_param_distribution(self.study, name, distribution)
        fixed = frozen.system_attrs.get(FIXED_PARAMS_KEY)
        if fixed is not None and name in fixed:
            internal = self._fixed_internal(name, fixed[name], distribution)
        elif distribution.single():
            internal = distribution.to_internal_repr(_single_value(distribution))
        else:
            internal = distribution.to_internal_repr(self._sampled_value(name, distribution))
        value = distribution.to_external_repr(internal)
        try:
            self.study.storage.set_trial_param(self._trial_id, name, internal, distribution)
        except TypeError as error:  # a choice the storage cannot keep (not JSON)
            raise TypeError(f"Parameter {name!r}: {error}") from error
        frozen.params[name] = value
        frozen.distributions[name] = distribution
        return value

    def _suggested_again(self, name: str, old: BaseDistribution, new: BaseDistribution) -> Any:
        """The value of a name suggested earlier in this trial: an incompatible distribution
        raises ValueError, a compatible but different one warns (the first value is kept)."""
        try:
            check_distribution_compatibility(old, new)
        except ValueError as error:
            raise ValueError(
                f"Parameter {name!r} was already suggested in this trial as {old!r}; it cannot "
                f"be suggested again as {new!r} ({error}) Use one distribution per name."
            ) from None
        value = self._frozen.params[name]
        if old != new:
            warnings.warn(
                f"Parameter {name!r} was already suggested in this trial as {old!r}; the "
                f"suggestion as {new!r} returns the first value, {value!r}.",
                UserWarning,
                stacklevel=4,
            )
        return value

    def _fixed_internal(self, name: str, value: Any, distribution: BaseDistribution) -> float:
        """The internal float of an enqueued (or grid) value; one outside the range warns and is
        used, as in Optuna; one the distribution cannot hold exactly raises ValueError."""
        problem = _unusable_fixed_value(value, distribution)
        internal = math.nan if problem is not None else distribution.to_internal_repr(value)
        if problem is None and distribution.contains(internal):
            return internal
        message = (
            f"Parameter {name!r}: the fixed value {value!r} of trial #{self.number} "
            f"lies outside the suggested {distribution!r}"
        )
        if problem is not None:
            message += f" and cannot be used as given: {problem}"
        message += "."
        if problem is not None:
            if "grid_key" in self._frozen.system_attrs:
                message += " Make the grid and the objective's suggestions agree."
            raise ValueError(message)
        warnings.warn(message + " It is used as given.", UserWarning, stacklevel=4)
        return internal

    @property
    def relative_params(self) -> dict[str, Any]:
        """The parameters the sampler chose jointly for this trial (its relative sample),
        drawn on first use; a suggestion of the same name and distribution returns them."""
        return dict(self._relative_sample())

    def _relative_sample(self) -> dict[str, Any]:
        if self._relative is None:
            sampler, study = self.study.sampler, self.study
            self._relative_space = sampler.infer_relative_search_space(study, self._frozen)
            # called with an empty space too, as Optuna does (samplers return {} for it)
            self._relative = sampler.sample_relative(study, self._frozen, self._relative_space)
        return self._relative

    def _sampled_value(self, name: str, distribution: BaseDistribution) -> Any:
        relative = self._relative_sample()
        if name in relative and self._relative_space.get(name) == distribution:
            return relative[name]
        return self.study.sampler.sample_independent(self.study, self._frozen, name, distribution)

    # --- reports and pruning ---------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Report an intermediate objective value at ``step`` (an epoch, say), for pruning.

        A step reported twice keeps its first value and warns; values may be any float,
        including NaN and infinities (pruners treat them as diverged).
        """
        if len(self.study.directions) > 1:
            raise NotImplementedError(
                "report() is for single-objective studies; "
                "pruning several objectives is not supported."
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            try:
                value = float(value)  # numpy and tensor scalars
            except (TypeError, ValueError):
                raise TypeError(
                    f"`value` must be a float, got {value!r} ({type(value).__name__})."
                ) from None
        step = _as_step(step)  # after the value, as Optuna checks them
        step, value = int(step), float(value)
        if step in self._frozen.intermediate_values:
            warnings.warn(
                f"Trial #{self.number} already reported step {step}; "
                f"the new value {value!r} is ignored.",
                UserWarning,
                stacklevel=2,
            )
            return
        self.study.storage.set_trial_intermediate_value(self._trial_id, step, value)
        self._frozen.intermediate_values[step] = value

    def should_prune(self) -> bool:
        """Whether the study's pruner says this trial should stop now.

        The pruner sees this trial's own record, and may keep notes on it (the rungs a
        successive-halving pruner reached) as system attributes.
        """
        if len(self.study.directions) > 1:
            raise NotImplementedError("should_prune() is for single-objective studies.")
        return bool(self.study.pruner.prune(self.study, self._frozen))

    # --- attributes ------------------------------------------------------------------------
    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value to the trial."""
        _check_json(key, value)
        self.study.storage.set_trial_attr(self._trial_id, key, value)
        self._frozen.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach a value for tftune's own use (samplers, pruners, front doors)."""
        _check_json(key, value)
        self.study.storage.set_trial_attr(self._trial_id, key, value, system=True)
        self._frozen.system_attrs[key] = value

    def set_constraint(self, key: str, value: float) -> None:
        """Set the named constraint ``key`` (feasible when every value is <= 0)."""
        set_constraint(self, key, value)

    @property
    def constraints(self) -> dict[str, float]:
        """The constraint values set so far, by name (``set_constraint``)."""
        return constraints_from_attrs(self._frozen.system_attrs)

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._frozen.params!r})"


def _unusable_fixed_value(value: Any, distribution: BaseDistribution) -> str | None:
    """Why ``distribution`` cannot hold the fixed ``value`` exactly, or None if it can.

    Numbers must be finite (SQLite cannot store NaN, and no range holds one); an int
    parameter takes integers (an integral float such as 3.0 becomes 3) within +-2**53, the
    integers a stored float holds exactly; a categorical one takes only its choices.
    """
    if isinstance(distribution, CategoricalDistribution):
        try:
            distribution.to_internal_repr(value)
        except ValueError:
            return "it is not one of the choices"
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return "it is not a number"
    try:
        number = float(value)
    except OverflowError:
        return "it is too large for a float"
    if not math.isfinite(number):
        return "a fixed number must be finite"
    if isinstance(distribution, IntDistribution):
        if isinstance(value, numbers.Integral):
            exact = int(value)  # not ``number``: float(2**53 + 1) rounds to 2**53
        elif number.is_integer():
            exact = int(number)
        else:
            return "suggest_int takes an integer (an integral float such as 3.0 is taken as 3)"
        if abs(exact) > MAX_EXACT_INT:
            return "an int parameter must lie within +-2**53, the integers a float holds exactly"
    return None


def _single_value(distribution: BaseDistribution) -> Any:
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[0]
    return distribution.low  # type: ignore[attr-defined]


def _check_json(key: str, value: Any) -> None:
    check_name(key, "An attribute key")
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        raise TypeError(
            f"Attribute {key!r} must be JSON-serialisable (tftune never pickles), got {value!r}."
        ) from None
    except RecursionError:
        raise ValueError(
            f"Attribute {key!r} is nested too deeply to store as JSON "
            f"(Python's recursion limit is {sys.getrecursionlimit()})."
        ) from None


def _as_step(step: Any) -> int:
    """``report``'s step as an int: ints, numpy ints and integral floats (``1.0``) are taken,
    as Optuna does; anything else is a TypeError, a negative step a ValueError."""
    if isinstance(step, bool):
        raise TypeError(f"`step` must be an int, got {step!r}.")
    integral = isinstance(step, numbers.Integral)
    if integral or (isinstance(step, numbers.Real) and float(step).is_integer()):
        number = int(step)
    else:
        raise TypeError(f"`step` must be an int, got {step!r} ({type(step).__name__}).")
    if number < 0:
        raise ValueError(f"`step` must be >= 0, got {step!r}.")
    return number
