"""Plots of a study, as plotly figures (``pip install 'tftune[plot]'``).

Save one as a page that works offline with ``figure.write_html(path, include_plotlyjs=True)``
or ``tftune plot STUDY --kind history --output history.html``.
"""

from tftune.visualization._history import plot_optimization_history
from tftune.visualization._intermediate import plot_intermediate_values

__all__ = ["plot_intermediate_values", "plot_optimization_history"]
