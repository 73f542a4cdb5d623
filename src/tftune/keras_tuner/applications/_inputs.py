"""What every application hypermodel checks and builds first: its image input."""

from __future__ import annotations

from typing import Any

import keras

from tftune.keras_tuner._hypermodel import HyperModel


def check_image_input(owner: str, input_shape: Any, input_tensor: Any) -> None:
    """Raise unless exactly the input KerasTuner's applications need is given."""
    if input_shape is None and input_tensor is None:
        raise ValueError(
            f"{owner}: you must specify either `input_shape` or `input_tensor` (an image "
            "shape such as (32, 32, 3), or a Keras tensor from keras.Input); got neither."
        )
    if input_shape is not None and (
        not isinstance(input_shape, (tuple, list))
        or len(input_shape) != 3
        or not all(dim is None or (isinstance(dim, int) and dim > 0) for dim in input_shape)
    ):
        raise ValueError(
            f"{owner}: `input_shape` must be (height, width, channels) of positive ints; "
            f"got {input_shape!r}."
        )


def check_classes(owner: str, classes: Any, *, required: bool) -> None:
    """``classes`` must be a positive int where a classification top is built."""
    if classes is None and not required:
        return
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        rule = "when `include_top=True`" if required else "when given"
        raise ValueError(
            f"{owner}: you must specify `classes`, a positive int, {rule}; got {classes!r}."
        )


def image_input(input_shape: Any, input_tensor: Any) -> tuple[Any, Any]:
    """``(model inputs, first tensor)`` for a functional model over the image input."""
    if input_tensor is not None:
        return keras.utils.get_source_inputs(input_tensor), input_tensor
    inputs = keras.Input(shape=tuple(input_shape))
    return inputs, inputs


def compile_classifier(model: Any, optimizer: Any) -> Any:
    """Compile as KerasTuner's applications do: one-hot labels, accuracy."""
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


class ImageClassifierHyperModel(HyperModel):
    """The arguments ResNet and Xception share: an image input and an optional softmax top.

    Args:
        include_top: whether to end with a softmax classifier (and compile the model).
        input_shape: ``(height, width, channels)``; this or ``input_tensor`` is required.
        input_tensor: a Keras tensor to build on instead of a new input.
        classes: the number of classes (required with ``include_top``); labels are one-hot.
        **kwargs: ``name`` and ``tunable``, as for every ``HyperModel``.
    """

    def __init__(
        self,
        include_top: bool = True,
        input_shape: Any = None,
        input_tensor: Any = None,
        classes: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        check_classes(owner, classes, required=include_top)
        check_image_input(owner, input_shape, input_tensor)
        self.include_top = include_top
        self.input_shape = input_shape
        self.input_tensor = input_tensor
        self.classes = classes
