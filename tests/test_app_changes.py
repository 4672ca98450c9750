"""One notification per operation: a step, an edit or Undo Step rebuilds each view once."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from bpstudio.app.changes import Change
from bpstudio.app.main_window import MainWindow
from bpstudio.app.session import Selection


@pytest.fixture
def window(qtbot, monkeypatch):
    # closing the window at the end of the test discards the changed project
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    dock = w.teaching.walkthrough_dock
    dock.show()
    dock.raise_()
    QApplication.processEvents()
    assert w.teaching.panel.isVisible()
    return w


def count_calls(monkeypatch, obj, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(obj, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(obj, name, counted)
    return calls


def views(window, monkeypatch) -> dict[str, list[int]]:
    return {
        "table": count_calls(monkeypatch, window.training.table_panel, "refresh"),
        "inspector": count_calls(monkeypatch, window.inspector, "refresh"),
        "canvas": count_calls(monkeypatch, window.canvas.network_scene, "refresh"),
        "walkthrough": count_calls(monkeypatch, window.teaching.panel, "refresh"),
    }


def notifications(session) -> list[Change]:
    seen: list[Change] = []
    session.changed.connect(seen.append)
    return seen


def settle() -> None:
    for _ in range(3):  # the canvas refreshes on the next turn of the event loop
        QApplication.processEvents()


@pytest.mark.parametrize("action", ["step_batch", "step_sample", "micro_step", "undo_step", "edit"])
def test_an_operation_notifies_once_and_each_view_rebuilds_once(window, monkeypatch, action):
    s = window.session
    s.select(Selection("neuron", 1, 0))
    if action == "undo_step":
        s.step_batch()
    settle()
    seen = notifications(s)
    calls = views(window, monkeypatch)
    if action == "edit":
        assert s.edit_network("Set a weight", lambda n: n.weights[0].__setitem__((0, 0), 0.5))
    else:
        getattr(s, action)()
    settle()
    assert len(seen) == 1
    assert seen[0] & Change.VALUES if action != "micro_step" else seen[0] & Change.TRACE
    assert {k: len(v) for k, v in calls.items()} == {k: 1 for k in calls}


def test_a_step_says_what_changed_and_the_stage_is_read_from_the_session(window):
    s = window.session
    seen = notifications(s)
    s.micro_step()
    assert seen == [Change.TRACE | Change.STAGE] and s.stage == "forward 1"
    s.step_batch()  # finishes the step
    assert seen[-1] == Change.VALUES | Change.HISTORY | Change.TRACE | Change.STAGE and s.stage == ""
    s.set_locked("An exercise")
    assert seen[-1] == Change.LOCKED and s.presenter().trace is None
