"""What the plots share: empty figures with a warning, and how a parameter is put on an axis."""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tftune.distributions import CategoricalDistribution
from tftune.importance._columns import choice_key
from tftune.trial._frozen import FrozenTrial
from tftune.visualization._plotly import import_plotly

_logger = logging.getLogger("tftune")

DEFAULT_TARGET_NAME = "Objective Value"
COLORSCALE = "Blues"


def empty_figure(title: str, reason: str) -> Any:
    """A figure with only a title, after logging ``reason`` as a warning."""
    _logger.warning("%s", reason)
    figure = import_plotly().Figure()
    figure.update_layout(title=title)
    return figure


def warn_default_target_name(target: object, target_name: str) -> None:
    """Optuna's UserWarning: a custom ``target`` labelled with the default name."""
    if target is not None and target_name == DEFAULT_TARGET_NAME:
        warnings.warn(
            "`target` is specified, but `target_name` is the default value, "
            f"{DEFAULT_TARGET_NAME!r}.",
            UserWarning,
            stacklevel=3,
        )


def no_trials_reason(study_name: str) -> str:
    return f"Study {study_name!r} has no complete trials to plot; the figure is empty."


@dataclasses.dataclass(frozen=True)
class ParamAxis:
    """A parameter on an axis: ``values[i]`` of ``trials[i]`` where ``present[i]``.

    ``kind`` is ``"linear"``, ``"log"`` or ``"category"``; categories are shown as text
    (``labels``, in the order their distributions list them), so mixed types sit side by side.
    """

    name: str
    kind: str
    values: list[Any]
    present: np.ndarray
    labels: list[str]
    label_of: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)

    def shown(self, mask: np.ndarray | None = None) -> list[Any]:
        """The values of the present trials (and of ``mask``), as the axis shows them."""
        keep = self.present if mask is None else self.present & mask
        return [self.label(v) for v, k in zip(self.values, keep, strict=True) if k]

    def label(self, value: Any) -> Any:
        return self.label_of[choice_key(value)] if self.kind == "category" else value

    def numeric(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Positions on a linear scale: log10 for log axes, the index for categories."""
        keep = self.present if mask is None else self.present & mask
        chosen = [v for v, k in zip(self.values, keep, strict=True) if k]
        if self.kind == "category":
            index = {label: i for i, label in enumerate(self.labels)}
            return np.array([index[self.label(v)] for v in chosen], dtype=float)
        numbers = np.array(chosen, dtype=float)
        return np.log10(numbers) if self.kind == "log" else numbers

    def layout(self) -> dict[str, Any]:
        """Plotly axis settings: a log axis, or categories in their declared order."""
        if self.kind == "log":
            return {"type": "log", "title": {"text": self.name}}
        if self.kind == "category":
            return {
                "type": "category",
                "categoryorder": "array",
                "categoryarray": self.labels,
                "title": {"text": self.name},
            }
        return {"type": "linear", "title": {"text": self.name}}


def param_axis(trials: Sequence[FrozenTrial], name: str) -> ParamAxis:
    """How ``name`` is plotted: categorical if any trial declared it so, log if any did."""
    distributions = [t.distributions[name] for t in trials if name in t.distributions]
    present = np.array([name in t.params for t in trials], dtype=bool)
    values = [t.params.get(name) for t in trials]
    if any(isinstance(d, CategoricalDistribution) for d in distributions):
        choices = [c for d in distributions for c in getattr(d, "choices", ())]
        choices += [v for v, has in zip(values, present, strict=True) if has]
        label_of: dict[tuple[str, str], str] = {}
        for choice in choices:  # str(), with the type if another choice shows the same: 1, "1"
            key = choice_key(choice)
            if key not in label_of:
                text = str(choice)
                taken = text in label_of.values()
                label_of[key] = f"{text} ({type(choice).__name__})" if taken else text
        labels = list(label_of.values())
        return ParamAxis(name, "category", values, present, labels, label_of)
    log = any(getattr(d, "log", False) for d in distributions)
    return ParamAxis(name, "log" if log else "linear", values, present, [])


def hover_texts(trials: Sequence[FrozenTrial], mask: np.ndarray | None = None) -> list[str]:
    """``Trial 3: {'x': 0.5}`` for each (masked) trial."""
    chosen = trials if mask is None else [t for t, k in zip(trials, mask, strict=True) if k]
    return [f"Trial {t.number}: {t.params}" for t in chosen]
