"""The gRPC proxy's codec: errors travel as (module, class, args), whatever pickles them."""

from __future__ import annotations

import copyreg
import pickle

import pytest

from tftune.exceptions import DuplicatedStudyError
from tftune.storages._grpc._codec import describe_error, dumps, loads, rebuild_error


def _foreign_rebuild(message: str) -> Exception:  # what a library's reducer would point to
    return KeyError(message)


def test_errors_travel_when_a_library_replaces_exception_pickling() -> None:
    copyreg.pickle(KeyError, lambda error: (_foreign_rebuild, (str(error),)))
    try:
        with pytest.raises(pickle.UnpicklingError, match="may not construct"):
            loads(dumps(KeyError("missing")))  # the pickle itself would be refused
        error = rebuild_error(loads(dumps(describe_error(KeyError("missing")))))
    finally:
        del copyreg.dispatch_table[KeyError]
    assert type(error) is KeyError
    assert error.args == ("missing",)


def test_tftune_errors_keep_their_class_and_others_are_described() -> None:
    error = rebuild_error(loads(dumps(describe_error(DuplicatedStudyError("taken")))))
    assert type(error) is DuplicatedStudyError
    assert str(error) == "taken"

    class Private(Exception):
        pass

    described = rebuild_error(describe_error(Private("boom")))
    assert type(described) is RuntimeError
    assert "raised" in str(described) and "Private: boom" in str(described)


def test_only_allowlisted_exception_classes_are_rebuilt() -> None:
    with pytest.raises(pickle.UnpicklingError, match="may not construct os.system"):
        rebuild_error(("os", "system", ("true",)))
    with pytest.raises(pickle.UnpicklingError, match="builtins.dict is not an exception class"):
        rebuild_error(("builtins", "dict", ()))
