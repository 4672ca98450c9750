"""Screenshots of the "see why" views (issue 15) for the README: each view in a floating panel of its
own, on a deterministic project, offscreen.

    QT_QPA_PLATFORM=offscreen python tests/see_why_shots.py docs/screenshots

writes chain-rule.png, loss-landscape.png, gradient-check.png, hinton.png, distributions.png,
histograms.png and compare-runs.png into the folder.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from bpstudio.app.main_window import MainWindow
    from bpstudio.app.session import Selection
    from bpstudio.engine import Network
    from bpstudio.formats import Project

    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    w = MainWindow()
    w.resize(1600, 1000)
    w.show()
    s = w.session

    def settle(times: int = 6) -> None:
        for _ in range(times):  # axes measure their labels on the first paint, then lay out again
            app.processEvents()
            w.grab()

    def shot(dock_name: str, name: str, size: tuple[int, int] = (900, 560)) -> None:
        dock = w.docks[dock_name]
        dock.show()
        dock.setFloating(True)
        dock.resize(*size)
        dock.raise_()
        settle()
        for _ in range(3):
            app.processEvents()
            dock.grab()
        dock.grab().save(str(out / name))
        dock.setFloating(False)
        print(out / name)

    # the chain rule and the landscape on XOR after some training
    for _ in range(300):
        s.step_epoch()

    # runs side by side, then their paths on the landscape
    s.add_run("SGD", {})
    s.add_run("Momentum", {"optimiser": "momentum"})
    s.add_run("Adam", {"optimiser": "adam", "lr": 0.05})
    panel = w.compare_runs
    panel.epochs.setValue(400)
    panel.train()
    while panel.task.running:
        app.processEvents()
    shot("compareRunsDock", "compare-runs.png", (900, 640))
    land = w.training.landscape_panel
    land.span.setValue(6.0)
    land.start()
    while land.task.running:
        app.processEvents()
    shot("landscapeDock", "loss-landscape.png", (900, 640))

    # vanishing gradients in a deep sigmoid network: Hinton diagrams and distributions over epochs
    deep = Network.create([2, 6, 6, 6, 1], ["sigmoid"] * 4, seed=1)
    s.set_project(Project(deep, s.config, s.project.dataset, name="XOR 2-6-6-6-1 (sigmoid)"))
    for _ in range(300):
        s.step_epoch()
    s.step_batch()
    s.select(Selection("edge", 1, 0, 0))  # a weight into the second hidden layer: six paths to the loss
    shot("chainRuleDock", "chain-rule.png", (1000, 560))
    grads = w.training.gradient_panel
    grads.view_box.setCurrentIndex(1)
    shot("gradientsDock", "hinton.png", (900, 420))
    grads.view_box.setCurrentIndex(2)
    shot("gradientsDock", "distributions.png", (900, 520))
    grads.view_box.setCurrentIndex(3)
    shot("gradientsDock", "histograms.png", (900, 460))
    grads.view_box.setCurrentIndex(0)

    # the gradient check of that network
    dialog = w.training.gradient_check()
    dialog.resize(900, 560)
    dialog.start()
    while dialog.task.running:
        app.processEvents()
    for _ in range(4):
        app.processEvents()
        dialog.grab()
    dialog.grab().save(str(out / "gradient-check.png"))
    print(out / "gradient-check.png")
    dialog.close()
    w.training.shutdown()
    s.undo_stack.setClean()
    s._trained_since_save = False
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
