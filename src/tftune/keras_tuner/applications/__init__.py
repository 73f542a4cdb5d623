"""KerasTuner's ready-made hypermodels: ``keras_tuner.applications``.

``HyperResNet``, ``HyperXception``, ``HyperEfficientNet`` and ``HyperImageAugment`` declare
the same hyperparameters (names, ranges, defaults) as KerasTuner's, so a saved best
configuration rebuilds the same kind of model; the networks are tftune's own Keras code.
Importing this module imports Keras.
"""

from tftune.keras_tuner.applications._augment import HyperImageAugment, RandAugment
from tftune.keras_tuner.applications._efficientnet import HyperEfficientNet
from tftune.keras_tuner.applications._grouped_conv import GroupedConv2D
from tftune.keras_tuner.applications._resnet import HyperResNet
from tftune.keras_tuner.applications._xception import HyperXception

__all__ = [
    "GroupedConv2D",
    "HyperEfficientNet",
    "HyperImageAugment",
    "HyperResNet",
    "HyperXception",
    "RandAugment",
]
