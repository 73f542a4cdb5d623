"""``HyperResNet``: ResNet v1, v2 (pre-activation) and ResNeXt with tuned stage depths.

The search space is KerasTuner's: ``version`` in v1/v2/next (default v2), ``conv3_depth`` in
4/8, ``conv4_depth`` in 6/23/36 (4 and 6 give the 50-layer network), ``pooling`` avg/max,
then, with a classification top, ``optimizer`` adam/rmsprop/sgd and ``learning_rate``
0.1/0.01/0.001 (default 0.01).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from tftune.keras_tuner._hyperparameters import HyperParameters
from tftune.keras_tuner.applications._grouped_conv import GroupedConv2D
from tftune.keras_tuner.applications._inputs import (
    ImageClassifierHyperModel,
    compile_classifier,
    image_input,
)

_EPSILON = 1.001e-5
_RESNEXT_GROUPS = 32


def _bn(x: Any) -> Any:
    return layers.BatchNormalization(epsilon=_EPSILON)(x)


def _bn_relu(x: Any) -> Any:
    return layers.Activation("relu")(_bn(x))


def _bottleneck_v1(x: Any, filters: int, stride: int, project: bool) -> Any:
    """Post-activation bottleneck: 1x1, 3x3, 1x1 (4x filters), added to the shortcut."""
    shortcut = x
    if project:
        shortcut = _bn(layers.Conv2D(4 * filters, 1, strides=stride)(x))
    x = _bn_relu(layers.Conv2D(filters, 1, strides=stride)(x))
    x = _bn_relu(layers.Conv2D(filters, 3, padding="same")(x))
    x = _bn(layers.Conv2D(4 * filters, 1)(x))
    return layers.Activation("relu")(layers.Add()([shortcut, x]))


def _bottleneck_v2(x: Any, filters: int, stride: int, project: bool) -> Any:
    """Pre-activation bottleneck (ResNet v2): the stride sits on the 3x3 convolution."""
    activated = _bn_relu(x)
    if project:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride)(activated)
    elif stride > 1:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x)
    else:
        shortcut = x
    x = _bn_relu(layers.Conv2D(filters, 1, use_bias=False)(activated))
    x = _bn_relu(layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x))
    x = layers.Conv2D(4 * filters, 1)(x)
    return layers.Add()([shortcut, x])


def _bottleneck_next(x: Any, filters: int, stride: int, project: bool) -> Any:
    """ResNeXt bottleneck: a 3x3 convolution in 32 groups, 2x filters out, no biases."""
    out = 2 * filters
    shortcut = x
    if project:
        shortcut = _bn(layers.Conv2D(out, 1, strides=stride, use_bias=False)(x))
    x = _bn_relu(layers.Conv2D(filters, 1, use_bias=False)(x))
    x = _bn_relu(GroupedConv2D(filters, 3, groups=_RESNEXT_GROUPS, strides=stride)(x))
    x = _bn(layers.Conv2D(out, 1, use_bias=False)(x))
    return layers.Activation("relu")(layers.Add()([shortcut, x]))


def _stage(x: Any, version: str, filters: int, blocks: int, stride: int) -> Any:
    """``blocks`` bottlenecks; the stage's downsampling sits where the version puts it."""
    if version == "v2":  # the last block of a v2 stage downsamples
        x = _bottleneck_v2(x, filters, 1, project=True)
        for index in range(1, blocks):
            x = _bottleneck_v2(x, filters, stride if index == blocks - 1 else 1, project=False)
        return x
    block = _bottleneck_v1 if version == "v1" else _bottleneck_next
    x = block(x, filters, stride, project=True)
    for _ in range(1, blocks):
        x = block(x, filters, 1, project=False)
    return x


#: Per version: the stages' (filters, stride); the middle two stages' depths are tuned.
_STAGES = {
    "v1": ((64, 1), (128, 2), (256, 2), (512, 2)),
    "v2": ((64, 2), (128, 2), (256, 2), (512, 1)),
    "next": ((64, 2), (256, 2), (512, 2), (1024, 1)),
}


class HyperResNet(ImageClassifierHyperModel):
    """A ResNet hypermodel (KerasTuner's ``keras_tuner.applications.HyperResNet``).

    Takes ``include_top``, ``input_shape``, ``input_tensor`` and ``classes`` (see
    :class:`ImageClassifierHyperModel`).
    """

    def build(self, hp: HyperParameters) -> Any:
        version = hp.Choice("version", ["v1", "v2", "next"], default="v2")
        depths = (3, hp.Choice("conv3_depth", [4, 8]), hp.Choice("conv4_depth", [6, 23, 36]), 3)
        inputs, x = image_input(self.input_shape, self.input_tensor)
        x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=version != "next")(x)
        if version != "v2":
            x = _bn_relu(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        for (filters, stride), blocks in zip(_STAGES[str(version)], depths, strict=True):
            x = _stage(x, str(version), filters, int(blocks), stride)
        if version == "v2":
            x = _bn_relu(x)
        pooling = hp.Choice("pooling", ["avg", "max"], default="avg")
        pool = layers.GlobalAveragePooling2D if pooling == "avg" else layers.GlobalMaxPooling2D
        x = pool()(x)
        if not self.include_top:
            return keras.Model(inputs, x, name="ResNet")
        outputs = layers.Dense(self.classes, activation="softmax", name="probs")(x)
        model = keras.Model(inputs, outputs, name="ResNet")
        optimizer = keras.optimizers.get(
            hp.Choice("optimizer", ["adam", "rmsprop", "sgd"], default="adam")
        )
        optimizer.learning_rate = hp.Choice("learning_rate", [0.1, 0.01, 0.001], default=0.01)
        return compile_classifier(model, optimizer)
