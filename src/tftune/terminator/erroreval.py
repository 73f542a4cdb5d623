"""Optuna's module path ``optuna.terminator.erroreval``: the error evaluators and
:func:`report_cross_validation_scores`."""

from tftune.terminator._error import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)

__all__ = [
    "BaseErrorEvaluator",
    "CrossValidationErrorEvaluator",
    "StaticErrorEvaluator",
    "report_cross_validation_scores",
]
