"""FileSystemArtifactStore: round trips, missing ids, and ids that try to leave base_path."""

from __future__ import annotations

import io
import os

import pytest

from tftune.artifacts import FileSystemArtifactStore
from tftune.artifacts.exceptions import ArtifactNotFound
from tftune.exceptions import TftuneError


def test_write_read_remove_round_trip(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "store")  # created on the first write
    store.write("a", io.BytesIO(b"weights"))
    with store.open_reader("a") as reader:
        assert reader.read() == b"weights"
    store.write("a", io.BytesIO(b"newer"))  # replaced whole
    with store.open_reader("a") as reader:
        assert reader.read() == b"newer"
    store.remove("a")
    assert os.listdir(tmp_path / "store") == []  # no temporary file left behind


def test_ids_may_name_subdirectories(tmp_path):
    store = FileSystemArtifactStore(str(tmp_path))
    store.write("models/best.keras", io.BytesIO(b"x"))
    assert (tmp_path / "models" / "best.keras").read_bytes() == b"x"


def test_missing_artifact_is_artifact_not_found(tmp_path):
    store = FileSystemArtifactStore(tmp_path)
    with pytest.raises(ArtifactNotFound, match="'nope'"):
        store.open_reader("nope")
    with pytest.raises(ArtifactNotFound, match="'nope'"):
        store.remove("nope")
    assert issubclass(ArtifactNotFound, TftuneError)


@pytest.mark.parametrize(
    "artifact_id", ["../secret", "a/../../secret", "/etc/passwd", "", ".", "a\x00b"]
)
def test_ids_cannot_escape_base_path(tmp_path, artifact_id):
    secret = tmp_path / "secret"
    secret.write_bytes(b"keep out")
    store = FileSystemArtifactStore(tmp_path / "store")
    with pytest.raises(ValueError, match="`artifact_id`"):
        store.open_reader(artifact_id)
    with pytest.raises(ValueError, match="`artifact_id`"):
        store.write(artifact_id, io.BytesIO(b"overwritten"))
    with pytest.raises(ValueError, match="`artifact_id`"):
        store.remove(artifact_id)
    assert secret.read_bytes() == b"keep out"


def test_a_link_out_of_base_path_is_refused(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "f").write_bytes(b"private")
    base = tmp_path / "store"
    base.mkdir()
    (base / "link").symlink_to(tmp_path / "outside")
    store = FileSystemArtifactStore(base)
    with pytest.raises(ValueError, match="must name a file inside"):
        store.open_reader("link/f")


def test_base_path_must_be_a_path():
    with pytest.raises(TypeError, match=r"`base_path` must be a str or a path, got 3\."):
        FileSystemArtifactStore(3)  # type: ignore[arg-type]
