"""A storage server for many workers over gRPC (extra ``grpc``), under Optuna's names."""

from tftune.storages._grpc._proxy import GrpcStorageProxy
from tftune.storages._grpc._server import get_server, run_grpc_proxy_server

__all__ = ["GrpcStorageProxy", "get_server", "run_grpc_proxy_server"]
