"""Time from launching ``bpstudio`` to a painted window, as a whole process, against a bare PySide6 window.

    python benchmarks/startup.py            # 7 launches of each; about 20 seconds

Each launch is a new process started with ``BPSTUDIO_QUIT_AFTER_PAINT=1``: the app opens its window
on the XOR example (with every panel installed), and as soon as the canvas has been painted it
prints ``first-paint <seconds since the process started>`` and quits. The figure is the wall time
from spawning the process to reading that line. The peer is a process that imports PySide6, shows
an empty QMainWindow and quits after its first paint in the same way: the floor any PySide6 app
pays. Offscreen unless QT_QPA_PLATFORM is set (set it to ``xcb`` under X11 for a real display).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PEER = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.setCentralWidget(QLabel("hello")); w.resize(1280, 800)
class F(QObject):
    done = False
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            QTimer.singleShot(0, lambda: (print("first-paint", flush=True), app.quit()))
        return False
f = F(); w.centralWidget().installEventFilter(f)
w.show(); app.exec()
"""


def launch(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``cmd`` to its ``first-paint`` line."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("first-paint"):
            elapsed = time.perf_counter() - t0
            break
    else:
        proc.wait()
        raise RuntimeError(f"{cmd}: exited ({proc.returncode}) without painting")
    proc.wait(timeout=60)
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = dict(
            os.environ,
            BPSTUDIO_QUIT_AFTER_PAINT="1",
            BPSTUDIO_NO_RESTORE="1",
            XDG_CONFIG_HOME=str(Path(home) / "config"),
            PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        app_cmd = [sys.executable, "-m", "bpstudio"]
        peer_cmd = [sys.executable, "-c", PEER]
        launch(app_cmd, env)  # warm the file cache (bytecode, shared libraries) for both
        launch(peer_cmd, env)
        ours, peer = [], []
        for _ in range(args.runs):  # interleaved: the machine is shared
            ours.append(launch(app_cmd, env))
            peer.append(launch(peer_cmd, env))
    o, p = statistics.median(ours), statistics.median(peer)
    print(
        f"# {args.runs} launches each, Qt platform {env['QT_QPA_PLATFORM']}, Python {sys.version.split()[0]}"
    )
    print("| process                         | median (s) | best (s) |")
    print("|---------------------------------|-----------:|---------:|")
    print(f"| bpstudio (XOR, all panels)      | {o:10.2f} | {min(ours):8.2f} |")
    print(f"| bare PySide6 QMainWindow        | {p:10.2f} | {min(peer):8.2f} |")
    print(f"bpstudio / bare: {o / p:.1f}×; bpstudio's own cost above the floor: {o - p:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
