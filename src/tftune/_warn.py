"""Warnings that point at the user's line, and objects built under a parameter's name.

The name travels in a context variable rather than through ``warnings.catch_warnings``, which
changes process-wide state and so is unsafe in the optimize loop's worker threads.
"""

from __future__ import annotations

import contextvars
import inspect
import os
import warnings
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LABEL: contextvars.ContextVar[str | None] = contextvars.ContextVar("tftune_label", default=None)


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes the caller's ``warnings.warn`` name the first frame outside
    tftune (the user's line), however deep in tftune the caller sits."""
    here = inspect.currentframe()
    frame = here.f_back if here is not None else None  # the caller, which will warn
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def build_named(label: str, make: Callable[[], T]) -> T:
    """``make()``, with its TypeError/ValueError and the warnings :func:`warn_at_user` gives
    meanwhile prefixed ``"{label}: "`` (``label`` names the parameter)."""
    token = _LABEL.set(label)
    try:
        return make()
    except (TypeError, ValueError) as error:
        raise type(error)(f"{label}: {error}") from None
    finally:
        _LABEL.reset(token)


def warn_at_user(message: str, category: type[Warning]) -> None:
    """Warn at the user's line, under the label of the enclosing :func:`build_named`."""
    label = _LABEL.get()
    text = f"{label}: {message}" if label is not None else message
    warnings.warn(text, category, stacklevel=user_stacklevel())
