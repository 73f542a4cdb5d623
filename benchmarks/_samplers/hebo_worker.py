"""HEBO's side of the HEBO driver: run with the Python of HEBO's own environment.

HEBO 0.3.6 pins numpy<1.25 and pymoo==0.6.0, which cannot share the project's environment
(numpy 2), so ``peers.HeboDriver`` starts this script as a subprocess in a separate venv (see
benchmarks/README.md, "HEBO") and speaks JSON lines over its stdin / stdout:

  -> {"space": [Param as a dict, ...], "seed": 0}        <- {"ok": true}
  -> {"ask": true}                                      <- {"params": {...}}
  -> {"tell": value}                                    <- {"ok": true}

HEBO runs at its defaults (``HEBO(space, scramble_seed=seed)``: a GP with input warping, the
MACE acquisition ensemble, NSGA-II over it), one suggestion per ask. Categories travel as their
indices (as strings for HEBO), numbers as HEBO's ``num`` / ``pow`` / ``int`` / ``pow_int``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

# Compatibility: aliases NumPy 1.24 removed, should any HEBO path still call them.
for _alias, _type in (("float", float), ("int", int), ("bool", bool), ("object", object)):
    if _alias not in np.__dict__:
        setattr(np, _alias, _type)


def hebo_space(space: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in space:
        if p["kind"] == "cat":
            categories = [str(i) for i in range(len(p["choices"]))]
            out.append({"name": p["name"], "type": "cat", "categories": categories})
        elif p["kind"] == "int":
            kind = "pow_int" if p["log"] else "int"
            low, high = int(p["low"]), int(p["high"])
            out.append({"name": p["name"], "type": kind, "lb": low, "ub": high})
        else:
            kind = "pow" if p["log"] else "num"
            out.append({"name": p["name"], "type": kind, "lb": p["low"], "ub": p["high"]})
    return out


def main() -> int:
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO

    torch.set_num_threads(1)
    setup = json.loads(sys.stdin.readline())
    params = setup["space"]
    if any(p.get("parent") for p in params):
        raise SystemExit("hebo_worker: conditional parameters are not supported")
    np.random.seed(setup["seed"])
    torch.manual_seed(setup["seed"])
    optimizer = HEBO(DesignSpace().parse(hebo_space(params)), scramble_seed=setup["seed"])
    print(json.dumps({"ok": True}), flush=True)
    pending = None
    for line in sys.stdin:
        message = json.loads(line)
        if "ask" in message:
            pending = optimizer.suggest(n_suggestions=1)
            row = pending.iloc[0]
            values: dict[str, Any] = {}
            for p in params:
                value = row[p["name"]]
                if p["kind"] == "cat":
                    values[p["name"]] = int(value)  # the index; the driver maps it back
                elif p["kind"] == "int":
                    values[p["name"]] = int(min(p["high"], max(p["low"], int(round(value)))))
                else:
                    values[p["name"]] = float(min(p["high"], max(p["low"], float(value))))
            print(json.dumps({"params": values}), flush=True)
        elif "tell" in message:
            assert pending is not None, "tell before ask"
            optimizer.observe(pending, np.array([[float(message["tell"])]]))
            pending = None
            print(json.dumps({"ok": True}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
