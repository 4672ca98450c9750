"""Train ▸ Gradient Check in the window (issue 15.4): the check runs in the background, fills a table
of every weight and bias, marks disagreements, can be cancelled, exported and is refused in an
exercise."""

from __future__ import annotations

import csv
import io

import pytest
from PySide6.QtCore import QPoint, Qt

from bpstudio import resources_dir
from bpstudio.app import ui_scale
from bpstudio.engine import gradcheck as gc
from tests.gui_helpers import answer_dialogs, shown_window


@pytest.fixture
def window(qtbot, monkeypatch):
    box = answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    w.box = box
    yield w
    if w.training.gradcheck_dialog is not None:
        w.training.gradcheck_dialog.reject()
    w.training.shutdown()
    ui_scale.apply(1.0)


def run_check(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.task.finished, timeout=30_000):
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)


def test_the_menu_opens_the_check_and_every_parameter_agrees(window, qtbot):
    action = window.training.actions["gradient_check"]
    assert action in window.menus["train"].actions() and action.shortcut().toString() == "Ctrl+Shift+G"
    qtbot.keyClick(
        window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    dialog = window.training.gradcheck_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.samples.value() == 4 and dialog.samples.maximum() == 4  # XOR: four samples
    run_check(qtbot, dialog)
    assert dialog.model.rowCount() == 9 and not any(dialog.model.flagged)
    assert dialog.model.rows[0][0] == "w₁₁⁽¹⁾" and dialog.model.rows[-1][0] == "b₁⁽³⁾"
    assert dialog.summary.text().startswith("All 9 parameters on 4 samples agree")
    assert dialog.check_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_a_disagreement_is_marked_filtered_and_exported(window, qtbot, monkeypatch, tmp_path):
    real = gc.analytic_gradients

    def wrong(*args):
        grads = real(*args)
        grads[2][0, 0] *= 1.5  # w₁₁⁽²⁾
        return grads

    monkeypatch.setattr(gc, "analytic_gradients", wrong)
    dialog = window.training.gradient_check()
    dialog.samples.setValue(2)
    run_check(qtbot, dialog)
    assert dialog.summary.text().startswith("1 of 9 parameters on 2 samples disagree")
    flagged_row = dialog.model.flagged.index(True)
    assert dialog.model.rows[flagged_row][0] == "w₁₁⁽²⁾" and dialog.model.rows[flagged_row][-1] == "no"
    background = dialog.model.data(dialog.model.index(flagged_row, 0), Qt.ItemDataRole.BackgroundRole)
    assert background is not None
    box = dialog.only_box  # (a click on its box, at the left: the widget is as wide as the dialog)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked()
    assert dialog.proxy.rowCount() == 1
    out = tmp_path / "check.csv"
    window.box.files.append(out)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 9 and [r["parameter"] for r in rows if r["agree"] == "no"] == ["w₁₁⁽²⁾"]
    assert "Wrote" in dialog.summary.text()
    # the picture: the summary and the one row shown (SVG by the file name, PNG otherwise)
    assert dialog.export_image(str(tmp_path / "check.svg"))
    svg = (tmp_path / "check.svg").read_text(encoding="utf-8")
    assert "<svg" in svg[:2000]
    window.box.files.append(tmp_path / "check")
    qtbot.mouseClick(dialog.image_button, Qt.MouseButton.LeftButton)
    from PySide6.QtGui import QImage

    image = QImage(str(tmp_path / "check.png"))
    assert image.width() >= 800 and image.height() > 50
    doc = dialog._document().toPlainText()
    assert "w₁₁⁽²⁾" in doc and "b₁⁽³⁾" not in doc  # only the rows the table shows


def test_bad_settings_are_said_and_nothing_runs(window, qtbot):
    dialog = window.training.gradient_check()
    dialog.h_edit.setText("zero")
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert not dialog.task.running and "step h must be a positive number" in dialog.summary.text()
    dialog.h_edit.setText("1e-6")
    dialog.tol_edit.setText("-3")
    assert not dialog.start() and "tolerance must be a positive number" in dialog.summary.text()


def test_a_large_check_shows_progress_and_can_be_cancelled(window, qtbot):
    window.session.open(resources_dir() / "examples" / "digits.bps.json")
    dialog = window.training.gradient_check()
    dialog.samples.setValue(dialog.samples.maximum())  # every sample: thousands of parameters, slow
    progress = []
    dialog.task.partial.connect(lambda p: progress.append(p))
    with qtbot.waitSignal(dialog.task.finished, timeout=60_000) as blocker:
        assert dialog.start()
        qtbot.waitUntil(lambda: len(progress) >= 2, timeout=30_000)
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert not report.complete and 0 < len(report.rows) < progress[0][1]
    assert dialog.summary.text().startswith("Stopped after")
    assert progress[0][0] == 0 and dialog.progress.isHidden()


def test_an_exercise_locks_the_check(window, qtbot):
    dialog = window.training.gradient_check()
    window.teaching.open_file(resources_dir() / "exercises" / "xor-backprop-221.bpx.json")
    action = window.training.actions["gradient_check"]
    assert not action.isEnabled() and "Unavailable now" in action.toolTip()
    assert not dialog.isVisible()
