"""Load plotly only when a plot is asked for, with an error that says how to get it."""

from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """Whether plotly can be imported, so that the plots of ``tftune.visualization`` work."""
    try:
        import plotly.graph_objects  # noqa: F401
    except ImportError:
        return False
    return True


def import_plotly() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise ImportError("Plots need plotly: pip install 'tftune[plot]'.") from None
    return go


def make_subplots(**kwargs: Any) -> Any:
    """``plotly.subplots.make_subplots`` (plotly is loaded by then)."""
    import_plotly()
    from plotly.subplots import make_subplots as make

    return make(**kwargs)
