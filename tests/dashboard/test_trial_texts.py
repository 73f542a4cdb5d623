"""``TrialTexts``' running digest: always the hash of every text the last call returned, as
trials arrive, finish, change and as the study's notes change."""

from __future__ import annotations

import datetime
import hashlib

from optuna.distributions import FloatDistribution
from optuna.trial import FrozenTrial, TrialState

from tftune.dashboard._trial_json import TrialTexts

START = datetime.datetime(2026, 1, 1, 12, 0, 0)


def _trial(
    number: int, state: TrialState = TrialState.COMPLETE, value: float = 0.5
) -> FrozenTrial:
    finished = state.is_finished()
    return FrozenTrial(
        number=number,
        state=state,
        value=None,
        values=[value] if state == TrialState.COMPLETE else None,
        datetime_start=START,
        datetime_complete=START if finished else None,
        params={"x": 0.25 * number},
        distributions={"x": FloatDistribution(0.0, 100.0)},
        user_attrs={},
        system_attrs={},
        intermediate_values={0: value},
        trial_id=number + 1,
    )


def _fresh(texts: list[str]) -> bytes:
    state = hashlib.blake2b(digest_size=16)
    for text in texts:
        state.update(text.encode() + b"\n")
    return state.digest()


def test_the_digest_is_every_texts_hash_as_trials_arrive_finish_and_change():
    kept = TrialTexts(1)
    assert kept.digest() == _fresh([])
    trials = [_trial(i) for i in range(5)] + [_trial(5, TrialState.RUNNING)]
    first = kept.texts(trials, {})
    assert kept.digest() == _fresh(first)
    again = kept.texts(trials, {})
    assert again == first and kept.digest() == _fresh(first)
    trials[5] = _trial(5, value=0.125)  # the running trial finished
    trials += [_trial(6), _trial(7, TrialState.RUNNING), _trial(8)]
    grown = kept.texts(trials, {})
    assert kept.digest() == _fresh(grown) != _fresh(first)
    trials[2] = _trial(2, value=0.75)  # a finished trial changed (a new object)
    changed = kept.texts(trials, {})
    assert changed[2] != grown[2] and kept.digest() == _fresh(changed)
    noted = kept.texts(trials, {"dashboard:note": "x"})  # the study's notes: every text again
    assert kept.digest() == _fresh(noted)
    fewer = kept.texts(trials[:4], {"dashboard:note": "x"})
    assert kept.digest() == _fresh(fewer)
