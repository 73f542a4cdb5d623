"""The errors of the dashboard's storage: HTTP errors, so the dashboard answers them as JSON.

optuna-dashboard's API views turn a raised ``bottle.HTTPError`` into its status and
``{"reason": message}``; any other exception becomes a bare "internal server error". Both
classes are also tftune errors, with the message as their text.
"""

from __future__ import annotations

import bottle

from tftune.exceptions import TftuneError

#: Where a refused write tells the user to look.
ALLOW_WRITE_HINT = "start the dashboard with --allow-write (run_server(..., allow_write=True))"


class DashboardError(TftuneError, bottle.HTTPError):  # type: ignore[misc]
    """A request the dashboard's storage cannot carry out, answered with ``status``."""

    status_code_default = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        bottle.HTTPError.__init__(self, status=status or self.status_code_default, body=message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class WriteRefusedError(DashboardError):
    """A write to a dashboard opened read-only (the default): HTTP 403."""

    status_code_default = 403

    def __init__(self, method: str, what: str) -> None:
        super().__init__(
            f"The tftune dashboard is read-only: {method} ({what}) was refused and nothing was "
            f"written; {ALLOW_WRITE_HINT} to allow it."
        )
        self.method = method


class UnsupportedWriteError(DashboardError):
    """A write that tftune's storage cannot take from the dashboard, even with --allow-write:
    HTTP 501."""

    status_code_default = 501

    def __init__(self, method: str, why: str) -> None:
        super().__init__(f"The tftune dashboard cannot {why} ({method} is not supported).")
        self.method = method
