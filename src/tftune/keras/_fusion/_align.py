"""Align layer chains of different depth so they fuse: the one home of the padding rule.

Copies whose chains differ only by hidden ``Dense`` layers and ``Dropout`` layers train as one
pack: where a copy lacks a layer that others have at a position, it gets a *slot* there,

- for ``Dense``: an identity slot, kernel ``eye(w)`` and bias zero with a linear activation,
  mapping the copy's width ``w`` at that point to ``w``; the fused pack marks its weights as
  absent for that copy, so they get no gradient step, no optimizer slot update, no weight
  decay, no regularisation, and are never written back to the copy's model;
- for ``Dropout``: a dropout slot of rate 0 (an identity, in training too).

Either is exact: the copy computes what its own chain computes. Every other layer kind must
appear in every copy in the same order with the same shared settings, and the last layer is real
in every copy (it gives the output).

The chains are merged one copy at a time into a template of positions by a shortest-common-
supersequence alignment; among the shortest, real layers match as early as possible, so slots
sit after a copy's last hidden layer of a run (where its width is smallest, not on the input).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

#: Layer kinds a copy may lack at a position (and gets a slot for).
PADDABLE = ("Dense", "Dropout")


@dataclass(frozen=True)
class IdentityDense:
    """Stands for a Dense layer a copy lacks: maps its ``units`` features to themselves."""

    units: int
    kernel: None = None  # no Keras variable: the fused weights are absent for this copy
    bias: None = None
    name: str = "identity slot"

    def get_config(self) -> dict[str, Any]:
        return {"activation": "linear"}

    def slot_values(self) -> list[np.ndarray]:
        """The slot's (kernel, bias): identity and zero."""
        return [np.eye(self.units, dtype=np.float32), np.zeros(self.units, np.float32)]


@dataclass(frozen=True)
class NoDropout:
    """Stands for a Dropout layer a copy lacks: rate 0."""

    rate: float = 0.0
    name: str = "dropout slot"

    def slot_values(self) -> list[np.ndarray]:
        return []


def is_slot(layer: Any) -> bool:
    """True for a padding slot (not a layer of the copy's model)."""
    return isinstance(layer, (IdentityDense, NoDropout))


def _kind(layer: Any) -> str:
    return type(layer).__name__


def align_chains(
    chains: Sequence[Sequence[keras.layers.Layer]],
    compatible: Callable[[keras.layers.Layer, keras.layers.Layer], bool],
) -> list[list[Any]] | str:
    """The chains padded with slots to one length, position by position ``compatible``; or why
    they do not align. ``compatible(a, b)`` says whether two real layers may share a position."""
    template: list[keras.layers.Layer] = list(chains[0])  # one real layer per position
    columns: list[list[int | None]] = [[i] for i in range(len(template))]  # per position
    for copy in range(1, len(chains)):
        chain = chains[copy]
        if not compatible(template[-1], chain[-1]):
            if _kind(chain[-1]) == _kind(template[-1]):
                return f"the last layer of copy {copy} does not share the settings of copy 0's"
            return (
                f"the last layer of copy {copy} is {_kind(chain[-1])}, "
                f"copy 0 ends with {_kind(template[-1])}"
            )
        path = _align_pair(template[:-1], list(chain[:-1]), compatible)
        if isinstance(path, str):
            return f"copy {copy}: {path}"
        merged_template, merged_columns = [], []
        for position, index in path:
            if position is None:  # a layer only this copy has: earlier copies get slots
                assert index is not None
                merged_template.append(chain[index])
                merged_columns.append([None] * copy + [index])
            else:
                merged_template.append(template[position])
                merged_columns.append([*columns[position], index])
        merged_template.append(template[-1])
        merged_columns.append([*columns[-1], len(chain) - 1])
        template, columns = merged_template, merged_columns
    return [_padded(chain, copy, template, columns) for copy, chain in enumerate(chains)]


def _padded(
    chain: Sequence[keras.layers.Layer],
    copy: int,
    template: Sequence[keras.layers.Layer],
    columns: Sequence[list[int | None]],
) -> list[Any]:
    """Copy ``copy``'s chain with a slot wherever it has no layer; a Dense slot keeps the width
    at that point: the input width of the copy's next real layer (the last layer is real)."""
    row: list[Any] = []
    for position, column in enumerate(columns):
        index = column[copy]
        if index is not None:
            row.append(chain[index])
        elif _kind(template[position]) == "Dropout":
            row.append(NoDropout())
        else:
            following = next(c[copy] for c in columns[position + 1 :] if c[copy] is not None)
            assert following is not None
            row.append(IdentityDense(int(chain[following].input.shape[-1])))
    return row


def _align_pair(
    template: Sequence[keras.layers.Layer],
    chain: Sequence[keras.layers.Layer],
    compatible: Callable[[keras.layers.Layer, keras.layers.Layer], bool],
) -> list[tuple[int | None, int | None]] | str:
    """Shortest common supersequence of two chains where only PADDABLE layers may go unmatched:
    pairs (template position or None, chain index or None); or why no such alignment exists."""
    n, m = len(template), len(chain)
    never = n + m + 1
    # cost[i][j]: fewest positions to align template[i:] with chain[j:]
    cost = [[never] * (m + 1) for _ in range(n + 1)]
    cost[n][m] = 0
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            if i == n and j == m:
                continue
            best = never
            if i < n and j < m and compatible(template[i], chain[j]):
                best = min(best, 1 + cost[i + 1][j + 1])
            if i < n and _kind(template[i]) in PADDABLE:
                best = min(best, 1 + cost[i + 1][j])
            if j < m and _kind(chain[j]) in PADDABLE:
                best = min(best, 1 + cost[i][j + 1])
            cost[i][j] = min(best, never)
    if cost[0][0] >= never:
        return _no_alignment(template, chain, compatible)
    path: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n or j < m:
        here = cost[i][j]
        matches = i < n and j < m and compatible(template[i], chain[j])
        if matches and here == 1 + cost[i + 1][j + 1]:
            path.append((i, j))
            i, j = i + 1, j + 1
        elif j < m and _kind(chain[j]) == "Dense" and here == 1 + cost[i][j + 1]:
            path.append((None, j))
            j += 1
        elif i < n and _kind(template[i]) in PADDABLE and here == 1 + cost[i + 1][j]:
            path.append((i, None))
            i += 1
        else:
            path.append((None, j))
            j += 1
    return path


def _no_alignment(
    template: Sequence[keras.layers.Layer],
    chain: Sequence[keras.layers.Layer],
    compatible: Callable[[keras.layers.Layer, keras.layers.Layer], bool],
) -> str:
    """Why two chains do not align: the layers that cannot be padded differ."""
    rule = f"only {' and '.join(PADDABLE)} layers can be padded with identity slots"
    fixed_a = [layer for layer in template if _kind(layer) not in PADDABLE]
    fixed_b = [layer for layer in chain if _kind(layer) not in PADDABLE]
    for a, b in zip(fixed_a, fixed_b, strict=False):
        if _kind(a) != _kind(b):
            return (
                f"its {_kind(b)} layer {b.name!r} stands where earlier copies have {_kind(a)}; "
                f"{rule}"
            )
        if not compatible(a, b):
            return f"its {_kind(b)} layer {b.name!r} does not share the settings of {a.name!r}"
    longer, shorter = sorted((fixed_a, fixed_b), key=len, reverse=True)
    extra = longer[len(shorter)]
    return f"its {_kind(extra)} layer {extra.name!r} is in one of the copies only; {rule}"
