"""The mechanical rule that decides which of Optuna's tests depend on Optuna's internals.

A test is *internal* (excluded from the measurement) when any of these holds for its code -
the test function with its decorators, the class body it sits in, and, transitively, the
module-level helpers and fixtures of its file that it names:

* ``private-name``: it names something private to Optuna: a dotted name or string such as
  ``optuna.x._y`` (this includes ``mock.patch`` targets), a name imported from a private
  Optuna module (``from optuna.x._y import z``) or a private name imported from Optuna
  (``from optuna.x import _y``), or a private attribute (``obj._x``, single underscore, or a
  string ``"_x"`` given to ``patch.object``/``getattr``/``setattr``/``hasattr``/``delattr``);
* ``private-helper``: it uses a helper from an ``optuna.testing`` module that itself imports
  private Optuna modules (``pytest_storages``, ``trials``), or it is a test inherited from
  such a module, or it uses an ``optuna.testing`` helper whose own code (classified by the
  same rule, e.g. ``DeterministicSampler`` calls ``distribution._contains``) is internal.
  ``StorageSupplier`` is judged per storage mode instead (next rule);
* ``private-storage-mode``: it runs on a storage mode that Optuna's ``StorageSupplier``
  builds from private parts (``cached_sqlite`` wraps the private ``_CachedStorage``,
  ``journal_redis`` sets the backend's private ``_redis``, the ``grpc_*`` modes start the
  server with the private ``optuna.storages._grpc.server.make_server``).

A public object imported through a private module path is not internal: when
``optuna.x._y.Z`` is the same object as ``optuna.x.Z`` (or ``optuna.Z``), or is a third-party
module or class (``optuna.visualization._plotly_imports.go`` is ``plotly.graph_objects``), the
import counts as its public spelling. Such imports are recorded in an alias table
(``ALIASES``) that the shim serves in the second phase.

Everything else, including tests that use the public helpers of ``optuna.testing``
(``StorageSupplier``, ``fail_objective``, ``prepare_study_with_trials``, the sampler and
importance test-case classes), counts: those helpers run from Optuna's sources against the
package under test.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

PRIVATE_DOTTED = re.compile(r"\boptuna(\.[A-Za-z0-9_]+)*\._[A-Za-z]")
PRIVATE_ATTR_CALLS = {"object", "getattr", "setattr", "hasattr", "delattr"}
PRIVATE_HELPER_MODULES = {"optuna.testing.pytest_storages", "optuna.testing.trials"}
#: Helpers judged by the storage mode a test runs on, not by their code.
MODE_JUDGED_HELPERS = {"StorageSupplier", "STORAGE_MODES", "STORAGE_MODES_HEARTBEAT"}
PRIVATE_STORAGE_MODES = (
    "cached_sqlite",
    "journal_redis",
    "grpc_rdb",
    "grpc_journal_file",
    "grpc_proxy",
)


#: ``{private module: {name: [kind, where]}}``; kind ``public`` (``where`` is the public module
#: holding the same object), ``module`` (a third-party module) or ``object`` (``where`` is
#: ``module:qualname`` of a third-party object) or ``private`` (a private name that a test
#: file imports; the shim gives it a placeholder so that the file's other tests can import).
#: Filled while classifying under Optuna.
ALIASES: dict[str, dict[str, list[str]]] = {}


def public_alias(module: str, name: str) -> list[str] | None:
    """How ``from module import name`` of a private Optuna module reads publicly, if it can."""
    import importlib
    import types

    try:
        obj = getattr(importlib.import_module(module), name)
    except Exception:
        return None
    parts = module.split(".")
    first = next(i for i, p in enumerate(parts) if _is_private(p))
    for k in range(first, 0, -1):
        public = ".".join(parts[:k])
        try:
            if getattr(importlib.import_module(public), name, None) is obj:
                return ["public", public]
        except Exception:
            continue
    if isinstance(obj, types.ModuleType) and not obj.__name__.startswith("optuna"):
        return ["module", obj.__name__]
    owner = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(owner, str) and qualname and not owner.startswith("optuna"):
        return ["object", f"{owner}:{qualname}"]
    return None


def _is_private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _module_is_private(module: str) -> bool:
    return module.split(".")[0] == "optuna" and any(_is_private(p) for p in module.split("."))


class FileInfo:
    """What one test file binds at module level and which of those names are internal."""

    def __init__(self, path: Path) -> None:
        self.tree = ast.parse(path.read_text(), filename=str(path))
        self.internal_names: dict[str, str] = {}
        self.helper_names: dict[str, str] = {}
        self.testing_imports: dict[str, tuple[str, str]] = {}
        self.toplevel: dict[str, ast.AST] = {}
        self.module_is_private_helper = False
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                self._imported(node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _module_is_private(alias.name):
                        self.internal_names[alias.asname or alias.name.split(".")[0]] = (
                            f"import {alias.name}"
                        )
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.toplevel[node.name] = node
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.toplevel[target.id] = node

    def _imported(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if not module.startswith("optuna"):
            return
        for alias in node.names:
            bound = alias.asname or alias.name
            if module.startswith("optuna.testing") and alias.name not in MODE_JUDGED_HELPERS:
                self.testing_imports[bound] = (module, alias.name)
            if module in PRIVATE_HELPER_MODULES:
                self.helper_names[bound] = f"from {module} import {alias.name}"
            elif _is_private(alias.name):
                self.internal_names[bound] = f"from {module} import {alias.name}"
                ALIASES.setdefault(module, {})[alias.name] = ["private", ""]
            elif _module_is_private(module):
                spelled = public_alias(module, alias.name)
                if spelled is None:
                    self.internal_names[bound] = f"from {module} import {alias.name}"
                else:
                    ALIASES.setdefault(module, {})[alias.name] = spelled


@functools.cache
def file_info(path: str) -> FileInfo:
    return FileInfo(Path(path))


def _find(tree: ast.AST, qualname: list[str]) -> ast.AST | None:
    scope: ast.AST = tree
    for part in qualname:
        found = None
        for node in ast.iter_child_nodes(scope):
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name == part
            ):
                found = node
        if found is None:
            return None
        scope = found
    return scope


@functools.cache
def helper_reasons(module: str, name: str) -> tuple[str, ...]:
    """Internal references in the ``optuna.testing`` helper ``module.name`` (its definition and
    the module-level names of its file it uses, transitively)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return ()
    if spec is None or spec.origin is None:
        return ()
    info = file_info(spec.origin)
    if name not in info.toplevel:
        return ()
    return tuple(_closure_reasons(info, [info.toplevel[name]], {name}))


def _closure_reasons(info: FileInfo, nodes: list[ast.AST], seen: set[str]) -> set[str]:
    reasons: set[str] = set()
    while nodes:
        node = nodes.pop()
        found, names = _reasons_in(node, info)
        reasons |= found
        for name in names:
            if name in info.testing_imports and name not in seen:
                seen.add(name)
                inner = helper_reasons(*info.testing_imports[name])
                if inner:
                    module, helper = info.testing_imports[name]
                    reasons.add(f"private-helper: {module}.{helper} uses {inner[0]}")
            if name in info.toplevel and name not in seen:
                seen.add(name)
                nodes.append(info.toplevel[name])
    return reasons


def _reasons_in(node: ast.AST, info: FileInfo) -> tuple[set[str], set[str]]:
    """Internal references in ``node`` and the top-level names of the file it uses."""
    reasons: set[str] = set()
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
            if sub.id in info.internal_names:
                reasons.add(f"private-name: {info.internal_names[sub.id]}")
            if sub.id in info.helper_names:
                reasons.add(f"private-helper: {info.helper_names[sub.id]}")
        elif isinstance(sub, ast.Attribute):
            if _is_private(sub.attr):
                reasons.add(f"private-name: ._{sub.attr.lstrip('_')}")
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            if PRIVATE_DOTTED.search(sub.value):
                reasons.add(f"private-name: '{sub.value[:60]}'")
        elif isinstance(sub, ast.Call):
            func = sub.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in PRIVATE_ATTR_CALLS:
                for arg in sub.args[1:2]:
                    if (
                        isinstance(arg, ast.Constant)
                        and isinstance(arg.value, str)
                        and _is_private(arg.value)
                    ):
                        reasons.add(f"private-name: {fname}(..., '{arg.value}')")
    text = ast.unparse(node) if not isinstance(node, ast.Module) else ""
    for match in PRIVATE_DOTTED.finditer(text):
        reasons.add(f"private-name: {match.group(0)}")
    return reasons, names


def classify(path: str, qualname: list[str], fixturenames: list[str], param_id: str) -> list[str]:
    """The reasons why the test ``qualname`` of ``path`` is internal (empty: it counts)."""
    reasons: set[str] = set()
    if any(mode in param_id for mode in PRIVATE_STORAGE_MODES):
        mode = next(m for m in PRIVATE_STORAGE_MODES if m in param_id)
        reasons.add(f"private-storage-mode: {mode}")
    normalized = path.replace("\\", "/")
    if any(m.rsplit(".", 1)[1] + ".py" in normalized for m in PRIVATE_HELPER_MODULES) and (
        "testing" in normalized
    ):
        reasons.add("private-helper: inherited from a helper module that imports internals")
    info = file_info(path)
    nodes: list[ast.AST] = []
    target = _find(info.tree, qualname)
    if target is not None:
        nodes.append(target)
    if len(qualname) > 1:
        cls = _find(info.tree, qualname[:1])
        if isinstance(cls, ast.ClassDef):
            nodes.extend(n for n in cls.body if not isinstance(n, ast.FunctionDef))
            nodes.extend(cls.decorator_list)
            nodes.extend(cls.bases)
            for n in cls.body:
                if isinstance(n, ast.FunctionDef) and n.name in fixturenames:
                    nodes.append(n)
    pending = [info.toplevel[n] for n in fixturenames if n in info.toplevel]
    nodes.extend(pending)
    seen: set[str] = set(n for n in fixturenames if n in info.toplevel)
    reasons |= _closure_reasons(info, nodes, seen)
    return sorted(reasons)
