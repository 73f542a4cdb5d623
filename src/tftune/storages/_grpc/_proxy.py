"""GrpcStorageProxy: a storage whose calls run on a :func:`run_grpc_proxy_server` server."""

from __future__ import annotations

from typing import Any

from tftune._experimental import experimental_class
from tftune.storages._grpc._codec import dumps, loads, rebuild_error
from tftune.storages._grpc._server import CHANNEL_OPTIONS, METHOD, SERVICE
from tftune.storages._remote import ForwardingStorage


@experimental_class("4.2.0")
class GrpcStorageProxy(ForwardingStorage):
    """A worker's view of the storage a gRPC storage server holds (Optuna's name and arguments).

    ``create_study(storage=GrpcStorageProxy(host="10.0.0.5", port=13000))`` in every worker;
    the server process runs ``run_grpc_proxy_server(storage_or_url, host=..., port=...)``.
    Errors the storage raises reach the caller as themselves; reads of a study's trials fetch
    only what changed since the last read. Heartbeats follow the served storage's settings.
    """

    def __init__(self, *, host: str = "localhost", port: int = 13000, timeout: float = 60.0):
        super().__init__()
        import grpc

        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError(f"`port` must be an int in [1, 65535], got {port!r}.")
        self.host, self.port, self.timeout = host, port, timeout
        self._channel = grpc.insecure_channel(f"{host}:{port}", options=CHANNEL_OPTIONS)
        self._stub = self._channel.unary_unary(f"/{SERVICE}/{METHOD}")
        self._connected = False

    def wait_server_ready(self, timeout: float | None = None) -> None:
        """Block until the server answers; TimeoutError naming its address after ``timeout``."""
        import grpc

        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise TimeoutError(
                f"No storage server answered at {self.host}:{self.port} within {timeout} s."
            ) from None
        self._settings()

    def _settings(self) -> None:
        if not self._connected:
            self._connected = True
            self._copy_settings()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import grpc

        if not self._connected and method != "describe":
            self._settings()
        try:
            answer = self._stub(dumps((method, args, kwargs)), timeout=self.timeout)
        except grpc.RpcError as error:
            raise ConnectionError(
                f"The storage server at {self.host}:{self.port} did not answer {method}: "
                f"{error.code().name} ({error.details()})."
            ) from None
        ok, result = loads(answer)
        if not ok:
            raise rebuild_error(result)
        return result

    def close(self) -> None:
        """Stop beating and close the connection (the server and its storage stay up)."""
        if self._heartbeat is not None:
            self._heartbeat.stop()
        self._channel.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "timeout": self.timeout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]
