"""Hypervolume: the volume of objective space that a set of points dominates.

``compute_hypervolume(loss_vals, reference_point)`` takes minimized objective values (flip the
sign of maximized ones first) and is exact in any number of objectives.
"""

from tftune.hypervolume._compute import compute_hypervolume

__all__ = ["compute_hypervolume"]
