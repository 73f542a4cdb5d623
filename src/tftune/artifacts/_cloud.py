"""Artifact stores on Amazon S3 (boto3) and Google Cloud Storage; their libraries are not
dependencies of tftune and load when a store is made."""

from __future__ import annotations

import io
import shutil
from typing import Any, BinaryIO

from tftune.artifacts.exceptions import ArtifactNotFound


def _need(module: str, store: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{store} needs {package}: pip install {package}") from None


class Boto3ArtifactStore:
    """Artifacts as objects of an S3 bucket (or any S3-compatible service: give ``client``).

    ``avoid_buf_copy=True`` hands the file to boto3 as it is; by default it is copied into
    memory first, since boto3 may close the file it uploads.
    """

    def __init__(
        self, bucket_name: str, client: Any | None = None, *, avoid_buf_copy: bool = False
    ) -> None:
        boto3 = _need("boto3", "Boto3ArtifactStore", "boto3")
        self._client_error = _need(
            "botocore.exceptions", "Boto3ArtifactStore", "boto3"
        ).ClientError
        self.bucket = bucket_name
        self.client = client if client is not None else boto3.client("s3")
        self._avoid_buf_copy = avoid_buf_copy

    def open_reader(self, artifact_id: str) -> BinaryIO:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=artifact_id)
        except self._client_error as e:
            response = e.response
            code = response.get("Error", {}).get("Code")
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchKey" or status == 404:
                raise ArtifactNotFound(
                    f"No artifact with id {artifact_id!r} in bucket {self.bucket!r}."
                ) from e
            raise
        body: BinaryIO = obj["Body"]
        return body

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        source = content_body
        if not self._avoid_buf_copy:
            source = io.BytesIO()
            shutil.copyfileobj(content_body, source)
            source.seek(0)
        self.client.upload_fileobj(source, self.bucket, artifact_id)

    def remove(self, artifact_id: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=artifact_id)


class GCSArtifactStore:
    """Artifacts as blobs of a Google Cloud Storage bucket."""

    def __init__(self, bucket_name: str, client: Any | None = None) -> None:
        storage = _need("google.cloud.storage", "GCSArtifactStore", "google-cloud-storage")
        self.bucket_name = bucket_name
        self.client = client if client is not None else storage.Client()
        self.bucket_obj = self.client.bucket(bucket_name)

    def open_reader(self, artifact_id: str) -> BinaryIO:
        blob = self.bucket_obj.get_blob(artifact_id)
        if blob is None:
            raise ArtifactNotFound(
                f"No artifact with id {artifact_id!r} in bucket {self.bucket_name!r}."
            )
        return io.BytesIO(blob.download_as_bytes())

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        self.bucket_obj.blob(artifact_id).upload_from_string(content_body.read())

    def remove(self, artifact_id: str) -> None:
        self.bucket_obj.delete_blob(artifact_id)
