"""The dashboard benchmark's profile summary reads Chrome's positions in the bundle as it is
served (patched), where the plots' functions are."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

import bench_dashboard  # noqa: E402

from tftune.dashboard._fast_api import BUNDLE_FILE  # noqa: E402
from tftune.dashboard._front_end import patch_bundle  # noqa: E402

TIMELINE_START = "Lb=(e,t)=>{"


def _profile_at(line: int, column: int) -> dict[str, object]:
    """A CPU profile of one function at ``(line, column)`` sampled twice (3 ms in all)."""
    frame = {"functionName": "Lb", "lineNumber": line, "columnNumber": column}
    nodes = [{"id": 1, "callFrame": frame}]
    return {"nodes": nodes, "samples": [1, 1], "timeDeltas": [1000, 2000]}


def _position(lines: list[str], text: str) -> tuple[int, int]:
    """Where the ``(`` that opens ``text``'s function is."""
    for number, line in enumerate(lines):
        if text in line:
            return number, line.index(text) + len(text.split("(", 1)[0])
    raise AssertionError(f"{text!r} is not in the bundle")


def test_the_profile_maps_positions_onto_the_bundle_as_served():
    served = bench_dashboard.served_bundle_lines()
    assert "\n".join(served) == patch_bundle(BUNDLE_FILE.read_text(encoding="utf-8"))
    line, column = _position(served, TIMELINE_START)
    summary = bench_dashboard.summarise_profile(_profile_at(line, column), served)
    assert summary == {"plot graph-timeline": 3.0}
    # the unpatched text has other positions: the served one is not the timeline's there
    unpatched = BUNDLE_FILE.read_text(encoding="utf-8").split("\n")
    assert _position(unpatched, TIMELINE_START) != (line, column)
    assert bench_dashboard.summarise_profile(_profile_at(line, column), unpatched) == {
        "other JS": 3.0
    }
