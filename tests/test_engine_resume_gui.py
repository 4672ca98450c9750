"""Save and reopen in the window: training continues exactly as if the project had never been closed.

Driven as a user would: F9 (Step Epoch), F7 (Step Sample), F8 (Step Batch), Ctrl+S, File ▸ Open, Undo Step
(Ctrl+Backspace), and background runs; every number is compared with an uninterrupted headless run.
"""

from __future__ import annotations

import pytest
from gui_helpers import answer_dialogs
from PySide6.QtCore import Qt
from test_engine_resume import make_project, state_of

from bpstudio.app.main_window import MainWindow
from bpstudio.app.session import Session
from bpstudio.app.training.runner import TrainingRunner
from bpstudio.engine import Trainer
from bpstudio.formats import load_project, save_project
from bpstudio.workspace import trainer_for

TIMEOUT = 30_000
F7, F8, F9 = Qt.Key.Key_F7, Qt.Key.Key_F8, Qt.Key.Key_F9


@pytest.fixture
def answers(monkeypatch):
    return answer_dialogs(monkeypatch)


@pytest.fixture
def window(qtbot, answers):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def press(qtbot, window, key, times: int = 1, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    for _ in range(times):
        qtbot.keyClick(window.canvas, key, modifier)


def open_file(window, answers, path) -> None:
    answers.files.append(path)
    window.actions["open"].trigger()
    assert window.session.path is not None and window.session.path.name == path.name


def headless(mode: str, steps) -> Trainer:
    trainer, _ = trainer_for(make_project(mode))
    for what, n in steps:
        for _ in range(n):
            getattr(trainer, what)()
    return trainer


@pytest.mark.parametrize("mode", ["online", "minibatch"])
def test_step_save_reopen_and_step_on_in_the_window(qtbot, window, answers, tmp_path, mode):
    path = tmp_path / "course.bps.json"
    save_project(path, make_project(mode))
    open_file(window, answers, path)
    s = window.session
    press(qtbot, window, F9, 2)
    press(qtbot, window, F7, 3)
    assert (s.trainer.epoch, s.trainer.cursor) == (2, 3)
    press(qtbot, window, Qt.Key.Key_S, modifier=Qt.KeyboardModifier.ControlModifier)
    assert not window.isWindowModified()
    assert load_project(path).progress.position == 3

    window.actions["new"].trigger()
    open_file(window, answers, path)
    assert (s.trainer.epoch, s.trainer.cursor) == (2, 3)
    press(qtbot, window, F7, 2)
    press(qtbot, window, F8)
    press(qtbot, window, F9, 2)
    straight = headless(mode, [("step_epoch", 2), ("step_sample", 5), ("step_batch", 1), ("step_epoch", 2)])
    assert state_of(s.trainer) == state_of(straight)
    assert answers.warnings == []


def test_undo_step_after_reopening_in_the_window(qtbot, window, answers, tmp_path):
    path = tmp_path / "u.bps.json"
    save_project(path, make_project("minibatch"))
    open_file(window, answers, path)
    press(qtbot, window, F9)
    press(qtbot, window, F7)
    press(qtbot, window, Qt.Key.Key_S, modifier=Qt.KeyboardModifier.ControlModifier)
    window.actions["new"].trigger()
    open_file(window, answers, path)
    s = window.session
    opened = state_of(s.trainer)
    press(qtbot, window, F7, 5)  # finishes the begun batch and starts the next one
    assert s.trainer.cursor == 6
    press(qtbot, window, Qt.Key.Key_Backspace, 5, Qt.KeyboardModifier.ControlModifier)
    assert state_of(s.trainer) == opened
    press(qtbot, window, F9)
    straight = headless("minibatch", [("step_epoch", 1), ("step_sample", 1), ("step_epoch", 1)])
    assert state_of(s.trainer) == state_of(straight)


def test_background_runs_before_and_after_reopening_match_a_headless_run(qtbot, tmp_path):
    path = tmp_path / "run.bps.json"
    save_project(path, make_project("minibatch"))
    session = Session(load_project(path))
    session.path = path
    runner = TrainingRunner(session)
    try:
        with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
            assert runner.start(epochs=3)
        session.step_sample()
        session.step_sample()
        session.save()
    finally:
        runner.stop(wait=True)

    again = Session()
    again.open(path)
    runner = TrainingRunner(again)
    try:
        assert (again.trainer.epoch, again.trainer.cursor) == (3, 2)
        with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
            assert runner.start(epochs=2)  # the begun epoch and one more
        assert blocker.args[0].reason == "epochs"
    finally:
        runner.stop(wait=True)
    straight = headless("minibatch", [("step_epoch", 3), ("step_sample", 2), ("step_epoch", 2)])
    assert state_of(again.trainer) == state_of(straight)


def test_a_project_saved_while_paused_mid_epoch_continues_like_the_session(qtbot, tmp_path):
    path = tmp_path / "paused.bps.json"
    project = make_project("online", n=400)
    save_project(path, project)
    session = Session(load_project(path))
    session.path = path
    runner = TrainingRunner(session)
    runner.set_speed(1000.0)  # traced steps: the pause lands inside an epoch
    try:
        with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
            assert runner.start(epochs=1000)
        with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
            runner.pause()
    finally:
        runner.stop(wait=True)
    tr = session.trainer
    assert 0 < tr.step_count
    session.save()
    reopened, _ = trainer_for(load_project(path), tmp_path)
    assert state_of(reopened) == state_of(tr)
    for t in (tr, reopened):
        t.step_sample()
        t.run(epochs=2)
    assert state_of(reopened) == state_of(tr)
