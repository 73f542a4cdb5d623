"""Optuna's module path ``optuna.terminator.improvement.evaluator``."""

from tftune.terminator._improvement import BaseImprovementEvaluator, BestValueStagnationEvaluator
from tftune.terminator._regret_bound import RegretBoundEvaluator

__all__ = ["BaseImprovementEvaluator", "BestValueStagnationEvaluator", "RegretBoundEvaluator"]
