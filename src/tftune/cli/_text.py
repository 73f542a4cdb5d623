"""The one rule for stored text shown on a terminal: control characters are escaped.

Study names, parameter names and values, user attributes and error messages come from the
database, so whoever wrote it chooses them. Printed raw, ``"\\x1b[2J"`` would clear the user's
terminal and ``"\\x1b]52;..."`` could write to the clipboard. ``printable`` shows every C0
control character (except tab, and newline where the output has lines), DEL and every C1
control character as a Python-style escape: ``\\x1b``, ``\\x7f``, ``\\x9b``; and lone
surrogates (bytes of a database text that were not UTF-8) as ``\\udcff``, which no terminal
encoding could print.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")  # C0 but tab, DEL, C1
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with its control characters escaped (tab kept; newline kept if ``newlines``)."""
    pattern = _CONTROL_BUT_NEWLINE if newlines else _CONTROL
    return pattern.sub(_escape, text)
