"""Discrete spaces: snap candidates to the grid, and do not propose a configuration twice.

When every parameter of a search space is discrete (ints, stepped floats, categoricals), a
model-based sampler that scores continuous candidates and rounds the winner proposes
configurations it has already tried: on the HPOBench tables (five 10-value ordinal parameters)
half of a Gaussian process's first 100 proposals were repeats. Scoring the candidates *on* the
grid and leaving out the tried (and running) configurations spends every evaluation on
something new, until the grid is exhausted.

That is right for a deterministic objective only: where the same configuration returns
different values (a noisy table, a training run without a fixed seed), a second evaluation of a
good configuration is worth more than a first one of a mediocre configuration, whose one lucky
draw may become the incumbent. So, once ``PROBE_AFTER`` model-based trials are complete and no
configuration was evaluated twice, the sampler proposes the best configuration so far again
(the noise probe: one evaluation per study). If any configuration (the probe or another) then
holds two different values, the objective is noisy and repeats are no longer avoided; the models
see the repeated values, so the GP can fit the noise.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from tftune.samplers._tpe._observations import COMPLETE, ObservationTable
from tftune.distributions import BaseDistribution
from tftune.samplers._tpe._transform import NumericAxis, as_categorical, as_numeric

# Grids up to this many configurations are enumerated when no candidate is new.
ENUMERATE_LIMIT = 20_000
# Model-based trials (complete, beyond the startup ones) before the noise probe.
PROBE_AFTER = 10


class DiscreteGrid:
    """The grid of a search space's numeric axes (model space: log for log axes).

    Args:
        axes: the numeric axes, in the order of the observation table's numeric columns.
        n_choices: categories per categorical column.
    """

    def __init__(self, axes: Sequence[NumericAxis], n_choices: Iterable[int]) -> None:
        self.axes = list(axes)
        self.n_choices = [int(k) for k in n_choices]
        self.is_finite = all(axis.step is not None for axis in self.axes)
        self._stepped = [j for j, axis in enumerate(self.axes) if axis.step is not None]
        self.n_values = [self._n_values(axis) for axis in self.axes]

    @staticmethod
    def _n_values(axis: NumericAxis) -> int:
        if axis.step is None:
            return 0
        d = axis.distribution
        return int(math.floor((d.high - d.low) / axis.step + 1e-9)) + 1

    @property
    def size(self) -> int:
        """Configurations in the grid (only meaningful when :attr:`is_finite`)."""
        return math.prod(self.n_values) * math.prod(self.n_choices)

    def _indices(self, numeric: np.ndarray) -> np.ndarray:
        """Grid index of each stepped axis's value, shape (m, len(stepped))."""
        out = np.empty((len(numeric), len(self._stepped)), dtype=np.int64)
        for column, j in enumerate(self._stepped):
            axis = self.axes[j]
            d = axis.distribution
            values = np.exp(numeric[:, j]) if axis.log else numeric[:, j]
            index = np.rint((values - d.low) / axis.step)  # type: ignore[operator]
            out[:, column] = np.clip(index, 0, self.n_values[j] - 1)
        return out

    def snap(self, numeric: np.ndarray) -> np.ndarray:
        """``numeric`` (m, d_num, model space) with each stepped axis moved to its nearest grid
        value (a new array; continuous axes unchanged)."""
        out = np.array(numeric, dtype=float, copy=True)
        if not self._stepped:
            return out
        indices = self._indices(numeric)
        for column, j in enumerate(self._stepped):
            axis = self.axes[j]
            d = axis.distribution
            values = d.low + indices[:, column] * axis.step
            out[:, j] = np.log(values) if axis.log else values
        return out

    def keys(self, numeric: np.ndarray, categorical: np.ndarray) -> list[bytes]:
        """One hashable key per configuration (requires :attr:`is_finite`)."""
        codes = np.concatenate(
            [self._indices(numeric), np.asarray(categorical, dtype=np.int64)], axis=1
        )
        codes = np.ascontiguousarray(codes)
        return [row.tobytes() for row in codes]

    def enumerate(self) -> tuple[np.ndarray, np.ndarray]:
        """Every configuration: (numeric in model space, category indices)."""
        ranges = [np.arange(k) for k in self.n_values + self.n_choices]
        mesh = np.stack(np.meshgrid(*ranges, indexing="ij"), axis=-1).reshape(-1, len(ranges))
        d_num = len(self.axes)
        numeric = np.empty((len(mesh), d_num))
        for j, axis in enumerate(self.axes):
            d = axis.distribution
            values = d.low + mesh[:, j] * axis.step  # type: ignore[operator]
            numeric[:, j] = np.log(values) if axis.log else values
        return numeric, mesh[:, d_num:].astype(np.int64)


class TriedConfigurations:
    """The keys of every configuration a table holds, updated as the table grows (thread-safe),
    and whether a configuration was evaluated twice (:attr:`repeated`) with different values
    (:attr:`noisy`)."""

    def __init__(self) -> None:
        self._keys: set[bytes] = set()
        self._first_loss: dict[bytes, float] = {}
        self._upto = 0
        self._lock = threading.Lock()
        self.repeated = False
        self.noisy = False

    def with_running(
        self,
        table: ObservationTable,
        grid: DiscreteGrid,
        running_numeric: np.ndarray,
        running_categorical: np.ndarray,
    ) -> set[bytes]:
        """The table's configurations (taking in its new rows) and the running ones, as keys."""
        with self._lock:
            size = len(table)
            if self._upto < size:
                keys = grid.keys(
                    table.numeric[self._upto : size], table.categorical[self._upto : size]
                )
                for offset, key in enumerate(keys):
                    self._keys.add(key)
                    row = self._upto + offset
                    if table.kind[row] == COMPLETE:
                        self._see(key, float(table.rank_key[row, 1]))
                self._upto = size
            if not len(running_numeric) and not len(running_categorical):
                return self._keys
            return self._keys | set(grid.keys(running_numeric, running_categorical))

    def _see(self, key: bytes, loss: float) -> None:
        """A complete evaluation of configuration ``key`` (under the lock)."""
        if not math.isfinite(loss):
            return
        first = self._first_loss.get(key)
        if first is None:
            self._first_loss[key] = loss
            return
        self.repeated = True
        if abs(loss - first) > 1e-12 * max(1.0, abs(loss), abs(first)):
            self.noisy = True

    def probe_due(
        self,
        table: ObservationTable,
        grid: DiscreteGrid,
        best_row: int,
        running_numeric: np.ndarray,
        running_categorical: np.ndarray,
    ) -> bool:
        """Whether this proposal is the noise probe (see the module docstring): no configuration
        was evaluated twice yet, and the best one (row ``best_row``) is not running now. The
        caller checks that ``PROBE_AFTER`` model-based trials are complete."""
        if self.repeated or self.noisy:
            return False
        rows = slice(best_row, best_row + 1)
        best = grid.keys(table.numeric[rows], table.categorical[rows])
        return best[0] not in set(grid.keys(running_numeric, running_categorical))


def new_mask(
    grid: DiscreteGrid, tried: set[bytes], numeric: np.ndarray, categorical: np.ndarray
) -> np.ndarray:
    """True for each candidate (already on the grid) whose configuration is not in ``tried``
    (the tried and the running configurations)."""
    return np.array([key not in tried for key in grid.keys(numeric, categorical)], dtype=bool)


def table_configuration(
    table: ObservationTable, space: dict[str, BaseDistribution], row: int
) -> dict[str, Any]:
    """The parameters of the table's row ``row`` (a configuration proposed again)."""
    proposal: dict[str, Any] = {
        name: NumericAxis(as_numeric(space[name])).from_model(float(table.numeric[row, j]))
        for j, name in enumerate(table.numeric_names)
    }
    for j, name in enumerate(table.categorical_names):
        proposal[name] = as_categorical(space[name]).choices[int(table.categorical[row, j])]
    return proposal
