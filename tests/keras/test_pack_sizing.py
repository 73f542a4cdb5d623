"""Pack sizing: padded cost of a pack, splits by width, memory estimate."""

from __future__ import annotations

import keras
import pytest

from tftune.keras import _pack_sizing
from tftune.keras._pack_sizing import padded_macs, split_by_width


def mlp(units: int, inputs: int = 64) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((inputs,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(10),
        ]
    )
    model.compile("adam", "mse")
    return model


def test_padded_cost_is_that_of_the_widest_copy_per_layer():
    assert padded_macs([mlp(8)]) == 64 * 8 + 8 * 10
    assert padded_macs([mlp(8), mlp(32)]) == 64 * 32 + 32 * 10
    conv = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    # a 3x3x1x4 kernel at 6x6 output positions, then a 144x10 kernel
    assert padded_macs([conv]) == 3 * 3 * 1 * 4 * 36 + 144 * 10


def test_copies_of_very_different_widths_are_split_narrow_first(monkeypatch):
    monkeypatch.setattr(_pack_sizing, "device_kind", lambda: "CPU")
    models = [mlp(units) for units in (4096, 4, 4096, 4, 4, 4096, 4, 4096)]
    saved_per_sample = (
        8 * padded_macs([mlp(4096)]) - 4 * padded_macs([mlp(4)]) - 4 * padded_macs([mlp(4096)])
    )
    assert (
        saved_per_sample * 256 > _pack_sizing.SPLIT_WORTH_MACS["CPU"]
    )  # worth a second pack at batch 256
    assert split_by_width(models, batch_size=256) == [[1, 3, 4, 6], [0, 2, 5, 7]]


@pytest.mark.parametrize(
    "units, batch_size",
    [
        ((64,) * 8, 256),  # same widths: nothing to save
        ((4096, 4, 4096, 4, 4, 4096, 4), 256),  # too few copies for two parts of MIN_SPLIT_SIZE
        ((32, 4, 32, 4, 4, 32, 4, 32), 256),  # too little saved for the fixed cost of a pack
    ],
)
def test_packs_stay_whole_when_a_split_does_not_pay(monkeypatch, units, batch_size):
    monkeypatch.setattr(_pack_sizing, "device_kind", lambda: "CPU")
    assert split_by_width([mlp(u) for u in units], batch_size) == [list(range(len(units)))]


def test_packs_are_not_split_on_a_gpu(monkeypatch):
    monkeypatch.setattr(_pack_sizing, "device_kind", lambda: "GPU")
    units = (4096, 4, 4096, 4, 4, 4096, 4, 4096)
    assert len(split_by_width([mlp(u) for u in units], 256)) == 1


def two_layer(first: int, second: int) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(first, activation="relu"),
            keras.layers.Dense(second, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile("adam", "mse")
    return model


def test_width_keys_are_the_cost_then_each_kernel_width():
    assert _pack_sizing.width_keys(two_layer(32, 8)) == (64 * 32 + 32 * 8 + 8, 32.0, 8.0, 1.0)


def test_split_groups_by_a_layer_width_when_the_whole_cost_interleaves(monkeypatch):
    monkeypatch.setattr(_pack_sizing, "device_kind", lambda: "CPU")
    # narrow-first copies (32 then 400-480 units) and wide-first ones (256 then 4-16) have
    # interleaved whole costs: ordered by that cost no cut separates them, by width one does
    shapes = [(32, 480), (256, 4), (32, 400), (256, 16), (32, 480), (256, 4), (32, 400), (256, 16)]
    models = [two_layer(*shape) for shape in shapes]
    costs = [padded_macs([model]) for model in models]
    assert sorted(range(8), key=costs.__getitem__)[:4] != [0, 2, 4, 6]  # interleaved
    parts = split_by_width(models, batch_size=256)
    assert sorted(parts) == [[0, 2, 4, 6], [1, 3, 5, 7]]
    split_cost = sum(len(p) * padded_macs([models[i] for i in p]) for p in parts)
    assert split_cost < 0.2 * 8 * padded_macs(models)


def test_evaluation_takes_every_row_at_once_where_the_activations_fit(monkeypatch):
    models = [mlp(32) for _ in range(4)]
    assert _pack_sizing.evaluation_batch(models, 32, rows=600) == 600
    # 4 copies x (32 + 32 + 10 features) a row: 1,000 floats hold 3 rows, fewer than a batch
    monkeypatch.setattr(_pack_sizing, "EVALUATION_FLOATS", 1_000)
    assert _pack_sizing.evaluation_batch(models, 32, rows=600) == 32
    monkeypatch.setattr(_pack_sizing, "EVALUATION_FLOATS", 4 * 74 * 50)
    assert _pack_sizing.evaluation_batch(models, 32, rows=600) == 50
