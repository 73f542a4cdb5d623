import pytest

import tftune


@pytest.mark.parametrize("url", ["memory", "sqlite"])
def test_deep_copies_protect_nested_attribute_values(tmp_path, url):
    storage = None if url == "memory" else f"sqlite:///{tmp_path / 'copies.db'}"
    study = tftune.create_study(storage=storage)

    def objective(trial):
        trial.set_user_attr("history", [1, 2])
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=2)
    study.trials[0].user_attrs["history"].append(3)  # a copy: the study keeps its own
    study.get_trials(deepcopy=True)[1].user_attrs["history"].clear()
    assert [t.user_attrs["history"] for t in study.trials] == [[1, 2], [1, 2]]
    cached = study.get_trials(deepcopy=False)
    assert cached[0].user_attrs["history"] == [1, 2]
