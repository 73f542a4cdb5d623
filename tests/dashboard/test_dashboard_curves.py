"""The limit on the intermediate-values plot (``--max-curves``): under it, or with no limit,
the study route's answer is optuna-dashboard's byte for byte; past it the plot is left out,
said so in a study user attribute, and every trial keeps its values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_fast_api import _assert_same, _call, _theirs

from tftune.cli._parser import build_parser
from tftune.dashboard import _curves
from tftune.dashboard._fast_api import StudyDetailApi
from tftune.dashboard._server import make_app
from tftune.storages import RDBStorage


@pytest.fixture
def storage(studies_file: Path):
    opened = RDBStorage(f"sqlite:///{studies_file}", heartbeat_interval=None)
    yield opened
    opened.close()


def _drawn_by_the_front_end(answer: bytes) -> int:
    """The lines optuna-dashboard's front end draws from an answer (its filter, pruned
    trials included)."""
    trials = json.loads(answer)["trials"]
    return sum(
        t["state"] in ("Complete", "Running") or (t["state"] == "Pruned" and bool(t.get("values")))
        for t in trials
    )


def test_the_count_is_the_front_ends(storage):
    answer = _call(make_app(storage, max_curves=0), "/api/studies/1")[2]
    trials = storage.get_all_trials(1, deepcopy=False)
    view = make_app(storage).storage
    assert _curves.count_curves(view.get_all_trials(1, deepcopy=False)) == 12
    assert _drawn_by_the_front_end(answer) == 12 < len(trials)


@pytest.mark.parametrize("max_curves", [0, 12, None])
def test_at_or_under_the_limit_the_answer_is_optuna_dashboards(storage, max_curves):
    app = make_app(storage, max_curves=max_curves)
    for query in ("", "after=3"):
        ours = _call(app, "/api/studies/1", query)[2]
        _assert_same(ours, _call(_theirs(storage), "/api/studies/1", query)[2])
        assert json.loads(ours)["has_intermediate_values"] is True


def test_past_the_limit_the_plot_is_left_out_and_said_so(storage):
    ours = json.loads(_call(make_app(storage, max_curves=11), "/api/studies/1")[2])
    theirs = json.loads(_call(_theirs(storage), "/api/studies/1")[2])
    assert ours["has_intermediate_values"] is False
    assert ours["user_attrs"][0] == {
        "key": "tftune: intermediate values plot",
        "value": "not drawn: 12 trials would each be a line, over the limit of 11 (each "
        "trial's page still shows its values; `tftune dashboard --max-curves 0` draws it)",
    }
    assert ours["user_attrs"][1:] == theirs["user_attrs"]
    assert ours["trials"] == theirs["trials"]  # every trial keeps its intermediate values
    assert any(t["intermediate_values"] for t in ours["trials"])
    rest = {k for k in theirs if k not in ("has_intermediate_values", "user_attrs")}
    assert {k: ours[k] for k in rest} == {k: theirs[k] for k in rest}
    assert list(ours) == list(theirs)


def test_a_study_without_intermediate_values_is_left_alone(storage):
    # where has_intermediate_values is already False, a limit of 1 changes nothing
    checked = 0
    for study_id in (1, 2, 3):
        theirs = json.loads(_call(_theirs(storage), f"/api/studies/{study_id}")[2])
        ours = json.loads(_call(make_app(storage, max_curves=1), f"/api/studies/{study_id}")[2])
        if not theirs["has_intermediate_values"]:
            assert ours == theirs
            checked += 1
        else:
            assert ours["has_intermediate_values"] is False
    assert checked >= 1


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_a_bad_limit_is_refused(storage, bad):
    with pytest.raises(ValueError, match=r"`max_curves` must be an int >= 0 .*got "):
        make_app(storage, max_curves=bad)
    with pytest.raises(ValueError, match="`max_curves`"):
        StudyDetailApi(None, make_app(storage).storage, max_curves=bad)


def test_the_cli_flag(capsys):
    parser = build_parser()
    args = parser.parse_args(["dashboard", "--storage", "sqlite:///x.db", "--max-curves", "0"])
    assert args.max_curves == 0
    assert parser.parse_args(["dashboard", "--storage", "sqlite:///x.db"]).max_curves is None
    with pytest.raises(SystemExit):
        parser.parse_args(["dashboard", "--storage", "sqlite:///x.db", "--max-curves", "-2"])
    assert "--max-curves: must be an int >= 0, got '-2'" in capsys.readouterr().err
