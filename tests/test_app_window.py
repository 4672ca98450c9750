"""The studio window driven as a user would: menus, shortcuts, dialogs answered by the test.

The main scenario builds a 3-4-2 network from scratch on the canvas, edits a weight, undoes and
redoes, removes a connection, saves, reopens and compares every number.
"""

from __future__ import annotations

import html
import json
import sys

import numpy as np
import pytest
from gui_helpers import answer_dialogs, when_modal
from PySide6.QtCore import QPoint, QSize, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabBar,
)

from bpstudio.app.canvas.scene import Hit
from bpstudio.app.main_window import MainWindow
from bpstudio.app.screen_fit import ReadableDockTabs, arrange_panels
from bpstudio.app.settings import AppSettings
from bpstudio.formats import load_weights
from bpstudio.workspace import list_examples, load_example


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


def menu_action(window, menu: str, text: str):
    """The action ``text`` of menu ``menu`` in the menu bar (as the user reads them, without &)."""
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu:
            for a in top.menu().actions():
                if a.text().replace("&", "").rstrip("…") == text.rstrip("…"):
                    assert a.isEnabled() and a.isVisible(), f"{menu} ▸ {text} is disabled"
                    return a
            raise AssertionError(f"no {text!r} in {menu}: {[a.text() for a in top.menu().actions()]}")
    raise AssertionError(f"no menu {menu!r}")


def set_layer(qtbot, size: int):
    def act(dlg):
        box = dlg.size_box
        box.selectAll()
        qtbot.keyClicks(box, str(size))
        qtbot.keyClick(box, Qt.Key.Key_Return)

    return act


def right_click_choose(qtbot, window, scene_point, item_text: str):
    """Right-click a point of the canvas and click ``item_text`` in the menu that pops up."""
    timer = QTimer()

    def poll():
        popup = QApplication.activePopupWidget()
        if popup is None:
            return
        timer.stop()
        for a in popup.actions():
            if a.text().replace("&", "").rstrip("…") == item_text:
                qtbot.mouseClick(popup, Qt.MouseButton.LeftButton, pos=popup.actionGeometry(a).center())
                return
        popup.close()

    timer.timeout.connect(poll)
    timer.start(10)
    vp = window.canvas.viewport()
    pos: QPoint = window.canvas.mapFromScene(scene_point)
    qtbot.mouseClick(vp, Qt.MouseButton.RightButton, pos=pos)
    QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, vp.mapToGlobal(pos)))
    timer.stop()


def test_opens_on_the_xor_example_with_panels_menus_and_title(window):
    s = window.session
    assert s.network.sizes == [2, 2, 1] and s.network.activations == ["sigmoid", "sigmoid"]
    assert window.centralWidget() is window.canvas
    assert "XOR" in window.windowTitle() and "Backprop Studio" in window.windowTitle()
    assert not window.isWindowModified()
    titles = [a.text().replace("&", "") for a in window.menuBar().actions() if a.isVisible()]
    assert titles[:5] == ["File", "Edit", "View", "Network", "Help"] or titles[:4] == [
        "File",
        "Edit",
        "View",
        "Network",
    ]
    assert "inspectorDock" in window.docks and window.docks["inspectorDock"].isVisible()
    # the Train menu and toolbar exist for the training workspace; empty ones are not shown
    assert "train" in window.menus and "train" in window.toolbars
    if not any(not a.isSeparator() for a in window.menus["train"].actions()):
        assert not window.menus["train"].menuAction().isVisible()
        assert not window.toolbars["train"].isVisible()
    assert window.actions["undo"].shortcut().toString() == "Ctrl+Z"
    assert window.actions["save"].shortcut().toString() == "Ctrl+S"


def test_add_dock_extension_point_and_train_menu_appears_when_filled(qtbot, window):
    panel = QLabel("plots")
    dock = window.add_dock(panel, "Plots", Qt.DockWidgetArea.BottomDockWidgetArea, "plotsDock")
    assert isinstance(dock, QDockWidget) and dock.objectName() == "plotsDock"
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert dock.toggleViewAction() in window.menus["panels"].actions()
    window.menus["train"].addAction("Step")
    window.toolbars["train"].addAction("Step")
    qtbot.waitUntil(
        lambda: window.menus["train"].menuAction().isVisible() and window.toolbars["train"].isVisible()
    )


def test_the_window_composes_its_rooms(qtbot, answers):
    """The window builds its parts itself: the training room and the teaching room, with their docks."""
    from bpstudio.app.training.room import TrainingRoom
    from bpstudio.app.walkthrough.room import TeachingRoom

    w = MainWindow()
    qtbot.addWidget(w)
    assert isinstance(w.training, TrainingRoom) and isinstance(w.teaching, TeachingRoom)
    for name in ("trainingSettingsDock", "datasetDock", "traceTableDock", "walkthroughDock", "exerciseDock"):
        assert name in w.docks
    w.show()
    qtbot.waitExposed(w)
    assert w.tabifiedDockWidgets(w.training.docks["table"]) == [
        w.teaching.walkthrough_dock,
        w.docks["chainRuleDock"],
    ]


def test_build_3_4_2_from_scratch_edit_undo_remove_save_reopen(qtbot, window, answers, tmp_path):
    s = window.session
    scene = window.canvas.network_scene
    menu_action(window, "File", "New").trigger()
    assert s.network.sizes == [2, 1] and "Untitled" in window.windowTitle()

    # input layer: 3 neurons (right-click an input neuron ▸ Layer Size and Activation…)
    t = when_modal("layerDialog", set_layer(qtbot, 3))
    right_click_choose(qtbot, window, scene.neuron_centre(0, 0), "Layer Size and Activation")
    t.stop()
    assert s.network.sizes == [3, 1]
    # output layer: 2 neurons
    t = when_modal("layerDialog", set_layer(qtbot, 2))
    right_click_choose(qtbot, window, scene.neuron_centre(1, 0), "Layer Size and Activation")
    t.stop()
    assert s.network.sizes == [3, 2]
    # a hidden layer before the output, then 4 neurons by double-clicking its title
    right_click_choose(qtbot, window, scene.neuron_centre(1, 0), "Add Layer Before")
    assert s.network.sizes == [3, 2, 2]
    header = scene.layer_items[1]._header_rect.center()
    t = when_modal("layerDialog", set_layer(qtbot, 4))
    qtbot.mouseDClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=window.canvas.mapFromScene(header)
    )
    t.stop()
    assert s.network.sizes == [3, 4, 2] and s.network.activations == ["sigmoid", "sigmoid"]
    assert window.isWindowModified()

    # edit w₂₃⁽¹⁾ by double-clicking the connection
    def type_weight(dlg):
        dlg.edit.clear()
        qtbot.keyClicks(dlg.edit, "0.625")
        qtbot.keyClick(dlg.edit, Qt.Key.Key_Return)

    t = when_modal("valueDialog", type_weight)
    scene.flush()
    p = scene.label_rect(Hit("edge", 0, 1, 2)).center()  # the weight's label sits on its connection
    qtbot.mouseDClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=window.canvas.mapFromScene(p))
    t.stop()
    assert s.network.weights[0][1, 2] == 0.625
    # undo / redo with the keyboard (the window manager gives focus back after the dialog)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert s.network.weights[0][1, 2] != 0.625
    qtbot.keyClick(
        window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert s.network.weights[0][1, 2] == 0.625
    # remove a connection: click it, press Delete
    scene.flush()
    q = scene.label_rect(Hit("edge", 1, 0, 3)).center()
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=window.canvas.mapFromScene(q))
    assert s.selection.kind == "edge" and (s.selection.layer, s.selection.index, s.selection.frm) == (1, 0, 3)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert not s.network.connection_present(1, 0, 3) and s.network.weights[1][0, 3] == 0.0

    # save (Ctrl+S asks for a name: an untitled project)
    path = tmp_path / "mine"
    answers.files.append(path)
    qtbot.keyClick(window.canvas, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved = tmp_path / "mine.bps.json"
    assert saved.is_file() and s.path == saved
    assert not window.isWindowModified() and "mine.bps.json" in window.windowTitle()
    before = s.network.copy()

    # reopen through File ▸ Open and compare every number
    menu_action(window, "File", "New").trigger()
    assert s.network.sizes == [2, 1]
    answers.files.append(saved)
    menu_action(window, "File", "Open…").trigger()
    after = s.network
    assert after.sizes == before.sizes == [3, 4, 2] and after.activations == before.activations
    for a, b in zip(after.weights + after.biases, before.weights + before.biases):
        np.testing.assert_array_equal(a, b)
    assert after.masks[0] is None and after.masks[1] is not None
    np.testing.assert_array_equal(after.masks[1], before.masks[1])
    assert after.weights[0][1, 2] == 0.625
    assert str(saved.resolve()) in window.settings.recent_files()
    assert answers.warnings == []


def test_open_each_example_from_the_dialog(qtbot, window, answers):
    examples = list_examples()
    assert {"xor", "xnor-step", "single-neuron"} <= {k for k, _ in examples}
    for row, (key, _path) in enumerate(examples):
        project = load_example(key)

        def pick(dlg, row=row, project=project):
            dlg.list.setCurrentRow(row)
            assert dlg.list.currentItem().text() == project.name
            assert html.escape(project.description[:30]) in dlg.text.text()  # its description is shown
            ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Open)
            qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

        t = when_modal("exampleDialog", pick)
        menu_action(window, "File", "Open Example…").trigger()
        t.stop()
        expected = load_example(key)
        assert window.session.network.sizes == expected.network.sizes, key
        assert "(example)" in window.windowTitle()
        window.canvas.network_scene.flush()
        assert len(window.canvas.network_scene.layer_items) == len(expected.network.sizes)
    assert answers.warnings == []


def test_unsaved_changes_prompt_on_close_and_new(qtbot, window, answers):
    window.session.edit_network("change", lambda n: n.biases[0].__setitem__(0, 9.0))
    assert window.isWindowModified()
    answers.question = QMessageBox.StandardButton.Cancel
    menu_action(window, "File", "New").trigger()
    assert window.session.network.biases[0][0] == 9.0  # kept: the user cancelled
    window.close()
    assert window.isVisible()
    answers.question = QMessageBox.StandardButton.Discard
    window.close()
    assert not window.isVisible()


def test_export_and_import_weights(qtbot, window, answers, tmp_path):
    target = tmp_path / "w"
    answers.files.append(target)
    menu_action(window, "File", "Export Weights…").trigger()
    net = load_weights(tmp_path / "w.weights.json")
    np.testing.assert_array_equal(net.weights[0], window.session.network.weights[0])
    data = json.loads((tmp_path / "w.weights.json").read_text())
    data["network"]["weights"][1][0][0] = 2.5
    (tmp_path / "edited.json").write_text(json.dumps(data))
    answers.files.append(tmp_path / "edited.json")
    menu_action(window, "File", "Import Weights…").trigger()
    assert window.session.network.weights[1][0, 0] == 2.5
    window.actions["undo"].trigger()
    assert window.session.network.weights[1][0, 0] == 0.11
    answers.files.append(tmp_path / "missing.json")
    menu_action(window, "File", "Import Weights…").trigger()
    assert answers.warnings and "no such file" in answers.warnings[-1][1]


def test_export_canvas_menu_writes_png_and_svg(qtbot, window, answers, tmp_path):
    answers.files.append(tmp_path / "picture")
    menu_action(window, "File", "Export Canvas as PNG…").trigger()
    answers.files.append(tmp_path / "drawing.svg")
    menu_action(window, "File", "Export Canvas as SVG…").trigger()
    assert (tmp_path / "picture.png").stat().st_size > 1000
    assert b"<svg" in (tmp_path / "drawing.svg").read_bytes()


def test_preferences_apply_to_the_project_and_persist(qtbot, window):
    def choose(dlg):
        dlg.boxes["notation"].setCurrentIndex(dlg.boxes["notation"].findData("error_signal"))
        dlg.boxes["names"].setCurrentIndex(dlg.boxes["names"].findData("notes"))
        dlg.precision.setValue(5)
        dlg.accept()

    t = when_modal("preferencesDialog", choose)
    menu_action(window, "Edit", "Preferences…").trigger()
    t.stop()
    s = window.session
    assert s.notation == "error_signal" and s.view_option("precision") == 5
    assert window.canvas.network_scene.layer_items[0].names == ["x₁", "x₂"]
    fresh = AppSettings()
    assert fresh.view_default("notation") == "error_signal" and fresh.view_default("precision") == 5
    # a project opened later gets the new defaults where it does not set them
    assert window.documents.prepare(load_example("xor")).view["names"] == "notes"


def test_recent_files_menu(qtbot, window, answers, tmp_path):
    path = tmp_path / "r.bps.json"
    answers.files.append(path)
    menu_action(window, "File", "Save As…").trigger()
    window.fill_recent_menu()
    items = [a for a in window.menus["recent"].actions() if a.data()]
    assert items and items[0].data() == str(path.resolve())
    menu_action(window, "File", "New").trigger()
    items[0].trigger()
    assert window.session.path == path.resolve() or window.session.path == path


def test_window_layout_persists_between_runs(qtbot, answers, monkeypatch):
    monkeypatch.setenv("BPSTUDIO_NO_RESTORE", "0")
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    dock = w.docks["inspectorDock"]
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)  # the user drags the inspector left
    w.toolbars["network"].hide()
    w.close()
    assert w.settings.window_state()[1] is not None
    w2 = MainWindow()
    qtbot.addWidget(w2)
    w2.show()
    assert w2.dockWidgetArea(w2.docks["inspectorDock"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert not w2.toolbars["network"].isVisible()
    monkeypatch.setenv("BPSTUDIO_NO_RESTORE", "1")  # tests and first runs: the default layout
    w3 = MainWindow()
    qtbot.addWidget(w3)
    assert w3.dockWidgetArea(w3.docks["inspectorDock"]) == Qt.DockWidgetArea.RightDockWidgetArea


def test_bad_project_file_reports_and_keeps_the_open_project(qtbot, window, answers, tmp_path):
    bad = tmp_path / "bad.bps.json"
    bad.write_text("{not json")
    answers.files.append(bad)
    menu_action(window, "File", "Open…").trigger()
    assert answers.warnings and "not valid JSON" in answers.warnings[0][1]
    assert window.session.network.sizes == [2, 2, 1]


def test_command_line_refuses_a_bad_project_before_opening_a_window(tmp_path, capsys):
    from bpstudio.cli import main

    bad = tmp_path / "x.bps.json"
    bad.write_text("[]")
    assert main([str(bad)]) == 2
    assert "x.bps.json" in capsys.readouterr().err


def test_launch_paints_the_window_and_quits_when_asked(tmp_path):
    import os
    import subprocess

    env = dict(os.environ, BPSTUDIO_QUIT_AFTER_PAINT="1", QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-m", "bpstudio"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("first-paint ")
    assert float(out.stdout.split()[1]) > 0


def test_a_project_with_bad_view_options_opens_with_defaults_and_says_so_once(qtbot, window, tmp_path):
    """precision 1e300 or "x" and bias_style {} once broke the canvas; now they are left out on load."""
    path = tmp_path / "bad-view.bps.json"
    doc = json.loads((list_examples()[0][1]).read_text())
    doc["view"] = {"precision": 1e300, "bias_style": {}, "names": "notes"}
    path.write_text(json.dumps(doc))
    messages = []
    window.session.statusMessage.connect(messages.append)
    window.documents.open_path(str(path))
    s = window.session
    assert s.path == path and s.project.view.value("names") == "notes"
    assert s.project.view.precision == 3 and s.project.view.bias_style == "value"
    notes = [m for m in messages if "the default is used" in m]
    assert notes == [
        "view.precision: 1e+300 is not a whole number from 0 to 12; the default is used (and 1 more)"
    ]
    assert window.canvas.network_scene.items()  # the canvas is built
    window.session.set_view_option("precision", "x")  # a bad value from code is refused, not stored
    assert s.project.view.precision == 3


def test_panel_tabs_keep_their_whole_names_in_a_narrow_column(qtbot, window):
    """Qt shortens every tab of stacked panels until all fit: in the 1024×768 layout "Loss" and
    "Loss Landscape" both read "Lo…". The window's panel tabs keep their names and scroll instead."""
    window.resize(1024, 768)
    arrange_panels(window, True, QSize(1024, 768))

    def plot_tabs() -> QTabBar:
        bars = [
            b
            for b in window.findChildren(QTabBar)
            if b.parent() is window and "Loss Landscape" in [b.tabText(i) for i in range(b.count())]
        ]
        assert len(bars) == 1
        return bars[0]

    bar = plot_tabs()
    qtbot.waitUntil(lambda: bar.isVisible())
    texts = [bar.tabText(i) for i in range(bar.count())]
    assert {"Loss", "Decision Boundary", "Loss Landscape", "Compare Runs"} <= set(texts)
    fm = bar.fontMetrics()
    assert sum(fm.horizontalAdvance(t) for t in texts) > bar.width()  # too many for the column
    for i, text in enumerate(texts):
        assert bar.tabRect(i).width() >= fm.horizontalAdvance(text), text
    # the last tab is reachable: chosen, it is scrolled into the bar whole
    last = bar.count() - 1
    bar.setCurrentIndex(last)
    qtbot.waitUntil(lambda: bar.rect().contains(bar.tabRect(last)))


def test_tab_bars_made_later_keep_whole_names_too(qtbot):
    """The window makes a tab bar whenever panels are first stacked somewhere new (a user dragging
    one onto another); each is set up as it arrives."""
    w = QMainWindow()
    qtbot.addWidget(w)
    w.setCentralWidget(QLabel("canvas"))
    docks = []
    for title in ("Loss", "Decision Boundary", "Loss Landscape"):
        dock = QDockWidget(title, w)
        dock.setWidget(QLabel(title))
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        docks.append(dock)
    ReadableDockTabs(w)
    w.resize(400, 300)
    w.show()
    qtbot.waitExposed(w)
    assert not [b for b in w.findChildren(QTabBar) if b.isVisible()]  # nothing stacked yet
    w.tabifyDockWidget(docks[0], docks[1])
    w.tabifyDockWidget(docks[0], docks[2])
    qtbot.waitUntil(lambda: any(b.isVisible() for b in w.findChildren(QTabBar)))
    (bar,) = [b for b in w.findChildren(QTabBar) if b.isVisible()]
    assert bar.elideMode() == Qt.TextElideMode.ElideNone and bar.usesScrollButtons()
    assert [bar.tabText(i) for i in range(bar.count())] == ["Loss", "Decision Boundary", "Loss Landscape"]


def test_a_layer_too_large_for_the_window_is_refused_with_a_message(qtbot, window, answers):
    """Layers of 4,096 neurons each are allowed, but two of them joined (16.8 million weights) froze
    the window for a quarter of a minute and took gigabytes: the edit is refused and says why."""
    s = window.session
    t = when_modal("layerDialog", set_layer(qtbot, 4096))
    window.editor.layer_properties(1)  # the hidden layer: 4,096 neurons (2-4096-1 is allowed)
    t.stop()
    assert s.network.sizes == [2, 4096, 1] and not answers.warnings
    t = when_modal("layerDialog", set_layer(qtbot, 4096))
    window.editor.layer_properties(0)  # and 4,096 inputs: refused
    t.stop()
    assert s.network.sizes == [2, 4096, 1]
    (title, text), *_ = answers.warnings
    assert title == "Cannot change the network" and "16,785,409 weights and biases" in text
    s.undo_stack.undo()
    assert s.network.sizes == [2, 2, 1]  # one undo step: the allowed edit
