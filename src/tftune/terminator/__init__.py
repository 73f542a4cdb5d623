"""Stop a study when further trials are unlikely to improve it (Optuna's terminator).

A :class:`Terminator` compares an improvement evaluator (how much better the best value may
still get: :class:`RegretBoundEvaluator`, a Gaussian-process bound, by default) with an error
evaluator (how noisy the values are: the best trial's cross-validation scores, reported with
:func:`report_cross_validation_scores`, by default), and says stop once the improvement is below
the error; :class:`TerminatorCallback` stops ``Study.optimize`` then. The plot of both over
the trials is ``tftune.visualization.plot_terminator_improvement``.
"""

from tftune.terminator._callback import TerminatorCallback
from tftune.terminator._emmr import EMMREvaluator
from tftune.terminator._error import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from tftune.terminator._improvement import BaseImprovementEvaluator, BestValueStagnationEvaluator
from tftune.terminator._median import MedianErrorEvaluator
from tftune.terminator._regret_bound import RegretBoundEvaluator
from tftune.terminator._terminator import BaseTerminator, Terminator

__all__ = [
    "BaseErrorEvaluator",
    "BaseImprovementEvaluator",
    "BaseTerminator",
    "BestValueStagnationEvaluator",
    "CrossValidationErrorEvaluator",
    "EMMREvaluator",
    "MedianErrorEvaluator",
    "RegretBoundEvaluator",
    "StaticErrorEvaluator",
    "Terminator",
    "TerminatorCallback",
    "report_cross_validation_scores",
]
