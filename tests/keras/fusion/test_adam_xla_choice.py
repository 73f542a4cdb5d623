"""The fused Adam update: XLA-compiled where it compiles and the weight is big enough to pay
for the compile, the plain update when turned off, with the same numbers either way."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tftune.keras._fusion import _optimizers


@pytest.fixture
def fresh_choice():
    _optimizers.adam_kernel.cache_clear()
    yield
    _optimizers.adam_kernel.cache_clear()


def _inputs() -> list[tf.Tensor]:
    rng = np.random.default_rng(0)
    shape = (3, 5, 4)
    variable, grad, momentum = (tf.constant(rng.normal(size=shape), tf.float32) for _ in "abc")
    velocity = tf.constant(rng.uniform(0.1, 1.0, size=shape), tf.float32)
    per_copy = [tf.constant(v, tf.float32, shape=(3, 1, 1)) for v in (1e-3, 0.1, 0.001, 1e-7)]
    return [variable, grad, momentum, velocity, *per_copy]


def test_turned_off_it_is_the_plain_update(monkeypatch, fresh_choice):
    monkeypatch.setenv(_optimizers.XLA_SETTING, "0")
    assert _optimizers.adam_kernel() is _optimizers.adam_rule


def test_where_xla_compiles_it_gives_the_plain_updates_numbers(monkeypatch, fresh_choice):
    monkeypatch.delenv(_optimizers.XLA_SETTING, raising=False)
    kernel = _optimizers.adam_kernel()
    assert kernel is not _optimizers.adam_rule  # TensorFlow's CPU build compiles with XLA
    compiled = [t.numpy() for t in kernel(*_inputs())]
    plain = [t.numpy() for t in _optimizers.adam_rule(*_inputs())]
    for got, want in zip(compiled, plain, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert not np.allclose(compiled[0], _inputs()[0].numpy())  # the weights moved


def test_only_weights_big_enough_to_pay_for_the_compile_are_compiled(monkeypatch, fresh_choice):
    monkeypatch.delenv(_optimizers.XLA_SETTING, raising=False)
    small = _optimizers.adam_kernel_for(_optimizers.XLA_MIN_ELEMENTS - 1)
    big = _optimizers.adam_kernel_for(_optimizers.XLA_MIN_ELEMENTS)
    assert small is _optimizers.adam_rule
    assert big is _optimizers.adam_kernel() and big is not _optimizers.adam_rule


def test_turned_off_big_weights_take_the_plain_update_too(monkeypatch, fresh_choice):
    monkeypatch.setenv(_optimizers.XLA_SETTING, "0")
    assert _optimizers.adam_kernel_for(10 * _optimizers.XLA_MIN_ELEMENTS) is _optimizers.adam_rule
