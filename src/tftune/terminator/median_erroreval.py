"""Optuna's module path ``optuna.terminator.median_erroreval``: :class:`MedianErrorEvaluator`."""

from tftune.terminator._median import MedianErrorEvaluator

__all__ = ["MedianErrorEvaluator"]
