"""Exceptions raised by tftune.

The tree::

    TftuneError                     base of every tftune error
    ├── TrialPruned                 control flow: the objective asks to stop this trial early
    ├── StorageError                the storage cannot be reached or used
    │   ├── SchemaVersionError      the database schema is older or newer than this tftune
    │   └── DuplicatedStudyError    a study with that name exists (and ``load_if_exists`` is off)
    ├── StudyNotFoundError          no study of that name in the storage (also a ``KeyError``)
    ├── UpdateFinishedTrialError    a finished trial cannot be changed (also a ``RuntimeError``)
    └── SearchSpaceExhausted        the sampler has nothing left to propose (a finished grid)

    ExperimentalWarning             a feature whose interface may still change (a Warning)

Optuna's names are aliases of these, so ``except optuna.exceptions.X`` keeps working after
``import tftune as optuna``: ``OptunaError`` is ``TftuneError``, ``StorageInternalError`` is
``StorageError``, and ``CLIUsageError`` is the error of a wrong command line.

"This trial failed" is never an exception of the study: the trial is stored as failed with its
reason and the study goes on. Only the objective's own exceptions propagate, unless listed in
``catch``.
"""

from __future__ import annotations


class TftuneError(Exception):
    """Base class of every error raised by tftune."""


class TrialPruned(TftuneError):
    """Raise inside an objective to stop the current trial early (it is stored as PRUNED)."""


class StorageError(TftuneError):
    """The storage could not be reached, or refused an operation."""


class SchemaVersionError(StorageError):
    """The database schema version does not match this version of tftune."""


class DuplicatedStudyError(StorageError):
    """A study with the requested name already exists."""


class StudyNotFoundError(TftuneError, KeyError):
    """No study with the requested name or id exists in the storage."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UpdateFinishedTrialError(TftuneError, RuntimeError):
    """A trial that already finished (complete, pruned or failed) cannot be changed."""


class SearchSpaceExhausted(TftuneError):
    """The sampler has evaluated every point of its search space (for example a finished grid)."""


class CLIUsageError(TftuneError):
    """The command line was used wrongly (an unknown option, a missing argument)."""


class ExperimentalWarning(Warning):
    """A feature whose interface may still change in a later release (Optuna's category: a
    plain ``Warning``, so filters on ``UserWarning`` leave it alone)."""


#: Optuna's names for the same errors.
OptunaError = TftuneError
StorageInternalError = StorageError

__all__ = [
    "CLIUsageError",
    "DuplicatedStudyError",
    "ExperimentalWarning",
    "OptunaError",
    "SchemaVersionError",
    "SearchSpaceExhausted",
    "StorageError",
    "StorageInternalError",
    "StudyNotFoundError",
    "TftuneError",
    "TrialPruned",
    "UpdateFinishedTrialError",
]
