"""Optuna's module path ``optuna.terminator.callback``: :class:`TerminatorCallback`."""

from tftune.terminator._callback import TerminatorCallback

__all__ = ["TerminatorCallback"]
