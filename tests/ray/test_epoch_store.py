"""The per-epoch checkpoints a retry after a lost worker resumes from: the directory store, and
a retry resuming from what the trial it replaces saved (weights, optimizer state, values); and
paused trials' checkpoints kept in such a store (no shared directory on Ray), which their
promotions resume from, whichever way a later search keeps its own."""

from __future__ import annotations

import dataclasses
import pathlib
import time

import numpy as np
import pytest

from tftune.keras import Tuner
from tftune._ray._epoch_store import (
    PAUSED,
    DirectoryEpochStore,
    DiskPausedCheckpoints,
    EpochCheckpoint,
)
from tftune.keras._callback import TrialFailed
from tftune.keras._pack_job import (
    CHECKPOINT_BUDGET,
    RESUMED_AT_KEY,
    STORE_CHAIN_KEY,
    PackJob,
    drop_paused,
    paused_kept,
)
from tftune.pruners._successive_halving import CHECKPOINT_KEY, RESUME_OF_KEY
from tftune.storages import RetryFailedTrialCallback
from tftune.storages._base import FIXED_PARAMS_KEY
from tftune.trial import FrozenTrial, TrialState


def checkpoint(chain: int, epoch: int) -> EpochCheckpoint:
    return EpochCheckpoint(
        chain=chain,
        epoch=epoch,
        input_shape=[None, 3],
        values=[[step, 1.0 / (step + 1)] for step in range(epoch + 1)],
        history={"loss": [1.0 / (step + 1) for step in range(epoch + 1)]},
    )


def test_a_chain_keeps_its_latest_checkpoint_only(tmp_path):
    store = DirectoryEpochStore(tmp_path / "ckpt")
    assert store.latest(0) is None and store.names() == []
    store.put(checkpoint(0, 0), b"w0")
    store.put(checkpoint(10, 0), b"other chain")  # chain 10 is not chain 1 or 0's prefix
    store.put(checkpoint(0, 1), b"w1")
    assert store.latest(0) == (checkpoint(0, 1), b"w1")
    assert store.latest(10) == (checkpoint(10, 0), b"other chain")
    assert store.latest(1) is None
    assert store.names() == [
        "epoch_0_1.json",
        "epoch_0_1.npz",
        "epoch_10_0.json",
        "epoch_10_0.npz",
    ]
    store.discard([0, 7])
    assert store.names() == ["epoch_10_0.json", "epoch_10_0.npz"]


def test_a_write_cut_short_is_never_read_and_goes_with_its_chain(tmp_path):
    store = DirectoryEpochStore(tmp_path)
    store.put(checkpoint(2, 0), b"w0")
    (tmp_path / ".epoch_2_1.npz.part").write_bytes(b"half")  # killed between write and rename
    (tmp_path / ".epoch_12_0.npz.part").write_bytes(b"other chain")
    assert store.latest(2) == (checkpoint(2, 0), b"w0")
    assert ".epoch_2_1.npz.part" in store.names()
    store.discard([2])
    assert store.names() == [".epoch_12_0.npz.part"]


def test_stores_under_other_prefixes_share_a_directory_and_keep_at_most_max_chains(tmp_path):
    epochs = DirectoryEpochStore(tmp_path)
    paused = DirectoryEpochStore(tmp_path, prefix=PAUSED, max_chains=2)
    epochs.put(checkpoint(1, 0), b"epoch")
    for chain in (5, 3, 9):  # the third goes over max_chains: the lowest number goes
        paused.put(checkpoint(chain, 1), f"paused {chain}".encode())
    assert paused.chains() == [5, 9] and not paused.holds(3) and paused.holds(9)
    assert paused.latest(5) == (checkpoint(5, 1), b"paused 5")
    assert epochs.names() == ["epoch_1_0.json", "epoch_1_0.npz"]  # neither sees the other
    assert epochs.chains() == [1] and paused.latest(1) is None
    paused.discard([5])
    assert paused.names() == ["paused_9_1.json", "paused_9_1.npz"]
    with pytest.raises(ValueError, match=r"`prefix` must be lowercase letters, got 'a_b'"):
        DirectoryEpochStore(tmp_path, prefix="a_b")


def test_weights_without_their_record_are_no_checkpoint(tmp_path):
    store = DirectoryEpochStore(tmp_path)
    store.put(checkpoint(3, 0), b"w0")
    (tmp_path / "epoch_3_1.npz").write_bytes(b"half-written save")
    assert store.latest(3) == (checkpoint(3, 0), b"w0")


def build(trial):
    import keras

    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(trial.suggest_int("u", 2, 8)),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def test_a_retry_resumes_from_the_last_epoch_its_failed_trial_saved(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    with Tuner(build, directory=tmp_path, objective="loss") as tuner:
        job = dataclasses.replace(
            tuner.job({"x": x, "y": y, "epochs": 4, "verbose": 0}), checkpoint_epochs=True
        )
        first = tuner.study.ask()
        model = build(first)
        history = model.fit(x, y, epochs=2, verbose=0).history
        for epoch, loss in enumerate(history["loss"]):
            first.report(loss, epoch)
        job.save_epoch(first, model, 1, history)
        tuner.study.tell(first, state=TrialState.FAIL)  # as the driver does for a lost worker
        RetryFailedTrialCallback(max_retry=1)(tuner.study, tuner.study.trials[0])
        retry = tuner.study.ask()
        assert job.resume_epoch(retry) == 2 and job.is_resuming(retry)
        resumed = build(retry)
        assert retry.params == first.params and retry.number == 1
        start, resumed_history = job.resume(retry, resumed)
        assert start == 2 and resumed_history == history
        assert retry.intermediate_values == dict(enumerate(history["loss"]))
        assert tuner.study.trials[1].system_attrs[RESUMED_AT_KEY] == 2
        for saved, loaded in zip(model.weights, resumed.weights, strict=True):
            np.testing.assert_array_equal(saved.numpy(), loaded.numpy())
        assert int(resumed.optimizer.iterations.numpy()) == 2 * 1  # 2 epochs of one batch
        for saved, loaded in zip(
            model.optimizer.variables, resumed.optimizer.variables, strict=True
        ):
            np.testing.assert_array_equal(np.asarray(saved), np.asarray(loaded))
        again = build(retry)  # its pack failed before it reported: it runs alone, resumed again
        assert job.resume(retry, again)[0] == 2
        for saved, loaded in zip(model.weights, again.weights, strict=True):
            np.testing.assert_array_equal(saved.numpy(), loaded.numpy())
        fresh = tuner.study.ask()  # not a retry: nothing to resume
        assert job.resume_epoch(fresh) == 0


def test_a_pack_checkpoints_an_epoch_while_its_checkpoints_took_at_most_the_budget():
    job = PackJob(build, "loss", None, {}, checkpoint_epochs=True, checkpoint_budget=0.1)
    job.began = time.monotonic() - 10.0  # it has trained for 10 s
    assert job.checkpoints_epoch(0)  # the first epoch always
    job.saved["pack_seconds"] = 0.9
    assert job.checkpoints_epoch(1)  # 0.9 s of 10 s
    job.saved["pack_seconds"] = 1.5
    assert not job.checkpoints_epoch(2)  # 1.5 s of 10 s: over 10 %
    job.saved["pack_seconds"] = 0.0
    assert job.checkpoints_epoch(1) and not job.checkpoints_epoch(2)  # one answer per epoch
    assert job.saved["epochs"] == 2 and job.saved["skipped_epochs"] == 1
    assert not dataclasses.replace(job, checkpoint_epochs=False).checkpoints_epoch(5)
    fresh = job.for_trials([3, 4])  # another pack: its own plan and its own clock
    assert fresh.planned == {} and fresh.saved == {} and fresh.began > job.began


def test_a_model_state_loads_only_into_a_model_with_the_same_variables():
    import keras

    from tftune.keras._pack_job import load_model_state, model_state

    def model(units: int) -> keras.Model:
        built = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
        built.compile(optimizer="adam", loss="mse")
        built.optimizer.build(built.trainable_variables)
        return built

    saved = model(4)
    state = model_state(saved)
    same = model(4)
    load_model_state(same, state)
    for a, b in zip(saved.weights, same.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(ValueError, match=r"does not fit this model: its model variables have"):
        load_model_state(model(5), state)


def test_a_trial_paused_into_a_store_is_promoted_from_it_with_its_state(tmp_path):
    """As on Ray with no shared directory: the paused trial's state goes to the store (no
    file path recorded), the driver sees it kept on its disk, and the promotion resumes it."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    with Tuner(build, directory=tmp_path, objective="loss") as tuner:
        store = DirectoryEpochStore(tuner.checkpoint_dir, prefix=PAUSED, max_chains=1)
        job = dataclasses.replace(tuner.job({"x": x, "y": y, "epochs": 3}), paused_store=store)
        paused = tuner.study.ask()
        model = build(paused)
        history = model.fit(x, y, epochs=2, verbose=0).history
        for epoch, loss in enumerate(history["loss"]):
            paused.report(loss, epoch)
        job.pause(paused, model, 1)
        saved = tuner.study.trials[0].system_attrs[CHECKPOINT_KEY]
        assert saved == {STORE_CHAIN_KEY: 0, "epoch": 1, "input_shape": [None, 3]}
        assert paused_kept(saved, tuner.checkpoint_dir)
        tuner.study.tell(paused, state=TrialState.PRUNED)
        promotion = FrozenTrial(  # as the tuner enqueues a promotion
            number=-1,
            state=TrialState.WAITING,
            system_attrs={
                FIXED_PARAMS_KEY: dict(paused.params),
                CHECKPOINT_KEY: saved,
                RESUME_OF_KEY: 0,
            },
        )
        tuner.study.storage.enqueue_trials(tuner.study.study_id, [promotion])
        promoted = tuner.study.ask()
        resumed = build(promoted)
        assert job.resume_epoch(promoted) == 2
        assert job.resume(promoted, resumed)[0] == 2
        for a, b in zip(model.weights, resumed.weights, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        for a, b in zip(model.optimizer.variables, resumed.optimizer.variables, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        # a later search in this process (no paused store) finds it where the actor kept it
        here = dataclasses.replace(job, paused_store=None)
        assert here.resume(promoted, again := build(promoted))[0] == 2
        for a, b in zip(model.weights, again.weights, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        drop_paused(saved, tuner.checkpoint_dir)
        assert not paused_kept(saved, tuner.checkpoint_dir) and store.names() == []
        with pytest.raises(TrialFailed, match=r"checkpoint of paused trial #0 \(epoch 1\) is no"):
            job.resume(promoted, build(promoted))


def paused_and_promoted(tuner, job):
    """Train a trial 2 epochs, pause it through ``job`` at epoch 1, enqueue and ask its
    promotion (as the tuner does); return the paused model, its record and the promotion."""
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    paused = tuner.study.ask()
    model = build(paused)
    for epoch, loss in enumerate(model.fit(x, y, epochs=2, verbose=0).history["loss"]):
        paused.report(loss, epoch)
    job.pause(paused, model, 1)
    tuner.study.tell(paused, state=TrialState.PRUNED)
    saved = tuner.study.trials[paused.number].system_attrs[CHECKPOINT_KEY]
    promotion = FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        system_attrs={
            FIXED_PARAMS_KEY: dict(paused.params),
            CHECKPOINT_KEY: saved,
            RESUME_OF_KEY: paused.number,
        },
    )
    tuner.study.storage.enqueue_trials(tuner.study.study_id, [promotion])
    return model, saved, tuner.study.ask()


def assert_resumed(job, promoted, paused_model):
    resumed = build(promoted)
    assert job.resume(promoted, resumed)[0] == 2
    for a, b in zip(paused_model.weights, resumed.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(paused_model.optimizer.variables, resumed.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def shipped(tuner: Tuner, shared_dir: pathlib.Path | None = None) -> PackJob:
    """The tuner's job as ``search(backend="ray", shared_dir=...)`` ships it by default."""
    from tftune.keras._ray_search import ray_job

    return ray_job(
        tuner.job({}),
        project_dir=tuner.project_dir,
        shared_dir=shared_dir,
        max_retries=3,
        checkpoint_budget=CHECKPOINT_BUDGET,
    )


def test_a_trial_paused_through_the_actor_is_promoted_in_a_later_search_with_a_shared_dir(
    tmp_path,
):
    """The record names the paused store, so the worker of a later search that writes its own
    pauses by path (``shared_dir``) reads it from the driver, not from the shared directory."""
    with Tuner(build, directory=tmp_path / "project", objective="loss") as tuner:
        store = DirectoryEpochStore(tuner.checkpoint_dir, prefix=PAUSED)
        unshared = dataclasses.replace(tuner.job({}), paused_store=store)
        model, saved, promoted = paused_and_promoted(tuner, unshared)
        assert STORE_CHAIN_KEY in saved
        shared = shipped(tuner, shared_dir=tmp_path / "shared")
        assert shared.paused_store is None and shared.checkpoint_dir.is_absolute()
        with pytest.raises(TrialFailed, match=r"paused trial #0 \(epoch 1\) is no longer kept"):
            shared.resume(promoted, build(promoted))  # (where the worker looked before)
        driver = DiskPausedCheckpoints(tuner.checkpoint_dir, tmp_path)
        assert_resumed(dataclasses.replace(shared, driver_paused=driver), promoted, model)


def test_a_trial_paused_by_path_is_promoted_in_a_later_search_without_a_shared_dir(
    tmp_path, monkeypatch
):
    """The record names a file (a shared directory, relative to the driver's working
    directory): a later search's worker with no shared directory fetches its bytes from the
    driver; a file the driver no longer reads fails the promotion with a clear reason."""
    driver_cwd, worker_cwd = tmp_path / "driver", tmp_path / "worker"
    driver_cwd.mkdir(), worker_cwd.mkdir()
    monkeypatch.chdir(driver_cwd)
    with Tuner(build, directory=tmp_path / "project", objective="loss") as tuner:
        by_path = dataclasses.replace(tuner.job({}), checkpoint_dir=pathlib.Path("shared"))
        model, saved, promoted = paused_and_promoted(tuner, by_path)
        assert saved["path"] == str(pathlib.Path("shared", "trial_0.weights.h5"))
        assert paused_kept(saved, tuner.checkpoint_dir)  # (the driver sees it)
        unshared = dataclasses.replace(
            shipped(tuner),
            paused_store=DirectoryEpochStore(tuner.checkpoint_dir, prefix=PAUSED),
            driver_paused=DiskPausedCheckpoints(tuner.checkpoint_dir, driver_cwd),
        )
        monkeypatch.chdir(worker_cwd)  # where the relative path names nothing
        assert_resumed(unshared, promoted, model)
        alone = dataclasses.replace(unshared, driver_paused=None)
        with pytest.raises(TrialFailed, match=r"paused trial #0 \(epoch 1\) is no longer at"):
            alone.resume(promoted, build(promoted))
        (driver_cwd / saved["path"]).unlink()
        with pytest.raises(TrialFailed, match=r"is a file, shared.trial_0\.weights\.h5, that"):
            unshared.resume(promoted, build(promoted))


def test_a_search_with_a_shared_dir_reads_a_paused_file_there_itself(tmp_path):
    """A file under this search's shared directory is read on the worker: the driver is not
    asked (here it could not find it)."""
    with Tuner(build, directory=tmp_path / "project", objective="loss") as tuner:
        shared = shipped(tuner, shared_dir=tmp_path / "shared")
        model, saved, promoted = paused_and_promoted(tuner, shared)
        assert pathlib.Path(saved["path"]).parent == tmp_path / "shared" / "checkpoints"
        nowhere = DiskPausedCheckpoints(tmp_path / "none", tmp_path / "none")
        assert_resumed(dataclasses.replace(shared, driver_paused=nowhere), promoted, model)


def test_the_driver_reads_only_paused_checkpoint_files_for_a_worker(tmp_path):
    (tmp_path / "trial_3.weights.h5").write_bytes(b"weights")
    (tmp_path / "study.db").write_bytes(b"data")
    driver = DiskPausedCheckpoints(tmp_path / "checkpoints", tmp_path)
    assert driver.file("trial_3.weights.h5") == b"weights"
    assert driver.file(str(tmp_path / "trial_3.weights.h5")) == b"weights"
    assert driver.file("trial_4.weights.h5") is None and driver.paused(3) is None
    with pytest.raises(ValueError, match=r"`path` must name a paused checkpoint file .*study"):
        driver.file("study.db")
