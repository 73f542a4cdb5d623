"""KerasTuner's ``HyperParameters``: ``hp.Int``/``Float``/``Choice``/``Boolean``/``Fixed``.

Each call declares a hyperparameter (its range, default and conditions) and returns its value.
Outside a search, the value is the default. Inside a search, a :class:`ValueSource` answers:
the trial's suggestion from tftune's sampler (``suggest_int``/``suggest_float``/
``suggest_categorical`` on the define-by-run trial), a pre-declared ``Fixed`` value, or the
default for new entries that are not tuned. Values already in ``hp.values`` are kept, as in
KerasTuner (that is how the best hyperparameters rebuild their model).
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from tftune.keras_tuner._conditions import Parent

_SAMPLINGS = ("linear", "log", "reverse_log")
#: The suffix of the tftune parameter behind a ``reverse_log`` hyperparameter without a step:
#: it holds ``max + min - value``, which is log-distributed.
REFLECTED_SUFFIX = "__reflected"


class TrialLike(Protocol):
    """What a hyperparameter needs of a tftune trial."""

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int: ...

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


class HyperParameter:
    """One hyperparameter of the space: a name, a default and its parent conditions."""

    def __init__(
        self, name: str, default: Any = None, conditions: Sequence[Parent] | None = None
    ) -> None:
        self.name = name
        self._default = default
        self.conditions = list(conditions or [])

    @property
    def default(self) -> Any:
        return self._default

    @property
    def values(self) -> tuple[Any, ...]:
        """The values a grid search tries."""
        raise NotImplementedError

    def suggest(self, trial: TrialLike) -> Any:
        """This hyperparameter's value in ``trial`` (tftune's sampler chooses it)."""
        raise NotImplementedError

    def grid(self) -> dict[str, list[Any]]:
        """The tftune parameters and the values a grid search tries, the default first."""
        values = list(self.values)
        if self.default in values:
            values.remove(self.default)
        return {self.name: [self.default, *values]}

    def default_params(self) -> dict[str, Any]:
        """The tftune parameters that make a trial take the default."""
        return {self.name: self.default}

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": self.default,
            "conditions": [condition.get_config() for condition in self.conditions],
        }


def _to_int(value: Any, argument: str, name: str, kind: str) -> int:
    try:
        as_int = int(value)
    except (TypeError, ValueError) as error:
        raise type(error)(
            f"For HyperParameters.{kind}(name='{name}'), {argument} must be an int, "
            f"received: {value!r} of type {type(value)}."
        ) from None
    if as_int != value:
        raise ValueError(
            f"For HyperParameters.{kind}(name='{name}'), {argument} must be an int, "
            f"received: {value!r} of type {type(value)}."
        )
    return as_int


def _to_float(value: Any, argument: str, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise type(error)(
            f"For HyperParameters.Float(name='{name}'), {argument} must be a number, "
            f"received: {value!r} of type {type(value)}."
        ) from None


class _Numerical(HyperParameter):
    """``Int`` and ``Float``: a range, a step and a sampling ("linear", "log", "reverse_log")."""

    min_value: float
    max_value: float
    step: float | None
    sampling: str

    def _check(self, sampling: Any) -> str:
        kind = type(self).__name__
        if self.min_value > self.max_value:
            raise ValueError(
                f"For HyperParameters.{kind}(name='{self.name}'), min_value {self.min_value} "
                f"is greater than the max_value {self.max_value}."
            )
        sampling = "linear" if sampling is None else sampling
        if not isinstance(sampling, str) or sampling.lower() not in _SAMPLINGS:
            raise ValueError(
                f"For HyperParameters.{kind}(name='{self.name}'), sampling must be one of "
                f"{set(_SAMPLINGS)}, received: {sampling!r}."
            )
        sampling = sampling.lower()
        if sampling != "linear" and self.min_value <= 0:
            raise ValueError(
                f"For HyperParameters.{kind}(name='{self.name}'), sampling='{sampling}' does "
                f"not support negative values, found min_value: {self.min_value}."
            )
        if sampling != "linear" and self.step is not None and self.step <= 1:
            raise ValueError(
                f"For HyperParameters.{kind}(name='{self.name}'), expected step > 1 with "
                f"sampling='{sampling}'. Received: step={self.step}."
            )
        return str(sampling)

    @property
    def default(self) -> Any:
        return self.min_value if self._default is None else self._default

    # --- the grid of a stepped hyperparameter ----------------------------------------------
    def _n_values(self) -> int:
        assert self.step is not None
        if self.sampling == "linear":
            return int((self.max_value - self.min_value) // self.step + 1)
        return int(math.log(self.max_value / self.min_value, self.step) + 1e-8) + 1

    def _value_at(self, index: int) -> float:
        assert self.step is not None
        if self.sampling == "linear":
            return self.min_value + index * self.step
        if self.sampling == "log":
            return self.min_value * self.step**index
        return self.max_value + self.min_value - self.min_value * self.step**index

    def _stepped_values(self) -> list[Any]:
        return [self._cast(self._value_at(index)) for index in range(self._n_values())]

    def _cast(self, value: float) -> Any:
        return value

    def _quantiles(self) -> list[Any]:
        """KerasTuner's grid for a hyperparameter without a step: the 10 decile midpoints."""
        low, high = self.min_value, self.max_value
        points: list[Any] = []
        for index in range(10):
            prob = index * 0.1 + 0.05
            if self.sampling == "linear":
                value = low + prob * (high - low)
            elif self.sampling == "log":
                value = low * (high / low) ** prob
            else:
                value = high + low - low * (high / low) ** (1 - prob)
            points.append(self._cast(value))
        return sorted(set(points))

    @property
    def values(self) -> tuple[Any, ...]:
        return tuple(self._stepped_values() if self.step is not None else self._quantiles())

    # --- tftune parameters -------------------------------------------------------------------
    @property
    def _reflected(self) -> bool:
        return self.sampling == "reverse_log" and self.step is None

    def grid(self) -> dict[str, list[Any]]:
        if not self._reflected:
            return super().grid()
        reflect = self._reflect
        values = [reflect(v) for v in self.values if v != self.default]
        return {self.name + REFLECTED_SUFFIX: [reflect(self.default), *values]}

    def default_params(self) -> dict[str, Any]:
        if self._reflected:
            return {self.name + REFLECTED_SUFFIX: self._reflect(self.default)}
        return {self.name: self.default}

    def _reflect(self, value: Any) -> Any:
        return self._cast(self.max_value + self.min_value - value)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "min_value": self.min_value,
            "max_value": self.max_value,
            "step": self.step,
            "sampling": self.sampling,
        }


class Int(_Numerical):
    """An integer in ``[min_value, max_value]`` (both included); see ``HyperParameters.Int``."""

    min_value: int
    max_value: int
    step: int | None

    def __init__(
        self,
        name: str,
        min_value: int,
        max_value: int,
        step: int | None = None,
        sampling: str = "linear",
        default: int | None = None,
        conditions: Sequence[Parent] | None = None,
    ) -> None:
        super().__init__(name, default, conditions)
        self.min_value = _to_int(min_value, "min_value", name, "Int")
        self.max_value = _to_int(max_value, "max_value", name, "Int")
        if step is not None:
            self.step = _to_int(step, "step", name, "Int")
        else:
            self.step = 1 if sampling in (None, "linear") else None
        self.sampling = self._check(sampling)

    def _cast(self, value: float) -> int:
        return int(value)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "default": self._default}

    def suggest(self, trial: TrialLike) -> int:
        low, high = self.min_value, self.max_value
        if self.sampling == "linear":
            assert self.step is not None
            return trial.suggest_int(self.name, low, high, step=self.step)
        if self.step is not None:  # a multiplying grid: 2, 4, 8, ... (KerasTuner's log step)
            return int(trial.suggest_categorical(self.name, self._stepped_values()))
        if self.sampling == "log":
            return trial.suggest_int(self.name, low, high, log=True)
        reflected = trial.suggest_int(self.name + REFLECTED_SUFFIX, low, high, log=True)
        return int(self._reflect(reflected))

    def __repr__(self) -> str:
        return (
            f"Int(name: '{self.name}', min_value: {self.min_value}, max_value: "
            f"{self.max_value}, step: {self.step}, sampling: {self.sampling}, "
            f"default: {self.default})"
        )


class Float(_Numerical):
    """A float in ``[min_value, max_value]``; see ``HyperParameters.Float``."""

    def __init__(
        self,
        name: str,
        min_value: float,
        max_value: float,
        step: float | None = None,
        sampling: str = "linear",
        default: float | None = None,
        conditions: Sequence[Parent] | None = None,
    ) -> None:
        super().__init__(name, default, conditions)
        self.min_value = _to_float(min_value, "min_value", name)
        self.max_value = _to_float(max_value, "max_value", name)
        self.step = None if step is None else _to_float(step, "step", name)
        self.sampling = self._check(sampling)

    def suggest(self, trial: TrialLike) -> float:
        low, high = self.min_value, self.max_value
        if self.sampling == "linear":
            if self.step is not None:  # the last grid point, as KerasTuner counts them
                high = max(low, self._value_at(self._n_values() - 1))
            return trial.suggest_float(self.name, low, high, step=self.step)
        if self.step is not None:
            return float(trial.suggest_categorical(self.name, self._stepped_values()))
        if self.sampling == "log":
            return trial.suggest_float(self.name, low, high, log=True)
        value = trial.suggest_float(self.name + REFLECTED_SUFFIX, low, high, log=True)
        return float(self._reflect(value))

    def __repr__(self) -> str:
        return (
            f"Float(name: '{self.name}', min_value: '{self.min_value}', max_value: "
            f"'{self.max_value}', step: '{self.step}', sampling: '{self.sampling}', "
            f"default: '{self.default}')"
        )


class Choice(HyperParameter):
    """One of ``values`` (all int, all float, all str or all bool)."""

    def __init__(
        self,
        name: str,
        values: Sequence[Any],
        ordered: bool | None = None,
        default: Any = None,
        conditions: Sequence[Parent] | None = None,
    ) -> None:
        super().__init__(name, default, conditions)
        if not values:
            raise ValueError(f"`values` must be provided for `Choice` {name!r}, got {values!r}.")
        types = {type(value) for value in values}
        if len(types) > 1:
            raise TypeError(
                f"A `Choice` can contain only one type of value, found values: {list(values)} "
                f"with types {types} (Choice {name!r})."
            )
        first = values[0]
        if isinstance(first, str):
            values = [str(v) for v in values]
            default = None if default is None else str(default)
        elif isinstance(first, int) and not isinstance(first, bool):
            values = [int(v) for v in values]
            default = None if default is None else int(default)
        elif not isinstance(first, (bool, float)):
            raise TypeError(
                "A `Choice` can contain only `int`, `float`, `str`, or `bool`, found values: "
                f"{list(values)} with types: {type(first)} (Choice {name!r})."
            )
        if default is not None and default not in values:
            raise ValueError(
                f"The default value should be one of the choices of {name!r}. "
                f"You passed: values={list(values)}, default={default!r}"
            )
        numeric = isinstance(first, (int, float)) and not isinstance(first, bool)
        if ordered and not numeric:
            raise ValueError(
                f"`ordered` must be `False` for non-numeric types (Choice {name!r}, "
                f"values={list(values)})."
            )
        self._values = list(values)
        self._default = default
        self.ordered = numeric if ordered is None else bool(ordered)

    @property
    def values(self) -> tuple[Any, ...]:
        return tuple(self._values)

    @property
    def default(self) -> Any:
        return self._values[0] if self._default is None else self._default

    def suggest(self, trial: TrialLike) -> Any:
        return trial.suggest_categorical(self.name, self._values)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "values": list(self._values), "ordered": self.ordered}

    def __repr__(self) -> str:
        return (
            f"Choice(name: '{self.name}', values: {self._values}, ordered: {self.ordered}, "
            f"default: {self.default})"
        )


class Boolean(HyperParameter):
    """``True`` or ``False``."""

    def __init__(
        self, name: str, default: bool = False, conditions: Sequence[Parent] | None = None
    ) -> None:
        if default not in (True, False):
            raise ValueError(
                f"`default` of Boolean {name!r} must be a Python boolean. "
                f"You passed: default={default!r}"
            )
        super().__init__(name, bool(default), conditions)

    @property
    def values(self) -> tuple[Any, ...]:
        return (True, False)

    def suggest(self, trial: TrialLike) -> bool:
        return bool(trial.suggest_categorical(self.name, [True, False]))

    def __repr__(self) -> str:
        return f'Boolean(name: "{self.name}", default: {self.default})'


class Fixed(HyperParameter):
    """A constant: recorded in the trial's values, never tuned."""

    def __init__(self, name: str, value: Any, conditions: Sequence[Parent] | None = None) -> None:
        if not isinstance(value, (bool, int, float, str)):
            raise ValueError(
                f"`Fixed` value of {name!r} must be an `int`, `float`, `str`, or `bool`, "
                f"found {value!r}"
            )
        super().__init__(name, value, conditions)
        self.value = value

    @property
    def values(self) -> tuple[Any, ...]:
        return (self.value,)

    def suggest(self, trial: TrialLike) -> Any:
        return self.value

    def grid(self) -> dict[str, list[Any]]:
        return {}

    def default_params(self) -> dict[str, Any]:
        return {}

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["value"] = config.pop("default")
        return config

    def __repr__(self) -> str:
        return f"Fixed(name: {self.name}, value: {self.value})"


class ValueSource(Protocol):
    """Chooses the value of a hyperparameter registered for the first time."""

    def value_of(self, hp: HyperParameter) -> Any: ...


class HyperParameters:
    """The search space and the current values, as ``build(hp)`` sees them.

    ``HyperParameters()`` made by hand gives every hyperparameter its default; the tuner gives
    ``build`` one whose values come from the trial.
    """

    def __init__(self, source: ValueSource | None = None) -> None:
        self._name_scopes: list[str] = []
        self._conditions: list[Parent] = []
        self._hps: dict[str, list[HyperParameter]] = {}
        self._space: list[HyperParameter] = []
        self._source = source
        self.values: dict[str, Any] = {}
        self.active_scopes: list[list[Parent]] = []
        self.inactive_scopes: list[list[Parent]] = []

    # --- scopes --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def name_scope(self, name: str) -> Iterator[None]:
        """Prefix the names declared inside with ``name/``."""
        self._name_scopes.append(name)
        try:
            yield
        finally:
            self._name_scopes.pop()

    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Iterator[None]:
        """Hyperparameters declared inside are active only while ``parent_name`` is one of
        ``parent_values``; inactive ones are registered and return ``None``."""
        parent_name = self._full_name(parent_name)
        if not self._exists(parent_name):
            raise ValueError(f"`HyperParameter` named: {parent_name} not defined.")
        condition = Parent(parent_name, parent_values)
        self._conditions.append(condition)
        scopes = self.active_scopes if condition.is_active(self.values) else self.inactive_scopes
        scopes.append(copy.deepcopy(self._conditions))
        try:
            yield
        finally:
            self._conditions.pop()

    @contextlib.contextmanager
    def _maybe_conditional_scope(
        self, parent_name: str | None, parent_values: Any
    ) -> Iterator[None]:
        if parent_name:
            with self.conditional_scope(parent_name, parent_values):
                yield
        else:
            yield

    # --- reading values ------------------------------------------------------------------------
    @property
    def space(self) -> list[HyperParameter]:
        """Every hyperparameter declared so far, in order."""
        return list(self._space)

    def is_active(self, hyperparameter: HyperParameter | str) -> bool:
        """Whether all the parent conditions of the hyperparameter hold."""
        if isinstance(hyperparameter, HyperParameter):
            return self._active(hyperparameter.conditions)
        return any(self._active(hp.conditions) for hp in self._hps.get(str(hyperparameter), []))

    def get(self, name: str) -> Any:
        """The current value of ``name``; ValueError if it is inactive, KeyError if unknown."""
        name = self._full_name(name)
        if name in self.values:
            return self.values[name]
        if name in self._hps:
            raise ValueError(f"{name} is currently inactive.")
        raise KeyError(f"{name} does not exist.")

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        try:
            self.get(str(name))
        except (KeyError, ValueError):
            return False
        return True

    # --- declaring hyperparameters -------------------------------------------------------------
    def Int(  # noqa: N802 (KerasTuner's names)
        self,
        name: str,
        min_value: int,
        max_value: int,
        step: int | None = None,
        sampling: str = "linear",
        default: int | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        """An integer in ``[min_value, max_value]``, both included. ``step`` is the distance
        between values (``sampling="log"``: the factor, 2 -> 16, 32, 64, ...); the default is
        ``min_value``. Returns ``None`` when inactive."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(
                Int(
                    self._full_name(name),
                    min_value,
                    max_value,
                    step,
                    sampling,
                    default,
                    self._conditions,
                )
            )

    def Float(  # noqa: N802
        self,
        name: str,
        min_value: float,
        max_value: float,
        step: float | None = None,
        sampling: str = "linear",
        default: float | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        """A float in ``[min_value, max_value]``; the default is ``min_value``."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(
                Float(
                    self._full_name(name),
                    min_value,
                    max_value,
                    step,
                    sampling,
                    default,
                    self._conditions,
                )
            )

    def Choice(  # noqa: N802
        self,
        name: str,
        values: Sequence[Any],
        ordered: bool | None = None,
        default: Any = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        """One of ``values``; the default is the first."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(
                Choice(self._full_name(name), values, ordered, default, self._conditions)
            )

    def Boolean(  # noqa: N802
        self,
        name: str,
        default: bool = False,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        """``True`` or ``False``; the default is ``False``."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(Boolean(self._full_name(name), default, self._conditions))

    def Fixed(  # noqa: N802
        self, name: str, value: Any, parent_name: str | None = None, parent_values: Any = None
    ) -> Any:
        """A constant value, recorded but never tuned."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(Fixed(self._full_name(name), value, self._conditions))

    # --- copying -------------------------------------------------------------------------------
    def copy(self) -> HyperParameters:
        """The same space and values, without the trial behind them."""
        other = HyperParameters()
        for hp in self._space:
            other._add(hp)
        other.values = dict(self.values)
        return other

    def merge(
        self, hps: HyperParameters | Sequence[HyperParameter], overwrite: bool = True
    ) -> None:
        """Add the hyperparameters of ``hps`` (with their defaults as values when active)."""
        space = hps.space if isinstance(hps, HyperParameters) else list(hps)
        for hp in space:
            if not overwrite and self._exists(hp.name, hp.conditions):
                continue
            self._add(hp)
            if self.is_active(hp) and (overwrite or hp.name not in self.values):
                self.values[hp.name] = hp.default

    def get_config(self) -> dict[str, Any]:
        return {
            "space": [
                {"class_name": type(hp).__name__, "config": hp.get_config()} for hp in self._space
            ],
            "values": dict(self.values),
        }

    def declare(self, hp: HyperParameter) -> Any:
        """Declare ``hp`` (a spec such as one of ``space``) and return its value."""
        return self._retrieve(hp)

    def lookup(self, name: str) -> HyperParameter | None:
        """The first hyperparameter declared as ``name``, or ``None``."""
        found = self._hps.get(name)
        return found[0] if found else None

    # --- internals -----------------------------------------------------------------------------
    def _full_name(self, name: str) -> str:
        return "/".join([*self._name_scopes, str(name)])

    def _active(self, conditions: Sequence[Parent]) -> bool:
        return all(condition.is_active(self.values) for condition in conditions)

    def _exists(self, name: str, conditions: Sequence[Parent] | None = None) -> bool:
        wanted = list(self._conditions if conditions is None else conditions)
        return any(hp.conditions == wanted for hp in self._hps.get(name, []))

    def _add(self, hp: HyperParameter) -> None:
        self._hps.setdefault(hp.name, []).append(hp)
        self._space.append(hp)

    def _retrieve(self, hp: HyperParameter) -> Any:
        """The value of ``hp``, declaring it the first time; ``None`` while inactive."""
        if self._exists(hp.name, hp.conditions):
            return self.values[hp.name] if self.is_active(hp) else None
        for condition in self._conditions:
            if condition.name == hp.name:
                raise ValueError(
                    "A conditional `HyperParameter` cannot have the same name as its parent. "
                    f"Found: {hp.name} and parent_name: {condition.name}"
                )
        self._add(hp)
        if not self.is_active(hp):
            return None
        if hp.name not in self.values:
            self.values[hp.name] = (
                hp.default if self._source is None else self._source.value_of(hp)
            )
        return self.values[hp.name]
