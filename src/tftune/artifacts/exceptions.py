"""Errors of the artifact stores (Optuna's names)."""

from __future__ import annotations

from tftune.exceptions import TftuneError


class ArtifactNotFound(TftuneError):
    """The artifact store holds no artifact with the requested id."""
