"""The matplotlib plots' shared pieces: the pair grid, values on log axes, a history's labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tftune.visualization._common import ParamAxis  # noqa: E402
from tftune.visualization.matplotlib._axes import (  # noqa: E402
    label_by_trial,
    new_axes,
    on_axis,
    pair_grid,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_pair_grid_draws_every_cell_off_the_diagonal_with_edge_labels():
    calls = []

    def draw(ax, col, row, x_label, y_label):
        calls.append((col, row, x_label, y_label))
        return None if (col, row) == (1, 0) else f"mappable {col}{row}"

    grid, mappable = pair_grid(3, "Pairs", draw)
    assert grid.shape == (3, 3)
    assert sorted((c, r) for c, r, _, _ in calls) == [
        (c, r) for c in range(3) for r in range(3) if c != r
    ]
    assert all(x == (r == 2) and y == (c == 0) for c, r, x, y in calls)
    assert mappable == "mappable 20"  # the first one drawn that is not None
    assert not grid[1, 1].axison and grid[0, 1].axison


def test_values_on_a_log_axis_are_shown_as_themselves():
    present = np.array([True, True])
    log_axis = ParamAxis("lr", "log", [1e-3, 1e-1], present, [])
    linear = ParamAxis("x", "linear", [0.2, 0.5], present, [])
    assert np.allclose(log_axis.numeric(), [-3.0, -1.0])  # the numeric form: log10
    assert np.allclose(on_axis(log_axis, np.array([-3.0, -1.0])), [1e-3, 1e-1])
    assert np.allclose(on_axis(linear, np.array([0.2, 0.5])), [0.2, 0.5])


def test_a_history_is_labelled_by_trial():
    ax = new_axes("History")
    ax.plot([0, 1], [1.0, 0.5], label="Objective Value")
    label_by_trial(ax, "Objective Value")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Trial", "Objective Value")
    assert ax.get_legend() is not None
    bare = new_axes("Hypervolume")
    label_by_trial(bare, "Hypervolume", legend=False)
    assert bare.get_legend() is None
