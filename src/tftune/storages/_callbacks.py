"""Callbacks that storages call for trials whose worker died."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tftune.storages._base import FIXED_PARAMS_KEY
from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.study._study import Study

RETRY_OF_KEY = "retry_of"
RETRY_HISTORY_KEY = "retry_history"


class RetryFailedTrialCallback:
    """Enqueue a trial failed for a stale heartbeat again, with the same parameters.

    Args:
        max_retry: how many times one configuration may be retried (``None``: no limit).
    """

    def __init__(self, max_retry: int | None = 3) -> None:
        if max_retry is not None and (
            isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0
        ):
            raise ValueError(f"`max_retry` must be a non-negative int or None, got {max_retry!r}.")
        self.max_retry = max_retry

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        history = list(trial.system_attrs.get(RETRY_HISTORY_KEY, [])) + [trial.number]
        if self.max_retry is not None and len(history) > self.max_retry:
            return
        system_attrs = {k: v for k, v in trial.system_attrs.items() if k not in ("fail_reason",)}
        system_attrs[FIXED_PARAMS_KEY] = dict(trial.params) | dict(
            system_attrs.get(FIXED_PARAMS_KEY, {})
        )
        system_attrs[RETRY_OF_KEY] = history[0]
        system_attrs[RETRY_HISTORY_KEY] = history
        template = FrozenTrial(
            number=-1,
            state=trial.state,
            user_attrs=dict(trial.user_attrs),
            system_attrs=system_attrs,
        )
        study.storage.enqueue_trials(study.study_id, [template])

    @staticmethod
    def retried_trial_number(trial: FrozenTrial) -> int | None:
        """The number of the original trial that ``trial`` retries, or ``None``."""
        return trial.system_attrs.get(RETRY_OF_KEY)

    @staticmethod
    def retry_history(trial: FrozenTrial) -> list[int]:
        """The numbers of the trials ``trial`` retries, oldest first (empty if none)."""
        return list(trial.system_attrs.get(RETRY_HISTORY_KEY, []))


#: Optuna's newer name for the same callback.
RetryHeartbeatStaleTrialCallback = RetryFailedTrialCallback
