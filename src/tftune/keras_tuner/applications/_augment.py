"""``HyperImageAugment``: tuned image augmentation, applied in sequence or RandAugment-style.

Each transform (``rotate``, ``translate_x``, ``translate_y``, ``contrast``) gets a factor
hyperparameter ``factor_<name>`` in the range its argument gives: a number ``x`` means
``[0, x]``, a pair ``[a, b]`` means ``[a, b]``, ``None`` (or 0) leaves the transform out. With
``augment_layers=0`` every transform runs in turn; otherwise ``augment_layers`` (an int ``n``:
tuned in ``[0, n]``; a pair: in that range) layers each apply one transform per image, picked
at random (a simple RandAugment, arXiv 1909.13719).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import layers

from tftune.keras_tuner._hypermodel import HyperModel
from tftune.keras_tuner._hyperparameters import HyperParameters
from tftune.keras_tuner.applications._inputs import check_image_input, image_input

_TRANSFORMS: dict[str, Callable[[float], Any]] = {
    "rotate": lambda factor: layers.RandomRotation(factor),
    "translate_x": lambda factor: layers.RandomTranslation(0.0, factor),
    "translate_y": lambda factor: layers.RandomTranslation(factor, 0.0),
    "contrast": lambda factor: layers.RandomContrast(factor),
}


@keras.saving.register_keras_serializable(package="tftune")
class RandAugment(keras.layers.Layer):  # type: ignore[misc]
    """One RandAugment layer: each image gets one of ``transforms``, picked uniformly."""

    def __init__(self, transforms: Sequence[str], factors: Sequence[float], **kwargs: Any):
        super().__init__(**kwargs)
        self.transforms = list(transforms)
        self.factors = [float(factor) for factor in factors]
        active = [index for index, factor in enumerate(self.factors) if factor > 0]
        self._active = active  # the transforms whose factor is not 0, and their layers
        self._transform_layers = [
            _TRANSFORMS[self.transforms[index]](self.factors[index]) for index in active
        ]

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        batch = keras.ops.shape(inputs)[0]
        draw = keras.random.uniform((batch, 1, 1, 1), maxval=len(self.transforms))
        selection = keras.ops.cast(draw, "int32")
        x = inputs
        for index, layer in zip(self._active, self._transform_layers, strict=True):
            x = keras.ops.where(keras.ops.equal(selection, index), layer(x, training=training), x)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(transforms=self.transforms, factors=self.factors)
        return config


def _factor_range(name: str, value: Any) -> tuple[float, float] | None:
    """``[0, x]`` for a number, ``[a, b]`` for a pair, ``None`` when the transform is off."""
    if value is None or (_is_number(value) and value == 0):
        return None
    if _is_number(value):
        low, high = 0.0, float(value)
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_is_number, value)):
        low, high = float(value[0]), float(value[1])
    else:
        raise ValueError(
            f"HyperImageAugment: `{name}` must be a number in [0, 1], a pair [low, high] or "
            f"None; got {value!r}."
        )
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(
            f"HyperImageAugment: `{name}` must lie in [0, 1] with low <= high; got {value!r}."
        )
    return low, high


def _layer_range(value: Any) -> tuple[int, int] | None:
    """The tuned range of ``augment_layers``; ``None`` applies every transform in turn."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return (0, value) if value else None
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] <= value[1]
    ):
        return int(value[0]), int(value[1])
    raise ValueError(
        "HyperImageAugment: `augment_layers` must be an int >= 0 or a pair of ints "
        f"[low, high] with 0 <= low <= high; got {value!r}."
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class HyperImageAugment(HyperModel):
    """An image augmentation hypermodel (KerasTuner's ``HyperImageAugment``).

    Args:
        input_shape: ``(height, width, channels)``; this or ``input_tensor`` is required.
        input_tensor: a Keras tensor to build on instead of a new input.
        rotate, translate_x, translate_y, contrast: each transform's factor range (see the
            module's docstring); defaults 0.5, 0.4, 0.4 and 0.3.
        augment_layers: the RandAugment layers' range, or 0 for every transform in turn.
        **kwargs: ``name`` and ``tunable``, as for every ``HyperModel``.
    """

    def __init__(
        self,
        input_shape: Any = None,
        input_tensor: Any = None,
        rotate: Any = 0.5,
        translate_x: Any = 0.4,
        translate_y: Any = 0.4,
        contrast: Any = 0.3,
        augment_layers: Any = 3,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_image_input("HyperImageAugment", input_shape, input_tensor)
        arguments = {
            "rotate": rotate,
            "translate_x": translate_x,
            "translate_y": translate_y,
            "contrast": contrast,
        }
        self.transforms: list[tuple[str, tuple[float, float]]] = []
        for name, value in arguments.items():
            factor_range = _factor_range(name, value)
            if factor_range is not None:
                self.transforms.append((name, factor_range))
        self.augment_layers = _layer_range(augment_layers)
        self.input_shape = input_shape
        self.input_tensor = input_tensor
        self.model_name = "image_augment" if self.augment_layers is None else "image_rand_augment"

    def build(self, hp: HyperParameters) -> Any:
        inputs, x = image_input(self.input_shape, self.input_tensor)
        if self.augment_layers is None:
            for name, (low, high) in self.transforms:
                factor = float(hp.Float(f"factor_{name}", low, high, step=0.05, default=low))
                if factor > 0:
                    x = _TRANSFORMS[name](factor)(x)
        elif self.transforms:
            low_layers, high_layers = self.augment_layers
            count = int(hp.Int("augment_layers", low_layers, high_layers, default=low_layers))
            factors = [
                float(hp.Float(f"factor_{name}", low, high, default=low))
                for name, (low, high) in self.transforms
            ]
            names = [name for name, _ in self.transforms]
            for _ in range(count):
                x = RandAugment(names, factors)(x)
        return keras.Model(inputs, x, name=self.model_name)
