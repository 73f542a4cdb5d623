"""A grouped 2-D convolution that trains on every device (ResNeXt's 3x3 convolutions).

TensorFlow differentiates grouped convolutions on CPU only through oneDNN on CPUs with
AVX-512-class features. Where it cannot, the layer convolves each group on its own and joins
the results: the same weights and the same function, only slower. The choice is made once per
device, when the layer
is made, by the fused packs' probe.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tftune.keras._fusion._conv import GROUPED, per_copy_formulation


#: ``auto``: grouped where the device differentiates it, else split; or either one forced.
_IMPLEMENTATIONS = ("auto", "grouped", "split")


@keras.saving.register_keras_serializable(package="tftune")
class GroupedConv2D(keras.layers.Layer):  # type: ignore[misc]
    """``filters`` outputs from ``groups`` equal slices of the input channels, no bias.

    ``implementation`` picks the kernel: ``"auto"`` (the default), ``"grouped"`` or
    ``"split"``; all three compute the same function over the same weights.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int,
        groups: int,
        strides: int = 1,
        implementation: str = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if filters % groups:
            raise ValueError(
                f"GroupedConv2D: `filters` must be a multiple of `groups` ({groups}); "
                f"got {filters}."
            )
        self.filters = filters
        self.kernel_size = kernel_size
        self.groups = groups
        self.strides = strides
        if implementation not in _IMPLEMENTATIONS:
            raise ValueError(
                f"GroupedConv2D: `implementation` must be one of {_IMPLEMENTATIONS}; "
                f"got {implementation!r}."
            )
        self.implementation = implementation
        if implementation == "auto":  # probed eagerly, on the device the layer is made on
            self._grouped = per_copy_formulation(2) == GROUPED
        else:
            self._grouped = implementation == "grouped"

    def build(self, input_shape: Any) -> None:
        channels = int(input_shape[-1])
        if channels % self.groups:
            raise ValueError(
                f"GroupedConv2D: the input's channels must be a multiple of `groups` "
                f"({self.groups}); got {channels}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, self.kernel_size, channels // self.groups, self.filters),
            initializer="glorot_uniform",
        )

    def call(self, inputs: Any) -> Any:
        strides = [1, self.strides, self.strides, 1]
        if self._grouped:
            return tf.nn.conv2d(inputs, self.kernel, strides, padding="SAME")
        slices = tf.split(inputs, self.groups, axis=-1)
        kernels = tf.split(self.kernel, self.groups, axis=-1)
        outputs = [
            tf.nn.conv2d(part, kernel, strides, padding="SAME")
            for part, kernel in zip(slices, kernels, strict=True)
        ]
        return tf.concat(outputs, axis=-1)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        def out(size: Any) -> Any:
            return None if size is None else -(-int(size) // self.strides)

        return (input_shape[0], out(input_shape[1]), out(input_shape[2]), self.filters)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            groups=self.groups,
            strides=self.strides,
            implementation=self.implementation,
        )
        return config
