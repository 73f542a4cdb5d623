"""The journal in Redis: one list per journal, appended with one ``RPUSH``
(``pip install redis``; Optuna's ``JournalRedisBackend``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tftune._experimental import experimental_class
from tftune.storages.journal._file import BaseJournalBackend


@experimental_class("3.1.0")
class JournalRedisBackend(BaseJournalBackend):
    """A journal kept in the Redis server at ``url`` (``redis://host:port/db``).

    Every append is one ``RPUSH`` of all its entries, which Redis applies atomically, so
    processes on different machines can share a study. ``prefix`` separates journals kept in
    the same Redis database; ``use_cluster`` connects to a Redis Cluster.
    """

    def __init__(self, url: str, use_cluster: bool = False, prefix: str = "") -> None:
        if not isinstance(url, str) or not url:
            raise TypeError(f"`url` must be a Redis URL string, got {url!r}.")
        if not isinstance(prefix, str):
            raise TypeError(f"`prefix` must be a string, got {prefix!r}.")
        try:
            import redis
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(
                "JournalRedisBackend needs the redis client: pip install redis"
            ) from error
        self._url = url
        self._use_cluster = use_cluster
        self._prefix = prefix
        self._client: Any = (
            redis.cluster.RedisCluster.from_url(url) if use_cluster else redis.Redis.from_url(url)
        )

    @property
    def key(self) -> str:
        """The Redis list that holds the journal."""
        return f"{self._prefix}:tftune-journal"

    def use_client(self, client: Any) -> None:
        """Talk to Redis through ``client`` (any object with ``rpush`` and ``lrange``)."""
        self._client = client

    def read_logs(self, log_number_from: int) -> Iterator[dict[str, Any]]:
        raw = self._client.lrange(self.key, log_number_from, -1)
        return iter([json.loads(item) for item in raw])

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        if logs:
            self._client.rpush(self.key, *(json.dumps(log, separators=(",", ":")) for log in logs))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_client"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        import redis

        self._client = (
            redis.cluster.RedisCluster.from_url(self._url)
            if self._use_cluster
            else redis.Redis.from_url(self._url)
        )
