"""The dashboard's two drawing limits, checked in one place.

``max_curves``: past this many trials' lines the study page leaves its intermediate-values
plot out (``_curves``). ``max_lines``: the parallel coordinates plot and the timeline draw at
most this many trials (``_front_end``). For both, None means the default and 0 no limit.
``webgl_above``: past this many trials the scatter plots are drawn with WebGL (nothing is
left out, and the page says so); None means the default, and it must be at least 1.
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


def check_webgl_above(value: Any) -> int:
    """``value`` as an int >= 1; a clear error naming ``webgl_above`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            "`webgl_above` must be an int >= 1 (a trial count; one above the study's trials "
            f"keeps its scatter plots SVG), got {value!r} ({type(value).__name__})."
        )
    return value


def resolve_limits(
    max_curves: Any = None, max_lines: Any = None, webgl_above: Any = None
) -> tuple[int, int, int]:
    """``(max_curves, max_lines, webgl_above)`` with None replaced by the defaults, all
    checked."""
    curves = DEFAULT_MAX_CURVES if max_curves is None else max_curves
    lines = DEFAULT_MAX_LINES if max_lines is None else max_lines
    webgl = WEBGL_ABOVE if webgl_above is None else webgl_above
    return (
        check_limit("max_curves", curves),
        check_limit("max_lines", lines),
        check_webgl_above(webgl),
    )
