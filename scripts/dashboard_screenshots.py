"""Screenshots of the dashboard's main pages over a tftune study, for the README.

Builds a small study in a temporary SQLite file (60 trials of a synthetic training curve with
pruning, every kind of parameter), serves it with ``tftune.dashboard.DashboardServer`` on
127.0.0.1 and saves, with headless Chromium (``/usr/bin/chromium``), PNGs (palette-reduced to
stay small) under ``docs/dashboard/``: the study list, the history plot, the parallel
coordinates and the trial table.

Run:  .venv/bin/python scripts/dashboard_screenshots.py
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

import tftune
from tftune.dashboard import DashboardServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))  # the one home of the Chromium launch
from _chromium import launch  # noqa: E402

OUT = ROOT / "docs" / "dashboard"
TIMEOUT_MS = 60_000


def objective(trial: tftune.Trial) -> float:
    """A made-up validation loss that falls over 10 epochs, best near lr=3e-3."""
    lr = trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
    units = trial.suggest_int("units", 16, 512, log=True)
    layers = trial.suggest_int("layers", 1, 5)
    activation = trial.suggest_categorical("activation", ["relu", "gelu", "tanh"])
    floor = (
        0.2
        + 0.15 * abs(math.log10(lr / 3e-3))
        + 0.1 * abs(dropout - 0.2)
        + 0.05 * abs(math.log2(units / 128)) / 3
        + 0.02 * abs(layers - 3)
        + (0.03 if activation == "tanh" else 0.0)
    )
    loss = floor
    history = []
    for epoch in range(10):
        loss = floor + 1.5 * math.exp(-0.45 * (epoch + 1))
        history.append(round(loss, 4))
        trial.report(loss, epoch)
        if trial.should_prune():
            trial.set_user_attr("epochs", len(history))
            raise tftune.TrialPruned()
    trial.set_user_attr("epochs", len(history))
    return loss


def shrink(path: Path, max_height: int = 900) -> None:
    """Crop the PNG to ``max_height`` pixels and reduce it to a 128-colour palette."""
    image = Image.open(path).convert("RGB")
    image = image.crop((0, 0, image.width, min(image.height, max_height)))
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tftune.logging.set_verbosity(tftune.logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        study = tftune.create_study(
            study_name="mnist-mlp",
            storage=url,
            sampler=tftune.samplers.TPESampler(seed=1),
            pruner=tftune.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
        )
        study.optimize(objective, n_trials=60)
        tftune.create_study(study_name="cifar-cnn", storage=url).optimize(
            lambda t: (t.suggest_float("lr", 1e-4, 1e-1, log=True) - 0.01) ** 2, n_trials=12
        )
        server = DashboardServer(url, port=0).start()
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(server.url)
                page.get_by_text("1. mnist-mlp", exact=True).wait_for()
                page.screenshot(path=OUT / "study_list.png")
                page.goto(f"{server.url}/studies/1")
                page.wait_for_function(
                    "() => { const e = document.getElementById('plot-history');"
                    " return !!(e && e.data && e.data.length); }"
                )
                page.wait_for_timeout(1000)
                page.locator("#plot-history").screenshot(path=OUT / "history.png")
                page.goto(f"{server.url}/studies/1/smartSelection")
                page.wait_for_function(
                    "() => { const e = document.getElementById('plot-parallel-coordinate');"
                    " return !!(e && e.data && e.data.length && e.data[0].dimensions.length); }"
                )
                page.wait_for_timeout(1000)
                page.locator("#plot-parallel-coordinate").screenshot(
                    path=OUT / "parallel_coordinates.png"
                )
                table = page.locator("table").first
                table.scroll_into_view_if_needed()
                page.set_viewport_size({"width": 1440, "height": 900})
                page.wait_for_timeout(500)
                table.screenshot(path=OUT / "trial_table.png")
                browser.close()
        finally:
            server.stop()
    for name in ("study_list", "history", "parallel_coordinates", "trial_table"):
        path = OUT / f"{name}.png"
        shrink(path)
        print(f"{path.relative_to(OUT.parent.parent)}: {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
