"""Freezing, divergence, write_back, per-copy step counts, repack and dropout of a FusedPack."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from tftune.keras._fusion import FusedPack, _pack

optimizers = keras.optimizers


def assert_close(actual, expected) -> None:
    for a, b in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def assert_same_state(a, b) -> None:
    assert a.step == b.step
    assert_close(a.values, b.values)
    for slots_a, slots_b in zip(a.slots, b.slots, strict=True):
        assert_close([slots_a[n] for n in sorted(slots_a)], [slots_b[n] for n in sorted(slots_b)])


def test_frozen_copy_stops_changing(cancer, builder):
    x, y, _, _ = cancer
    pack = FusedPack([builder(u, optimizers.Adam(1e-2), seed=u) for u in (4, 8, 6)], seed=0)
    pack.fit_epoch(x, y, batch_size=32)
    pack.freeze(1)
    before = pack.copy_state(1)
    logs = pack.fit_epoch(x, y, batch_size=32)
    assert logs[1] == {} and logs[0] and logs[2]
    assert pack.active == [True, False, True]
    after = pack.copy_state(1)
    for a, b in zip(before.values, after.values, strict=True):
        np.testing.assert_array_equal(a, b)
    for slots_a, slots_b in zip(before.slots, after.slots, strict=True):
        for name in slots_a:
            np.testing.assert_array_equal(slots_a[name], slots_b[name])
    assert after.step == before.step
    assert pack.evaluate(x, y, batch_size=64)[1]["loss"] > 0


def test_diverging_copy_is_frozen_and_others_match_standalone(cancer, builder, make_twin):
    x, y, _, _ = cancer
    rates = [0.05, 1e12, 0.02]
    models = [
        builder(8, optimizers.SGD(r, momentum=0.9), l2=1e-2, seed=i) for i, r in enumerate(rates)
    ]
    alone = {
        k: make_twin(models[k], optimizers.SGD(rates[k], momentum=0.9), l2=1e-2) for k in (0, 2)
    }
    pack = FusedPack(models, seed=0)
    history = [pack.fit_epoch(x, y, batch_size=32, shuffle=False) for _ in range(3)]
    assert math.isnan(history[0][1]["loss"])
    assert history[1][1] == {} and history[2][1] == {}
    assert pack.active == [True, False, True]
    assert all(np.isfinite(v).all() for v in pack.copy_state(1).values)
    pack.write_back()
    for k, model in alone.items():
        model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
        assert_close(models[k].get_weights(), model.get_weights())


def test_write_back_carries_optimizer_state(cancer, builder, tmp_path):
    x, y, _, _ = cancer
    models = [
        builder(u, optimizers.Adam(3e-3 * (i + 1)), norm="bn", seed=i)
        for i, u in enumerate((4, 9))
    ]
    pack = FusedPack(models, seed=0)
    for _ in range(2):
        pack.fit_epoch(x, y, batch_size=32, shuffle=False)
    pack.write_back(include_optimizer=True)
    path = tmp_path / "copy0.weights.h5"
    models[0].save_weights(path)
    models[0].load_weights(path)
    pack.fit_epoch(x, y, batch_size=32, shuffle=False)
    for k, model in enumerate(models):
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        assert_close(pack.copy_state(k).values, model.get_weights())
        assert int(model.optimizer.iterations) == pack.steps[k] == 12


def test_copies_at_different_steps_continue_correctly(cancer, builder):
    x, y, _, _ = cancer
    schedule = optimizers.schedules.ExponentialDecay(1e-2, decay_steps=3, decay_rate=0.7)
    models = [builder(u, optimizers.Adam(schedule), seed=i) for i, u in enumerate((5, 7, 3))]
    for epochs, model in zip((1, 2, 0), models, strict=True):
        if epochs:
            model.fit(x, y, batch_size=32, epochs=epochs, shuffle=False, verbose=0)
    pack = FusedPack(models, seed=0)
    assert pack.steps == [4, 8, 0]
    pack.fit_epoch(x, y, batch_size=32, shuffle=False)
    for k, model in enumerate(models):
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        assert_close(pack.copy_state(k).values, model.get_weights())
    assert pack.steps == [8, 12, 4]


def test_repack_preserves_state(cancer, builder):
    x, y, _, _ = cancer
    models = [
        builder(u, optimizers.RMSprop(1e-3 * (i + 1), momentum=0.3), norm="ln", seed=i)
        for i, u in enumerate((16, 4, 8, 2))
    ]
    pack = FusedPack(models, seed=0)
    pack.fit_epoch(x, y, batch_size=32, shuffle=False)
    pack.freeze(0)
    small = pack.repack([3, 2])
    assert small.size == 2 and small.models == [models[3], models[2]]
    for small_index, k in enumerate([3, 2]):
        assert_same_state(small.copy_state(small_index), pack.copy_state(k))
    big_logs = pack.fit_epoch(x, y, batch_size=32, shuffle=False)
    small_logs = small.fit_epoch(x, y, batch_size=32, shuffle=False)
    for small_index, k in enumerate([3, 2]):
        assert_same_state(small.copy_state(small_index), pack.copy_state(k))
        np.testing.assert_allclose(small_logs[small_index]["loss"], big_logs[k]["loss"], rtol=1e-5)


def test_dropout_free_copy_unaffected_by_dropout_neighbours(cancer, builder, make_twin):
    x, y, _, _ = cancer
    models = [
        builder(8, optimizers.Adam(1e-2), dropout=rate, seed=i)
        for i, rate in enumerate((0.5, 0.0, 0.5))
    ]
    alone = make_twin(models[1], optimizers.Adam(1e-2))
    pack = FusedPack(models, seed=0)
    fused = [pack.fit_epoch(x, y, batch_size=32, shuffle=False)[1] for _ in range(2)]
    history = alone.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose([log["loss"] for log in fused], history["loss"], rtol=1e-4)
    pack.write_back(1)
    assert_close(models[1].get_weights(), alone.get_weights())


def test_dropout_copies_learn_like_standalone(cancer, builder, make_twin):
    x, y, xv, yv = cancer
    models = [
        builder(16, optimizers.Adam(5e-3), dropout=rate, seed=i)
        for i, rate in enumerate((0.3, 0.5, 0.2))
    ]
    alone = [
        make_twin(m, optimizers.Adam(5e-3), dropout=rate)
        for m, rate in zip(models, (0.3, 0.5, 0.2), strict=True)
    ]
    pack = FusedPack(models, seed=1)
    for _ in range(12):
        pack.fit_epoch(x, y, batch_size=32)
    fused = [score["accuracy"] for score in pack.evaluate(xv, yv, batch_size=32)]
    standalone = []
    for model in alone:
        model.fit(x, y, batch_size=32, epochs=12, verbose=0)
        standalone.append(model.evaluate(xv, yv, verbose=0, return_dict=True)["accuracy"])
    assert abs(np.mean(fused) - np.mean(standalone)) < 0.06
    assert min(fused) > 0.85


def test_optimizer_slots_pad_to_the_shape_of_their_stacked_weight():
    # zero and non-zero slots alike: padded to the shape asked for, not the slots' own widest
    slots = [np.ones((2, 3), np.float32), np.full((1, 2), 2.0, np.float32)]
    stacked = np.asarray(_pack._stack_slots(slots, (2, 4, 5)))
    assert stacked.shape == (2, 4, 5)
    np.testing.assert_array_equal(stacked[0, :2, :3], np.ones((2, 3)))
    np.testing.assert_array_equal(stacked[1, :1, :2], np.full((1, 2), 2.0))
    assert stacked.sum() == 6 + 4  # all else zero padding
    zeros = np.asarray(_pack._stack_slots([np.zeros_like(a) for a in slots], (2, 4, 5)))
    np.testing.assert_array_equal(zeros, np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match=r"widest shape \(2, 3\) do not fit .* \(1, 5\)"):
        _pack._stack_slots(slots, (2, 1, 5))
    with pytest.raises(ValueError, match=r"slot shape \(3, 4, 5\) does not stack 2 copies"):
        _pack._stack_slots(slots, (3, 4, 5))
