"""Random use of the studio window (issue 13.15): seeded, with training running, dialogs answered.

Not a test module: ``tests/test_app_monkey.py`` runs a few thousand actions per CI run and
``benchmarks/soak.py`` runs 50,000 or more. Each action is one thing a user does — a menu or toolbar
action, a combo box choice, a spin box value, a check box, a button, a click on the canvas, a step or
run key, a resize — followed by the event loop. :func:`run` returns what it saw: the number of actions
of each kind and the slowest action (a freeze shows there); exceptions and Qt warnings are left to
pytest-qt (the test module fails on both).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QInputDialog,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QToolButton,
)

from bpstudio.app.help import window_actions
from bpstudio.app.session import Selection

#: menu entries a monkey never chooses: they end the session or open the system's dialogs
SKIPPED = {"Quit", "About Qt", "Close Exercise"}
#: buttons a monkey never presses (their dialogs are answered anyway; these would end the window)
SKIPPED_BUTTONS = {"Close Exercise", "Stop Practising"}


def answer_everything(monkeypatch) -> None:
    """Every modal dialog answers at once: message boxes with their safe button, file dialogs with
    Cancel, our dialogs with Reject, menus with nothing chosen; nothing leaves the process."""
    reply = QMessageBox.StandardButton
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: reply.Discard)
    for name in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: reply.Ok)
    monkeypatch.setattr(QMessageBox, "about", lambda *a, **k: None)
    monkeypatch.setattr(QMessageBox, "exec", lambda self: int(reply.Cancel))
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, lambda *a, **k: ("", ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([], ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("", False))
    monkeypatch.setattr(QDialog, "exec", lambda self: int(QDialog.DialogCode.Rejected))
    monkeypatch.setattr(QMenu, "exec", lambda *a, **k: None)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda *a, **k: True)
    monkeypatch.setattr(QApplication, "aboutQt", lambda *a, **k: None)


@dataclass
class Report:
    actions: Counter = field(default_factory=Counter)
    slowest: float = 0.0
    slowest_action: str = ""
    running_share: float = 0.0
    #: which actions stopped a run, and what the monkey's own "keep training" found (for the failure text)
    stopped_by: Counter = field(default_factory=Counter)
    training: Counter = field(default_factory=Counter)
    ended: Counter = field(default_factory=Counter)


def _usable(widget) -> bool:
    return widget.isVisible() and widget.isEnabled() and widget.window() is not None


class Monkey:
    def __init__(self, window, seed: int, training: bool = True) -> None:
        """``training`` False: the monkey does not keep a run going (its clicks may still start one)."""
        self.window = window
        self.training = training
        self.rng = random.Random(seed)
        self.ended: Counter = Counter()
        self.last_end = ""  # why the last run ended ("cancelled", "target", "diverged", ...)
        end_run = window.session.end_run

        def counting_end_run(outcome, message):  # why runs end (for the failure text and keep_training)
            self.ended[f"{outcome.reason}: {message}"[:90]] += 1
            self.last_end = outcome.reason
            end_run(outcome, message)

        window.session.end_run = counting_end_run
        self.kinds = [
            (self.menu_action, 30),
            (self.combo, 15),
            (self.spin, 10),
            (self.check, 6),
            (self.button, 6),
            (self.canvas, 12),
            (self.key, 12),
            (self.resize, 2),
            (self.keep_training, 25),
        ]
        if not training:
            self.kinds = [(kind, weight) for kind, weight in self.kinds if kind != self.keep_training]

    # ------------------------------------------------------------------ actions
    def menu_action(self) -> str:
        actions = [
            a
            for a in window_actions(self.window)
            if a.isEnabled() and a.isVisible() and a.text().replace("&", "").rstrip("…") not in SKIPPED
        ]
        a: QAction = self.rng.choice(actions)
        a.trigger()
        return f"menu {a.text()!r}"

    def _widgets(self, cls):
        return [w for w in self.window.findChildren(cls) if _usable(w)]

    def combo(self) -> str:
        boxes = [b for b in self._widgets(QComboBox) if b.count()]
        if not boxes:
            return "combo (none)"
        box = self.rng.choice(boxes)
        box.setCurrentIndex(self.rng.randrange(box.count()))
        return f"combo {box.objectName() or type(box.parent()).__name__}"

    def spin(self) -> str:
        boxes = self._widgets(QAbstractSpinBox)
        if not boxes:
            return "spin (none)"
        box = self.rng.choice(boxes)
        if isinstance(box, QSpinBox):
            # counts (neurons, epochs, seeds …) up to 1000: the largest layers take seconds to lay out
            # (see the notes of issue 13), which is not what this test looks for
            lo, hi = box.minimum(), min(box.maximum(), max(box.minimum(), 1000))
            box.setValue(self.rng.choice([lo, hi, self.rng.randint(lo, hi)]))
        elif isinstance(box, QDoubleSpinBox):
            lo, hi = box.minimum(), box.maximum()
            box.setValue(self.rng.choice([lo, hi, (lo + hi) / 2, lo + (hi - lo) * self.rng.random()]))
        else:  # our number boxes: type text, as a student does
            box.lineEdit().setText(self.rng.choice(["0.1", "1e-3", "-5", "1e300", "abc", "", "0"]))
            box.editingFinished.emit()
        return f"spin {box.objectName() or type(box).__name__}"

    def check(self) -> str:
        boxes = self._widgets(QCheckBox)
        if not boxes:
            return "check (none)"
        box = self.rng.choice(boxes)
        box.click()
        return f"check {box.text()!r}"

    def button(self) -> str:
        buttons = [
            b
            for b in self._widgets(QAbstractButton)
            if not isinstance(b, QCheckBox)
            and b.text().replace("&", "") not in SKIPPED_BUTTONS
            and b.text()
            # a button with a menu pops it up in Qt's own modal loop (a real user picks an entry)
            and not (isinstance(b, QToolButton) and b.menu() is not None)
            and not (isinstance(b, QPushButton) and b.menu() is not None)
        ]
        if not buttons:
            return "button (none)"
        b = self.rng.choice(buttons)
        b.click()
        return f"button {b.text()!r}"

    def canvas(self) -> str:
        s = self.window.session
        sizes = s.network.sizes
        layer = self.rng.randrange(len(sizes))
        kind = self.rng.choice(["neuron", "neuron", "weight", "layer", "bias", "none"])
        if kind == "neuron":
            s.select(Selection("neuron", layer, self.rng.randrange(sizes[layer])))
        elif kind == "weight" and layer < len(sizes) - 1:
            s.select(
                Selection(
                    "edge", layer, self.rng.randrange(sizes[layer + 1]), self.rng.randrange(sizes[layer])
                )
            )
        elif kind == "bias" and layer < len(sizes) - 1:
            s.select(Selection("bias", layer, self.rng.randrange(sizes[layer + 1])))
        elif kind == "layer":
            s.select(Selection("layer", layer, 0))
        else:
            self.window.canvas.zoom_by(self.rng.choice([0.5, 0.8, 1.25, 2.0]))
        return f"canvas {kind}"

    def key(self) -> str:
        keys = [Qt.Key.Key_F6, Qt.Key.Key_F7, Qt.Key.Key_F8, Qt.Key.Key_F9, Qt.Key.Key_Space]
        key = self.rng.choice(keys)
        QTest.keyClick(self.window, key)
        return f"key {key.name}"

    def resize(self) -> str:
        w, h = self.rng.choice([(1024, 768), (800, 600), (1280, 800), (1600, 1000)])
        self.window.resize(w, h)
        return "resize"

    def keep_training(self) -> str:
        """Start a long run when none is going (the monkey plays while training runs). When the last
        run stopped at once for a reason the monkey set up itself (the loss already under "Stop at
        loss ≤", a learning rate that diverges on the first update), it first removes that reason, as a
        user would; otherwise it would spend the test in one-update runs."""
        ws = self.window.training
        if self.window.session.running:
            return "training (running)"
        if ws.actions["run"].isEnabled():
            what = "training (started)"
            panel = ws.settings_panel
            # a run that stopped at once for a reason the user set up: as a user would, remove the reason
            if self.last_end == "target" and panel.target_check.isChecked():
                panel.target_check.click()  # the loss already reached "Stop at loss ≤"
                what = "training (no target)"
            elif self.last_end == "diverged" and "lr" in panel.param_boxes:
                lr = panel.param_boxes["lr"]
                lr.setValue(max(lr.minimum(), lr.value() / 10))
                ws.actions["reset_weights"].trigger()
                what = "training (calmer)"
            self.last_end = ""
            panel.epochs_box.setValue(10_000_000)
            ws.actions["run"].trigger()
            return what
        close = self.window.findChild(QPushButton, "exerciseClose")
        if self.window.session.locked and close is not None and close.isEnabled():
            close.click()  # "Stop Practising" / "Close Exercise": as a user would, to train again
            return "training (unlock)"
        stack = self.window.session.undo_stack
        if self.window.session.trainer_problem and stack.canUndo():
            # the network no longer fits the data (e.g. an output neuron added): as a user would,
            # undo edits until it trains again, so that the monkey keeps playing while training runs
            stack.undo()
            return "training (undo)"
        return "training (cannot)"

    # ------------------------------------------------------------------ the run
    def run(self, n: int) -> Report:
        report = Report()
        kinds = [k for k, _w in self.kinds]
        weights = [w for _k, w in self.kinds]
        running = 0
        app = QApplication.instance()
        if self.training:
            self.keep_training()
        for _ in range(n):
            act = self.rng.choices(kinds, weights)[0]
            was_running = bool(self.window.session.running)
            start = time.perf_counter()
            what = act()
            app.processEvents()
            # as the application's event loop does: objects given deleteLater() go now (processEvents
            # alone, outside a running loop, would keep them and make memory look like it grows)
            app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            took = time.perf_counter() - start
            report.actions[what.split(" ")[0]] += 1
            if took > report.slowest:
                report.slowest, report.slowest_action = took, what
            running += bool(self.window.session.running)
            if was_running and not self.window.session.running:
                report.stopped_by[what] += 1
            if what.startswith("training"):
                report.training[what] += 1
        report.running_share = running / max(n, 1)
        report.ended = self.ended
        return report
