"""Read compiled Keras models and decide whether they can train as one fused pack."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras.src.losses.losses import LossFunctionWrapper

from tftune.keras._fusion._align import align_chains

SUPPORTED_LAYERS = (
    "Dense",
    "Dropout",
    "Activation",
    "BatchNormalization",
    "LayerNormalization",
    "Flatten",
    "Conv1D",
    "Conv2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
)
# per layer kind, the settings every copy must share at one layer position
SHARED_SETTINGS = {
    **dict.fromkeys(("Conv1D", "Conv2D"), ("kernel_size", "strides", "padding", "dilation_rate")),
    **dict.fromkeys(
        ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D"),
        ("pool_size", "strides", "padding"),
    ),
    **dict.fromkeys(
        (
            "GlobalAveragePooling1D",
            "GlobalAveragePooling2D",
            "GlobalMaxPooling1D",
            "GlobalMaxPooling2D",
        ),
        ("keepdims",),
    ),
}
SUPPORTED_OPTIMIZERS = ("Adam", "AdamW", "SGD", "RMSprop")
SUPPORTED_LOSSES = (
    "binary_crossentropy",
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
)
SUPPORTED_METRIC_FNS = (
    "binary_accuracy",
    "sparse_categorical_accuracy",
    "categorical_accuracy",
    "mean_absolute_error",
    "mean_squared_error",
)
ACCURACY_ALIASES = ("accuracy", "acc")

LossSpec = tuple[Callable[..., Any], dict[str, Any]]
MetricSpec = tuple[str, Any]  # (log name, identifier: "accuracy" or a metric function)


def chain_layers(model: keras.Model) -> list[keras.layers.Layer] | str:
    """The model's layers in call order (InputLayer dropped), or why it is not one linear chain."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if isinstance(model, keras.Sequential):
        return layers
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return "the model has several inputs or outputs"
    previous = model.inputs[0]
    for index, layer in enumerate(layers):
        if len(layer._inbound_nodes) != 1 or layer.input is not previous:
            return f"layer {index} ({layer.name}) is not part of a single linear chain"
        previous = layer.output
    if previous is not model.outputs[0]:
        return "the model output is not the last layer of its chain"
    return layers


def _regularizer_blocker(layer: keras.layers.Layer) -> str | None:
    if getattr(layer, "activity_regularizer", None) is not None:
        return "has an activity regularizer"
    for variable in layer.trainable_variables:
        if variable.constraint is not None:
            return "has a weight constraint"
        regularizer = variable.regularizer
        if regularizer is not None and not isinstance(
            regularizer, (keras.regularizers.L1, keras.regularizers.L2, keras.regularizers.L1L2)
        ):
            return f"uses regularizer {type(regularizer).__name__}"
    return None


def _own_layer_blocker(layer: keras.layers.Layer) -> str | None:
    kind = type(layer).__name__
    if kind not in SUPPORTED_LAYERS:
        return f"is {kind}, which fusion does not support"
    if layer.dtype_policy.name != "float32":
        return f"uses dtype policy {layer.dtype_policy.name}"
    if not layer.trainable:
        return "is not trainable"
    if getattr(layer, "lora_enabled", False):
        return "uses LoRA"
    if kind in ("Dense", "Activation", "Conv1D", "Conv2D") and not isinstance(
        layer.get_config()["activation"], str
    ):
        return "uses a custom activation"
    if kind in SHARED_SETTINGS:
        return _spatial_blocker(layer)
    if kind == "Dropout" and layer.noise_shape is not None:
        return "uses a noise_shape"
    if kind == "BatchNormalization" and (
        layer.renorm or layer.axis not in (-1, len(layer.input.shape) - 1)
    ):
        return "uses renorm or a non-last axis"
    if kind == "LayerNormalization" and (
        layer.rms_scaling or list(_as_list(layer.axis)) not in ([-1], [len(layer.input.shape) - 1])
    ):
        return "uses rms_scaling or a non-last axis"
    return _regularizer_blocker(layer)


def _spatial_blocker(layer: keras.layers.Layer) -> str | None:
    """Why a convolution or pooling layer's own settings cannot fuse, or None."""
    if layer.data_format != "channels_last":
        return f"uses data_format {layer.data_format}, only channels_last fuses"
    if getattr(layer, "groups", 1) != 1:
        return f"uses groups={layer.groups}"
    if getattr(layer, "padding", "valid") not in ("valid", "same"):
        return f"uses padding {layer.padding!r}"
    return _regularizer_blocker(layer)


def _as_list(axis: int | Sequence[int]) -> list[int]:
    return [axis] if isinstance(axis, int) else list(axis)


def shares_position(layer: keras.layers.Layer, other: keras.layers.Layer) -> bool:
    """Whether two copies' layers can stand at one fused position: same kind, same shared
    settings."""
    return type(layer) is type(other) and all(
        getattr(layer, name) == getattr(other, name)
        for name in SHARED_SETTINGS.get(type(layer).__name__, ())
    )


def _positional_blocker(chains: Sequence[Sequence[keras.layers.Layer]]) -> str | None:
    """Why these chains cannot be stacked position by position as they are, or None."""
    for copy, layers in enumerate(chains):
        if len(layers) != len(chains[0]):
            return f"copy {copy} has {len(layers)} layers, copy 0 has {len(chains[0])}"
        for index, layer in enumerate(layers):
            first = chains[0][index]
            if type(layer) is not type(first):
                return (
                    f"layer {index} of copy {copy} is {type(layer).__name__}, "
                    f"copy 0 has {type(first).__name__}"
                )
            for name in SHARED_SETTINGS.get(type(layer).__name__, ()):
                if getattr(layer, name) != getattr(first, name):
                    return (
                        f"layer {index} of copy {copy} uses {name} {getattr(layer, name)}, "
                        f"copy 0 {getattr(first, name)}"
                    )
    return None


def aligned_layers(
    chains: Sequence[Sequence[keras.layers.Layer]],
) -> list[list[Any]] | str:
    """The per-copy chains as they fuse, position by position: as they are when they stack,
    else padded with identity slots (``_align``) when they differ only by Dense and Dropout
    layers; or why they cannot fuse."""
    for copy, layers in enumerate(chains):
        for index, layer in enumerate(layers):
            reason = _own_layer_blocker(layer)
            if reason:
                return f"layer {index} of copy {copy} {reason}"
    positional = _positional_blocker(chains)
    aligned: list[list[Any]] | str = [list(chain) for chain in chains]
    if positional is not None:
        aligned = align_chains(chains, shares_position)
        if isinstance(aligned, str):  # (chains of one length: the position that differs says it)
            same_length = len({len(chain) for chain in chains}) == 1
            return positional if same_length else f"{positional}, and they do not align: {aligned}"
    if len({tuple(chain[-1].output.shape[1:]) for chain in chains}) > 1:
        return "the copies' output shapes differ"
    return aligned


def layers_blocker(chains: Sequence[Sequence[keras.layers.Layer]]) -> str | None:
    """Why these per-copy layer chains cannot fuse (even padded with identity slots), or None."""
    aligned = aligned_layers(chains)
    return aligned if isinstance(aligned, str) else None


def optimizer_blocker(optimizers: Sequence[keras.optimizers.Optimizer]) -> str | None:
    """Why these optimizers cannot be fused, or None."""
    first = type(optimizers[0]).__name__
    for copy, optimizer in enumerate(optimizers):
        kind = type(optimizer).__name__
        if kind not in SUPPORTED_OPTIMIZERS:
            return f"copy {copy} uses {kind}, which fusion does not support"
        if kind != first:
            return f"copy {copy} uses {kind}, copy 0 {first}"
        if (
            optimizer.use_ema
            or optimizer.gradient_accumulation_steps
            or optimizer.loss_scale_factor
        ):
            return f"copy {copy}'s optimizer uses EMA, gradient accumulation or loss scaling"
        if getattr(optimizer, "amsgrad", False):
            return f"copy {copy}'s optimizer uses amsgrad"
        if getattr(optimizer, "_exclude_from_weight_decay", None) or getattr(
            optimizer, "_exclude_from_weight_decay_pattern", None
        ):
            return f"copy {copy}'s optimizer excludes variables from weight decay"
        rate = optimizer._learning_rate
        if callable(rate) and not isinstance(
            rate, keras.optimizers.schedules.LearningRateSchedule
        ):
            return (
                f"copy {copy}'s learning rate is a callable, not a float or LearningRateSchedule"
            )
    return None


def loss_spec(loss: Any) -> LossSpec | str:
    """The loss function and its keyword arguments, or why it is unsupported."""
    if isinstance(loss, str) and loss.lower() in ("crossentropy", "ce"):
        return f"loss {loss!r} is resolved from data shapes, name it explicitly"
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    if isinstance(loss, LossFunctionWrapper):
        if loss.reduction != "sum_over_batch_size":
            return f"loss reduction {loss.reduction!r} is not supported"
        fn, kwargs = loss.fn, dict(loss._fn_kwargs)
    elif callable(loss) and not isinstance(loss, keras.losses.Loss):
        fn, kwargs = loss, {}
    else:
        return f"loss {type(loss).__name__} is not supported"
    name = getattr(fn, "__name__", type(fn).__name__)
    if name not in SUPPORTED_LOSSES:
        return f"loss {name} is not supported"
    return fn, kwargs


def metric_specs(model: keras.Model) -> list[MetricSpec] | str:
    """(log name, identifier) of each compiled metric, or why one is unsupported."""
    compiled = model._compile_metrics
    if compiled is None:
        return []
    if compiled._user_weighted_metrics:
        return "weighted metrics are not supported"
    user = compiled._user_metrics or []
    if not isinstance(user, (list, tuple)):
        user = [user]
    specs: list[MetricSpec] = []
    for metric in user:
        if isinstance(metric, str) and metric.lower() in ACCURACY_ALIASES:
            specs.append((metric, "accuracy"))
            continue
        resolved = keras.metrics.get(metric)
        if isinstance(resolved, keras.metrics.MeanMetricWrapper):
            fn, kwargs = resolved._fn, resolved._fn_kwargs
        elif isinstance(resolved, keras.metrics.Metric):
            return f"metric {resolved.name} ({type(resolved).__name__}) is not supported"
        else:
            fn, kwargs = resolved, {}
        fn_name = getattr(fn, "__name__", "")
        if fn_name not in SUPPORTED_METRIC_FNS:
            return (
                f"metric {metric if isinstance(metric, str) else resolved.name} is not supported"
            )
        name = metric if isinstance(metric, str) else resolved.name
        specs.append((name, (fn, dict(kwargs))))
    return specs


def _describe(spec: Any) -> Any:
    if isinstance(spec, tuple) and len(spec) == 2 and callable(spec[0]):
        return (spec[0].__name__, sorted(spec[1].items()))
    if isinstance(spec, list):
        return [(name, _describe(ident)) for name, ident in spec]
    return spec


def _compile_blocker(models: Sequence[keras.Model]) -> str | None:
    first_loss: Any = None
    first_metrics: Any = None
    for copy, model in enumerate(models):
        if not model.compiled or model.optimizer is None:
            return f"copy {copy} is not compiled"
        if model._compile_loss is not None and model._compile_loss._user_loss_weights is not None:
            return f"copy {copy} uses loss_weights"
        loss = loss_spec(model.loss)
        if isinstance(loss, str):
            return f"copy {copy}: {loss}"
        metrics = metric_specs(model)
        if isinstance(metrics, str):
            return f"copy {copy}: {metrics}"
        if copy == 0:
            first_loss, first_metrics = _describe(loss), _describe(metrics)
        elif _describe(loss) != first_loss:
            return f"copy {copy} uses loss {_describe(loss)}, copy 0 {first_loss}"
        elif _describe(metrics) != first_metrics:
            return (
                f"copy {copy} compiles metrics {[n for n, _ in metrics]}, "
                f"copy 0 {[n for n, _ in first_metrics]}"
            )
    return None


def fusion_blocker(models: Sequence[keras.Model]) -> str | None:
    """None when these compiled models can train as one pack; else one short line saying why
    not."""
    if not models:
        return "no models given"
    chains = []
    for copy, model in enumerate(models):
        if not model.built:
            return f"copy {copy} is not built"
        chain = chain_layers(model)
        if isinstance(chain, str):
            return f"copy {copy}: {chain}"
        chains.append(chain)
    return (
        layers_blocker(chains)
        or optimizer_blocker([model.optimizer for model in models])
        or _compile_blocker(models)
    )
