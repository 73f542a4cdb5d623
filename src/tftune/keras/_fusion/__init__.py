"""Trial packing: train K configurations of a small Keras model as one fused TensorFlow
computation."""

from tftune.keras._fusion._inspect import fusion_blocker
from tftune.keras._fusion._pack import CopyState, FusedPack, fit

__all__ = ["CopyState", "FusedPack", "fit", "fusion_blocker"]
