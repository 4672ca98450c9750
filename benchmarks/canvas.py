"""Opening and repainting a 784-30-10 network (23,820 connections) on the canvas, against a naive peer.

    python benchmarks/canvas.py                 # about 30 seconds; offscreen unless QT_QPA_PLATFORM is set
    python benchmarks/canvas.py --screenshots   # also writes docs/screenshots/{xor,mnist-784-30-10}.png

Three drawings of the same network (seeded normal weights), in one process, at the same view size:

* ``bpstudio`` — the app's canvas as it opens: the 784-neuron input layer folded into a block;
* ``bpstudio, expanded`` — the input layer expanded into its 28 × 28 grid, all 23,520 + 300
  connections present (drawn in bulk per layer, cached, strongest 3,000 per layer below 2.5× zoom);
* ``naive`` — one QGraphicsLineItem per connection and one QGraphicsEllipseItem per neuron, coloured
  by sign and width by |w| like ours (the textbook QGraphicsScene approach).

Figures: *open* = building the scene and view, showing it and finishing the first paint (wall time);
*repaint* = one full repaint of the viewport at fit-to-window zoom (median of N); *pan* = scrolling by
25 px and repainting (median of N); *zoom* = a 1.15× zoom step and repainting (median of N,
alternating in and out, so every step is a new scale and any cache is redrawn). Ratios are naive / ours.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BPSTUDIO_NO_RESTORE", "1")

import numpy as np  # noqa: E402
from PySide6.QtCore import QLineF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QBrush, QPainter, QPen  # noqa: E402
from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bpstudio.app.canvas.edges import edge_width  # noqa: E402
from bpstudio.app.canvas.layout import compute_layout, edge_segments  # noqa: E402
from bpstudio.app.canvas.view import NetworkView  # noqa: E402
from bpstudio.app.session import Session  # noqa: E402
from bpstudio.app.theme import apply_theme, canvas_colours  # noqa: E402
from bpstudio.engine import Network  # noqa: E402
from bpstudio.formats import Project  # noqa: E402

SIZES = [784, 30, 10]


def mnist_like_project() -> Project:
    """784-30-10 sigmoid network with seeded N(0, 1) weights (Nielsen's initialisation)."""
    net = Network.create(SIZES, "sigmoid", init="normal", init_params={"sigma": 1.0}, seed=0)
    return Project(network=net, dataset={"builtin": "digits", "params": {}}, name="MNIST-shaped 784-30-10")


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def repaint(view: QGraphicsView) -> None:
    view.viewport().repaint()


def measure_view(view: QGraphicsView, n: int) -> dict[str, float]:
    app = QApplication.instance()
    repaints = [timed(lambda: repaint(view)) for _ in range(n)]
    pans = []
    for i in range(n):
        bar = view.horizontalScrollBar()

        def pan(i=i, bar=bar):
            bar.setValue(bar.value() + (25 if i % 2 == 0 else -25))
            repaint(view)

        pans.append(timed(pan))
        app.processEvents()
    zooms = []
    for i in range(n):
        f = 1.15 if i % 2 == 0 else 1 / 1.15

        def zoom(f=f):
            if isinstance(view, NetworkView):
                view.zoom_by(f, anchor_under_mouse=False)
            else:
                view.scale(f, f)
            repaint(view)

        zooms.append(timed(zoom))
        app.processEvents()
    return {
        "repaint": statistics.median(repaints),
        "pan": statistics.median(pans),
        "zoom": statistics.median(zooms),
    }


def open_ours(project: Project, size: tuple[int, int], expanded: bool) -> tuple[float, NetworkView, float]:
    app = QApplication.instance()
    t0 = time.perf_counter()
    session = Session(project.__class__(**{**project.__dict__}))
    t_session = time.perf_counter() - t0
    t0 = time.perf_counter()
    view = NetworkView(session)
    if expanded:
        view.network_scene.set_expanded(0, True)
    view.resize(*size)
    view.show()
    app.processEvents()
    repaint(view)
    return time.perf_counter() - t0, view, t_session


def open_naive(net: Network, size: tuple[int, int]) -> tuple[float, QGraphicsView]:
    """One item per connection and per neuron, positioned like our expanded layout."""
    app = QApplication.instance()
    c = canvas_colours()
    t0 = time.perf_counter()
    scene = QGraphicsScene()
    layout = compute_layout(net.sizes, expanded={0})
    wmax = max(float(np.abs(w).max()) for w in net.weights)
    for i, w in enumerate(net.weights):
        starts, ends = edge_segments(layout, i)
        widths = edge_width(np.abs(w), wmax)
        for to in range(w.shape[0]):
            for frm in range(w.shape[1]):
                (x0, y0), (x1, y1) = starts[to, frm], ends[to, frm]
                item = scene.addLine(QLineF(x0, y0, x1, y1))
                item.setPen(QPen(c.positive if w[to, frm] >= 0 else c.negative, float(widths[to, frm])))
    for g in layout.layers:
        for x, y in zip(g.xs, g.ys):
            r = g.radius
            scene.addEllipse(QRectF(x - r, y - r, 2 * r, 2 * r), QPen(c.neuron_line), QBrush(c.neuron_fill))
    view = QGraphicsView(scene)
    view.keep_scene = scene  # the view does not own its scene: keep it alive
    view.setRenderHints(QPainter.RenderHint.Antialiasing)
    view.resize(*size)
    view.show()
    view.fitInView(scene.itemsBoundingRect(), Qt.AspectRatioMode.KeepAspectRatio)
    app.processEvents()
    repaint(view)
    return time.perf_counter() - t0, view


def screenshots(out_dir: Path) -> None:
    """The XOR example and the 784-30-10 network in the full window, rendered offscreen."""
    from bpstudio.app.launch import build_window
    from bpstudio.data import load_dataset

    app = QApplication.instance()
    out_dir.mkdir(parents=True, exist_ok=True)
    w = build_window()
    w.resize(1600, 940)
    w.show()
    for _ in range(3):
        app.processEvents()
    w.canvas.fit_to_window()
    app.processEvents()
    w.grab().save(str(out_dir / "xor.png"))
    w.close()

    # 784-30-10 with inputs shaped like MNIST: the built-in 8 × 8 digits scaled up to 28 × 28
    digits = load_dataset({"builtin": "digits", "params": {}})
    X8 = np.asarray(digits.X[:20], dtype=float).reshape(-1, 8, 8) / 16.0
    X28 = np.zeros((len(X8), 28, 28))
    X28[:, 2:26, 2:26] = np.kron(X8, np.ones((3, 3)))
    T = np.eye(10)[
        np.asarray(digits.T[:20]).argmax(axis=1) if digits.T.ndim > 1 else digits.T[:20].astype(int)
    ]
    project = mnist_like_project()
    project.dataset = {"inline": {"inputs": X28.reshape(len(X8), -1).tolist(), "targets": T.tolist()}}
    w = build_window()
    w.documents.example_name = ""
    w.session.set_project(w.documents.prepare(project))
    for dock in w.docks.values():  # room for the drawing: only the inspector and the bottom panels
        if w.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea or "oundary" in dock.objectName():
            dock.hide()
    w.resize(1600, 940)
    w.show()
    w.canvas.network_scene.set_expanded(0, True)
    for _ in range(3):
        app.processEvents()
    w.canvas.fit_to_window()
    app.processEvents()
    w.grab().save(str(out_dir / "mnist-784-30-10.png"))
    w.session.undo_stack.setClean()
    w.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=15, help="repaints per measurement (median)")
    ap.add_argument("--size", default="1200x800", help="view size in pixels")
    ap.add_argument("--screenshots", action="store_true", help="also write docs/screenshots/*.png")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    app = QApplication(sys.argv[:1])
    apply_theme(app, "light")
    project = mnist_like_project()
    net = project.network
    print(f"# {'-'.join(map(str, net.sizes))} network, {net.n_connections():,} connections, view {args.size}")
    qpa = os.environ["QT_QPA_PLATFORM"]
    print(f"# Python {platform.python_version()}, Qt platform {qpa}, {os.cpu_count()} CPUs")

    results = {}
    t_open, view, t_session = open_ours(project, size, expanded=False)
    results["bpstudio"] = {"open": t_open, **measure_view(view, args.repeats)}
    view.close()
    t_open, view, _ = open_ours(project, size, expanded=True)
    results["bpstudio, expanded"] = {"open": t_open, **measure_view(view, args.repeats)}
    view.close()
    t_open, view = open_naive(net, size)
    results["naive"] = {"open": t_open, **measure_view(view, max(3, args.repeats // 3))}
    view.close()

    print(f"\nsession (project → trainer, forward pass of sample 1): {t_session * 1000:.0f} ms\n")
    print(
        f"| {'drawing':<20} | {'open (ms)':>9} | {'repaint (ms)':>12} | {'pan (ms)':>8} | {'zoom (ms)':>9} |"
    )
    print(f"|{'-' * 22}|{'-' * 11}|{'-' * 14}|{'-' * 10}|{'-' * 11}|")
    for name, r in results.items():
        print(
            f"| {name:<20} | {r['open'] * 1000:>9.0f} | {r['repaint'] * 1000:>12.1f} | "
            f"{r['pan'] * 1000:>8.1f} | {r['zoom'] * 1000:>9.1f} |"
        )
    naive = results["naive"]
    for name in ("bpstudio", "bpstudio, expanded"):
        r = results[name]
        ratios = ", ".join(f"{k} {naive[k] / r[k]:.0f}×" for k in ("open", "repaint", "pan", "zoom"))
        print(f"naive / {name}: {ratios}")
    if args.screenshots:
        screenshots(ROOT / "docs" / "screenshots")
        print("wrote docs/screenshots/xor.png and docs/screenshots/mnist-784-30-10.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
