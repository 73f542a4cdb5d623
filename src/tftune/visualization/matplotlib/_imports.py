"""Load matplotlib only when a plot is asked for, with an error that says how to get it."""

from __future__ import annotations

from typing import Any

from tftune._experimental import experimental_func


@experimental_func("2.2.0")
def is_available() -> bool:
    """Whether matplotlib can be imported, so that ``tftune.visualization.matplotlib`` works."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def import_pyplot() -> Any:
    """``matplotlib.pyplot``; ImportError naming the extra that installs it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "Matplotlib plots need matplotlib: pip install 'tftune[matplotlib]'."
        ) from None
    return plt
