"""The worker side of the Ray backend: an actor that runs trials of one study's objective."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from typing import Any

from tftune.pruners import BasePruner
from tftune.samplers import BaseSampler
from tftune.storages._base import BaseStorage
from tftune.trial._frozen import FrozenTrial


class TrialRunner:
    """Holds the study (storage reached directly or through a proxy, its own copies of the
    sampler and pruner) and runs the trials the driver asked for, one at a time."""

    def __init__(
        self,
        study_name: str,
        storage: BaseStorage,
        sampler: BaseSampler,
        pruner: BasePruner,
        func: Callable[..., Any],
        catch: tuple[type[BaseException], ...],
        gc_after_trial: bool,
    ) -> None:
        from tftune.study._study import Study

        self._study = Study(study_name, storage, sampler, pruner)
        self._storage = storage
        self._func = func
        self._catch = catch
        self._gc_after_trial = gc_after_trial

    def pid(self) -> int:
        """This worker's process id."""
        return os.getpid()

    def run(self, trial_id: int) -> FrozenTrial:
        """Run the objective on the (RUNNING) trial ``trial_id``; return it finished.

        The objective's exceptions are handled as by the thread backend: the trial is failed
        with the traceback, and the error is raised again unless it is one of ``catch``.
        """
        from tftune.study._optimize import run_trial
        from tftune.trial._trial import Trial

        trial = Trial(self._study, self._storage.get_trial(trial_id))
        try:
            frozen = run_trial(self._study, self._func, self._catch, trial=trial)
        finally:
            if self._gc_after_trial:
                gc.collect()
        assert frozen is not None  # the trial was given, so run_trial does not ask
        return frozen
