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


_configure()
WARNING, INFO, DEBUG, ERROR = _logging.WARNING, _logging.INFO, _logging.DEBUG, _logging.ERROR
