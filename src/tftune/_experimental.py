"""Experimental features: the one place that warns about them.

Where Optuna marks a class, function or argument experimental, tftune emits the same
``tftune.exceptions.ExperimentalWarning`` (``optuna.exceptions.ExperimentalWarning`` after
``import tftune as optuna``), so code that filters or asserts on it behaves the same:

* ``@experimental_class("3.0.0")`` warns when the class is instantiated;
* ``@experimental_func("2.9.0")`` warns when the function is called;
* ``warn_experimental_argument("group")`` warns that an argument is experimental.

The version is the Optuna release that introduced the feature (its documented "Added in").
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from tftune.exceptions import ExperimentalWarning

_F = TypeVar("_F", bound=Callable[..., Any])
_C = TypeVar("_C", bound=type)
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def _check_version(version: str) -> None:
    if not isinstance(version, str) or not _VERSION.match(version):
        raise ValueError(f"`version` must be a string 'x.y.z', got {version!r}.")


def _message(name: str, version: str) -> str:
    return (
        f"{name} is experimental (supported from v{version}). "
        "The interface can change in the future."
    )


def warn_experimental_argument(option_name: str, stacklevel: int = 3) -> None:
    """Warn that the argument ``option_name`` is experimental (call it where it is checked)."""
    warnings.warn(
        f"Argument ``{option_name}`` is an experimental feature. "
        "The interface can change in the future.",
        ExperimentalWarning,
        stacklevel=stacklevel,
    )


def experimental_func(version: str, name: str | None = None) -> Callable[[_F], _F]:
    """Decorate a function: each call warns that it is experimental."""
    _check_version(version)

    def decorator(func: _F) -> _F:
        label = name or f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(_message(label, version), ExperimentalWarning, stacklevel=2)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def experimental_class(version: str, name: str | None = None) -> Callable[[_C], _C]:
    """Decorate a class: each instantiation warns that it is experimental.

    Subclasses that run this ``__init__`` warn too.
    """
    _check_version(version)

    def decorator(cls: _C) -> _C:
        original_init = cls.__init__  # type: ignore[misc]
        label = name or cls.__name__

        @functools.wraps(original_init)
        def wrapped_init(self: Any, *args: Any, **kwargs: Any) -> None:
            warnings.warn(_message(label, version), ExperimentalWarning, stacklevel=2)
            original_init(self, *args, **kwargs)

        cls.__init__ = wrapped_init  # type: ignore[misc]
        return cls

    return decorator
