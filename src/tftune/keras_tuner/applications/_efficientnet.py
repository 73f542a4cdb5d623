"""``HyperEfficientNet``: Keras's EfficientNet B0-B7 as the feature extractor, a tuned top.

The search space is KerasTuner's: ``version`` B0-B7 (default B0; the image is resized to that
version's size, 224 to 600), ``pooling`` avg/max, ``top_dropout_rate`` 0.2-0.8 by 0.2, and
SGD's (momentum 0.1) ``learning_rate`` 0.1/0.01/0.001 (default 0.01). An optional
augmentation model (a Keras model or a hypermodel such as ``HyperImageAugment``) runs first.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from tftune.keras_tuner._hypermodel import HyperModel
from tftune.keras_tuner._hyperparameters import HyperParameters
from tftune.keras_tuner.applications._inputs import (
    check_classes,
    check_image_input,
    compile_classifier,
    image_input,
)

#: Each version's input size, as Keras's EfficientNet was trained.
IMAGE_SIZES = {
    "B0": 224,
    "B1": 240,
    "B2": 260,
    "B3": 300,
    "B4": 380,
    "B5": 456,
    "B6": 528,
    "B7": 600,
}


class HyperEfficientNet(HyperModel):
    """An EfficientNet hypermodel (KerasTuner's ``HyperEfficientNet``).

    Args:
        input_shape: ``(height, width, channels)``; this or ``input_tensor`` is required.
        input_tensor: a Keras tensor to build on instead of a new input.
        classes: the number of classes (required); labels are one-hot.
        augmentation_model: a Keras ``Model`` or a ``HyperModel`` run on the images first.
        weights: the feature extractor's initial weights: ``"imagenet"`` (KerasTuner's choice,
            downloaded by Keras on first use), ``None`` (random) or a weights file's path.
        **kwargs: ``name`` and ``tunable``, as for every ``HyperModel``.
    """

    def __init__(
        self,
        input_shape: Any = None,
        input_tensor: Any = None,
        classes: int | None = None,
        augmentation_model: Any = None,
        weights: str | None = "imagenet",
        **kwargs: Any,
    ) -> None:
        if augmentation_model is not None and not isinstance(
            augmentation_model, (HyperModel, keras.Model)
        ):
            raise ValueError(
                "HyperEfficientNet: `augmentation_model` must be a HyperModel, a Keras Model "
                f"or None; got {augmentation_model!r}."
            )
        check_classes("HyperEfficientNet", classes, required=True)
        check_image_input("HyperEfficientNet", input_shape, input_tensor)
        super().__init__(**kwargs)
        self.input_shape = input_shape
        self.input_tensor = input_tensor
        self.classes = classes
        self.augmentation_model = augmentation_model
        self.weights = weights

    def build(self, hp: HyperParameters) -> Any:
        inputs, x = image_input(self.input_shape, self.input_tensor)
        augmentation = self.augmentation_model
        if isinstance(augmentation, HyperModel):
            augmentation = augmentation.build(hp)
        if augmentation is not None:
            x = augmentation(x)
        version = str(hp.Choice("version", list(IMAGE_SIZES), default="B0"))
        size = IMAGE_SIZES[version]
        x = layers.Resizing(size, size, interpolation="bilinear")(x)
        extractor = getattr(keras.applications, f"EfficientNet{version}")(
            include_top=False, weights=self.weights, input_tensor=x
        )
        x = extractor.output
        pooling = hp.Choice("pooling", ["avg", "max"], default="avg")
        pool = layers.GlobalAveragePooling2D if pooling == "avg" else layers.GlobalMaxPooling2D
        x = pool(name=f"{pooling}_pool")(x)
        rate = hp.Float("top_dropout_rate", min_value=0.2, max_value=0.8, step=0.2, default=0.2)
        x = layers.Dropout(rate, name="top_dropout")(x)
        outputs = layers.Dense(self.classes, activation="softmax", name="probs")(x)
        model = keras.Model(inputs, outputs, name="EfficientNet")
        learning_rate = hp.Choice("learning_rate", [0.1, 0.01, 0.001], default=0.01)
        return compile_classifier(model, keras.optimizers.SGD(learning_rate, momentum=0.1))
