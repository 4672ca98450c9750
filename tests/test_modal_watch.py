"""The test run's guard against unanswered dialogs (tests/gui_helpers.py, ModalWatch): a modal dialog
nobody answers is closed and fails its test, instead of hanging the whole run."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


def test_a_dialog_nobody_answers_is_rejected_and_reported(qtbot, _no_unanswered_dialogs):
    watch = _no_unanswered_dialogs
    assert watch is not None  # Qt runs in this test, so the guard does
    watch.limit = 0.2
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, "Save?", "Save the training?", buttons.Save | buttons.Cancel)
    answer = box.exec()  # nobody answers: without the guard this never returns
    assert answer == buttons.Cancel and not box.isVisible()
    assert watch.left_open == ["QMessageBox 'Save?' 'Save the training?'"]
    watch.left_open.clear()  # this test opened it on purpose: no failure at teardown


def test_answered_dialogs_are_left_alone(qtbot, _no_unanswered_dialogs):
    from tests.gui_helpers import when_modal

    watch = _no_unanswered_dialogs
    box = QMessageBox(QMessageBox.Icon.Information, "Done", "Trained 3 epochs.")
    box.setObjectName("done")
    timer = when_modal("done", lambda d: d.accept())
    box.exec()
    timer.stop()
    watch.check()
    assert watch.left_open == []
