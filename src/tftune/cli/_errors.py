"""The one error type of the command line: a message for the user, printed without
a traceback.
"""

from __future__ import annotations


class CliError(Exception):
    """A mistake the user can fix (a bad value, an unknown study); ``main`` prints it and
    exits 1.
    """
