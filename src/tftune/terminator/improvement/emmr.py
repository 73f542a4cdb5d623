"""Optuna's module path ``optuna.terminator.improvement.emmr``: :class:`EMMREvaluator`."""

from tftune.terminator._emmr import EMMREvaluator

__all__ = ["EMMREvaluator"]
