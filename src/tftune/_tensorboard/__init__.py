"""TensorBoard HParams logs of a study's trials, written with the ``tensorboard`` package alone.

TensorBoard's own writers reach for TensorFlow's file system (``tf.io.gfile``) as soon as
TensorFlow is installed, so the event files are written here from ``tensorboard``'s protos and
record framing: logging never imports TensorFlow (Keras may run on another backend).
"""

from __future__ import annotations

try:
    import tensorboard  # noqa: F401
except ImportError as missing:  # pragma: no cover - exercised in a venv without the extra
    raise ImportError(
        "Writing TensorBoard logs needs the `tensorboard` package: "
        "pip install 'tftune[tensorboard]'."
    ) from missing

from tftune._tensorboard._log import HParamsLog
from tftune._tensorboard._session import HParamsSession

__all__ = ["HParamsLog", "HParamsSession"]
