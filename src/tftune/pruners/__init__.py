"""Pruners stop unpromising trials early, from the values they report each step."""

from tftune.pruners._base import BasePruner, NopPruner
from tftune.pruners._curves import extrapolate, optimistic_bound
from tftune.pruners._hyperband import HyperbandPruner
from tftune.pruners._patient import PatientPruner
from tftune.pruners._percentile import MedianPruner, PercentilePruner
from tftune.pruners._successive_halving import SuccessiveHalvingPruner
from tftune.pruners._threshold import ThresholdPruner
from tftune.pruners._wilcoxon import WilcoxonPruner

__all__ = [
    "BasePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
    "extrapolate",
    "optimistic_bound",
]
