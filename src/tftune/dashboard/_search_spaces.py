"""The study-wide fields of optuna-dashboard's study answer, kept between answers.

optuna-dashboard derives the intersection and union search spaces, the union of user attrs
(each marked sortable if every value is a number) and whether any trial has intermediate
values from every trial, through an object (``_CachedExtraStudyProperty``) that it feeds the
whole study again on every request once all trials are finished (its cursor only moves to an
unfinished trial): 1.3 s a request at 10,000 trials. Once fed, it keeps what unfinished trials
looked like then (a WAITING trial without parameters empties the intersection for good).

``SearchSpaces`` feeds optuna-dashboard's object each finished trial once, and the unfinished
ones (and all after them) to a copy on each request: the result is what optuna-dashboard
computes from the trials as they are now (as a freshly started optuna-dashboard shows them).
The spaces' merge rules stay optuna-dashboard's (a union or intersection is the same set in
whatever order the trials come); the attrs' order (that of optuna-dashboard's scan, from the
last trial back) is kept here.
"""

from __future__ import annotations

import copy
import numbers
from typing import Any

from optuna.trial import FrozenTrial
from optuna_dashboard._inmemory_cache import _CachedExtraStudyProperty

#: a user attr's key -> (index of the last trial that has it, its place in that trial's attrs,
#: sortable: a number, not a bool, in every trial that has it)
_Attrs = dict[str, tuple[int, int, bool]]


def _add_attrs(attrs: _Attrs, index: int, trial: FrozenTrial) -> None:
    for place, (key, value) in enumerate(trial.user_attrs.items()):
        sortable = not isinstance(value, bool) and isinstance(value, numbers.Real)
        known = attrs.get(key)
        attrs[key] = (index, place, sortable and (known is None or known[2]))


class SearchSpaces:
    """optuna-dashboard's search spaces, user attrs and intermediate-value flag of one study
    (not thread-safe: lock outside)."""

    def __init__(self) -> None:
        self._finished = _CachedExtraStudyProperty()
        self._attrs: _Attrs = {}
        self._done = 0  # trials[:_done] are finished and fed

    def update(
        self, trials: list[FrozenTrial]
    ) -> tuple[list[Any], list[Any], list[tuple[str, bool]], bool]:
        """The four values ``serialize_study_detail`` takes, for ``trials`` (a study's trials
        by number; the finished ones not fed yet are fed)."""
        done = min(self._done, len(trials))
        end = done
        while end < len(trials) and trials[end].state.is_finished():
            _add_attrs(self._attrs, end, trials[end])
            end += 1
        if end > done:
            self._finished.update(trials[done:end])  # all finished: its cursor stays put
            self._done = done = end
        found, attrs = self._finished, self._attrs
        if done < len(trials):
            found, attrs = copy.deepcopy(found), dict(attrs)
            found.update(trials[done:])
            for index in range(done, len(trials)):
                _add_attrs(attrs, index, trials[index])
        ordered = sorted(attrs.items(), key=lambda item: (-item[1][0], item[1][1]))
        return (
            found.intersection_search_space,
            found.union_search_space,
            [(key, sortable) for key, (_, _, sortable) in ordered],
            found.has_intermediate_values,
        )
