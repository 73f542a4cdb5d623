"""Stop ``Study.optimize`` when a terminator says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tftune.logging import get_logger
from tftune.terminator._terminator import BaseTerminator, Terminator

if TYPE_CHECKING:
    from tftune.study import Study
    from tftune.trial import FrozenTrial

_logger = get_logger(__name__)


class TerminatorCallback:
    """``study.optimize(objective, callbacks=[TerminatorCallback()])``: after each trial, asks
    the terminator (default ``Terminator()``) and calls ``study.stop()`` when it says stop."""

    def __init__(self, terminator: BaseTerminator | None = None) -> None:
        if terminator is not None and not isinstance(terminator, BaseTerminator):
            raise TypeError(f"`terminator` must be a BaseTerminator, got {terminator!r}.")
        self._terminator = terminator or Terminator()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if self._terminator.should_terminate(study):
            _logger.info("The study has been stopped by the terminator.")
            study.stop()
