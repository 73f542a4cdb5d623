"""Best weights on the driver without a directory shared with the workers, and packs that fit
no node of the cluster; on a real two-node Ray cluster in a private network namespace (the
scenarios of weights_scenarios.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _ray_sandbox import run_sandboxed, scenario_result

SCENARIOS = Path(__file__).with_name("weights_scenarios.py")
N_TRIALS = 6  # as in weights_scenarios.py

pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def outcome() -> dict[str, Any]:
    result, _ = run_sandboxed(SCENARIOS, ["all"], timeout=360)
    return result


def test_ray_listens_on_loopback_only_and_every_process_is_stopped(outcome):
    assert outcome["network"]["loopback_only"], outcome["network"]
    assert outcome["left_running_after_close"] == []
    assert outcome["leftover_pids"] == []


def test_best_weights_reach_the_driver_through_ray_not_a_shared_directory(outcome):
    result = scenario_result(outcome, "weights")
    assert result["states"] == ["COMPLETE"] * N_TRIALS
    assert result["driver_pid"] not in result["pids"]
    # the workers wrote their weights in a temporary directory of their own...
    assert result["worker_tmps"] == [str(Path(result["project_dir"]).parents[1] / "worker_tmp")]
    assert result["worker_tmps"] != [outcome["driver_tmp"]]
    assert result["left_in_worker_tmp"] == []  # ...and removed them after sending them
    # the driver stored what came back in its project directory: the best trial's file
    assert result["best_weights"] == str(Path(result["project_dir"]) / result["project_files"][0])
    assert len(result["project_files"]) == 1  # superseded ones removed as in process
    assert result["best_model_loss"] == pytest.approx(result["best_value"], rel=1e-4)


def test_a_pack_bigger_than_every_node_fails_at_once_with_a_clear_error(outcome):
    # (the pytest.raises(match=...) ran in the scenario)
    result = scenario_result(outcome, "too_big")
    assert result["n_trials"] == 0  # no trial was asked
    assert result["seconds"] < 30  # no waiting for a node that never comes
