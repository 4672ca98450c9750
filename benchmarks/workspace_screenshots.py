"""Render the README's studio-window screenshots of the training workspace.

    QT_QPA_PLATFORM=offscreen python benchmarks/workspace_screenshots.py        # both, into docs/screenshots
    ... --only xor --out /tmp/shots                                             # one, elsewhere

* ``workspace-xor.png``: the built-in XOR example after 700 epochs (online SGD) and one more traced
  sample, so that the canvas and the δ/Δw table show that step's numbers; decision boundary and loss.
* ``workspace-digits.png``: the shipped digits example (64-30-10, mini-batches of 10) after 250 epochs,
  with the Dataset, Gradients and Loss docks in front.

The window is the real MainWindow at 1500 × 900 with its default docks and preferences (a fresh
settings folder); training runs through the window's own runner (full speed) and the picture is taken
once the window has shown the final state.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BPSTUDIO_NO_RESTORE", "1")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="bpstudio-shots-")  # default preferences

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bpstudio.workspace import load_example  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1500, 900)


def wait(ms: int) -> None:
    """Let the event loop run for ``ms`` milliseconds (layouts settle, staggered refreshes happen)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def window_for(project):
    from bpstudio.app.main_window import MainWindow
    from bpstudio.app.session import Session

    session = Session(project)
    window = MainWindow(session)
    window.resize(*SIZE)
    window.show()
    wait(700)
    return window, session


def train(window, epochs: int) -> None:
    """Run ``epochs`` epochs in the window at full speed and wait until it shows the result."""
    ws = window.training
    loop = QEventLoop()
    ws.runner.finished.connect(lambda _outcome: QTimer.singleShot(600, loop.quit))
    ws.runner.set_speed(0.0)
    if not ws.runner.start(epochs=epochs):
        raise SystemExit("the run did not start")
    loop.exec()


def close(window, session) -> None:
    session.undo_stack.setClean()
    session._trained_since_save = False
    window.close()
    window.deleteLater()
    QApplication.processEvents()


def xor(out: Path) -> Path:
    window, session = window_for(load_example())
    train(window, 700)
    session.step_sample()
    wait(400)
    target = out / "workspace-xor.png"
    window.grab().save(str(target))
    close(window, session)
    return target


def digits(out: Path) -> Path:
    window, session = window_for(load_example("digits"))
    ws = window.training
    for dock in ("dataset", "gradients", "loss"):
        ws.docks[dock].raise_()
    train(window, 250)
    wait(400)
    target = out / "workspace-digits.png"
    window.grab().save(str(target))
    close(window, session)
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="folder for the PNGs")
    p.add_argument("--only", choices=("xor", "digits"), help="render one of the two")
    args = p.parse_args(argv)
    QApplication.instance() or QApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    for name, fn in (("xor", xor), ("digits", digits)):
        if args.only in (None, name):
            print("wrote", fn(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
