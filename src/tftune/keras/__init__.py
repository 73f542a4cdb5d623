"""Keras front door: a tuner that owns each trial's training, and a reporting callback.

Importing this module imports Keras (and TensorFlow); ``import tftune`` alone does not.
"""

from tftune.keras._callback import TrialFailed, TrialReportCallback
from tftune.keras._tuner import Tuner

__all__ = ["TrialFailed", "TrialReportCallback", "Tuner"]
