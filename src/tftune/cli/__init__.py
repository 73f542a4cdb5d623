"""The ``tftune`` command line: list studies and trials, show the best, export, delete, upgrade.

Run ``tftune --help``. Every command reads the database named by ``--storage`` (default:
``$TFTUNE_STORAGE``, else ``sqlite:///tftune.db``). Mistakes (an unknown study, a bad option
value, an unreachable database) print one ``tftune: error: ...`` line and exit with code 1, and
so does any other error (never a traceback); malformed command lines exit with argparse's
code 2. TensorFlow is never imported.
"""

from __future__ import annotations

import os
import sys

from tftune.cli._errors import CliError
from tftune.exceptions import TftuneError

__all__ = ["CliError", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    from tftune.cli._parser import build_parser

    given = sys.argv[1:] if argv is None else list(argv)
    if given in ([], ["help"]):  # as Optuna's command: the overview, exit code 0
        build_parser().print_help()
        return 0
    try:
        args = build_parser().parse_args(given)
    except SystemExit as exit_:  # --help, --version, or a malformed command line
        return exit_.code if isinstance(exit_.code, int) else 0
    try:
        code: int = args.run(args)  # the command's run_* function (set_defaults in _parser)
        return code
    except (CliError, TftuneError) as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `tftune export ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:  # a bug, or a database damaged in a way tftune does not expect
        return fail(f"unexpected {type(error).__name__}: {error}")


def fail(message: str) -> int:
    """Print ``tftune: error: message`` to standard error and return exit code 1 (control
    characters escaped: a message may quote a name from the database).
    """
    from tftune.cli._text import printable

    print(f"tftune: error: {printable(message)}", file=sys.stderr)
    return 1
