"""A storage that lives in one Ray actor, and the proxy through which workers reach it.

A SQLite file sits on the driver's machine and an in-memory storage in the driver's process;
workers on other machines cannot open either. The driver starts a :class:`StorageServer`
actor on its own node that holds the storage, and workers get a :class:`RayStorageProxy`:
a storage whose every call is a call to that actor. Exceptions raised by the storage reach the
caller as themselves (a ``UpdateFinishedTrialError`` stays one).
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Any

from tftune._direction import StudyDirection
from tftune.distributions import BaseDistribution
from tftune.storages._base import BaseStorage, StudySummary
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState


class StorageServer:
    """The actor's class: runs storage methods by name on the storage it holds."""

    def __init__(self, storage: BaseStorage) -> None:
        self._storage = storage

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``(True, result)``, or ``(False, exception)`` when the storage raised."""
        try:
            return True, getattr(self._storage, method)(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - handed to the caller, raised there
            return False, error

    def snapshot(self) -> BaseStorage:
        """The storage itself (pickled by value when it is in memory)."""
        return self._storage


def start_storage_server(storage: BaseStorage) -> Any:
    """Start a :class:`StorageServer` for ``storage`` on this (the driver's) node."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    # Several threads: the storages are thread-safe, and one slow call must not queue the rest.
    server = ray.remote(StorageServer).options(
        num_cpus=0, max_concurrency=8, scheduling_strategy=here, max_restarts=0
    )
    return server.remote(storage)


class RayStorageProxy(BaseStorage):
    """A storage whose calls run on a :class:`StorageServer` actor (picklable to workers).

    It keeps no heartbeats: Ray reports a dead worker to the driver, which fails its trial.
    """

    heartbeat_interval = None
    grace_period = None

    def __init__(self, server: Any) -> None:
        self._server = server

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import ray

        ok, result = ray.get(self._server.call.remote(method, args, kwargs))
        if not ok:
            raise result
        return result

    # --- studies ---------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        result: int = self._call("create_new_study", list(directions), study_name)
        return result

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id)

    def get_study_id_from_name(self, study_name: str) -> int:
        result: int = self._call("get_study_id_from_name", study_name)
        return result

    def get_study_name_from_id(self, study_id: int) -> str:
        result: str = self._call("get_study_name_from_id", study_id)
        return result

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        result: list[StudyDirection] = self._call("get_study_directions", study_id)
        return result

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        self._call("set_study_attr", study_id, key, value, system=system)

    def get_study_attrs(self, study_id: int, *, system: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = self._call("get_study_attrs", study_id, system=system)
        return result

    def get_all_studies(self) -> list[StudySummary]:
        result: list[StudySummary] = self._call("get_all_studies")
        return result

    # --- trials ----------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, *, create: bool = True) -> FrozenTrial | None:
        result: FrozenTrial | None = self._call("create_new_trial", study_id, create=create)
        return result

    def enqueue_trials(
        self, study_id: int, templates: Sequence[FrozenTrial], *, once_key: str | None = None
    ) -> bool:
        result: bool = self._call("enqueue_trials", study_id, list(templates), once_key=once_key)
        return result

    def set_trial_param(
        self, trial_id: int, name: str, internal_value: float, distribution: BaseDistribution
    ) -> None:
        self._call("set_trial_param", trial_id, name, internal_value, distribution)

    def set_trial_state_values(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        system_attrs: dict[str, Any] | None = None,
    ) -> None:
        values = None if values is None else list(values)
        self._call("set_trial_state_values", trial_id, state, values, system_attrs=system_attrs)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._call("set_trial_intermediate_value", trial_id, step, value)

    def set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool = False) -> None:
        self._call("set_trial_attr", trial_id, key, value, system=system)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        result: FrozenTrial = self._call("get_trial", trial_id)
        return result

    def get_all_trials(
        self, study_id: int, *, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        states = None if states is None else [s for s in TrialState if s in states]
        result: list[FrozenTrial] = self._call(
            "get_all_trials", study_id, deepcopy=False, states=states
        )
        return result  # a fresh copy either way: it crossed a process boundary

    def get_finished_trials(self, study_id: int, *, start: int = 0) -> list[FrozenTrial]:
        result: list[FrozenTrial] = self._call("get_finished_trials", study_id, start=start)
        return result

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        states = None if states is None else [s for s in TrialState if s in states]
        result: int = self._call("get_n_trials", study_id, states)
        return result

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        result: FrozenTrial = self._call("get_best_trial", study_id)
        return result

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        result: int = self._call("get_trial_id_from_number", study_id, number)
        return result
