"""The pruners' per-study indexes agree with a full rescan of the study, however trials
finish (out of order, in another storage object, resumed), and each finished trial is read
once (``get_finished_trials``)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import tftune
from tftune.pruners import MedianPruner, PercentilePruner, SuccessiveHalvingPruner
from tftune.pruners._percentile import percentile_of_sorted
from tftune.pruners._successive_halving import LINEAGE_KEY, RESUME_OF_KEY, lineage
from tftune.trial import TrialState

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def test_get_finished_trials_reads_each_finished_trial_once_in_finishing_order(storage_url):
    study = tftune.create_study(storage=storage_url)
    trials = [study.ask() for _ in range(4)]
    storage, read = study.storage, []
    for index, state in ((2, TrialState.COMPLETE), (0, TrialState.FAIL), (3, TrialState.PRUNED)):
        study.tell(trials[index], 1.0 if state == TrialState.COMPLETE else None, state=state)
        read += storage.get_finished_trials(study.study_id, start=len(read))
    assert [(t.number, t.state) for t in read] == [
        (2, TrialState.COMPLETE),
        (0, TrialState.FAIL),
        (3, TrialState.PRUNED),
    ]
    assert storage.get_finished_trials(study.study_id, start=3) == []
    assert [t.number for t in storage.get_finished_trials(study.study_id)] == [2, 0, 3]


def test_get_finished_trials_sees_what_another_storage_object_finished(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    mine = tftune.create_study(storage=url, study_name="s")
    theirs = tftune.load_study(storage=url, study_name="s")
    assert mine.storage is not theirs.storage
    trial = theirs.ask()
    assert mine.storage.get_finished_trials(mine.study_id) == []
    theirs.tell(trial, 1.0)
    (seen,) = mine.storage.get_finished_trials(mine.study_id)
    assert (seen.number, seen.values) == (0, [1.0])


def test_the_base_storage_default_keeps_the_finishing_order_too():
    storage = tftune.storages.InMemoryStorage()
    study = tftune.create_study(storage=storage)
    trials = [study.ask() for _ in range(3)]
    study.tell(trials[1], 1.0)
    read = tftune.storages.BaseStorage.get_finished_trials(storage, study.study_id)
    study.tell(trials[0], 0.0)
    new = tftune.storages.BaseStorage.get_finished_trials(storage, study.study_id, start=len(read))
    assert [t.number for t in read + new] == [1, 0]


@pytest.mark.parametrize("seed", range(3))
def test_percentile_thresholds_match_numpy_over_a_rescan(storage_url, seed):
    rng = random.Random(seed)
    percentile = rng.choice([10.0, 25.0, 50.0, 62.5])
    study = tftune.create_study(storage=storage_url, pruner=PercentilePruner(percentile, 0))
    open_trials = []
    for _ in range(40):
        trial = study.ask()
        for step in rng.sample(range(6), rng.randint(1, 4)):
            trial.report(rng.choice([rng.gauss(0, 1), math.nan, 0.0]), step)
        open_trials.append(trial)
        if rng.random() < 0.7:  # finish a random open trial: out of number order
            done = open_trials.pop(rng.randrange(len(open_trials)))
            state = rng.choice(FINISHED)
            study.tell(done, 1.0 if state == TrialState.COMPLETE else None, state=state)
        probe = study.ask()
        step = rng.randrange(6)
        probe.report(rng.gauss(0, 1), step)
        complete = study.get_trials(states=(TrialState.COMPLETE,))
        others = [
            t.intermediate_values[step]
            for t in complete
            if step in t.intermediate_values and not math.isnan(t.intermediate_values[step])
        ]
        expected = bool(others) and probe.intermediate_values[step] > np.percentile(
            others, percentile
        )
        assert probe.should_prune() == expected
        study.tell(probe, state=TrialState.FAIL)


def test_median_pruner_indexes_each_study_of_one_storage_apart():
    storage = tftune.storages.InMemoryStorage()
    low = tftune.create_study(storage=storage, pruner=MedianPruner(0))
    high = tftune.create_study(storage=storage, pruner=low.pruner)
    for study, value in ((low, 0.0), (high, 10.0)):
        trial = study.ask()
        trial.report(value, 0)
        study.tell(trial, value)
    probe = high.ask()
    probe.report(5.0, 0)
    assert not probe.should_prune()  # better than high's 10, though worse than low's 0


def test_percentile_of_sorted_is_numpy_percentile():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        values = sorted(rng.normal(size=int(rng.integers(1, 30))).tolist())
        q = float(rng.choice([0.0, 100.0, 50.0, float(rng.uniform(0, 100))]))
        assert percentile_of_sorted(values, q) == float(np.percentile(values, q))


def _rescanned_rung_values(study, key, rung_step):
    """The rung's competing values by a full scan of the study, latest trial per line."""
    by_line = {}
    for other in study.get_trials(deepcopy=False):
        noted = any("_rung_" in k or k == "hyperband_bracket" for k in other.system_attrs)
        if key in other.system_attrs:
            by_line[lineage(other)] = other.system_attrs[key]
        elif other.state.is_finished() and rung_step in other.intermediate_values and not noted:
            by_line[lineage(other)] = other.intermediate_values[rung_step]
    return sorted(v for v in by_line.values() if not math.isnan(v))


@pytest.mark.parametrize("seed", range(3))
def test_rung_values_match_a_rescan_with_resumed_and_unnoted_trials(storage_url, seed):
    rng = random.Random(seed)
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    study = tftune.create_study(storage=storage_url, pruner=pruner)
    open_trials = []
    paused = []
    for _ in range(30):
        kind = rng.random()
        if kind < 0.2 and paused:  # resume a paused configuration: it carries the notes
            old = paused.pop(rng.randrange(len(paused)))
            attrs = {RESUME_OF_KEY: old.number, LINEAGE_KEY: lineage(old)}
            attrs |= {k: v for k, v in old.system_attrs.items() if "_rung_" in k}
            template = tftune.FrozenTrial(number=-1, state=TrialState.WAITING, system_attrs=attrs)
            study.storage.enqueue_trials(study.study_id, [template])
        trial = study.ask()
        if kind < 0.35 and RESUME_OF_KEY not in trial.system_attrs:  # no pruner sees it
            for step in range(rng.randint(1, 4)):
                study.storage.set_trial_intermediate_value(
                    trial.trial_id, step, rng.choice([rng.random(), math.nan])
                )
        else:
            for step in range(rng.randint(1, 4)):
                trial.report(rng.choice([rng.random(), rng.random(), math.nan]), step)
                if trial.should_prune():
                    break
        open_trials.append(trial)
        while open_trials and rng.random() < 0.6:
            done = open_trials.pop(rng.randrange(len(open_trials)))
            state = rng.choice([TrialState.COMPLETE, TrialState.PRUNED])
            study.tell(done, 0.5 if state == TrialState.COMPLETE else None, state=state)
            if state == TrialState.PRUNED:
                paused.append(study.storage.get_trial(done.trial_id))
        for rung in range(3):
            key = f"completed_rung_{rung}"
            assert pruner.rung_values(study, rung) == _rescanned_rung_values(
                study, key, pruner.rung_step(rung, 1)
            ), (seed, rung)
