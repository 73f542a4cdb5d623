"""Pickling support for objects that hold locks and per-process caches.

Samplers and the in-memory storage hold ``threading`` locks (which cannot be pickled) and
caches keyed by ``id()`` of objects of this process (which mean nothing in another one). Their
``__getstate__`` calls :func:`portable_state`, their ``__setstate__`` :func:`restore_state`:
locks travel as markers and come back new, caches come back empty.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())


class _Fresh:
    """Stands in for a lock (or thread-local) in a pickled state; rebuilt on unpickling."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __getstate__(self) -> str:
        return self.kind

    def __setstate__(self, kind: str) -> None:
        self.kind = kind

    def build(self) -> Any:
        if self.kind == "lock":
            return threading.Lock()
        if self.kind == "rlock":
            return threading.RLock()
        return threading.local()


def portable_state(obj: object, caches: Iterable[str] = ()) -> dict[str, Any]:
    """``obj``'s attributes with locks replaced by markers and the named caches emptied."""
    state = dict(vars(obj))
    for name, value in state.items():
        if isinstance(value, _LOCK):
            state[name] = _Fresh("lock")
        elif isinstance(value, _RLOCK):
            state[name] = _Fresh("rlock")
        elif isinstance(value, threading.local):
            state[name] = _Fresh("local")
    for name in caches:
        if name in state:
            state[name] = type(state[name])()
    return state


def restore_state(obj: object, state: dict[str, Any]) -> None:
    """Set ``obj``'s attributes from a :func:`portable_state`, with new locks."""
    for name, value in state.items():
        setattr(obj, name, value.build() if isinstance(value, _Fresh) else value)
