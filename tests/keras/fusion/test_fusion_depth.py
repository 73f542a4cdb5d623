"""Models of different depth (1-3 hidden Dense layers) with and without Dropout fuse into one
pack, padded with identity slots, and each copy trains exactly as that model alone."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pytest

import tftune
from tftune.keras import Tuner
from tftune.keras._fusion import FusedPack, fusion_blocker

optimizers = keras.optimizers
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
EPOCHS = 2
# (hidden units, activation, Dropout rate or None for no Dropout layer, L2 factor)
CONFIGS = [
    ([12], "relu", None, 0.0),
    ([9, 6], "tanh", 0.0, 1e-3),
    ([5, 14, 7], "relu", None, 0.0),
    ([8, 4, 11], "tanh", 0.0, 0.0),
    ([16, 3], "relu", None, 1e-2),
    ([7], "tanh", 0.0, 0.0),
]
OPTIMIZERS = {
    "adam": lambda k: optimizers.Adam(3e-3 * (k + 1)),
    # decoupled weight decay, and per copy no clipping, a global or a per-weight norm clip:
    # an identity slot must not decay, nor count in its copy's global gradient norm
    "adamw": lambda k: optimizers.AdamW(
        2e-3 * (k + 1),
        weight_decay=0.05 * k,
        global_clipnorm=0.3 if k % 3 == 1 else None,
        clipnorm=0.3 if k % 3 == 2 else None,
    ),
    # no global norm: a position some copies lack stacks the weights of the others alone, each
    # with its own decay, clipping and learning rate
    "adamw-local-clips": lambda k: optimizers.AdamW(
        2e-3 * (k + 1),
        weight_decay=0.05 * k,
        clipnorm=0.3 if k % 3 == 1 else None,
        clipvalue=0.01 if k % 3 == 2 else None,
    ),
    "rmsprop": lambda k: optimizers.RMSprop(
        1e-3 * (k + 1), momentum=0.5 if k % 2 else 0.0, centered=k % 3 == 0
    ),
}


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """96 training and 48 validation rows: 4x5 inputs, 3 one-hot classes."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(144, 4, 5)).astype("float32")
    labels = (x[:, 0, :2].sum(axis=1) > 0).astype(int) + (x[:, 1, 0] > 0.5)
    y = np.eye(3, dtype="float32")[labels]
    return x[:96], y[:96], x[96:], y[96:]


def build(
    hidden: list[int],
    activation: str,
    dropout: float | None,
    l2: float,
    optimizer: keras.optimizers.Optimizer,
    seed: int,
) -> keras.Model:
    """Flatten, the hidden Dense layers, [Dropout], Dense(3, softmax): the getting-started
    shape."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4, 5)), keras.layers.Flatten()])
    for units in hidden:
        regularizer = keras.regularizers.L2(l2) if l2 else None
        model.add(keras.layers.Dense(units, activation=activation, kernel_regularizer=regularizer))
    if dropout is not None:
        model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(3, activation="softmax"))
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def assert_same_weights(model: keras.Model, other: keras.Model) -> None:
    assert len(model.get_weights()) == len(other.get_weights())
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, **TOLERANCE)


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_mixed_depth_pack_trains_each_copy_like_its_model_alone(digits, kind):
    x, y, xv, yv = digits
    models = [build(*c, OPTIMIZERS[kind](k), seed=k) for k, c in enumerate(CONFIGS)]
    alone = [build(*c, OPTIMIZERS[kind](k), seed=k) for k, c in enumerate(CONFIGS)]
    assert fusion_blocker(models) is None

    pack = FusedPack(models, seed=0)
    fused = [pack.fit_epoch(x, y, batch_size=16, shuffle=False) for _ in range(EPOCHS)]
    fused_val = pack.evaluate(xv, yv, batch_size=16)
    pack.write_back()

    for k, model in enumerate(alone):
        history = model.fit(x, y, batch_size=16, epochs=EPOCHS, shuffle=False, verbose=0).history
        assert set(history) == set(fused[0][k]) == {"loss", "accuracy"}
        for name, values in history.items():
            np.testing.assert_allclose(
                [logs[k][name] for logs in fused], values, **TOLERANCE, err_msg=f"{name} {k}"
            )
        expected = model.evaluate(xv, yv, batch_size=16, verbose=0, return_dict=True)
        for name, value in expected.items():
            np.testing.assert_allclose(fused_val[k][name], value, **TOLERANCE)
        assert_same_weights(models[k], model)
        assert int(models[k].optimizer.iterations) == int(model.optimizer.iterations)


def test_identity_slots_stay_identity_and_are_never_written_back(digits):
    x, y, _, _ = digits
    shallow = build([6], "relu", None, 0.0, optimizers.AdamW(1e-2, weight_decay=0.5), seed=1)
    deep = build([5, 8, 4], "relu", 0.0, 0.0, optimizers.AdamW(1e-2, weight_decay=0.5), seed=2)
    pack = FusedPack([shallow, deep], seed=0)
    before = pack.copy_state(0)
    pack.fit_epoch(x, y, batch_size=16, shuffle=False)
    after = pack.copy_state(0)
    padded = [k for k, real in enumerate(after.present) if not real]
    assert len(padded) == 4  # two identity Dense slots (kernel, bias); the rate-0 dropout none
    for index in padded[::2]:  # the kernels: identity of the copy's width (6), untouched
        np.testing.assert_array_equal(after.values[index], np.eye(6, dtype="float32"))
    for index in padded:
        np.testing.assert_array_equal(after.values[index], before.values[index])
    # every weight here trains, so slots line up with present: the slots' optimizer state is 0
    absent = [slots for slots, real in zip(after.slots, after.present, strict=True) if not real]
    assert all(not value.any() for slots in absent for value in slots.values())
    pack.write_back()
    assert len(shallow.get_weights()) == 4  # the model keeps its own two Dense layers only


def test_a_dropout_copy_trains_as_in_a_pack_of_its_own_structure(digits):
    """Real dropout (rate 0.25) draws the same masks beside a shallower, dropout-free copy as
    beside a copy of its own structure; the shallow copy still trains exactly like fit."""
    x, y, _, _ = digits

    def deep(seed: int) -> keras.Model:
        return build([10, 8, 9], "relu", 0.25, 0.0, optimizers.Adam(5e-3), seed=seed)

    def shallow() -> keras.Model:
        return build([6], "tanh", None, 0.0, optimizers.Adam(1e-2), seed=5)

    mixed = FusedPack([deep(0), shallow()], seed=3)
    same = FusedPack([deep(0), deep(1)], seed=3)
    mixed_logs = [mixed.fit_epoch(x, y, batch_size=16)[0] for _ in range(EPOCHS)]
    same_logs = [same.fit_epoch(x, y, batch_size=16)[0] for _ in range(EPOCHS)]
    for name in ("loss", "accuracy"):
        np.testing.assert_allclose(
            [log[name] for log in mixed_logs], [log[name] for log in same_logs], **TOLERANCE
        )
    mixed.write_back()
    same.write_back()
    assert_same_weights(mixed.models[0], same.models[0])

    alone = shallow()
    history = alone.fit(x, y, batch_size=16, epochs=EPOCHS, verbose=0, shuffle=False).history
    check = FusedPack([deep(0), shallow()], seed=3)
    logs = [check.fit_epoch(x, y, batch_size=16, shuffle=False)[1] for _ in range(EPOCHS)]
    np.testing.assert_allclose([log["loss"] for log in logs], history["loss"], **TOLERANCE)
    check.write_back(1)
    assert_same_weights(check.models[1], alone)


def test_repacking_a_mixed_depth_pack_keeps_each_copy_on_its_course(digits):
    x, y, _, _ = digits
    models = [build(*c, OPTIMIZERS["adam"](k), seed=k) for k, c in enumerate(CONFIGS[:4])]
    pack = FusedPack(models, seed=0)
    pack.fit_epoch(x, y, batch_size=16, shuffle=False)
    small = pack.repack([0, 3])
    big_logs = pack.fit_epoch(x, y, batch_size=16, shuffle=False)
    small_logs = small.fit_epoch(x, y, batch_size=16, shuffle=False)
    for small_index, k in enumerate([0, 3]):
        np.testing.assert_allclose(
            small_logs[small_index]["loss"], big_logs[k]["loss"], **TOLERANCE
        )


def test_models_that_cannot_align_keep_the_blocker_with_the_reason():
    def chain(*layers: keras.layers.Layer) -> keras.Model:
        model = keras.Sequential([keras.Input((6,)), *layers])
        model.compile(optimizer=optimizers.Adam(), loss="mse")
        return model

    plain = chain(keras.layers.Dense(4), keras.layers.Dense(2))
    normed = chain(
        keras.layers.Dense(4), keras.layers.LayerNormalization(name="ln"), keras.layers.Dense(2)
    )
    with pytest.raises(
        ValueError,
        match=r"^copy 1 has 3 layers, copy 0 has 2, and they do not align: copy 1: its "
        r"LayerNormalization layer 'ln' is in one of the copies only; only Dense and Dropout "
        r"layers can be padded with identity slots$",
    ):
        FusedPack([plain, normed])
    activation = chain(keras.layers.Dense(4), keras.layers.Activation("relu", name="act"))
    same_length = "layer 1 of copy 1 is Activation, copy 0 has Dense"
    assert fusion_blocker([plain, activation]) == same_length
    trailing = chain(keras.layers.Dense(4), keras.layers.Dense(2), keras.layers.Dropout(0.1))
    assert fusion_blocker([plain, trailing]) == (
        "copy 1 has 3 layers, copy 0 has 2, and they do not align: "
        "the last layer of copy 1 is Dropout, copy 0 ends with Dense"
    )
    pooled = keras.Sequential([keras.Input((6, 2)), keras.layers.Flatten(), keras.layers.Dense(2)])
    reduced = keras.Sequential(
        [
            keras.Input((6, 2)),
            keras.layers.Dense(3),
            keras.layers.GlobalAveragePooling1D(name="gap"),
            keras.layers.Dense(2),
        ]
    )
    for model in (pooled, reduced):
        model.compile(optimizer=optimizers.Adam(), loss="mse")
    assert fusion_blocker([pooled, reduced]) == (
        "copy 1 has 3 layers, copy 0 has 2, and they do not align: copy 1: its "
        "GlobalAveragePooling1D layer 'gap' stands where earlier copies have Flatten; "
        "only Dense and Dropout layers can be padded with identity slots"
    )


def getting_started(trial: tftune.trial.Trial) -> keras.Model:
    """keras.io's getting-started model, shrunk: 1-3 Dense layers, optional Dropout."""
    model = keras.Sequential([keras.layers.Flatten()])
    activation = trial.suggest_categorical("activation", ["relu", "tanh"])
    for i in range(trial.suggest_int("num_layers", 1, 3)):
        model.add(
            keras.layers.Dense(trial.suggest_int(f"units_{i}", 4, 16), activation=activation)
        )
    if trial.suggest_categorical("dropout", [True, False]):
        model.add(keras.layers.Dropout(0.25))
    model.add(keras.layers.Dense(3, activation="softmax"))
    model.compile(
        optimizer=optimizers.Adam(trial.suggest_float("lr", 1e-4, 1e-2, log=True)),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_trials_of_mixed_depth_and_dropout_train_as_one_pack(tmp_path, digits, caplog):
    x, y, xv, yv = digits
    with Tuner(
        getting_started,
        objective="val_accuracy",
        direction="maximize",
        directory=tmp_path,
        sampler=tftune.samplers.RandomSampler(seed=0),
        pack_size=8,
    ) as tuner:
        with caplog.at_level(logging.INFO, logger="tftune"):
            tuner.search(x, y, validation_data=(xv, yv), epochs=1, n_trials=8, batch_size=16)
        trials = tuner.study.trials
    structures = {(t.params["num_layers"], t.params["dropout"]) for t in trials}
    assert len({depth for depth, _ in structures}) >= 2 and len(structures) >= 3
    packs = [r.message for r in caplog.records if "as one pack" in r.message]
    assert packs == ["Training trials #0-#7 as one pack of 8."]
    assert not [r.message for r in caplog.records if "one at a time" in r.message]
    assert all(t.state == tftune.trial.TrialState.COMPLETE for t in trials)


def _assert_states_equal(a, b) -> None:
    assert (a.step, a.active, a.present, a.hyper) == (b.step, b.active, b.present, b.hyper)
    for x, y in zip(a.values, b.values, strict=True):
        np.testing.assert_array_equal(x, y)
    for slots_a, slots_b in zip(a.slots, b.slots, strict=True):
        assert sorted(slots_a) == sorted(slots_b)
        for name in slots_a:
            np.testing.assert_array_equal(slots_a[name], slots_b[name])


def test_batched_state_reads_match_one_copy_at_a_time(digits):
    x, y, _, _ = digits
    # no global norm: the positions some copies lack stack the others alone (rows, outside)
    models = [build(*c, OPTIMIZERS["adamw-local-clips"](k), seed=k) for k, c in enumerate(CONFIGS)]
    pack = FusedPack(models, seed=0)
    pack.fit_epoch(x, y, batch_size=16, shuffle=False)
    pack.freeze(4)
    pack.fit_epoch(x, y, batch_size=16, shuffle=False)
    one_by_one = [pack.copy_state(k) for k in range(pack.size)]
    assert one_by_one[4].step < one_by_one[0].step and not one_by_one[4].active
    for indices in ([3, 0, 5], list(range(pack.size)), [2, 2], []):
        states = pack.copy_states(indices)
        assert len(states) == len(indices)
        for k, state in zip(indices, states, strict=True):
            _assert_states_equal(state, one_by_one[k])
    with pytest.raises(IndexError, match=r"Copy index must be in \[0, 6\), got 6"):
        pack.copy_states([1, 6])
    # some copy lacks a weight (an identity slot): the rows/outside reads are covered here
    assert any(False in state.present for state in one_by_one)
    # the full path (every copy, one read) against each model's own weights afterwards
    pack.write_back()
    for k, model in enumerate(models):
        state = one_by_one[k]
        own = [v for v, real in zip(state.values, state.present, strict=True) if real]
        weights = model.get_weights()
        assert len(own) == len(weights) > 0
        for a, b in zip(own, weights, strict=True):
            np.testing.assert_array_equal(a, b)
        assert int(model.optimizer.iterations) == state.step

    batched = [
        build(*c, OPTIMIZERS["adamw-local-clips"](k), seed=k) for k, c in enumerate(CONFIGS)
    ]
    single = [build(*c, OPTIMIZERS["adamw-local-clips"](k), seed=k) for k, c in enumerate(CONFIGS)]
    for target in (batched, single):
        other = FusedPack(target, seed=0)
        other.fit_epoch(x, y, batch_size=16, shuffle=False)
        other.freeze(4)
        other.fit_epoch(x, y, batch_size=16, shuffle=False)
        if target is batched:
            other.write_back([0, 4, 2])
        else:
            for k in (0, 4, 2):
                other.write_back(k)
    for k in (0, 4, 2):
        assert_same_weights(batched[k], single[k])
        assert int(batched[k].optimizer.iterations) == int(single[k].optimizer.iterations) > 0
        for a, b in zip(
            batched[k].optimizer.variables, single[k].optimizer.variables, strict=True
        ):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert_same_weights(batched[1], build(*CONFIGS[1], OPTIMIZERS["adam"](1), seed=1))
