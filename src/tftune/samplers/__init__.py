"""Samplers choose each trial's parameters."""

from typing import TYPE_CHECKING

from tftune.samplers._auto import AutoSampler
from tftune.samplers._base import BaseSampler
from tftune.samplers._brute_force import BruteForceSampler
from tftune.samplers._cmaes import CmaEsSampler
from tftune.samplers._ga import BaseGASampler
from tftune.samplers._grid import GridSampler
from tftune.samplers._nsgaii import NSGAIISampler
from tftune.samplers._nsgaiii import NSGAIIISampler
from tftune.samplers._partial_fixed import PartialFixedSampler
from tftune.samplers._qmc import QMCSampler
from tftune.samplers._random import RandomSampler
from tftune.samplers._tpe import TPESampler
from tftune.samplers import nsgaii  # noqa: E402 - the crossovers, as optuna.samplers.nsgaii

if TYPE_CHECKING:
    from tftune.samplers._gp import GPSampler

__all__ = [
    "AutoSampler",
    "BaseGASampler",
    "BaseSampler",
    "BruteForceSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIISampler",
    "NSGAIIISampler",
    "PartialFixedSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
    "nsgaii",
]


def __getattr__(name: str) -> object:
    """``GPSampler`` loads SciPy's optimizers on first use, so ``import tftune`` stays quick."""
    if name == "GPSampler":
        from tftune.samplers._gp import GPSampler

        return GPSampler
    raise AttributeError(f"module 'tftune.samplers' has no attribute {name!r}")
