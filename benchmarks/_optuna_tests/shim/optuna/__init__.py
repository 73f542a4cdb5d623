"""A package named ``optuna`` that is tftune: ``import optuna.x.y`` returns ``tftune.x.y``.

Only the benchmark puts this directory on ``sys.path``. ``optuna.testing`` (Optuna's test
helpers, which ship with its test suite) is loaded from the directory named by the
``TFTUNE_OPTUNA_TESTING`` environment variable, so that the helpers run against tftune too.

A private module path (``optuna.x._y``) is served by a stand-in module: the names that the
first phase found to be public objects (the alias table named by ``TFTUNE_OPTUNA_ALIASES``:
``optuna.study._study_direction.StudyDirection`` is ``optuna.study.StudyDirection``) resolve
to tftune's public object or to the third-party object; any other name resolves to a
placeholder that raises when used. Tests that use such names are excluded from the count, so
the placeholder only lets the rest of their file import.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import json
import sys
import types
from collections.abc import Sequence
from typing import Any

import tftune

_PREFIX = "optuna."
_TESTING = "optuna.testing"
#: Private Optuna modules the helpers in ``optuna.testing`` import, and what stands in for them.
_HELPER_SUPPORT = {"optuna._imports": "_optuna_helper_support"}


#: Private objects that Optuna's test files use only as "is this optional library importable"
#: flags at module level (``if plotly_imports.is_successful(): from ... import go``): the
#: harness answers that question itself, for the library named here. No counted test may use
#: them (the rule excludes every test that names them); they only let the files import.
_IMPORT_FLAGS = {
    ("optuna.visualization._plotly_imports", "_imports"): "plotly",
    ("optuna.visualization.matplotlib._matplotlib_imports", "_imports"): "matplotlib",
}


class _ImportFlag:
    """``is_successful()``: whether the optional library imports (Optuna's deferred-import
    context manager, reduced to that one question)."""

    def __init__(self, library: str) -> None:
        self._library = library

    def is_successful(self) -> bool:
        return importlib.util.find_spec(self._library) is not None


def _aliases() -> dict[str, dict[str, list[str]]]:
    path = os.environ.get("TFTUNE_OPTUNA_ALIASES")
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        table: dict[str, dict[str, list[str]]] = json.load(f)
    return table


_ALIASES = _aliases()


class _Private:
    """What a private Optuna name stands for here: unusable."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{self._name} is private to Optuna and not provided")

    __call__ = _fail

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        self._fail()

    def _same(self, *args: Any) -> _Private:
        # Arithmetic on a private constant at module level (``_COEF * 2.5`` in a parametrize
        # list) yields a placeholder too, so that the file imports; the tests that name it are
        # excluded as internal.
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __pos__ = _same


class _PrivateModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        flag = _IMPORT_FLAGS.get((self.__name__, name))
        if flag is not None:
            return _ImportFlag(flag)
        spelled = _ALIASES.get(self.__name__, {}).get(name)
        if spelled is None or spelled[0] == "private":
            return _Private(f"{self.__name__}.{name}")
        kind, where = spelled
        if kind == "public":
            return getattr(importlib.import_module("tftune" + where[len("optuna") :]), name)
        if kind == "module":
            return importlib.import_module(where)
        module, _, qualname = where.partition(":")
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj


class _PrivateLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _PrivateModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _is_private_path(fullname: str) -> bool:
    return any(p.startswith("_") and not p.startswith("__") for p in fullname.split("."))


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self._target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self._target)
        for name, (kind, _) in _ALIASES.get(spec.name, {}).items():
            if kind == "private" and not hasattr(module, name):
                # A private Optuna name a test file imports from a public module: only the
                # excluded tests use it, the placeholder lets the rest of the file import.
                setattr(module, name, _Private(f"{spec.name}.{name}"))
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == _TESTING or fullname.startswith(_TESTING + "."):
            root = os.environ.get("TFTUNE_OPTUNA_TESTING", "")
            rel = fullname.split(".")[2:]
            base = os.path.join(root, *rel)
            if os.path.isdir(base):
                init = os.path.join(base, "__init__.py")
                return importlib.util.spec_from_file_location(
                    fullname, init, submodule_search_locations=[base]
                )
            if os.path.isfile(base + ".py"):
                return importlib.util.spec_from_file_location(fullname, base + ".py")
            return None
        if not fullname.startswith(_PREFIX):
            return None
        if fullname in _HELPER_SUPPORT:
            target_name = _HELPER_SUPPORT[fullname]
        elif _is_private_path(fullname):
            return importlib.machinery.ModuleSpec(fullname, _PrivateLoader(), is_package=True)
        else:
            target_name = "tftune." + fullname[len(_PREFIX) :]
        try:
            found = importlib.util.find_spec(target_name)
        except (ImportError, ValueError):
            found = None
        if found is None:
            return None
        spec = importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(target_name),
            is_package=found.submodule_search_locations is not None,
        )
        return spec


class _CachedStorage:
    """Optuna's helpers test ``isinstance(storage, optuna.storages._CachedStorage)`` on exit;
    tftune has no such class, so nothing is an instance of this one (the storage mode that
    builds one is excluded from the count)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("optuna.storages._CachedStorage is private to Optuna")


sys.meta_path.insert(0, _AliasFinder())
vars(importlib.import_module("tftune.storages")).setdefault("_CachedStorage", _CachedStorage)
sys.modules["optuna"] = tftune
