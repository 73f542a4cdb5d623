"""create_study, load_study, delete_study and their errors, on every storage."""

from __future__ import annotations

import pytest

import tftune
from tftune.exceptions import DuplicatedStudyError, StudyNotFoundError
from tftune.study import StudyDirection


def test_create_defaults_to_minimize_in_memory():
    study = tftune.create_study()
    assert study.direction == StudyDirection.MINIMIZE
    assert study.study_name.startswith("no-name-")
    assert isinstance(study.storage, tftune.storages.InMemoryStorage)


def test_load_if_exists_continues_the_study(storage_url):
    study = tftune.create_study(study_name="s", storage=storage_url, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    if storage_url is None:
        return  # a new in-memory storage per call holds nothing to continue
    again = tftune.create_study(study_name="s", storage=storage_url, load_if_exists=True)
    assert again.direction == StudyDirection.MAXIMIZE
    assert len(again.trials) == 3
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.number for t in tftune.load_study("s", storage_url).trials] == [0, 1, 2, 3, 4]


def test_duplicate_name_without_load_if_exists(storage):
    tftune.create_study(study_name="dup", storage=storage)
    with pytest.raises(DuplicatedStudyError, match="'dup' already exists.*load_if_exists=True"):
        tftune.create_study(study_name="dup", storage=storage)


def test_load_if_exists_with_other_directions_is_refused(storage):
    tftune.create_study(study_name="d", storage=storage, direction="minimize")
    with pytest.raises(ValueError, match=r"exists with directions \['minimize'\].*\['maximize'\]"):
        tftune.create_study(
            study_name="d", storage=storage, direction="maximize", load_if_exists=True
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"direction": "up"}, r"`direction` must be 'minimize' or 'maximize', got 'up'"),
        ({"directions": ["minimize", 3]}, r"`directions` must be 'minimize' or 'maximize', got 3"),
        ({"directions": []}, r"`directions` must be a non-empty list"),
        (
            {"direction": "minimize", "directions": ["maximize"]},
            "either `direction` or `directions`",
        ),
        ({"study_name": ""}, r"`study_name` must be a non-empty string.*got ''"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tftune.create_study(**kwargs)


def test_bad_storage_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"scheme 'mysql' is not supported.*got 'mysql://u@h/db'"):
        tftune.create_study(storage="mysql://u@h/db")
    with pytest.raises(ValueError, match="must be a database URL.*got 'tftune.db'"):
        tftune.create_study(storage="tftune.db")
    with pytest.raises(TypeError, match=r"`storage` must be None, a database URL.*got 42"):
        tftune.create_study(storage=42)
    with pytest.raises(TypeError, match="`sampler` must be a BaseSampler instance"):
        tftune.create_study(sampler="random")


def test_unreachable_database_names_the_url():
    with pytest.raises(
        tftune.exceptions.StorageError,
        match=(
            r"Cannot use the database at "
            r"postgresql\+psycopg://nobody:\*\*\*@127.0.0.1:1/x: .*refused"
        ),
    ):
        tftune.create_study(storage="postgresql://nobody:secret@127.0.0.1:1/x")


def test_unreachable_database_hides_the_password():
    with pytest.raises(tftune.exceptions.StorageError) as info:
        tftune.create_study(storage="postgresql://nobody:secret@127.0.0.1:1/x")
    assert "secret" not in str(info.value)


def test_load_and_delete(sqlite_url):
    tftune.create_study(study_name="a", storage=sqlite_url)
    assert tftune.load_study(None, sqlite_url).study_name == "a"
    tftune.create_study(study_name="b", storage=sqlite_url)
    assert tftune.get_all_study_names(sqlite_url) == ["a", "b"]
    with pytest.raises(ValueError, match="only when the storage holds one study; it holds 2"):
        tftune.load_study(None, sqlite_url)
    tftune.delete_study("a", sqlite_url)
    assert tftune.get_all_study_names(sqlite_url) == ["b"]
    with pytest.raises(StudyNotFoundError, match="No study named 'a'"):
        tftune.load_study("a", sqlite_url)


def test_user_attrs_persist(sqlite_url):
    study = tftune.create_study(study_name="u", storage=sqlite_url)
    study.set_user_attr("dataset", "breast_cancer")
    assert tftune.load_study("u", sqlite_url).user_attrs == {"dataset": "breast_cancer"}
    with pytest.raises(TypeError, match="'model' must be JSON-serialisable"):
        study.set_user_attr("model", object())


def test_the_default_sampler_is_auto_with_a_gp_for_several_numeric_objectives(sqlite_url):
    assert type(tftune.create_study().sampler) is tftune.samplers.AutoSampler
    two = tftune.create_study(directions=["minimize", "maximize"])
    assert type(two.sampler) is tftune.samplers.AutoSampler
    assert two.sampler.choose(two, {"x": tftune.FloatDistribution(0, 1)}) is two.sampler.gp
    choices = tftune.CategoricalDistribution(["a", "b"])
    assert two.sampler.choose(two, {"c": choices}) is two.sampler.tpe
    tftune.create_study(study_name="two", storage=sqlite_url, directions=["minimize", "maximize"])
    assert (
        type(tftune.load_study(study_name="two", storage=sqlite_url).sampler)
        is tftune.samplers.AutoSampler
    )
