"""``HyperXception``: an Xception-style network of separable-convolution residual blocks.

The search space is KerasTuner's: ``activation`` relu/selu, ``conv2d_num_filters``
32/64/128 (default 64), ``kernel_size`` 3/5, ``initial_strides`` 2, ``sep_num_filters``
128-768 by 128 (default 256), ``num_residual_blocks`` 2-8 (default 4), ``pooling``
avg/flatten/max, then, with a classification top, ``num_dense_layers`` 1-3, ``dropout_rate``
0-0.6 by 0.1 (default 0.5), ``dense_use_bn`` and Adam's ``learning_rate`` 1e-3/1e-4/1e-5.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from tftune.keras_tuner._hyperparameters import HyperParameters
from tftune.keras_tuner.applications._inputs import (
    ImageClassifierHyperModel,
    compile_classifier,
    image_input,
)

_POOLINGS = {
    "avg": layers.GlobalAveragePooling2D,
    "flatten": layers.Flatten,
    "max": layers.GlobalMaxPooling2D,
}


def _conv(x: Any, filters: int, kernel_size: int, activation: str, strides: int) -> Any:
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False)(x)
    return layers.Activation(activation)(layers.BatchNormalization()(x))


def _separable(x: Any, filters: int, activation: str) -> Any:
    x = layers.Activation(activation)(x)
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
    return layers.BatchNormalization()(x)


def _residual(x: Any, filters: int, activation: str, downsample: bool) -> Any:
    """Two separable convolutions added to the input (projected where shapes differ)."""
    shortcut = x
    x = _separable(_separable(x, filters, activation), filters, activation)
    if downsample:
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        shortcut = layers.Conv2D(filters, 1, strides=2, padding="same")(shortcut)
    elif shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, padding="same")(shortcut)
    return layers.Add()([shortcut, x])


def _dense(x: Any, units: int, activation: str, batchnorm: bool, dropout_rate: float) -> Any:
    x = layers.Dense(units)(x)
    if batchnorm:
        x = layers.BatchNormalization()(x)
    x = layers.Activation(activation)(x)
    return layers.Dropout(dropout_rate)(x) if dropout_rate > 0 else x


class HyperXception(ImageClassifierHyperModel):
    """An Xception hypermodel (KerasTuner's ``keras_tuner.applications.HyperXception``).

    Takes ``include_top``, ``input_shape``, ``input_tensor`` and ``classes`` (see
    :class:`ImageClassifierHyperModel`).
    """

    def build(self, hp: HyperParameters) -> Any:
        activation = str(hp.Choice("activation", ["relu", "selu"]))
        inputs, x = image_input(self.input_shape, self.input_tensor)
        x = _conv(
            x,
            int(hp.Choice("conv2d_num_filters", [32, 64, 128], default=64)),
            int(hp.Choice("kernel_size", [3, 5])),
            activation,
            int(hp.Choice("initial_strides", [2])),
        )
        filters = int(hp.Int("sep_num_filters", 128, 768, step=128, default=256))
        for _ in range(int(hp.Int("num_residual_blocks", 2, 8, default=4))):
            x = _residual(x, filters, activation, downsample=False)
        x = _residual(x, 2 * filters, activation, downsample=True)  # the exit flow
        x = _POOLINGS[str(hp.Choice("pooling", ["avg", "flatten", "max"]))]()(x)
        if not self.include_top:
            return keras.Model(inputs, x, name="Xception")
        dense_layers = int(hp.Int("num_dense_layers", 1, 3))
        dropout_rate = float(hp.Float("dropout_rate", 0.0, 0.6, step=0.1, default=0.5))
        batchnorm = bool(hp.Choice("dense_use_bn", [True, False]))
        for _ in range(dense_layers):
            x = _dense(x, int(self.classes or 0), activation, batchnorm, dropout_rate)
        outputs = layers.Dense(self.classes, activation="softmax")(x)
        model = keras.Model(inputs, outputs, name="Xception")
        learning_rate = hp.Choice("learning_rate", [1e-3, 1e-4, 1e-5])
        return compile_classifier(model, keras.optimizers.Adam(learning_rate))
