"""Plots of a study as matplotlib Axes (``pip install 'tftune[matplotlib]'``), with Optuna's
names and arguments: the same data as the plotly plots of ``tftune.visualization``, another
renderer. Each returns an ``Axes`` (a numpy array of them for the pair and slice plots of
several parameters); save with ``ax.figure.savefig(path)``. matplotlib is imported on the
first plot, not with this module.
"""

from tftune.visualization.matplotlib._contour import plot_contour
from tftune.visualization.matplotlib._edf import plot_edf
from tftune.visualization.matplotlib._history import plot_optimization_history
from tftune.visualization.matplotlib._hypervolume import plot_hypervolume_history
from tftune.visualization.matplotlib._importances import plot_param_importances
from tftune.visualization.matplotlib._imports import is_available
from tftune.visualization.matplotlib._intermediate import plot_intermediate_values
from tftune.visualization.matplotlib._parallel import plot_parallel_coordinate
from tftune.visualization.matplotlib._pareto import plot_pareto_front
from tftune.visualization.matplotlib._rank import plot_rank
from tftune.visualization.matplotlib._slice import plot_slice
from tftune.visualization.matplotlib._terminator import plot_terminator_improvement
from tftune.visualization.matplotlib._timeline import plot_timeline

__all__ = [
    "is_available",
    "plot_contour",
    "plot_edf",
    "plot_hypervolume_history",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_terminator_improvement",
    "plot_timeline",
]
