"""How many trials go in one pack: the device's default, the memory a pack may take, and splits
by width where padding narrow copies to the widest would cost more than a second pack."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras

#: The most copies in one pack when ``pack_size="auto"``, per device.
AUTO_PACK_SIZE = {"CPU": 32, "GPU": 128}
#: Share of the free memory a pack may take (weights, gradients, optimizer slots, activations).
MEMORY_SHARE = 0.25
#: One training step of a pack has a fixed cost (about 5 ms on two CPU cores, measured with
#: 32 copies of a digits MLP) worth about this many multiply-adds; a pack is split in two by
#: width when that saves more multiply-adds per step. Unmeasured on GPUs, where the fixed cost
#: dominates: packs are not split there.
SPLIT_WORTH_MACS = {"CPU": 3e7, "GPU": math.inf}
#: The smallest part a split may leave.
MIN_SPLIT_SIZE = 4
#: The most float32 activations (rows x copies x features, 128 MB) one evaluation call of a pack
#: may hold: evaluating in few large calls saves a step's fixed cost per training batch.
EVALUATION_FLOATS = 2**25


def device_kind() -> str:
    """``"GPU"`` when TensorFlow sees one, else ``"CPU"``."""
    import tensorflow as tf

    return "GPU" if tf.config.list_logical_devices("GPU") else "CPU"


def auto_pack_size() -> int:
    """The pack size for the device Keras trains on (GPU if TensorFlow sees one)."""
    return AUTO_PACK_SIZE[device_kind()]


def copies_that_fit(models: Sequence[keras.Model], batch_size: int) -> int:
    """How many copies fit in ``MEMORY_SHARE`` of the free memory, estimated from the largest
    model's parameters (weights, gradient, two optimizer slots) and activations (x3 for the
    backward pass), in float32."""
    per_copy = max(_copy_bytes(model, batch_size) for model in models)
    return max(1, int(MEMORY_SHARE * _free_memory_bytes() // max(per_copy, 1)))


def _copy_bytes(model: keras.Model, batch_size: int) -> int:
    return 4 * (4 * int(model.count_params()) + 3 * batch_size * _activations(model))


def _activations(model: keras.Model) -> int:
    """Activations per sample: the sizes of every layer's output."""
    activations = 0
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        shape = getattr(shape, "shape", None)
        if shape is not None:
            activations += int(np.prod([d for d in shape[1:] if d is not None]))
    return activations


def evaluation_batch(models: Sequence[keras.Model], batch_size: int, rows: int) -> int:
    """Rows per evaluation call of a pack of ``models``: all ``rows`` where the activations fit
    in ``EVALUATION_FLOATS``, else as many as fit, never fewer than the training ``batch_size``
    (the logs are means over all rows either way)."""
    per_row = len(models) * max(_activations(model) for model in models)
    return max(batch_size, min(rows, EVALUATION_FLOATS // max(per_row, 1)))


def _free_memory_bytes() -> int:
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        info = tf.config.experimental.get_memory_info(gpus[0].name)
        limit = _gpu_memory_limit()
        if limit is not None:
            return max(limit - int(info["current"]), 0)
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def _gpu_memory_limit() -> int | None:
    import tensorflow as tf

    try:
        details = tf.config.experimental.get_device_details(
            tf.config.list_physical_devices("GPU")[0]
        )
    except (IndexError, RuntimeError, ValueError):
        return None
    limit = details.get("memory_limit") or details.get("device_memory_size")
    return int(limit) if limit else None


def split_by_width(models: Sequence[keras.Model], batch_size: int) -> list[list[int]]:
    """The indices of ``models`` (ascending) in the packs to train: one pack, or, where their
    widths differ enough, packs of similar widths (narrower first), each at least
    ``MIN_SPLIT_SIZE``.

    Each split tries the models ordered by every width bucket key (``width_keys``: their whole
    padded cost, then the width of each kernel layer in turn) and keeps the cut that costs the
    fewest ``padded_macs``; the trials themselves keep the order they were sampled in.
    """
    keys = [width_keys(model) for model in models]
    parts = _split(
        list(range(len(models))),
        keys,
        _columns(models),
        SPLIT_WORTH_MACS[device_kind()] / batch_size,
    )
    return [sorted(part) for part in parts]


def width_keys(model: keras.Model) -> tuple[float, ...]:
    """What copies are grouped by: the model's padded cost alone, then the output width of each
    of its kernel layers (first to last)."""
    widths = [
        float(layer.kernel.shape[-1])
        for layer in model.layers
        if getattr(layer, "kernel", None) is not None
    ]
    return (padded_macs([model]), *widths)


def _split(
    indices: list[int],
    keys: Sequence[tuple[float, ...]],
    columns: Sequence[Sequence[keras.layers.Layer]],
    worth: float,
) -> list[list[int]]:
    """Split ``indices`` in two where that saves more than ``worth``, recursively; a part's cost
    is ``padded_macs`` of its copies, at the positions the whole pack aligned."""
    if len(indices) < 2 * MIN_SPLIT_SIZE:
        return [indices]

    def cost(part: Sequence[int]) -> float:
        return len(part) * _columns_macs([[layers[i] for i in part] for layers in columns])

    whole = cost(indices)
    best = (whole, indices, indices[:0])
    for position in range(max(len(keys[i]) for i in indices)):
        order = sorted(
            indices, key=lambda i: (keys[i][position] if position < len(keys[i]) else 0.0, i)
        )
        for cut in range(MIN_SPLIT_SIZE, len(order) - MIN_SPLIT_SIZE + 1):
            total = cost(order[:cut]) + cost(order[cut:])
            if total < best[0]:
                best = (total, order[:cut], order[cut:])
    if whole - best[0] <= worth:
        return [indices]
    return [*_split(best[1], keys, columns, worth), *_split(best[2], keys, columns, worth)]


def padded_macs(models: Sequence[keras.Model]) -> float:
    """Multiply-adds per sample and copy of the models' kernels padded to the widest copy.

    Positions are those of the fused chain: models of different depth are aligned as the pack
    aligns them, and a position where some copies hold only an identity slot costs the real
    copies' share (the fused layer multiplies only those).
    """
    return _columns_macs(_columns(models))


def _columns(models: Sequence[keras.Model]) -> list[list[keras.layers.Layer]]:
    """The models' layers by position of the fused chain (aligned as the pack aligns them)."""
    from tftune.keras._fusion._inspect import aligned_layers, chain_layers

    chains = [chain_layers(model) for model in models]
    aligned = None
    if all(not isinstance(chain, str) for chain in chains):
        found = aligned_layers(chains)
        aligned = None if isinstance(found, str) else found
    # not strict: models that fuse can list different layer counts (a functional model lists its
    # InputLayer, a Sequential one does not)
    columns = (
        zip(*aligned, strict=True)
        if aligned is not None
        else zip(*(model.layers for model in models), strict=False)
    )
    return [list(layers) for layers in columns]


def _columns_macs(columns: Sequence[Sequence[keras.layers.Layer]]) -> float:
    total = 0.0
    for layers in columns:
        real = [layer for layer in layers if getattr(layer, "kernel", None) is not None]
        if not real:
            continue
        widest = np.max([tuple(layer.kernel.shape) for layer in real], axis=0)
        share = len(real) / len(layers)
        total += float(np.prod(widest)) * _positions(real[0]) * share
    return total


def _positions(layer: keras.layers.Layer) -> int:
    """Output positions a kernel is applied at (1 for Dense; the output's spatial size for a
    conv)."""
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return 1
    return int(np.prod([d for d in shape[1:-1] if d is not None])) if len(shape) > 2 else 1
