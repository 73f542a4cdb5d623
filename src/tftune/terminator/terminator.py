"""Optuna's module path ``optuna.terminator.terminator``: :class:`Terminator` and its base."""

from tftune.terminator._terminator import BaseTerminator, Terminator

__all__ = ["BaseTerminator", "Terminator"]
