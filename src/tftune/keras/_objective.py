"""The metric a Keras search optimizes, and its direction."""

from __future__ import annotations

from tftune._direction import StudyDirection, parse_direction

_MINIMIZED = ("loss", "error", "mse", "mae", "mape", "msle", "hinge", "crossentropy", "divergence")
_MAXIMIZED = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "score")


def infer_direction(objective: str, direction: str | StudyDirection | None) -> StudyDirection:
    """``direction`` if given, else guessed from the metric's name (``val_loss``: minimize)."""
    if direction is not None:
        return parse_direction(direction)
    name = objective.lower()
    if any(word in name for word in _MINIMIZED):
        return StudyDirection.MINIMIZE
    if any(word in name for word in _MAXIMIZED):
        return StudyDirection.MAXIMIZE
    raise ValueError(
        f"Cannot tell whether objective {objective!r} should be minimized or maximized; "
        "pass direction='minimize' or direction='maximize'."
    )
