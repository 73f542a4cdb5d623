"""SQL storage (SQLite, PostgreSQL) through SQLAlchemy Core."""

from tftune.storages._rdb._storage import RDBStorage

__all__ = ["RDBStorage"]
