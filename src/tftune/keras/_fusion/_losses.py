"""Per-copy losses and compiled metrics, computed with Keras' own functions on (K, batch, ...)
tensors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf
from keras.src.trainers.compile_utils import is_binary_or_sparse_categorical

from tftune.keras._fusion._inspect import LossSpec, MetricSpec

MetricFn = tuple[Callable[..., Any], dict[str, Any]]


def align_targets(y: tf.Tensor, y_pred: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Keras' squeeze_or_expand_to_same_rank as each copy sees it (ranks without the copy axis),
    then the targets repeated for each of the K copies."""
    true_rank, pred_rank = y.shape.rank, y_pred.shape.rank - 1
    if true_rank == pred_rank + 1 and y.shape[-1] == 1:
        if pred_rank == 1:
            y_pred = y_pred[..., None]
        else:
            y = tf.squeeze(y, axis=-1)
    if pred_rank == true_rank + 1 and y_pred.shape[-1] == 1:
        if true_rank == 1:
            y = y[..., None]
        else:
            y_pred = tf.squeeze(y_pred, axis=-1)
    size = y_pred.shape[0]
    return tf.broadcast_to(y[None], tf.concat([[size], tf.shape(y)], axis=0)), y_pred


def per_copy_loss(spec: LossSpec, y: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """(K,) mean loss over the batch, as Keras' 'sum_over_batch_size' reduction gives it."""
    fn, kwargs = spec
    y_true, y_pred = align_targets(y, y_pred)
    values = fn(y_true, y_pred, **kwargs)
    return tf.reduce_mean(tf.reshape(values, [y_pred.shape[0], -1]), axis=1)


def resolve_metrics(
    specs: Sequence[MetricSpec], y_shape: Sequence[int | None], output_shape: Sequence[int | None]
) -> list[tuple[str, MetricFn]]:
    """Resolve 'accuracy' like Keras does (binary / sparse categorical / categorical from the
    shapes)."""
    resolved = []
    for name, identifier in specs:
        if identifier == "accuracy":
            is_binary, is_sparse = is_binary_or_sparse_categorical(
                _Shaped(y_shape), _Shaped(output_shape)
            )
            if is_binary:
                identifier = (keras.metrics.binary_accuracy, {})
            elif is_sparse:
                identifier = (keras.metrics.sparse_categorical_accuracy, {})
            else:
                identifier = (keras.metrics.categorical_accuracy, {})
        resolved.append((name, identifier))
    return resolved


class _Shaped:
    """A stand-in carrying only ``shape``, for Keras' shape-based metric resolution."""

    def __init__(self, shape: Sequence[int | None]) -> None:
        self.shape = tuple(shape)


def per_copy_metric_sums(
    metrics: Sequence[tuple[str, MetricFn]], y: tf.Tensor, y_pred: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """(M, K) sums of each metric's values and (M,) how many values per copy (Keras' Mean divides
    these)."""
    size = y_pred.shape[0]
    if not metrics:
        return tf.zeros([0, size]), tf.zeros([0])
    y_true, y_pred = align_targets(y, y_pred)
    sums, counts = [], []
    for _, (fn, kwargs) in metrics:
        values = tf.reshape(tf.cast(fn(y_true, y_pred, **kwargs), tf.float32), [size, -1])
        sums.append(tf.reduce_sum(values, axis=1))
        counts.append(tf.cast(tf.shape(values)[1], tf.float32))
    return tf.stack(sums), tf.stack(counts)
