"""Docks behind another tab are built when first shown (start-up, issue 18.4), and show then exactly
what they would have shown had they existed all along."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import answer_dialogs
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QTabBar

from bpstudio.app.lazy_panel import Placeholder
from bpstudio.app.main_window import MainWindow
from bpstudio.app.plots.grads import GradientPlotPanel
from bpstudio.app.training.compare_panel import CompareRunsPanel

LAZY = ("boundaryDock", "gradientsDock", "landscapeDock", "compareRunsDock")


@pytest.fixture
def window(qtbot, monkeypatch):
    answer_dialogs(monkeypatch)  # closing with unsaved training asks whether to save
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def _inner(dock):
    area = dock.widget()
    return area.widget() if hasattr(area, "widget") else area


def _tab(window, title):
    for bar in window.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.tabText(i) == title:
                return bar, i
    raise AssertionError(f"no tab {title!r}")


def test_hidden_docks_start_empty_and_build_when_their_tab_is_chosen(window, qtbot):
    hidden = [n for n in LAZY if window.docks[n].visibleRegion().isEmpty()]
    assert "gradientsDock" in hidden and "compareRunsDock" in hidden
    for name in hidden:
        assert isinstance(_inner(window.docks[name]), Placeholder), name
    s = window.session
    for _ in range(3):
        s.step_epoch()  # trained while the Gradients panel does not exist
    bar, i = _tab(window, "Gradients and Weights")
    bar.setCurrentIndex(i)  # the user clicks the tab
    qtbot.waitUntil(lambda: isinstance(_inner(window.docks["gradientsDock"]), GradientPlotPanel))
    panel = window.training.gradient_panel
    assert _inner(window.docks["gradientsDock"]) is panel  # built once, the same panel
    x, y = panel.norm_curves[0].getData()
    assert x is not None and len(x) == s.trainer.step_count  # every update since the start
    if panel.log_box.isChecked():  # a log axis holds log₁₀ of the values
        y = 10.0**y
    np.testing.assert_allclose(y[-1], s.trainer.history.grad_norms[-1][0])


def test_asking_for_a_panel_builds_it_and_closing_an_unbuilt_one_is_fine(window, qtbot):
    assert isinstance(_inner(window.docks["compareRunsDock"]), Placeholder)
    window.session.undo_stack.setClean()
    window._compare_runs.when_built(lambda p: seen.append(p))
    seen: list = []
    panel = window.compare_runs
    assert isinstance(panel, CompareRunsPanel) and seen == [panel]
    assert window.compare_runs is panel
    landscape = window.training.landscape_panel
    landscape.task.cancel()
    window.close()  # the close hooks of built and unbuilt panels run


def test_the_compare_runs_action_shows_and_builds_the_panel(window, qtbot):
    action = window.findChild(QAction, "action_compare_runs")
    action.trigger()  # Train ▸ Compare Runs…
    qtbot.waitUntil(lambda: isinstance(_inner(window.docks["compareRunsDock"]), CompareRunsPanel))
    assert not window.docks["compareRunsDock"].visibleRegion().isEmpty()
