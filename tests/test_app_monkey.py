"""A seeded random-use test of the window while training runs (issue 13.15).

Thousands of random actions — menu and toolbar actions, combo boxes, spin boxes (with hostile text),
check boxes, buttons, canvas selections and zoom, step and run keys, resizes — with every dialog
answered at once and a long run started whenever none is going. The test fails on any exception in
the window (pytest-qt), any Qt warning, any Python RuntimeWarning (NumPy's, e.g. a plot given only NaN),
or an action that keeps the window busy for over 2 s.
A longer soak is ``python benchmarks/soak.py`` (figures in docs/benchmarks.md).
"""

from __future__ import annotations

import pytest

from bpstudio.app import ui_scale
from bpstudio.app.main_window import MainWindow
from tests.monkey import Monkey, answer_everything

ACTIONS = 1500
FREEZE_SECONDS = 2.0


@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.qt_log_ignore("This plugin does not support")  # the offscreen platform's own notes
@pytest.mark.parametrize("seed", [1, 2])
def test_random_use_while_training_never_fails(qtbot, monkeypatch, seed, recwarn):
    answer_everything(monkeypatch)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    try:
        report = Monkey(w, seed).run(ACTIONS)
    finally:
        w.training.shutdown()
        w.presentation.set_active(False)
        ui_scale.apply(1.0)
    assert report.slowest < FREEZE_SECONDS, (report.slowest, report.slowest_action)
    runtime = [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert not {f"{w.filename}:{w.lineno}: {w.message}" for w in runtime}
    # the monkey really used the window, most of the time with training running
    assert report.actions["menu"] > ACTIONS // 5 and report.actions["combo"] > ACTIONS // 20
    assert report.running_share > 0.3, (
        report.running_share,
        report.training,
        report.stopped_by,
        report.ended,
    )
