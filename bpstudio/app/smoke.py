"""``bpstudio --smoke-test``: prove that an installed copy of the app works, in a few seconds.

It builds the main window on the default example (or on PROJECT), paints it, trains a few steps through
the Session (batch steps, one micro-stepped update, one epoch), saves the project to a temporary folder,
opens it again and compares every number that was saved (weights, biases, optimiser state, history, the
loss the network gives), renders the window to an image and checks that the image is not blank, draws
the loss history with pyqtgraph, and closes the window. Each check prints one line; the exit status is
0 when all passed and 1 at the first failure. It never shows a dialog and never touches the user's
settings or files (settings go to the temporary folder, which is removed at the end).

Installers run it on the frozen app (``QT_QPA_PLATFORM=offscreen`` or under Xvfb) to catch missing Qt
plug-ins, libraries or resources. ``BPSTUDIO_SMOKE_SCREENSHOT=path.png`` keeps the rendered window.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

#: batch steps the smoke test takes (then one micro-stepped update and one epoch)
BATCH_STEPS = 3
#: how long to wait for the window's first paint before failing
PAINT_TIMEOUT_S = 20.0
#: fewest distinct colours a rendered window must have to count as "not blank"
MIN_COLOURS = 12


class SmokeFailure(Exception):
    """One check failed; the message says what was expected and what was seen."""


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class SmokeReport:
    """What a smoke-test run found; ``ok`` when every check passed."""

    results: list[CheckResult] = field(default_factory=list)
    screenshot: Any = None  # the QImage of the rendered window (kept for callers and tests)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)


def _distinct_colours(image, samples: int = 64) -> int:
    """Number of distinct RGB values on a ``samples`` × ``samples`` grid over the image."""
    w, h = image.width(), image.height()
    if w == 0 or h == 0:
        return 0
    seen = set()
    for i in range(samples):
        y = min(h - 1, (2 * i + 1) * h // (2 * samples))
        for j in range(samples):
            x = min(w - 1, (2 * j + 1) * w // (2 * samples))
            seen.add(image.pixel(x, y) & 0xFFFFFF)
    return len(seen)


def _state_arrays(state: dict | None) -> dict[str, list[np.ndarray]]:
    """The array lists of an optimiser state dict (``{"t": n, key: [arrays...]}``)."""
    if not state:
        return {}
    return {k: [np.asarray(a) for a in v] for k, v in state.items() if isinstance(v, list)}


def _numbers(session) -> dict[str, Any]:
    """Everything about the trained project that a save and a reload must keep exactly."""
    net, trainer = session.network, session.trainer
    out: dict[str, Any] = {
        "sizes": list(net.sizes),
        "weights": [np.array(w, copy=True) for w in net.weights],
        "biases": [np.array(b, copy=True) for b in net.biases],
    }
    if trainer is not None:
        h = trainer.history
        out["step_loss"] = list(h.step_loss)
        out["epoch_loss"] = list(h.loss["train"])
        out["step_count"] = trainer.step_count
        out["epoch"] = trainer.epoch
        out["opt_t"] = trainer.opt_state.get("t")
        out["opt_arrays"] = _state_arrays(trainer.opt_state)
        if session.data is not None:
            out["train_loss"] = trainer.evaluate(*session.data.train)[0]
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


class SmokeTest:
    """The checks, run in order by :meth:`run`; a failure stops the run (later checks depend on it)."""

    def __init__(self, project: str | None = None, out: TextIO | None = None) -> None:
        self.project = project
        self.out = out if out is not None else sys.stdout
        self.report = SmokeReport()
        self.tmp = Path(tempfile.mkdtemp(prefix="bpstudio-smoke-"))
        self.window = None
        self.errors: list[str] = []
        self.painted = False
        self.autosaved = Path()

    # ------------------------------------------------------------------ running
    def run(self) -> SmokeReport:
        checks: list[tuple[str, Callable[[], str]]] = [
            ("environment", self.check_environment),
            ("main window", self.check_window),
            ("first paint", self.check_paint),
            ("training steps", self.check_training),
            ("autosave", self.check_autosave),
            ("save", self.check_save),
            ("reopen", self.check_reopen),
            ("render", self.check_render),
            ("plot", self.check_plot),
            ("close", self.check_close),
        ]
        try:
            for name, fn in checks:
                t0 = time.perf_counter()
                try:
                    detail = fn()
                    ok = True
                except SmokeFailure as exc:
                    detail, ok = str(exc), False
                except Exception as exc:  # anything unexpected is a failure too, with its traceback
                    detail, ok = f"{type(exc).__name__}: {exc}", False
                    traceback.print_exc(file=sys.stderr)
                result = CheckResult(name, ok, detail, time.perf_counter() - t0)
                self.report.results.append(result)
                self._print(result)
                if not ok:
                    break
        finally:
            self._cleanup()
        return self.report

    def _print(self, r: CheckResult) -> None:
        mark = "ok  " if r.ok else "FAIL"
        print(f"smoke: {mark} {r.name:<15} {r.seconds:6.2f} s  {r.detail}", file=self.out, flush=True)

    def _cleanup(self) -> None:
        if self.window is not None:
            self.window.autosaver.closed()  # its lock and copies go before their folder does
            self.window.hide()
            self.window.deleteLater()
            self._process_events()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def _process_events() -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()

    def _expect(self, condition: bool, message: str) -> None:
        if not condition:
            raise SmokeFailure(message)

    def _no_errors(self, what: str) -> None:
        if self.errors:
            raise SmokeFailure(f"{what}: the session reported: {'; '.join(self.errors)}")

    # ------------------------------------------------------------------ the checks
    def check_environment(self) -> str:
        """The platform plug-in loaded, the resources are there, and SVG icons can be drawn."""
        from PySide6 import __version__ as pyside_version
        from PySide6.QtGui import QGuiApplication, QIcon, QImageReader

        from .. import resources_dir
        from ..workspace import list_examples

        res = resources_dir()
        examples = [name for name, _path in list_examples()]
        self._expect(bool(examples), f"no example projects in {res / 'examples'}")
        formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
        self._expect("svg" in formats, f"Qt cannot read SVG (image formats: {sorted(formats)})")
        icon = QIcon(str(res / "icons" / "bpstudio.svg"))
        self._expect(not icon.pixmap(32, 32).isNull(), "the application icon does not render")
        frozen = " (frozen)" if getattr(sys, "frozen", False) else ""
        return (
            f"platform {QGuiApplication.platformName()}, PySide6 {pyside_version}, "
            f"{len(examples)} examples in {res}{frozen}"
        )

    def check_window(self) -> str:
        from PySide6.QtCore import QSettings

        from .main_window import MainWindow
        from .settings import AppSettings

        settings = AppSettings()
        # keep the user's preferences, recent files and window layout out of it
        settings.store = QSettings(str(self.tmp / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        window.autosaver.folder = self.tmp / "recovery"  # and its copies out of the user's recovery folder
        self.window = window
        session = window.session
        # errors are collected instead of shown in modal message boxes that nobody would answer
        try:
            session.errorOccurred.disconnect(window.show_error)
        except (RuntimeError, TypeError):
            pass
        session.errorOccurred.connect(lambda title, msg: self.errors.append(f"{title}: {msg}"))
        if self.project:
            window.documents.open_path(Path(self.project), ask=False, raise_errors=True)
        self._expect(session.trainer is not None, f"cannot train this project: {session.trainer_problem}")
        sizes = "-".join(map(str, session.network.sizes))
        return f"{window.document_name()}: a {sizes} network, {len(window.docks)} panels"

    def check_paint(self) -> str:
        from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

        window = self.window
        target = window.canvas.viewport() if hasattr(window, "canvas") else window
        loop = QEventLoop()

        class PaintWatch(QObject):
            def eventFilter(inner, obj, event) -> bool:  # noqa: N805
                if event.type() == QEvent.Type.Paint and not self.painted:
                    self.painted = True
                    QTimer.singleShot(0, loop.quit)
                return False

        watch = PaintWatch()
        target.installEventFilter(watch)
        t0 = time.perf_counter()
        window.show()
        if not self.painted:
            QTimer.singleShot(int(PAINT_TIMEOUT_S * 1000), loop.quit)
            loop.exec()
        target.removeEventFilter(watch)
        self._expect(self.painted, f"the canvas was not painted within {PAINT_TIMEOUT_S:.0f} s")
        return f"canvas painted {1000 * (time.perf_counter() - t0):.0f} ms after show()"

    def check_training(self) -> str:
        session = self.window.session
        trainer = session.trainer
        before = [w.copy() for w in session.network.weights]
        steps0 = trainer.step_count
        for _ in range(BATCH_STEPS):
            trace = session.step_batch()
            self._process_events()
            self._no_errors("batch step")
            self._expect(trace is not None, "a batch step returned no trace")
        stages = []
        for _ in range(200):  # one update, stage by stage (forward, loss, backward, update)
            stage = session.micro_step()
            self._process_events()
            self._no_errors("micro-step")
            self._expect(stage is not None, "a micro-step was refused")
            stages.append(stage)
            if session.micro is None:
                break
        self._expect(session.micro is None, f"the micro-stepped update did not finish: {stages}")
        session.step_epoch()
        self._process_events()
        self._no_errors("epoch")
        trainer = session.trainer
        taken = trainer.step_count - steps0
        self._expect(taken >= BATCH_STEPS + 2, f"only {taken} updates were made")
        after = session.network.weights
        self._expect(
            any(not np.array_equal(a, b) for a, b in zip(before, after)),
            "training left the weights unchanged",
        )
        self._expect(all(np.all(np.isfinite(w)) for w in after), "the weights are not finite")
        losses = trainer.history.step_loss
        self._expect(len(losses) >= taken, "the loss history did not grow")
        return f"{taken} updates ({len(stages)} micro-stages), batch loss {losses[-1]:.6g}"

    def check_autosave(self) -> str:
        """The copy of unsaved work (recovery.py): written by its thread, it loads with the weights
        as they are; the save that follows removes it."""
        from ..formats import load_project

        window = self.window
        saver = window.autosaver
        self._expect(window.session.dirty, "the session is not marked unsaved after training")
        self._expect(saver.save_now(), "the autosave did not begin")
        saver.wait()
        self._expect(saver.has_copy(), f"no autosaved copy was written in {saver.folder}")
        copy_file = saver.file("project")
        copy = load_project(copy_file)
        same = all(np.array_equal(a, b) for a, b in zip(copy.network.weights, window.session.network.weights))
        self._expect(same, "the autosaved copy holds other weights")
        self.autosaved = copy_file
        return f"{copy_file.stat().st_size:,} bytes in {saver.folder}"

    def check_save(self) -> str:
        session = self.window.session
        self.saved_numbers = _numbers(session)
        path = self.tmp / "smoke.bps.json"
        session.save(path)
        self._expect(path.is_file() and path.stat().st_size > 0, f"{path} was not written")
        self._expect(not session.dirty, "the session is still marked unsaved after saving")
        self._expect(not self.autosaved.exists(), f"the autosaved copy {self.autosaved} outlived the save")
        self.saved_path = path
        return f"{path.stat().st_size:,} bytes"

    def check_reopen(self) -> str:
        session = self.window.session
        session.open(self.saved_path)
        self._process_events()
        self._no_errors("reopen")
        self._expect(session.path == self.saved_path, "the reopened project has another path")
        again = _numbers(session)
        differ = [key for key in self.saved_numbers if not _same(self.saved_numbers[key], again.get(key))]
        self._expect(not differ, f"these numbers changed through save and reopen: {', '.join(differ)}")
        n = sum(w.size + b.size for w, b in zip(again["weights"], again["biases"]))
        return f"{n} parameters, optimiser state, {len(again.get('step_loss', []))} step losses identical"

    def check_render(self) -> str:
        self._process_events()
        image = self.window.grab().toImage()
        self._expect(image.width() >= 200 and image.height() >= 200, f"window image is {image.size()}")
        colours = _distinct_colours(image)
        self._expect(colours >= MIN_COLOURS, f"the window image looks blank ({colours} distinct colours)")
        canvas = self.window.canvas.viewport().grab().toImage() if hasattr(self.window, "canvas") else image
        canvas_colours = _distinct_colours(canvas)
        self._expect(canvas_colours >= 4, f"the network canvas looks blank ({canvas_colours} colours)")
        self.report.screenshot = image
        keep = os.environ.get("BPSTUDIO_SMOKE_SCREENSHOT")
        where = ""
        if keep:
            self._expect(bool(image.save(keep)), f"cannot write the screenshot to {keep}")
            where = f", saved to {keep}"
        return f"{image.width()}×{image.height()}, {colours} colours (canvas {canvas_colours}){where}"

    def check_plot(self) -> str:
        import pyqtgraph as pg

        losses = np.asarray(self.window.session.trainer.history.step_loss, dtype=float)
        plot = pg.PlotWidget(background="w")
        plot.resize(320, 200)
        plot.plot(np.arange(losses.size), losses, pen=pg.mkPen("b", width=2))
        plot.show()
        self._process_events()
        image = plot.grab().toImage()
        plot.close()
        plot.deleteLater()
        colours = _distinct_colours(image)
        self._expect(colours >= 3, f"the pyqtgraph plot looks blank ({colours} colours)")
        return f"pyqtgraph {pg.__version__}: {losses.size} losses drawn, {colours} colours"

    def check_close(self) -> str:
        window = self.window
        closed = window.close()
        self._process_events()
        self._expect(closed and not window.isVisible(), "the window refused to close")
        return "closed without asking to save"


def run(project: str | None = None, out: TextIO | None = None) -> SmokeReport:
    """Run the smoke test in this process (a QApplication must exist); the report of every check."""
    return SmokeTest(project, out).run()


def run_smoke_test(args: argparse.Namespace) -> int:
    """Entry point of ``bpstudio [PROJECT] --smoke-test``: 0 when every check passed, else 1."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        from .launch import make_app

        make_app()
    t0 = time.perf_counter()
    report = run(getattr(args, "project", None))
    took = time.perf_counter() - t0
    if report.ok:
        print(f"smoke test passed: {len(report.results)} checks in {took:.1f} s", flush=True)
        return 0
    failed = next(r for r in report.results if not r.ok)
    print(f"smoke test FAILED at '{failed.name}': {failed.detail}", file=sys.stderr, flush=True)
    return 1
