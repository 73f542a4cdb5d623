"""The pruner interface: whether a running trial should stop early."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.study._study import Study


class BasePruner(abc.ABC):
    """Decides from a trial's reported intermediate values whether to stop it."""

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """``True`` if ``trial`` should stop now."""


class NopPruner(BasePruner):
    """Never prunes."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False
