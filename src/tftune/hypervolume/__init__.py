"""Hypervolume: the volume of objective space that a set of points dominates.

``compute_hypervolume(loss_vals, reference_point)`` takes minimized objective values (flip the
sign of maximized ones first) and is exact in any number of objectives.
``non_dominated_box_bounds(loss_vals, reference_point)`` splits the region the points leave
free into disjoint boxes (what expected hypervolume improvement sums over).
"""

from tftune.hypervolume._box_decomposition import non_dominated_box_bounds
from tftune.hypervolume._compute import compute_hypervolume

__all__ = ["compute_hypervolume", "non_dominated_box_bounds"]
