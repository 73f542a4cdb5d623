"""Parameter distributions: the declared range of one hyperparameter.

Every distribution converts between a parameter's *external* value (what the objective sees:
a float, an int, a category) and its *internal* value (a float that samplers and storages work
with: the number itself, or a category's index). Distributions are stored as JSON, never pickled,
in the same ``{"name": ..., "attributes": ...}`` form that Optuna uses.
"""

from __future__ import annotations

import abc
import decimal
import json
import math
import numbers
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from tftune._warn import warn_at_user

CategoricalChoiceType = None | bool | int | float | str
_CHOICE_TYPES = (type(None), bool, int, float, str)

MAX_EXACT_INT = 2**53
"""The largest integer magnitude an int parameter may take: values are stored as floats (as in
Optuna), and floats hold every integer exactly only up to 2**53."""


class BaseDistribution(abc.ABC):
    """The declared range of one parameter."""

    @abc.abstractmethod
    def to_internal_repr(self, external: Any) -> float:
        """Return the float that samplers and storages use for ``external``."""

    @abc.abstractmethod
    def to_external_repr(self, internal: float) -> Any:
        """Return the value the objective sees for the internal float ``internal``."""

    @abc.abstractmethod
    def single(self) -> bool:
        """Whether the distribution holds exactly one value."""

    @abc.abstractmethod
    def contains(self, internal: float) -> bool:
        """Whether the internal value ``internal`` lies in the distribution."""

    def _asdict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if not key.startswith("_")}

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return type(self) is type(other) and self._asdict() == other._asdict()

    def __hash__(self) -> int:
        cached = self.__dict__.get("_hash")
        if cached is None:  # distributions do not change once made: hash them once
            cached = hash(
                (
                    type(self).__name__,
                    json.dumps(
                        _without_negative_zero(self._asdict()), sort_keys=True, default=repr
                    ),
                )
            )
            self.__dict__["_hash"] = cached
        return cached

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._asdict().items())
        return f"{type(self).__name__}({args})"


def _without_negative_zero(value: Any) -> Any:
    """``value`` with ``-0.0`` made ``0.0``: they are equal, so they must hash alike."""
    if isinstance(value, float) and value == 0.0:
        return 0.0
    if isinstance(value, dict):
        return {key: _without_negative_zero(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_negative_zero(item) for item in value]
    return value


def _show(value: Any) -> str:
    """``repr(value)``, or a description of an int too long for ``repr``."""
    try:
        return repr(value)
    except ValueError:  # an int of more than 4300 digits
        return f"<an int of {value.bit_length()} bits>"


def _as_number(name: str, value: Any, kind: type) -> Any:
    """``value`` as a Python ``int`` or ``float`` (``kind``): any real number but a bool, so
    NumPy scalars too; finite, and for ``int`` integral."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number, got {_show(value)} ({type(value).__name__}).")
    if isinstance(value, numbers.Integral) and kind is int:
        return int(value)  # exact, however large: the range check judges its size
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(
            f"`{name}` must be finite (at most {sys.float_info.max!r} in size), "
            f"got {_show(value)}."
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"`{name}` must be finite, got {_show(value)}.")
    if kind is int:
        if number != int(number):
            raise ValueError(f"`{name}` must be an integer, got {_show(value)}.")
        return int(number)
    return number


def _as_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be a bool (True or False), got {name}={_show(value)}.")
    return value


def _check_range(low: float, high: float, log: bool, step: float | None) -> None:
    if low > high:
        raise ValueError(f"`low` must be <= `high`, got low={low!r} and high={high!r}.")
    if log and low <= 0:
        raise ValueError(f"`low` must be > 0 when log=True, got low={low!r}.")
    if step is not None:
        if log:
            raise ValueError(f"`step` cannot be combined with log=True, got step={step!r}.")
        if step <= 0:
            raise ValueError(f"`step` must be > 0, got step={step!r}.")


def _snap_high(low: float, high: float, step: float) -> float:
    """The largest ``low + k * step`` that does not exceed ``high`` (exact in decimal).

    Idempotent: snapping an already snapped ``high`` (as a JSON round trip does) returns it.
    """
    with decimal.localcontext() as context:
        context.prec = 1000  # exact for the decimal forms of any floats: no rounding, no overflow
        d_low, d_step = decimal.Decimal(str(low)), decimal.Decimal(str(step))
        n = int((decimal.Decimal(str(high)) - d_low) // d_step)
        # str(high) of a snapped high can lie just below its exact grid point: keep that point.
        if float(d_low + (n + 1) * d_step) <= high:
            n += 1
        return float(d_low + n * d_step)


def _warn_high_adjusted(low: float, high: float, step: float, adjusted: float) -> None:
    """Optuna's warning when ``[low, high]`` is not a whole number of steps."""
    if adjusted != high:
        warn_at_user(
            f"The range [{low!r}, {high!r}] is not divisible by `step`={step!r}; "
            f"`high` is replaced by {adjusted!r}.",
            UserWarning,
        )


class ExternalValueError(ValueError, TypeError):
    """A value a numeric distribution cannot take: not float-castable, or NaN.

    A ``ValueError`` as in Optuna, and a ``TypeError`` for code that checks the type.
    """


def _numeric_internal(distribution: BaseDistribution, external: Any) -> float:
    """The internal float of a number, a bool or a numeric string, as Optuna casts them;
    NaN and anything ``float()`` refuses raise ExternalValueError naming the value."""
    try:
        internal = float(external)
    except (TypeError, ValueError, OverflowError):
        raise ExternalValueError(
            f"{distribution!r} takes a number (or a numeric string), got {_show(external)} "
            f"({type(external).__name__})."
        ) from None
    if math.isnan(internal):
        raise ExternalValueError(f"{distribution!r} cannot take NaN, got {_show(external)}.")
    return internal


class FloatDistribution(BaseDistribution):
    """Floats in ``[low, high]``, optionally on a log scale or a grid of ``step``."""

    def __init__(self, low: float, high: float, log: bool = False, step: float | None = None):
        low, high = _as_number("low", low, float), _as_number("high", high, float)
        log = _as_bool("log", log)
        if step is not None:
            step = _as_number("step", step, float)
        _check_range(low, high, log, step)
        if not log and not math.isfinite(high - low):  # samplers scale by the width
            raise ValueError(
                f"`high - low` must be finite (at most {sys.float_info.max!r}), "
                f"got low={low!r} and high={high!r}."
            )
        if step is not None:
            if not math.isfinite((high - low) / step):  # samplers count the grid points
                raise ValueError(
                    "`step` must leave a finite number of grid points, (high - low) / step, "
                    f"got step={step!r} for low={low!r} and high={high!r}."
                )
            snapped = _snap_high(low, high, step)
            _warn_high_adjusted(low, high, step, snapped)
            high = snapped
        self.low, self.high, self.log, self.step = low, high, log, step

    def to_internal_repr(self, external: Any) -> float:
        internal = _numeric_internal(self, external)
        if self.log and internal <= 0.0:
            raise ExternalValueError(
                f"{self!r} is on a log scale and takes only positive numbers, got "
                f"{_show(external)}."
            )
        return internal

    def to_external_repr(self, internal: float) -> float:
        return float(internal)

    def single(self) -> bool:
        # ``high`` is snapped onto the step grid, so one grid point is left exactly when they meet
        # (``high - low < step`` misjudges e.g. step=0.2 on [0.1, 0.3] in binary floating point).
        return self.low == self.high

    def contains(self, internal: float) -> bool:
        if not (self.low <= internal <= self.high):
            return False
        if self.step is None:
            return True
        k = (internal - self.low) / self.step
        return abs(k - round(k)) < 1e-8


class IntDistribution(BaseDistribution):
    """Integers in ``[low, high]``, optionally on a log scale or every ``step``."""

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1):
        low, high = _as_number("low", low, int), _as_number("high", high, int)
        log = _as_bool("log", log)
        step = _as_number("step", step, int)
        for bound, value in (("low", low), ("high", high)):
            if abs(value) > MAX_EXACT_INT:
                raise ValueError(
                    f"`{bound}` must lie within +-2**53 (int parameters are stored as floats, "
                    f"which hold integers exactly only that far), got {bound}={_show(value)}."
                )
        _check_range(low, high, log, None)
        if step <= 0:
            raise ValueError(f"`step` must be > 0, got step={step!r}.")
        if log and step != 1:
            raise ValueError(f"`step` must be 1 when log=True, got step={step!r}.")
        snapped = low + (high - low) // step * step
        _warn_high_adjusted(low, high, step, snapped)
        self.low, self.high, self.log, self.step = low, snapped, log, step

    def to_internal_repr(self, external: Any) -> float:
        return _numeric_internal(self, external)

    def to_external_repr(self, internal: float) -> int:
        return int(round(internal))

    def single(self) -> bool:
        return self.low == self.high

    def contains(self, internal: float) -> bool:
        if not math.isfinite(internal):
            return False
        value = int(round(internal))
        return (
            value == internal
            and self.low <= value <= self.high
            and (value - self.low) % self.step == 0
        )


class CategoricalDistribution(BaseDistribution):
    """One of a fixed list of choices: ``None``, bools, ints, floats or strings."""

    def __init__(self, choices: Sequence[CategoricalChoiceType]):
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise TypeError(f"`choices` must be a list or tuple, got {choices!r}.")
        if len(choices) == 0:
            raise ValueError(f"`choices` must contain at least one element, got {choices!r}.")
        for choice in choices:
            if not isinstance(choice, _CHOICE_TYPES):
                warn_at_user(
                    "`choices` should hold only None, bool, int, float and str, which every "
                    f"storage can keep (as JSON); got {choice!r} of type "
                    f"{type(choice).__name__}. It is used as given (as Optuna does): an "
                    "in-memory study takes it, a database or journal only if it is JSON.",
                    UserWarning,
                )
        self.choices = tuple(choices)

    def to_internal_repr(self, external: Any) -> float:
        for index, choice in enumerate(self.choices):
            if _same_choice(choice, external):
                return float(index)
        raise ValueError(f"{external!r} is not one of the choices {list(self.choices)!r}.")

    def to_external_repr(self, internal: float) -> CategoricalChoiceType:
        return self.choices[int(internal)]

    def single(self) -> bool:
        return len(self.choices) == 1

    def contains(self, internal: float) -> bool:
        if not math.isfinite(internal):
            return False
        index = int(internal)
        return index == internal and 0 <= index < len(self.choices)

    def _asdict(self) -> dict[str, Any]:
        return {"choices": list(self.choices)}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CategoricalDistribution)
            and len(self.choices) == len(other.choices)
            and all(_same_choice(a, b) for a, b in zip(self.choices, other.choices, strict=True))
        )

    __hash__ = BaseDistribution.__hash__


def _same_choice(a: Any, b: Any) -> bool:
    """Equality that keeps ``True``, ``1`` and ``1.0`` apart, and ``nan`` equal to itself."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, float) and isinstance(b, float)):
            return False  # 1 and 1.0 are different choices
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b and (a is None) == (b is None)


def _legacy(old: str, new: str) -> None:
    warnings.warn(
        f"{old} is deprecated (as in Optuna); use {new} instead.", FutureWarning, stacklevel=3
    )


class UniformDistribution(FloatDistribution):
    """Deprecated: ``FloatDistribution(low, high)``, kept for studies written with old code."""

    def __init__(self, low: float, high: float):
        _legacy("UniformDistribution", "FloatDistribution(low, high)")
        super().__init__(low, high)

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}


class LogUniformDistribution(FloatDistribution):
    """Deprecated: ``FloatDistribution(low, high, log=True)``."""

    def __init__(self, low: float, high: float):
        _legacy("LogUniformDistribution", "FloatDistribution(low, high, log=True)")
        super().__init__(low, high, log=True)

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}


class DiscreteUniformDistribution(FloatDistribution):
    """Deprecated: ``FloatDistribution(low, high, step=q)``."""

    def __init__(self, low: float, high: float, q: float):
        _legacy("DiscreteUniformDistribution", "FloatDistribution(low, high, step=q)")
        super().__init__(low, high, step=q)

    @property
    def q(self) -> float:
        """The grid spacing (``step``)."""
        assert self.step is not None
        return self.step

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "q": self.q}


class IntUniformDistribution(IntDistribution):
    """Deprecated: ``IntDistribution(low, high, step=step)``."""

    def __init__(self, low: int, high: int, step: int = 1):
        _legacy("IntUniformDistribution", "IntDistribution(low, high, step=step)")
        super().__init__(low, high, step=step)

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "step": self.step}


class IntLogUniformDistribution(IntDistribution):
    """Deprecated: ``IntDistribution(low, high, log=True)`` (``step`` must stay 1)."""

    def __init__(self, low: int, high: int, step: int = 1):
        _legacy("IntLogUniformDistribution", "IntDistribution(low, high, log=True)")
        super().__init__(low, high, log=True, step=step)

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "step": self.step}


def convert_legacy(distribution: BaseDistribution) -> BaseDistribution:
    """A legacy distribution (``UniformDistribution``...) as the Float/IntDistribution it
    stands for, with Optuna's FutureWarning; any other distribution as it is. Studies and
    trials store only the current classes."""
    if not isinstance(distribution, _LEGACY):
        return distribution
    current: BaseDistribution
    if isinstance(distribution, FloatDistribution):
        current = FloatDistribution(
            distribution.low, distribution.high, log=distribution.log, step=distribution.step
        )
    else:
        assert isinstance(distribution, IntDistribution)
        current = IntDistribution(
            distribution.low, distribution.high, log=distribution.log, step=distribution.step
        )
    warnings.warn(
        f"{distribution!r} is deprecated and internally converted to {current!r}. "
        "See https://github.com/optuna/optuna/issues/2941.",
        FutureWarning,
        stacklevel=3,
    )
    return current


#: Every distribution class, by the name stored in its JSON (Optuna's legacy ones included).
DISTRIBUTION_CLASSES: tuple[type[BaseDistribution], ...] = (
    FloatDistribution,
    IntDistribution,
    CategoricalDistribution,
    UniformDistribution,
    LogUniformDistribution,
    DiscreteUniformDistribution,
    IntUniformDistribution,
    IntLogUniformDistribution,
)
_DISTRIBUTIONS = {cls.__name__: cls for cls in DISTRIBUTION_CLASSES}


def distribution_to_json(distribution: BaseDistribution) -> str:
    """Serialise a distribution to JSON; TypeError naming the choice JSON cannot hold."""
    try:
        return json.dumps(
            {"name": type(distribution).__name__, "attributes": distribution._asdict()}
        )
    except TypeError as error:
        raise TypeError(
            f"{distribution!r} cannot be stored: its choices must be None, bool, int, float, "
            f"str or other JSON values ({error}). Use such choices, or an in-memory study."
        ) from None


def json_to_distribution(text: str) -> BaseDistribution:
    """Rebuild a distribution from :func:`distribution_to_json`'s output."""
    data = json.loads(text)  # ValueError (or RecursionError) for text that is not JSON
    if isinstance(data, dict) and "type" in data:
        return _abbreviated(data, text)
    try:
        cls = _DISTRIBUTIONS[data["name"]]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown distribution in stored JSON: {text[:200]!r}.") from None
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        raise ValueError(f"Stored JSON of a {data['name']} has no attributes: {text[:200]!r}.")
    try:
        return cls(**attributes)
    except TypeError as error:  # an attribute missing or unknown
        raise ValueError(f"Stored JSON of a {data['name']}: {error} ({text[:200]!r}).") from None


def _abbreviated(data: dict[str, Any], text: str) -> BaseDistribution:
    """Optuna's short form: ``{"type": "float" | "int" | "categorical", ...attributes}``."""
    kind = data["type"]
    attributes = {k: v for k, v in data.items() if k != "type"}
    classes: dict[str, type[BaseDistribution]] = {
        "float": FloatDistribution,
        "int": IntDistribution,
        "categorical": CategoricalDistribution,
    }
    if kind not in classes:
        raise ValueError(
            f"Unknown distribution type {kind!r} in stored JSON (float, int or categorical): "
            f"{text[:200]!r}."
        )
    try:
        return classes[kind](**attributes)
    except TypeError as error:  # an attribute missing or unknown
        raise ValueError(
            f"Stored JSON of a {kind} distribution: {error} ({text[:200]!r})."
        ) from None


def check_distribution_compatibility(
    dist_old: BaseDistribution, dist_new: BaseDistribution
) -> None:
    """Raise ValueError if one parameter name cannot take both distributions (Optuna's rule):
    they are of different kinds, one is on a log scale and the other not, or they are
    categorical with different choices. Other differences (a changed range or step) are
    compatible."""
    if type(dist_old) is not type(dist_new):
        raise ValueError(
            f"Cannot use another kind of distribution for the same parameter name: "
            f"{dist_old!r} and then {dist_new!r}."
        )
    if isinstance(dist_old, FloatDistribution | IntDistribution):
        assert isinstance(dist_new, FloatDistribution | IntDistribution)
        if dist_old.log != dist_new.log:
            raise ValueError(
                f"Cannot change `log` for the same parameter name: {dist_old!r} and then "
                f"{dist_new!r}."
            )
    if isinstance(dist_old, CategoricalDistribution) and dist_old != dist_new:
        raise ValueError(
            f"CategoricalDistribution does not support changing choices for the same "
            f"parameter name: {dist_old!r} and then {dist_new!r}."
        )


_LEGACY = (
    UniformDistribution,
    LogUniformDistribution,
    DiscreteUniformDistribution,
    IntUniformDistribution,
    IntLogUniformDistribution,
)
