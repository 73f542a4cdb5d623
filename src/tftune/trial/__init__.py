"""Trials: the define-by-run ``Trial``, its stored snapshot ``FrozenTrial`` and ``TrialState``."""

from tftune.trial._fixed import FixedTrial
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState
from tftune.trial._trial import Trial

__all__ = ["FixedTrial", "FrozenTrial", "Trial", "TrialState"]
