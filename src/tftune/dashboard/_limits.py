"""The dashboard's two drawing limits, checked in one place.

``max_curves``: past this many trials' lines the study page leaves its intermediate-values
plot out (``_curves``). ``max_lines``: the parallel coordinates plot and the timeline draw at
most this many trials (``_front_end``). For both, None means the default and 0 no limit.
``WEBGL_ABOVE``: past this many trials the scatter plots are drawn with WebGL (nothing is
left out).
"""

from __future__ import annotations

from typing import Any

#: the default ``max_curves`` of ``tftune dashboard`` (``--max-curves``; 0: no limit)
DEFAULT_MAX_CURVES = 500
#: the default ``max_lines`` of ``tftune dashboard`` (``--max-lines``; 0: no limit)
DEFAULT_MAX_LINES = 1000
#: a scatter plot (history, slice, rank) of more trials than this is drawn with WebGL
#: (plotly's ``scattergl``: the same points, one canvas) rather than one SVG shape per point
WEBGL_ABOVE = 1000


def check_limit(name: str, value: Any) -> int:
    """``value`` as an int >= 0 (0: no limit); a clear error naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"`{name}` must be an int >= 0 (0: no limit), got {value!r} ({type(value).__name__})."
        )
    return value


def resolve_limits(max_curves: Any = None, max_lines: Any = None) -> tuple[int, int]:
    """``(max_curves, max_lines)`` with None replaced by the defaults, both checked."""
    curves = DEFAULT_MAX_CURVES if max_curves is None else max_curves
    lines = DEFAULT_MAX_LINES if max_lines is None else max_lines
    return check_limit("max_curves", curves), check_limit("max_lines", lines)
