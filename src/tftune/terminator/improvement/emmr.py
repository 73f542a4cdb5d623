"""Optuna's module path ``optuna.terminator.improvement.emmr``: :class:`EMMREvaluator`, and
``MARGIN_FOR_NUMARICAL_STABILITY`` (it returns ``sys.float_info.max`` times it while it cannot
judge: too few trials, no shared parameter)."""

from tftune.terminator._emmr import MARGIN_FOR_NUMARICAL_STABILITY, EMMREvaluator

__all__ = ["MARGIN_FOR_NUMARICAL_STABILITY", "EMMREvaluator"]
