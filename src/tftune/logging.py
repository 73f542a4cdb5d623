"""tftune's log: one line per finished trial on stderr, as Optuna users know it."""

from __future__ import annotations

import logging as _logging
import sys

_logger = _logging.getLogger("tftune")
_handler: _logging.Handler | None = None


def _configure() -> None:
    global _handler
    if _handler is None:
        _handler = _logging.StreamHandler(sys.stderr)
        _handler.setFormatter(_logging.Formatter("[%(levelname)s %(asctime)s] %(message)s"))
        _logger.addHandler(_handler)
        _logger.setLevel(_logging.INFO)
        _logger.propagate = False


def set_verbosity(level: int) -> None:
    """Set tftune's log level, e.g. ``tftune.logging.set_verbosity(logging.WARNING)``."""
    _configure()
    _logger.setLevel(level)


def get_verbosity() -> int:
    return _logger.getEffectiveLevel()


def disable_default_handler() -> None:
    """Stop printing to stderr; records still reach handlers you attach to ``tftune``."""
    global _handler
    if _handler is not None:
        _logger.removeHandler(_handler)
        _handler = None
    _logger.propagate = True


def enable_default_handler() -> None:
    """Print to stderr again (the default), after :func:`disable_default_handler`."""
    level = _logger.level
    _configure()
    _logger.setLevel(level or _logging.INFO)


def enable_propagation() -> None:
    """Pass tftune's records on to the root logger's handlers too."""
    _logger.propagate = True


def disable_propagation() -> None:
    """Keep tftune's records from the root logger's handlers (the default)."""
    _logger.propagate = False


def get_logger(name: str) -> _logging.Logger:
    """A logger under ``tftune`` (``get_logger("tftune.x")`` or a bare ``"x"``)."""
    return _logging.getLogger(name if name.split(".")[0] == "tftune" else f"tftune.{name}")


_configure()
WARNING, INFO, DEBUG, ERROR = _logging.WARNING, _logging.INFO, _logging.DEBUG, _logging.ERROR
CRITICAL = FATAL = _logging.CRITICAL
WARN = _logging.WARNING
