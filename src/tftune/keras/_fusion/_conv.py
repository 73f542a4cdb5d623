"""Convolutions of K copies at once, in a formulation the device can differentiate.

A fused convolution has per-copy kernels ``(K, *window, C, O)``. On a shared input (no copy axis
yet) the K kernels sit side by side along the output channels: one plain convolution, which
every device differentiates. On per-copy inputs there are two formulations:

- ``GROUPED``: the copies folded into the channel axis and one grouped convolution
  (groups = K). Fastest, but TensorFlow computes its gradients on CPU only through oneDNN,
  which it enables only on CPUs with AVX-512-class features (or not at all with
  ``TF_ENABLE_ONEDNN_OPTS=0``); elsewhere the backward pass raises ``InvalidArgumentError``.
- ``PER_COPY``: one ordinary convolution per copy inside the same compiled step. It runs on
  every device and equals each copy's own Keras convolution bit for bit; TensorFlow's executor
  runs the K convolutions in parallel. On two CPU cores it is 1.5-4x slower per convolution
  than the grouped kernel, and it needs no extra memory (the depthwise and patch-matrix
  formulations measured slower or took C or window-size times more memory).

:func:`per_copy_formulation` probes once per process, device and spatial rank whether grouped
gradients run, with a tiny convolution, and picks ``GROUPED`` where they do.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

import tensorflow as tf

Formulation = Literal["grouped", "per_copy"]
GROUPED: Formulation = "grouped"
PER_COPY: Formulation = "per_copy"

#: (device, spatial rank) -> whether grouped convolutions have gradients there.
_GROUPED_GRADIENTS: dict[tuple[str, int], bool] = {}
_PROBE_LOCK = threading.Lock()


def per_copy_formulation(spatial_rank: int) -> Formulation:
    """The formulation for per-copy convolutions on the device eager ops run on now."""
    key = (_current_device(), spatial_rank)
    with _PROBE_LOCK:
        if key not in _GROUPED_GRADIENTS:
            _GROUPED_GRADIENTS[key] = _grouped_gradients_run(spatial_rank)
    return GROUPED if _GROUPED_GRADIENTS[key] else PER_COPY


def _current_device() -> str:
    with tf.init_scope():  # eager, even when called while a function is being traced
        return str(tf.constant(0.0).device)


def _grouped_gradients_run(spatial_rank: int) -> bool:
    """Differentiate a two-group convolution of a 3-wide (or 3x3) input; False if it fails.

    Runs eagerly (fused layers are built eagerly, when a pack is made)."""
    inputs = tf.ones([1, *[3] * spatial_rank, 2])
    kernel = tf.ones([*[2] * spatial_rank, 1, 2])
    try:
        with tf.GradientTape() as tape:
            tape.watch([inputs, kernel])
            output = tf.nn.convolution(inputs, kernel, padding="VALID")
        gradients = tape.gradient(output, [inputs, kernel])
        return all(bool(tf.reduce_all(tf.math.is_finite(g))) for g in gradients)
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
        return False


def convolve(
    h: tf.Tensor, kernel: tf.Tensor, shared: bool, formulation: Formulation, **options: Any
) -> tf.Tensor:
    """Every copy's convolution, shaped ``(K, batch, *spatial, O)``.

    ``h`` is ``(batch, *spatial, C)`` when ``shared``, else ``(K, batch, *spatial, C)``;
    ``kernel`` is ``(K, *window, C, O)``; ``options`` go to ``tf.nn.convolution``.
    """
    copies = kernel.shape[0]
    if not shared and formulation == PER_COPY:
        return tf.stack(
            [tf.nn.convolution(h[k], kernel[k], **options) for k in range(copies)], axis=0
        )
    rank = kernel.shape.rank
    side_by_side = tf.transpose(kernel, [*range(1, rank - 1), 0, rank - 1])
    side_by_side = tf.reshape(side_by_side, [*kernel.shape[1:-1], -1])
    inputs = h if shared else _copies_into_channels(h)  # per copy: a grouped convolution
    return _channels_into_copies(tf.nn.convolution(inputs, side_by_side, **options), copies)


def _copies_into_channels(h: tf.Tensor) -> tf.Tensor:
    """(K, batch, *spatial, C) -> (batch, *spatial, K * C), copy-major channels."""
    rank = h.shape.rank
    moved = tf.transpose(h, [*range(1, rank - 1), 0, rank - 1])
    return tf.reshape(moved, [-1, *h.shape[2:-1], h.shape[0] * h.shape[-1]])


def _channels_into_copies(z: tf.Tensor, size: int) -> tf.Tensor:
    """(batch, *spatial, K * C) -> (K, batch, *spatial, C)."""
    split = tf.reshape(z, [-1, *z.shape[1:-1], size, z.shape[-1] // size])
    rank = split.shape.rank
    return tf.transpose(split, [rank - 2, *range(rank - 2), rank - 1])
