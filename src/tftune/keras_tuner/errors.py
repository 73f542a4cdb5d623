"""The errors a KerasTuner user raises or catches, under KerasTuner's names.

``FailedTrialError`` fails the trial at once (no retry); the ``Fatal*`` errors stop the whole
search; any other exception raised while a trial runs is retried ``max_retries_per_trial``
times, then fails the trial.
"""

from __future__ import annotations

from tftune.exceptions import TftuneError


class FailedTrialError(TftuneError):
    """Raise it in ``build`` or ``run_trial`` to fail this trial without retrying it."""


class FatalError(TftuneError):
    """Raise it to stop the search: the error is not the trial's but the program's."""


class FatalValueError(FatalError, ValueError):
    """A fatal error about a wrong value (for example a result without the objective)."""


class FatalTypeError(FatalError, TypeError):
    """A fatal error about a wrong type (for example ``fit`` returning ``None``)."""


class FatalRuntimeError(FatalError, RuntimeError):
    """A fatal error at run time."""


__all__ = [
    "FailedTrialError",
    "FatalError",
    "FatalRuntimeError",
    "FatalTypeError",
    "FatalValueError",
]
