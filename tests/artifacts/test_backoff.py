"""Backoff: retries a failing store, never retries a missing artifact, checks its arguments."""

from __future__ import annotations

import io

import pytest

from tftune.artifacts import Backoff, FileSystemArtifactStore
from tftune.artifacts.exceptions import ArtifactNotFound


class FlakyStore(FileSystemArtifactStore):
    """A real file-system store whose first ``failures`` calls raise (a dropped connection)."""

    def __init__(self, base_path, failures):
        super().__init__(base_path)
        self.failures, self.calls = failures, 0

    def _flake(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("dropped")

    def open_reader(self, artifact_id):
        self._flake()
        return super().open_reader(artifact_id)

    def write(self, artifact_id, content_body):
        self._flake()
        super().write(artifact_id, content_body)

    def remove(self, artifact_id):
        self._flake()
        super().remove(artifact_id)


def test_retries_until_the_store_answers(tmp_path):
    flaky = FlakyStore(tmp_path, failures=2)
    store = Backoff(flaky, max_retries=3, min_delay=0.001, max_delay=0.01)
    store.write("a", io.BytesIO(b"payload"))
    assert flaky.calls == 3
    with store.open_reader("a") as reader:
        assert reader.read() == b"payload"
    store.remove("a")  # removed once, not retried after success
    assert not (tmp_path / "a").exists()


def test_write_rewinds_the_body_before_a_retry(tmp_path):
    class PartialFirst(FileSystemArtifactStore):
        attempts = 0

        def write(self, artifact_id, content_body):
            PartialFirst.attempts += 1
            if PartialFirst.attempts == 1:
                content_body.read(3)
                raise ConnectionError("dropped mid-upload")
            super().write(artifact_id, content_body)

    store = Backoff(PartialFirst(tmp_path), max_retries=2, min_delay=0.001, max_delay=0.01)
    store.write("a", io.BytesIO(b"payload"))
    assert (tmp_path / "a").read_bytes() == b"payload"


def test_gives_up_after_max_retries(tmp_path):
    flaky = FlakyStore(tmp_path, failures=5)
    store = Backoff(flaky, max_retries=3, min_delay=0.001, max_delay=0.01)
    with pytest.raises(ConnectionError, match="dropped"):
        store.open_reader("a")
    assert flaky.calls == 3


def test_missing_artifact_is_not_retried(tmp_path):
    flaky = FlakyStore(tmp_path, failures=0)
    with pytest.raises(ArtifactNotFound):
        Backoff(flaky, min_delay=0.001, max_delay=0.01).open_reader("missing")
    assert flaky.calls == 1


def test_delays_grow_and_are_capped(tmp_path):
    store = Backoff(FileSystemArtifactStore(tmp_path), multiplier=2, min_delay=0.1, max_delay=0.5)
    assert [store.delay(i) for i in range(4)] == pytest.approx([0.1, 0.2, 0.4, 0.5])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_retries": 0}, r"`max_retries` must be an int >= 1, got 0\."),
        ({"multiplier": 0}, r"`multiplier` must be > 0, got 0\."),
        ({"min_delay": -1.0}, r"`min_delay` must be > 0, got -1\.0\."),
        ({"max_delay": 0.05}, r"`max_delay` must be > `min_delay` \(0\.1\), got 0\.05\."),
    ],
)
def test_bad_arguments_are_named(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Backoff(FileSystemArtifactStore(tmp_path), **kwargs)
