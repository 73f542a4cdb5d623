"""The sampler interface: how the next trial's parameters are chosen."""

from __future__ import annotations

import abc
import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from threadpoolctl import ThreadpoolController

from tftune.distributions import BaseDistribution
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState
from tftune._pickling import portable_state, restore_state

if TYPE_CHECKING:
    from tftune.study._study import Study


class BaseSampler(abc.ABC):
    """Chooses parameter values, one parameter at a time or jointly.

    A trial first asks for a *relative* (joint) sample over the search space that
    ``infer_relative_search_space`` declares; every other parameter, and every parameter of a
    define-by-run branch the sampler did not foresee, comes from ``sample_independent``.
    """

    def prepare(self, study: Study) -> None:  # noqa: B027 - optional hook, a no-op
        """Called before each new trial; a sampler may enqueue trials here (the grid does)."""

    def is_exhausted(self, study: Study) -> bool:
        """Whether the sampler has nothing left to propose; the study then stops."""
        return False

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The parameters to sample jointly for ``trial`` (none by default)."""
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Joint sample over ``search_space``, as external values."""
        return {}

    @abc.abstractmethod
    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        """One parameter's value (external representation) for ``trial``."""

    def before_trial(  # noqa: B027 - optional hook, a no-op
        self, study: Study, trial: FrozenTrial
    ) -> None:
        """Called when a trial starts."""

    def after_trial(  # noqa: B027 - optional hook, a no-op
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        """Called when a trial finishes, before it is stored as finished."""

    def reseed_rng(self) -> None:  # noqa: B027 - optional hook, a no-op
        """Give the sampler a fresh random state (used for forked workers)."""

    def __getstate__(self) -> dict[str, Any]:
        """Picklable: locks are rebuilt and this process's caches left out."""
        return portable_state(self, caches=())

    def __setstate__(self, state: dict[str, Any]) -> None:
        restore_state(self, state)


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run NumPy's linear algebra on one thread: a sampler's matrices are small, and BLAS
    threads only contend with the objective's (measured 100x slower on a busy machine)."""
    with _blas().limit(limits=1, user_api="blas"):
        yield
