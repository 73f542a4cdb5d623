"""Trials: the define-by-run ``Trial``, its stored snapshot ``FrozenTrial`` and ``TrialState``."""

from tftune.trial._create import create_trial
from tftune.trial._fixed import FixedTrial
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState
from tftune.trial._trial import Trial

#: Optuna's name for "any kind of trial" (``Trial``, ``FixedTrial`` and ``FrozenTrial``).
from tftune.trial._suggest import SuggestMethods as BaseTrial

__all__ = ["BaseTrial", "FixedTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]
