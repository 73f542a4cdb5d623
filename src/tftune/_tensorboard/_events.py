"""Event files: TensorBoard's TFRecord-framed ``Event`` protos, appended without TensorFlow."""

from __future__ import annotations

import itertools
import os
import pathlib
import socket
import time
from collections.abc import Iterable

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

#: What the first event of every file declares (TensorBoard's current format).
FILE_VERSION = "brain.Event:2"
_file_numbers = itertools.count()


def event_file_name(suffix: str = "") -> str:
    """A fresh event file name, in TensorBoard's pattern (it loads files with 'tfevents')."""
    return (
        f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
        f"{os.getpid()}.{next(_file_numbers)}{suffix}"
    )


def summary_event(
    summary: summary_pb2.Summary, step: int = 0, wall_time: float | None = None
) -> event_pb2.Event:
    return event_pb2.Event(
        wall_time=time.time() if wall_time is None else wall_time, step=step, summary=summary
    )


def append_events(path: pathlib.Path, events: Iterable[event_pb2.Event]) -> None:
    """Append ``events`` to the event file ``path``, starting it with the version event if new;
    the file is closed again, so a reader (or a crash) sees only whole records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as file:
        records = RecordWriter(file)
        if file.tell() == 0:
            version = event_pb2.Event(wall_time=time.time(), file_version=FILE_VERSION)
            records.write(version.SerializeToString())
        for event in events:
            records.write(event.SerializeToString())


def replace_event_file(path: pathlib.Path, events: Iterable[event_pb2.Event]) -> None:
    """Write ``events`` as the whole event file ``path``, atomically (readers never see a half
    file)."""
    partial = path.with_name(f".tftune-{os.getpid()}.partial")  # not 'tfevents': not loaded
    partial.unlink(missing_ok=True)
    append_events(partial, events)
    os.replace(partial, path)
