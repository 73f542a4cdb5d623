"""The worker side of the Ray backend: an actor that runs trials of one study's objective."""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tftune.pruners import BasePruner
from tftune.samplers import BaseSampler
from tftune.storages._base import BaseStorage
from tftune._ray._write_buffer import TrialWriteBuffer
from tftune.storages._batch_writer import Write
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.trial._trial import Trial


@dataclasses.dataclass
class Outcome:
    """What a worker hands back for one trial: the trial finished (as the worker saw it), the
    writes it held back for the driver to store, and the seconds it ran."""

    trial: FrozenTrial
    writes: list[Write]
    seconds: float


def snapshot(trial: Trial) -> FrozenTrial:
    """The driver's asked (RUNNING) trial as the record a worker starts from."""
    return FrozenTrial(
        number=trial.number,
        state=TrialState.RUNNING,
        datetime_start=trial.datetime_start,
        params=trial.params,
        distributions=trial.distributions,
        user_attrs=trial.user_attrs,
        system_attrs=trial.system_attrs,
        intermediate_values=trial.intermediate_values,
        trial_id=trial.trial_id,
    )


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

        # The driver logs each trial's end once it stored it (with the best so far, which it
        # reads locally); here that log line would cost a storage call per trial.
        logger = logging.getLogger("tftune")
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
        self._storage = TrialWriteBuffer(storage)
        self._study = Study(study_name, self._storage, sampler, pruner)
        self._func = func
        self._catch = catch
        self._gc_after_trial = gc_after_trial

    def pid(self) -> int:
        """This worker's process id."""
        return os.getpid()

    def run_batch(self, frozens: list[FrozenTrial]) -> list[Outcome]:
        """:meth:`run` on each trial in turn (a batch of short trials costs one Ray call).

        When one raises, the writes of the trials before it are stored before the error
        leaves, and the trials after it are not run (they stay RUNNING for the driver to
        fail)."""
        outcomes: list[Outcome] = []
        for frozen in frozens:
            try:
                outcomes.append(self.run(frozen))
            except BaseException:
                self._storage.send([outcome.writes for outcome in outcomes])
                raise
        return outcomes

    def run(self, frozen: FrozenTrial) -> Outcome:
        """Run the objective on the (RUNNING) trial ``frozen``; return it finished, with the
        writes it held back (see :mod:`tftune._ray._write_buffer`).

        The objective's exceptions are handled as by the thread backend: the trial is failed
        with the traceback (stored before the error leaves), and the error is raised again
        unless it is one of ``catch``.
        """
        from tftune.study._optimize import run_trial
        from tftune.trial._trial import Trial

        begin = time.perf_counter()
        self._storage.hold(frozen.trial_id)
        raised = True
        try:
            finished = run_trial(
                self._study, self._func, self._catch, trial=Trial(self._study, frozen)
            )
            raised = False
        finally:
            writes = self._storage.release(send=raised)
            if self._gc_after_trial:
                gc.collect()
        assert finished is not None  # the trial was given, so run_trial does not ask
        return Outcome(finished, writes, time.perf_counter() - begin)
