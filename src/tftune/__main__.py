"""``python -m tftune``: the same as the ``tftune`` command."""

from tftune.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
