"""``tftune.keras_tuner.applications``: KerasTuner's ready-made hypermodels."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

import tftune.keras_tuner as kt  # noqa: E402
from tftune.keras_tuner.applications import (  # noqa: E402
    GroupedConv2D,
    HyperEfficientNet,
    HyperImageAugment,
    HyperResNet,
    HyperXception,
    RandAugment,
)


def _layers_of(model: object, kind: type) -> list[object]:
    return [layer for layer in model.layers if isinstance(layer, kind)]  # type: ignore[attr-defined]


def test_applications_reached_from_the_package() -> None:
    assert kt.applications.HyperResNet is HyperResNet


def test_resnet_declares_keras_tuners_space_and_defaults() -> None:
    hp = kt.HyperParameters()
    model = HyperResNet(input_shape=(32, 32, 3), classes=5).build(hp)
    assert hp.values == {
        "version": "v2",
        "conv3_depth": 4,
        "conv4_depth": 6,
        "pooling": "avg",
        "optimizer": "adam",
        "learning_rate": 0.01,
    }
    assert model.output_shape == (None, 5)
    assert len(_layers_of(model, keras.layers.Add)) == 3 + 4 + 6 + 3
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    assert isinstance(model.optimizer, keras.optimizers.Adam)


@pytest.mark.parametrize("version", ["v1", "next"])
def test_resnet_versions_have_the_tuned_depths(version: str) -> None:
    hp = kt.HyperParameters()
    hp.Fixed("version", version)
    hp.Fixed("conv3_depth", 8)
    model = HyperResNet(input_shape=(32, 32, 3), include_top=False).build(hp)
    assert len(_layers_of(model, keras.layers.Add)) == 3 + 8 + 6 + 3
    assert "optimizer" not in hp.values  # no top, so nothing is compiled
    grouped = _layers_of(model, GroupedConv2D)
    assert len(grouped) == (3 + 8 + 6 + 3 if version == "next" else 0)
    assert model.output_shape == (None, 2048)


def test_resnet_and_xception_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match=r"HyperResNet: you must specify `classes`.*got None"):
        HyperResNet(input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match=r"HyperXception: you must specify either `input_shape`"):
        HyperXception(classes=3)
    with pytest.raises(ValueError, match=r"`input_shape` must be \(height, width, channels\).*"):
        HyperXception(input_shape=(32, 32), classes=3)
    with pytest.raises(ValueError, match=r"`classes`, a positive int.*got 0"):
        HyperResNet(input_shape=(32, 32, 3), classes=0)


def test_grouped_convolution_is_the_same_function_split_or_grouped() -> None:
    inputs = tf.random.stateless_normal([2, 6, 6, 8], seed=[1, 2])
    split = GroupedConv2D(8, 3, groups=4, strides=2, implementation="split")
    grouped = GroupedConv2D(8, 3, groups=4, strides=2, implementation="grouped")
    expected = split(inputs)
    grouped(inputs)
    grouped.set_weights(split.get_weights())
    np.testing.assert_allclose(grouped(inputs).numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    assert tuple(expected.shape) == split.compute_output_shape(inputs.shape) == (2, 3, 3, 8)
    # The reference: each group convolved on its own slice of channels and kernel.
    kernel = split.get_weights()[0]
    first = tf.nn.conv2d(inputs[..., :2], kernel[..., :2], 2, padding="SAME")
    np.testing.assert_allclose(expected[..., :2].numpy(), first.numpy(), rtol=1e-5, atol=1e-5)
    restored = GroupedConv2D.from_config(split.get_config())
    assert (restored.groups, restored.implementation) == (4, "split")


def test_grouped_convolution_trains_where_the_device_allows() -> None:
    layer = GroupedConv2D(4, 3, groups=2)  # "auto": split wherever grouped gradients fail
    model = keras.Sequential([keras.Input((5, 5, 4)), layer, keras.layers.Flatten()])
    model.compile("sgd", "mse")
    before = layer.get_weights()[0].copy()
    x = np.random.default_rng(0).normal(size=(4, 5, 5, 4)).astype("float32")
    model.fit(x, np.zeros((4, 100), "float32"), epochs=1, verbose=0)
    assert not np.allclose(layer.get_weights()[0], before)


def test_grouped_convolution_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"`filters` must be a multiple of `groups` \(4\); got 6"):
        GroupedConv2D(6, 3, groups=4)
    with pytest.raises(ValueError, match=r"`implementation` must be one of .*got 'fast'"):
        GroupedConv2D(8, 3, groups=4, implementation="fast")
    with pytest.raises(ValueError, match=r"input's channels must be a multiple of `groups`"):
        GroupedConv2D(8, 3, groups=4)(tf.ones([1, 4, 4, 6]))


def test_xception_searches_with_a_tuner(tmp_path: object) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(24, 16, 16, 3)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 24)]
    hp = kt.HyperParameters()
    hp.Fixed("sep_num_filters", 128)
    hp.Fixed("num_residual_blocks", 2)
    hp.Fixed("conv2d_num_filters", 32)
    hp.Fixed("num_dense_layers", 1)
    tuner = kt.RandomSearch(
        HyperXception(input_shape=(16, 16, 3), classes=3),
        objective="val_accuracy",
        max_trials=1,
        hyperparameters=hp,
        directory=str(tmp_path),
        seed=1,
    )
    tuner.search(x, y, epochs=1, validation_data=(x[:8], y[:8]), verbose=0)
    best = tuner.get_best_hyperparameters(1)[0]
    assert best.values["sep_num_filters"] == 128
    assert {"activation", "pooling", "num_dense_layers", "learning_rate"} <= set(best.values)
    assert len(tuner.oracle.get_best_trials(2)) == 1
    assert tuner.get_best_models(1)[0].predict(x[:2], verbose=0).shape == (2, 3)


def test_xception_space_and_top() -> None:
    hp = kt.HyperParameters()
    model = HyperXception(input_shape=(16, 16, 3), include_top=False).build(hp)
    assert hp.values == {
        "activation": "relu",
        "conv2d_num_filters": 64,
        "kernel_size": 3,
        "initial_strides": 2,
        "sep_num_filters": 256,
        "num_residual_blocks": 4,
        "pooling": "avg",
    }
    assert model.output_shape == (None, 512)


def test_image_augment_spaces() -> None:
    hp = kt.HyperParameters()
    HyperImageAugment(input_shape=(8, 8, 1), rotate=[0.1, 0.3], contrast=None).build(hp)
    assert set(hp.values) == {
        "augment_layers",
        "factor_rotate",
        "factor_translate_x",
        "factor_translate_y",
    }
    space = {p.name: p for p in hp.space}
    assert (space["augment_layers"].min_value, space["augment_layers"].max_value) == (0, 3)
    assert (space["factor_rotate"].min_value, space["factor_rotate"].max_value) == (0.1, 0.3)
    hp = kt.HyperParameters()
    model = HyperImageAugment(input_shape=(8, 8, 1), augment_layers=0, translate_y=0).build(hp)
    assert set(hp.values) == {"factor_rotate", "factor_translate_x", "factor_contrast"}
    assert {p.name: p.step for p in hp.space}["factor_contrast"] == 0.05
    assert model.name == "image_augment"


def test_rand_augment_changes_images_only_in_training() -> None:
    layer = RandAugment(["rotate", "contrast"], [0.5, 0.0])
    images = np.random.default_rng(0).uniform(size=(16, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
    changed = layer(images, training=True).numpy()
    per_image = np.abs(changed - images).reshape(16, -1).max(axis=1)
    assert 0 < int((per_image > 1e-6).sum()) < 16  # the rotated ones; contrast is off
    assert RandAugment.from_config(layer.get_config()).factors == [0.5, 0.0]


def test_image_augment_rejects_bad_ranges() -> None:
    with pytest.raises(ValueError, match=r"`rotate` must be a number in \[0, 1\].*got 'x'"):
        HyperImageAugment(input_shape=(8, 8, 1), rotate="x")
    with pytest.raises(ValueError, match=r"`contrast` must lie in \[0, 1\].*got \[0.5, 0.2\]"):
        HyperImageAugment(input_shape=(8, 8, 1), contrast=[0.5, 0.2])
    with pytest.raises(ValueError, match=r"`augment_layers` must be an int >= 0.*got -1"):
        HyperImageAugment(input_shape=(8, 8, 1), augment_layers=-1)
    with pytest.raises(ValueError, match=r"either `input_shape` or `input_tensor`"):
        HyperImageAugment()


def test_efficientnet_space_with_augmentation() -> None:
    hp = kt.HyperParameters()
    augment = HyperImageAugment(input_shape=(32, 32, 3), augment_layers=0, contrast=None)
    model = HyperEfficientNet(
        input_shape=(32, 32, 3), classes=4, augmentation_model=augment, weights=None
    ).build(hp)
    assert {k: hp.values[k] for k in ("version", "pooling", "learning_rate")} == {
        "version": "B0",
        "pooling": "avg",
        "learning_rate": 0.01,
    }
    assert hp.values["top_dropout_rate"] == pytest.approx(0.2)
    assert "factor_rotate" in hp.values
    assert model.output_shape == (None, 4)
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    resizing = _layers_of(model, keras.layers.Resizing)
    assert [(r.height, r.width) for r in resizing] == [(224, 224)]


def test_efficientnet_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"`augmentation_model` must be a HyperModel.*got 3"):
        HyperEfficientNet(input_shape=(32, 32, 3), classes=2, augmentation_model=3)
    with pytest.raises(ValueError, match=r"HyperEfficientNet: you must specify `classes`"):
        HyperEfficientNet(input_shape=(32, 32, 3))
