"""finish_trial: bad values warn the user who calls tell(), and are only logged in optimize."""

from __future__ import annotations

import logging
import warnings

import pytest

import tftune
from tftune.study._tell import finish_trial
from tftune.trial import TrialState


@pytest.fixture
def tftune_log(caplog):
    """caplog's records of the ``tftune`` logger (which does not propagate to the root)."""
    logger = logging.getLogger("tftune")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_tell_warns_at_the_callers_line_and_does_not_log(tftune_log):
    study = tftune.create_study()
    with pytest.warns(UserWarning, match="Trial #0 failed: .*got None") as caught:
        frozen = study.tell(study.ask(), None)
    assert frozen.state == TrialState.FAIL
    assert caught[0].filename == __file__
    assert tftune_log.records == []


def test_suppressed_warning_is_logged_instead(tftune_log):
    study = tftune.create_study()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frozen = finish_trial(
            study, study.ask(), float("nan"), TrialState.COMPLETE, suppress_warning=True
        )
    assert caught == []
    assert frozen.state == TrialState.FAIL
    assert "NaN is not a valid objective value" in frozen.system_attrs["fail_reason"]
    (record,) = tftune_log.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"Trial 0 failed: {frozen.system_attrs['fail_reason']}"
