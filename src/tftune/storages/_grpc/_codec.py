"""What crosses the wire between a gRPC storage proxy and its server: pickles of plain data.

A request is ``(method, args, kwargs)``, an answer ``(True, result)`` or ``(False, error)``.
Unpickling runs only constructors of an allowlist (builtin containers and scalars, datetimes,
NumPy scalars and arrays, tftune's trial, study-summary, distribution, state and exception
classes), so a message cannot make the receiver call anything else: the server is reachable by
every process that can open its port.
"""

from __future__ import annotations

import builtins
import io
import pickle
from typing import Any

from tftune import distributions, exceptions
from tftune._direction import StudyDirection
from tftune.storages._base import StudySummary
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

_BUILTINS = {
    "bool", "bytearray", "bytes", "complex", "dict", "float", "frozenset", "int", "list",
    "set", "slice", "str", "tuple",
}  # fmt: skip
_OTHER = {
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("collections", "OrderedDict"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("copyreg", "_reconstructor"),
}
_TFTUNE = [FrozenTrial, StudySummary, StudyDirection, TrialState] + [
    value
    for module in (distributions, exceptions)
    for value in vars(module).values()
    if isinstance(value, type) and value.__module__.startswith("tftune.")
]
_ALLOWED = _OTHER | {(c.__module__, c.__qualname__) for c in _TFTUNE}


def _is_builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, Exception)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and (name in _BUILTINS or _is_builtin_exception(name)):
            return super().find_class(module, name)
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"A storage message may not construct {module}.{name}; only plain data, trials, "
            "distributions and tftune's exceptions cross the wire."
        )


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    return _Unpickler(io.BytesIO(data)).load()


def describe_error(error: Exception) -> tuple[str, str, tuple[Any, ...]]:
    """``(module, class name, args)`` of ``error`` when the other side may rebuild it (a builtin
    or tftune exception with plain-data arguments), else of a RuntimeError naming its type.

    Exceptions travel as this triple, not as their own pickles: a library that replaces how
    exceptions pickle (tblib does, once imported) must not change what crosses the wire."""
    kind = type(error)
    module, name = kind.__module__, kind.__qualname__
    allowed = (module == "builtins" and _is_builtin_exception(name)) or (
        (module, name) in _ALLOWED
    )
    if allowed:
        try:
            args = tuple(loads(dumps(tuple(error.args))))
            rebuild_error((module, name, args))
            return module, name, args
        except Exception:  # noqa: BLE001 - arguments that do not travel: described instead
            pass
    return "builtins", "RuntimeError", (f"The storage server raised {module}.{name}: {error}",)


def rebuild_error(description: tuple[str, str, tuple[Any, ...]]) -> Exception:
    """The exception that :func:`describe_error` described (only allowlisted classes)."""
    module, name, args = description
    kind = _Unpickler(io.BytesIO(b"")).find_class(module, name)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        raise pickle.UnpicklingError(f"{module}.{name} is not an exception class.")
    error: Exception = kind(*args)
    return error
