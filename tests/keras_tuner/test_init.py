"""``import tftune.keras_tuner`` stays light until a tuner is used."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_hyperparameters_load_without_tensorflow_and_tuners_load_on_use() -> None:
    code = (
        "import sys\n"
        "import tftune.keras_tuner as kt\n"
        "hp = kt.HyperParameters(); hp.Int('a', 1, 3)\n"
        "kt.oracles.RandomSearchOracle(objective='val_loss'); kt.errors.FailedTrialError\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
        "kt.RandomSearch\n"
        "assert 'keras' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_unknown_names_raise_attribute_error() -> None:
    import tftune.keras_tuner as kt

    with pytest.raises(AttributeError, match="has no attribute 'SklearnTunerX'"):
        kt.SklearnTunerX  # noqa: B018
