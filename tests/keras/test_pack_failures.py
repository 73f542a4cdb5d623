"""CNN searches in packs on every CPU, and packs that fail without taking the search down."""

from __future__ import annotations

import logging
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import tftune
from tftune.keras import Tuner
from tftune.keras._fusion import FusedPack, _conv, _layers
from tftune.trial import TrialState


@pytest.fixture(scope="module")
def digits():
    """128 training and 64 validation 8x8 digit images in [0, 1], with their labels."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    x = (images[:192] / 16.0).astype("float32").reshape(-1, 8, 8, 1)
    return x[:128], labels[:128], x[128:], labels[128:192]


def cnn(trial):
    """Two or three convolutions: the second and third see per-copy inputs."""
    layers = [
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(trial.suggest_int("filters", 4, 8), 3, activation="relu"),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
    ]
    if trial.suggest_categorical("third", [False, True]):
        layers.append(keras.layers.Conv2D(6, 3, activation="relu"))
    layers += [keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(10)]
    model = keras.Sequential(layers)
    model.compile(
        keras.optimizers.Adam(trial.suggest_float("lr", 1e-3, 1e-2, log=True)),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def search(tmp_path, digits, name, *, fuse="auto", n_trials=8, epochs=2, failures=3):
    x, y, xv, yv = digits
    tuner = Tuner(
        cnn,
        objective="val_loss",
        directory=tmp_path,
        project_name=name,
        sampler=tftune.samplers.RandomSampler(seed=1),
        fuse=fuse,
        pack_size=8,
        max_consecutive_failures=failures,
    )
    with tuner:
        tuner.search(
            x, y, validation_data=(xv, yv), epochs=epochs, n_trials=n_trials, shuffle=False
        )
    return tuner


def test_a_cnn_search_trains_every_trial_in_packs_as_each_would_train_alone(
    tmp_path, digits, caplog
):
    with caplog.at_level(logging.INFO, logger="tftune"):
        packed = search(tmp_path, digits, "packed", fuse=True)
    packs = [r.message for r in caplog.records if "as one pack" in r.message]
    assert not [r for r in caplog.records if "The fused pack of trials" in r.message]
    alone = search(tmp_path, digits, "alone", fuse=False)
    assert len(packs) == 2  # two and three convolutions do not fuse with each other
    assert sum(int(m.rsplit(" ", 1)[1].rstrip(".")) for m in packs) == 8
    for fused, single in zip(packed.study.trials, alone.study.trials, strict=True):
        assert fused.state == single.state == TrialState.COMPLETE
        assert fused.params == single.params
        assert fused.value == pytest.approx(single.value, rel=1e-4, abs=1e-5)


def test_the_probe_picks_grouped_convolutions_only_where_their_gradients_run():
    """Independent of the probe: differentiate a real grouped convolution on this device."""
    inputs, kernel = tf.random.normal([2, 5, 5, 4]), tf.Variable(tf.random.normal([3, 3, 2, 6]))
    try:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.nn.convolution(inputs, kernel, padding="SAME"))
        tape.gradient(loss, kernel).numpy()
        runs = True
    except tf.errors.InvalidArgumentError:
        runs = False
    assert _conv.per_copy_formulation(2) == (_conv.GROUPED if runs else _conv.PER_COPY)


@pytest.mark.parametrize("formulation", [_conv.GROUPED, _conv.PER_COPY])
def test_both_formulations_match_each_copys_own_convolution(formulation):
    if formulation == _conv.GROUPED and _conv.per_copy_formulation(2) != _conv.GROUPED:
        pytest.skip("grouped convolutions have no gradients on this device")
    rng = np.random.default_rng(0)
    h = tf.constant(rng.standard_normal((3, 4, 7, 7, 5)), tf.float32)
    kernel = tf.Variable(rng.standard_normal((3, 3, 3, 5, 2)), dtype=tf.float32)
    options = {"strides": (2, 1), "padding": "SAME", "dilations": (1, 1)}
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(h)
        fused = _conv.convolve(h, kernel, False, formulation, **options)
        own = tf.stack([tf.nn.convolution(h[k], kernel[k], **options) for k in range(3)])
        fused_loss, own_loss = tf.reduce_sum(fused**2), tf.reduce_sum(own**2)
    np.testing.assert_allclose(fused, own, rtol=1e-5, atol=1e-5)
    for fused_grad, own_grad in zip(
        tape.gradient(fused_loss, [h, kernel]), tape.gradient(own_loss, [h, kernel]), strict=True
    ):
        np.testing.assert_allclose(fused_grad, own_grad, rtol=1e-4, atol=1e-4)


def test_a_pack_whose_kernels_fail_runs_its_trials_one_at_a_time(
    tmp_path, digits, caplog, monkeypatch
):
    """Forcing grouped convolutions where they have no gradients: a real kernel failure."""
    if _conv.per_copy_formulation(2) == _conv.GROUPED:
        pytest.skip("grouped gradients run here (the TF_ENABLE_ONEDNN_OPTS=0 run covers this)")
    monkeypatch.setattr(_layers, "per_copy_formulation", lambda rank: _conv.GROUPED)
    with caplog.at_level(logging.INFO, logger="tftune"):
        tuner = search(tmp_path, digits, "forced", n_trials=4, epochs=1)
    trials = tuner.study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    warnings = [r.message for r in caplog.records if "The fused pack of trials" in r.message]
    assert warnings and all(" failed with InvalidArgumentError: " in m for m in warnings)
    assert all(m.endswith(" run one at a time.") for m in warnings)
    # The kernel's own words: TensorFlow's CPU kernels for the input's and the filter's
    # gradients refuse grouped convolutions in these two ways; which comes first varies by CPU.
    reason = warnings[0].split(" failed with InvalidArgumentError: ", 1)[1]
    assert re.match(GROUPED_GRADIENT_REFUSALS, reason), reason


GROUPED_GRADIENT_REFUSALS = (
    r"(Gradients for grouped convolutions are not supported on CPU"
    r"|filter_size does not have enough elements, requested \d+, got \d+)"
)


@pytest.mark.parametrize("failing_call", [1, 2])
def test_no_trial_is_lost_or_counted_twice_when_a_pack_fails(
    tmp_path, digits, caplog, monkeypatch, failing_call
):
    """An injected failure of the pack's first or second epoch: before any report, the trials
    run alone and complete; after one, they fail with the reason. The search goes on."""
    calls = []
    real_fit_epoch = FusedPack.fit_epoch

    def fit_epoch(self, *args, **kwargs):
        calls.append(self.size)
        if len(calls) == failing_call:
            raise tf.errors.InternalError(None, None, "injected kernel failure\nsecond line")
        return real_fit_epoch(self, *args, **kwargs)

    monkeypatch.setattr(FusedPack, "fit_epoch", fit_epoch)
    with caplog.at_level(logging.INFO, logger="tftune"):
        tuner = search(tmp_path, digits, f"fails_{failing_call}", failures=9)
    trials = tuner.study.trials
    assert len(trials) == 8 and len({t.number for t in trials}) == 8
    assert all(t.state.is_finished() for t in trials)
    warnings = [r.message for r in caplog.records if "The fused pack of trials" in r.message]
    assert len(warnings) == 1
    assert "failed with InternalError: injected kernel failure; " in warnings[0]
    first_pack = [t for t in trials if t.state != TrialState.COMPLETE]
    if failing_call == 1:
        assert first_pack == []
    else:
        assert first_pack and all(t.state == TrialState.FAIL for t in first_pack)
        assert all(
            "The fused pack training this trial failed: InternalError"
            in t.system_attrs["fail_reason"]
            for t in first_pack
        )
        assert all(len(t.intermediate_values) == 1 for t in first_pack)


def test_a_failed_packs_summary_is_one_line_that_names_the_error():
    from tftune.keras._packing import PackFailed

    traced = AttributeError("in user code:\n\n    File x.py, line 3\n\nAttributeError: no kernel")
    assert PackFailed(traced).summary == "AttributeError: no kernel"
    kernel = ValueError("{{function_node __inference_step_7}} Gradients are missing\ndetails")
    assert PackFailed(kernel).summary == "ValueError: Gradients are missing"
    assert PackFailed(RuntimeError()).summary == "RuntimeError"
