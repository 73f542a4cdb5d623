"""Pruners stop unpromising trials early."""

from tftune.pruners._base import BasePruner, NopPruner

__all__ = ["BasePruner", "NopPruner"]
