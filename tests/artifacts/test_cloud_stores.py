"""The S3 and GCS stores load their libraries only when made; without them, the error says
what to install (neither is a dependency of tftune)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

import tftune.artifacts


@pytest.mark.skipif(importlib.util.find_spec("boto3") is not None, reason="boto3 is installed")
def test_boto3_store_without_boto3_says_what_to_install():
    with pytest.raises(ImportError, match=r"Boto3ArtifactStore needs boto3: pip install boto3"):
        tftune.artifacts.Boto3ArtifactStore("bucket")


def _has_gcs() -> bool:
    try:
        return importlib.util.find_spec("google.cloud.storage") is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.skipif(_has_gcs(), reason="google-cloud-storage is installed")
def test_gcs_store_without_its_library_says_what_to_install():
    with pytest.raises(ImportError, match="pip install google-cloud-storage"):
        tftune.artifacts.GCSArtifactStore("bucket")


def test_importing_artifacts_loads_no_cloud_library():
    code = (
        "import sys, tftune; tftune.artifacts; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', "
        "'google', 'tensorflow', 'optuna')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
