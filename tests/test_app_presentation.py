"""Text size, presentation mode, the restored layout and the keys of the View and Edit menus (issue 12)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication

from bpstudio.app import ui_scale
from bpstudio.app.main_window import MainWindow
from bpstudio.app.settings import AppSettings
from tests.gui_helpers import answer_dialogs, shown_window, when_modal


@pytest.fixture
def window(qtbot, monkeypatch):
    answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    yield w
    w.training.shutdown()
    ui_scale.apply(1.0)  # the application font is shared by every test


def points() -> float:
    return QApplication.font().pointSizeF()


def test_text_size_keys_scale_every_part_and_are_remembered(window, qtbot):
    base = ui_scale.base_font().pointSizeF()
    plot = window.training.loss_panel.epoch_plot
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert ui_scale.factor() == 1.1 and points() == pytest.approx(base * 1.1)
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert ui_scale.factor() == 1.25
    assert AppSettings().text_size() == 1.25  # remembered for the next launch
    # the plots follow (titles, tick fonts), and so do the table's rows
    qtbot.waitUntil(lambda: plot.titleLabel.opts["size"] == "12.5pt")
    assert plot.getAxis("left").style["tickFont"].pointSizeF() == pytest.approx(base * 1.25)
    table = window.training.table_panel.neuron_view
    qtbot.waitUntil(lambda: table.verticalHeader().defaultSectionSize() == table.fontMetrics().height() + 6)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert ui_scale.factor() == 1.1
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert ui_scale.factor() == 1.0 and points() == pytest.approx(base)
    for _ in range(20):  # never beyond the smallest step
        window.presentation.smaller()
    assert ui_scale.factor() == ui_scale.STEPS[0]


def test_a_stored_text_size_is_applied_at_launch_and_bad_values_snap_to_a_step(qtbot, monkeypatch):
    answer_dialogs(monkeypatch)
    AppSettings().store.setValue("prefs/text_size", "1.5")
    w = MainWindow()
    qtbot.addWidget(w)
    try:
        assert ui_scale.factor() == 1.5
        for raw, expected in (("nan", 1.0), ("x", 1.0), (-3, 1.0), (99, 3.0), (1.3, 1.25)):
            AppSettings().store.setValue("prefs/text_size", raw)
            assert AppSettings().text_size() == expected
    finally:
        ui_scale.apply(1.0)


def test_the_canvas_text_grows_with_the_text_size_and_the_layout_makes_room(window, qtbot):
    window.resize(1900, 1000)
    qtbot.waitUntil(lambda: window.canvas.auto_fit)
    window.canvas.fit_to_window()
    scene = window.canvas.network_scene
    before = scene.layout.bounds
    label_font = scene.labels_item.font.pointSizeF()
    window.presentation.set_text_size(2.0)
    qtbot.waitUntil(lambda: scene.text_scale == 2.0)
    assert scene.labels_item.font.pointSizeF() == pytest.approx(2 * label_font)
    # the layout made room for the larger text: wider gaps, taller headers; the neurons kept their size
    after = scene.layout.bounds
    assert after[2] > 1.3 * before[2] and after[3] > before[3]
    assert scene.layout.layers[1].radius == pytest.approx(22.0)
    # no value label overlaps a neuron or another label
    rects = [r for item in scene.layer_items for r in item.value_rects if not r.isNull()]
    rects += [item.neuron_rect(k) for item in scene.layer_items for k in range(len(item.g.xs))]
    rects += [r for r, _, _ in scene.labels_item.labels]
    assert len(scene.labels_item.labels) == 6 and len(rects) == 6 + 5 + 5  # 2-2-1: edges, neurons, values
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            overlap = a.intersected(b)
            assert overlap.width() * overlap.height() < 4.0
    window.presentation.actual_size()
    qtbot.waitUntil(lambda: scene.text_scale == 1.0)
    assert scene.layout.bounds == pytest.approx(before)


def title_ink_height(dock) -> int:
    """Rows of the dock's title bar with text in them (its left half: the buttons are on the right)."""
    image = dock.grab().toImage()
    bar = dock.widget().geometry().top()  # the content starts under the title bar
    background = image.pixelColor(2, 1).lightness()

    def ink(x: int, y: int) -> bool:
        return abs(image.pixelColor(x, y).lightness() - background) > 60

    rows = [y for y in range(bar) if any(ink(x, y) for x in range(4, image.width() // 2))]
    return rows[-1] - rows[0] + 1 if rows else 0


def test_panel_titles_grow_with_the_text_size(window, qtbot):
    """Qt paints a dock's title in the font it had when the dock was made; in presentation mode (175 %)
    the panels' names stayed small on the projector."""
    table = window.training.docks["table"]
    qtbot.waitUntil(lambda: title_ink_height(table) > 0)
    before = title_ink_height(table)
    window.actions["presentation"].trigger()  # View ▸ Presentation Mode
    assert window.presentation.active
    qtbot.waitUntil(lambda: title_ink_height(table) > 1.4 * before)
    window.actions["presentation"].trigger()
    assert not window.presentation.active
    qtbot.waitUntil(lambda: title_ink_height(table) == before)


def test_presentation_mode_hides_panels_and_restores_them(window, qtbot):
    settings = window.training.docks["settings"]
    loss = window.training.docks["loss"]
    assert settings.isVisible() and window.toolbars["main"].isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert window.presentation.active and window.actions["presentation"].isChecked()
    assert window.isFullScreen()
    assert not settings.isVisible() and not window.inspector_dock.isVisible()
    assert not window.toolbars["main"].isVisible() and window.toolbars["train"].isVisible()
    assert ui_scale.factor() == ui_scale.PRESENTATION
    qtbot.waitUntil(lambda: loss in window.tabifiedDockWidgets(window.training.docks["table"]))
    # a text size chosen while presenting is not remembered
    window.presentation.larger()
    assert AppSettings().text_size() == 1.0
    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert not window.presentation.active and not window.isFullScreen()
    assert ui_scale.factor() == 1.0
    qtbot.waitUntil(lambda: settings.isVisible() and window.inspector_dock.isVisible())
    assert window.toolbars["main"].isVisible()
    assert loss not in window.tabifiedDockWidgets(window.training.docks["table"])


def test_closing_in_presentation_mode_saves_the_normal_layout(window, qtbot, monkeypatch):
    saved = []
    monkeypatch.setattr(window.settings, "save_window_state", lambda geo, state: saved.append(state))
    window.presentation.set_active(True)
    window.session.undo_stack.setClean()
    window.close()
    assert saved and not window.presentation.active and ui_scale.factor() == 1.0


def test_ctrl_comma_opens_preferences_and_the_menu_shows_it(window, qtbot):
    assert window.actions["preferences"].shortcut().toString() == "Ctrl+,"
    opened = []
    t = when_modal("preferencesDialog", lambda dlg: (opened.append(dlg), dlg.reject()))
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    t.stop()
    assert opened


def test_canvas_zoom_keys_work_on_the_canvas(window, qtbot):
    canvas = window.canvas
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus)
    before = canvas.current_scale()
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.current_scale() == pytest.approx(before * 1.25)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.current_scale() == pytest.approx(before)
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    qtbot.keyClick(canvas, Qt.Key.Key_0)
    assert canvas.auto_fit and canvas.current_scale() == pytest.approx(before)


def _saved_layout(monkeypatch, qtbot, prepare) -> MainWindow:
    """A window closed after ``prepare(window)``, then a new one opened on its saved layout."""
    monkeypatch.setenv("BPSTUDIO_NO_RESTORE", "0")
    answer_dialogs(monkeypatch)
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    prepare(first)
    first.session.undo_stack.setClean()
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    return second


def test_an_empty_exercise_panel_is_not_restored_over_the_settings(qtbot, monkeypatch):
    """Issue 12.7: the Exercise panel came back empty on the next launch and hid Training Settings."""

    def show_panel(w):
        w.teaching.exercise_dock.show()
        w.teaching.exercise_dock.raise_()

    w = _saved_layout(monkeypatch, qtbot, show_panel)
    assert not w.teaching.exercise_dock.isVisible()
    assert w.training.docks["settings"].isVisible()
    assert not w.training.docks["settings"].visibleRegion().isEmpty()


def test_a_layout_saved_on_a_larger_screen_is_fitted_to_this_one(qtbot, monkeypatch):
    def grow(w):
        w.setWindowState(Qt.WindowState.WindowNoState)
        w.setGeometry(QRect(0, 0, 5000, 4000))

    w = _saved_layout(monkeypatch, qtbot, grow)
    available = w.screen().availableGeometry()
    assert w.width() <= available.width() and w.height() <= available.height()


def test_reset_layout_docks_floating_panels_again(window, qtbot):
    loss = window.training.docks["loss"]
    loss.setFloating(True)
    window.docks["inspectorDock"].hide()
    window.actions["reset_layout"].trigger()
    assert not loss.isFloating() and loss.isVisible()
    assert window.docks["inspectorDock"].isHidden()  # what the user closed stays closed


def test_help_menu_has_the_guide_the_shortcuts_and_the_example_files(window, qtbot, monkeypatch):
    """Issue 12.14: the Help menu had only About."""
    from PySide6.QtGui import QDesktopServices

    from bpstudio import resources_dir
    from bpstudio.app import help as app_help

    texts = [a.text().replace("&", "") for a in window.menus["help"].actions() if not a.isSeparator()]
    assert texts[:3] == ["User Guide", "Keyboard Shortcuts", "Example and Exercise Files"]
    guide = app_help.guide_dialog(window)
    text = guide.browser.toPlainText()
    assert "Presentation mode" in text and "Stepping through backpropagation" in text
    shortcuts = app_help.shortcuts_dialog(window).browser.toPlainText()
    for what, key in (("Preferences", "Ctrl+,"), ("Presentation Mode", "F11"), ("Next Stage", "F6")):
        assert what in shortcuts and key in shortcuts
    # every shortcut the guide's table names is one that works
    rows = dict(app_help.shortcut_rows(app_help.window_actions(window)))
    for name, key in (("Next Stage", "F6"), ("Step Batch", "F8"), ("Undo Step", "Ctrl+Backspace")):
        assert f"| {name} | {key} |" in (resources_dir() / app_help.GUIDE).read_text(encoding="utf-8")
        assert key in rows[name]
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    window.actions["example_files"].trigger()
    assert opened == [str(resources_dir())]
    t = when_modal("userGuide", lambda dlg: dlg.reject())
    qtbot.keyClick(window, Qt.Key.Key_F1)
    t.stop()


def test_value_dialog_shows_the_start_of_the_number_and_the_whole_title(qtbot):
    """Issue 12.13: the edit-weight dialog scrolled "0." out of view and cut its title."""
    from bpstudio.app.dialogs import ValueDialog

    title = "Edit weight w₂₁⁽²⁾ (hidden neuron 2 ← input 1)"
    dlg = ValueDialog(None, title, "Weight from x₁ to a₂⁽²⁾", 0.14159265358979312)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert dlg.edit.cursorPosition() == 0 and dlg.edit.selectedText() == dlg.edit.text()
    fm = dlg.edit.fontMetrics()
    assert dlg.edit.width() >= fm.horizontalAdvance(dlg.edit.text())
    assert dlg.width() >= dlg.fontMetrics().horizontalAdvance(title)


def test_example_names_are_shown_whole(qtbot):
    from bpstudio.app.dialogs import ExampleDialog
    from bpstudio.workspace import list_examples

    dlg = ExampleDialog(None, list_examples())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    fm = dlg.list.fontMetrics()
    widest = max(fm.horizontalAdvance(dlg.list.item(i).text()) for i in range(dlg.list.count()))
    assert dlg.list.viewport().width() >= widest


def test_status_bar_labels_shorten_with_an_ellipsis_and_keep_the_whole_text(qtbot):
    from bpstudio.app.screen_fit import ElidedLabel

    label = ElidedLabel()
    qtbot.addWidget(label)
    text = "epoch 700 · update 2801 · loss 0.0134 · accuracy 100.0%"
    label.setText(text)
    label.resize(label.sizeHint())
    label.show()
    assert label.shown_text() == text and label.toolTip() == ""
    label.resize(label.minimumSizeHint().width(), label.height())
    shown = label.shown_text()
    assert shown.endswith("…") and len(shown) < len(text) and label.text() == text
    assert label.toolTip() == text  # the whole text is a hover away
    label.setToolTip("why")
    assert label.toolTip() == f"{text}\nwhy"
    label.resize(label.sizeHint())
    assert label.shown_text() == text and label.toolTip() == "why"


def test_the_legend_grows_with_the_text_but_not_on_a_narrow_canvas(qtbot):
    from bpstudio.app.canvas.legend import NARROW_CANVAS, legend_scale

    try:
        ui_scale.apply(ui_scale.PRESENTATION)
        assert legend_scale(NARROW_CANVAS + 500) == 1.25 and legend_scale() == 1.25
        assert legend_scale(NARROW_CANVAS - 1) == 1.0  # a 1024-pixel projector: the network needs the room
    finally:
        ui_scale.apply(1.0)
    assert legend_scale(NARROW_CANVAS - 1) == 1.0 and legend_scale(2000) == 1.0


def test_a_status_message_is_shown_whole_and_the_labels_get_their_width_back(qtbot):
    from PySide6.QtWidgets import QMainWindow

    from bpstudio.app.screen_fit import NO_MAXIMUM, ElidedLabel, make_room_for_messages

    w = QMainWindow()
    qtbot.addWidget(w)
    w.resize(600, 200)
    bar = w.statusBar()
    long_label, short_label = ElidedLabel(), ElidedLabel()
    long_label.setText("epoch 700 · update 2801 · loss 0.0134 · accuracy 100.0%")
    short_label.setText("2-2-1 · 9 parameters")
    bar.addPermanentWidget(long_label)
    bar.addPermanentWidget(short_label)
    make_room_for_messages(bar)
    w.show()
    qtbot.waitExposed(w)
    message = "Trained 700 epochs (2800 updates): reached the epoch count."
    bar.showMessage(message)
    used = sum(lbl.maximumWidth() for lbl in (long_label, short_label))
    assert used + bar.fontMetrics().horizontalAdvance(message) + 40 <= bar.width()
    qtbot.waitUntil(lambda: long_label.shown_text().endswith("…"))
    bar.clearMessage()
    assert long_label.maximumWidth() == short_label.maximumWidth() == NO_MAXIMUM
    qtbot.waitUntil(lambda: long_label.shown_text() == long_label.text())
