import threading

import pytest

import tftune
from tftune.samplers import RandomSampler


class CountingSampler(RandomSampler):
    def __init__(self) -> None:
        super().__init__(seed=0)
        self.reseeds = 0
        self._count_lock = threading.Lock()

    def reseed_rng(self) -> None:
        with self._count_lock:
            self.reseeds += 1
        super().reseed_rng()


@pytest.mark.parametrize("n_jobs, n_trials", [(2, 1), (2, 5), (-1, 3)])
def test_parallel_runs_reseed_the_sampler_once_per_trial(n_jobs, n_trials):
    sampler = CountingSampler()
    study = tftune.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n_trials, n_jobs=n_jobs)
    assert len(study.trials) == n_trials
    assert sampler.reseeds == n_trials


def test_a_sequential_run_keeps_the_seeded_sampler_reproducible():
    sampler = CountingSampler()
    study = tftune.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    assert sampler.reseeds == 0
    again = tftune.create_study(sampler=RandomSampler(seed=0))
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    assert [t.params for t in study.trials] == [t.params for t in again.trials]
