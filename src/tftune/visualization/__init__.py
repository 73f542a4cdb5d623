"""Plots of a study, as plotly figures (``pip install 'tftune[plot]'``), with Optuna's names.

Save one as a page that works offline with ``figure.write_html(path, include_plotlyjs=True)``
or ``tftune plot STUDY --kind slice --output slice.html``. Plots of one number per trial take
``target`` (required for studies with several objectives) and ``target_name``; only COMPLETE
trials count, except in the timeline. ``tftune.visualization.matplotlib`` draws the same plots
as matplotlib Axes.
"""

from tftune.visualization import matplotlib
from tftune.visualization._contour import plot_contour
from tftune.visualization._edf import plot_edf
from tftune.visualization._history import plot_optimization_history
from tftune.visualization._hypervolume import plot_hypervolume_history
from tftune.visualization._importances import plot_param_importances
from tftune.visualization._intermediate import plot_intermediate_values
from tftune.visualization._parallel import plot_parallel_coordinate
from tftune.visualization._plotly import is_available
from tftune.visualization._pareto import plot_pareto_front
from tftune.visualization._rank import plot_rank
from tftune.visualization._slice import plot_slice
from tftune.visualization._terminator import plot_terminator_improvement
from tftune.visualization._timeline import plot_timeline

__all__ = [
    "is_available",
    "matplotlib",
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
