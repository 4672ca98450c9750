"""The network canvas driven with the mouse: selecting, editing by double-click, context menus, zoom,
collapsed layers, the inspector, and exporting PNG/SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from gui_helpers import when_modal
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from bpstudio.app.canvas.export import export_png, export_svg
from bpstudio.app.main_window import MainWindow
from bpstudio.app.session import NO_SELECTION, Selection
from bpstudio.engine import Network
from bpstudio.formats import Project
from bpstudio.teaching.labels import fmt


@pytest.fixture
def warnings(monkeypatch):
    """Message boxes answered by the test: warnings are recorded, "unsaved changes" is answered Discard."""
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "warning", lambda parent, title, text, *a, **k: shown.append((title, text))
    )
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    return shown


@pytest.fixture
def window(qtbot, warnings):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    w.canvas.fit_to_window()
    return w


def view_point(window, scene_point) -> QPoint:
    return window.canvas.mapFromScene(scene_point)


def click(qtbot, window, scene_point, button=Qt.MouseButton.LeftButton):
    qtbot.mouseClick(window.canvas.viewport(), button, pos=view_point(window, scene_point))


def right_click(qtbot, window, scene_point):
    """A right-click: the button press and the context-menu event the platform sends with it."""
    vp = window.canvas.viewport()
    pos = view_point(window, scene_point)
    qtbot.mouseClick(vp, Qt.MouseButton.RightButton, pos=pos)
    QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, vp.mapToGlobal(pos)))


def double_click(qtbot, window, scene_point):
    qtbot.mouseDClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view_point(window, scene_point)
    )


def type_value(qtbot, text):
    def act(dlg):
        edit = dlg.findChild(type(dlg.edit), "valueEdit")
        edit.clear()
        qtbot.keyClicks(edit, text)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    return act


def choose_from_popup(qtbot, text: str):
    """Click the item ``text`` of the context menu as soon as it pops up."""
    timer = QTimer()

    def poll():
        popup = QApplication.activePopupWidget()
        if popup is None:
            return
        timer.stop()
        for a in popup.actions():
            if a.text().replace("&", "") == text:
                qtbot.mouseClick(popup, Qt.MouseButton.LeftButton, pos=popup.actionGeometry(a).center())
                return
        popup.close()
        raise AssertionError(f"no {text!r} in {[a.text() for a in popup.actions()]}")

    timer.timeout.connect(poll)
    timer.start(10)
    return timer


# ---------------------------------------------------------------------------- selection
def test_clicking_a_neuron_selects_it_and_the_inspector_shows_its_values(qtbot, window):
    scene = window.canvas.network_scene
    click(qtbot, window, scene.neuron_centre(1, 0))
    assert window.session.selection == Selection("neuron", 1, 0)
    text = window.inspector.text()
    assert "a₁⁽²⁾" in text and "0.31" in text  # name and bias of hidden neuron 1 of the XOR example
    trace = window.session.presenter().trace
    z = trace.layers[1].z[0, 0]  # z of the first sample, computed by the engine
    assert f"z {fmt(z, 3)}" in " ".join(text.split())
    assert len(scene.highlight.lines) == 3  # two incoming and one outgoing connection highlighted
    empty = QPoint(20, 20)  # the top-left corner of the canvas is empty
    assert window.canvas.hit_at(empty) is None
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=empty)
    assert window.session.selection == NO_SELECTION


def test_clicking_an_edge_selects_it_and_shows_its_weight(qtbot, window):
    scene = window.canvas.network_scene
    click(qtbot, window, scene.edge_point(1, 0, 1, 0.5))
    assert window.session.selection == Selection("edge", 1, 0, 1)
    assert "w₁₂⁽²⁾" in window.inspector.text() and "0.23" in window.inspector.text()


def test_double_click_an_edge_label_edits_the_weight_and_undo_redo(qtbot, window):
    scene = window.canvas.network_scene
    from bpstudio.app.canvas.scene import Hit

    rect = scene.label_rect(Hit("edge", 0, 1, 0))
    assert rect is not None
    t = when_modal("valueDialog", type_value(qtbot, "-1.25"))
    double_click(qtbot, window, rect.center())
    t.stop()
    net = window.session.network
    assert net.weights[0][1, 0] == -1.25
    assert window.isWindowModified()
    qtbot.waitUntil(lambda: any("−1.25" in text for _, text, _ in scene.labels_item.labels))
    window.actions["undo"].trigger()
    assert window.session.network.weights[0][1, 0] == -0.46
    window.actions["redo"].trigger()
    assert window.session.network.weights[0][1, 0] == -1.25


def test_double_click_a_neuron_edits_its_bias(qtbot, window):
    scene = window.canvas.network_scene
    t = when_modal("valueDialog", type_value(qtbot, "0.5"))
    double_click(qtbot, window, scene.neuron_centre(2, 0))
    t.stop()
    assert window.session.network.biases[1][0] == 0.5


def test_right_click_remove_and_restore_a_connection(qtbot, window):
    scene = window.canvas.network_scene
    p = scene.edge_point(0, 0, 0, 0.5)
    t = choose_from_popup(qtbot, "Remove Connection")
    right_click(qtbot, window, p)
    t.stop()
    net = window.session.network
    assert not net.connection_present(0, 0, 0) and net.weights[0][0, 0] == 0.0
    assert scene.info.removed and "removed connection" in window.canvas.legend.text()
    t = choose_from_popup(qtbot, "Restore Connection")
    right_click(qtbot, window, p)
    t.stop()
    assert window.session.network.connection_present(0, 0, 0)


def test_context_menu_adds_a_layer_and_the_layout_stays_tidy(qtbot, window):
    scene = window.canvas.network_scene
    t = choose_from_popup(qtbot, "Add Layer After")
    right_click(qtbot, window, scene.neuron_centre(1, 0))
    t.stop()
    assert window.session.network.sizes == [2, 2, 2, 1]
    xs = [item.g.x for item in scene.layer_items]
    assert xs == sorted(xs) and len(scene.edge_items) == 3
    # the drawing still fits the window after the edit
    vis = window.canvas.mapToScene(window.canvas.viewport().rect()).boundingRect()
    for item in scene.layer_items:
        assert vis.contains(item.neuron_rect(0))


def test_editing_while_training_runs_is_refused_with_a_message(qtbot, window, warnings):
    messages = warnings
    window.session.set_running(True)
    before = window.session.network.copy()
    window.session.select(Selection("neuron", 1, 0))
    assert not window.editor.act_add_neuron.isEnabled()
    window.editor.add_neuron()  # even if triggered, the session refuses
    assert window.session.network.sizes == before.sizes
    assert messages and "running" in messages[0][0].lower()
    window.session.set_running(False)


def test_zoom_wheel_and_fit(qtbot, window):
    view = window.canvas
    s0 = view.current_scale()
    view.zoom_in()
    assert view.current_scale() == pytest.approx(s0 * 1.25)
    assert not view.auto_fit
    window.actions["fit"].trigger()
    assert view.current_scale() == pytest.approx(s0) and view.auto_fit
    # a mouse wheel notch up zooms in by 1.15 around the cursor
    vp = view.viewport()
    pos = QPointF(vp.width() / 2, vp.height() / 2)
    wheel = QWheelEvent(
        pos,
        vp.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, wheel)
    assert view.current_scale() == pytest.approx(s0 * 1.15)


def test_large_network_is_drawn_in_bulk_and_collapses(qtbot, warnings):
    net = Network.create([784, 30, 10], "sigmoid", init="normal", seed=0)
    w = MainWindow()
    qtbot.addWidget(w)
    w.session.set_project(Project(network=net, dataset={"builtin": "digits", "params": {}}))
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    scene = w.canvas.network_scene
    assert len(scene.items()) < 20  # a few items per layer, not one per connection
    assert scene.layer_items[0].g.collapsed
    double_click(
        qtbot,
        w,
        scene.layer_items[0].boundingRect().center() * 0 + scene.layer_items[0].neuron_rect(0).center(),
    )
    assert 0 in scene.expanded and scene.layer_items[0].g.grid
    assert scene.edge_items[0].n_edges == 23520
    assert scene.edge_items[0].drawn_when_zoomed_out == 3000  # level of detail when zoomed out
    hit = w.canvas.hit_at(view_point(w, scene.neuron_centre(0, 29)))
    assert hit is not None and (hit.kind, hit.layer, hit.index) == ("neuron", 0, 29)
    w.session.select(Selection("neuron", 1, 3))
    assert len(scene.highlight.lines) == 784 + 10
    img = w.canvas.grab().toImage()
    assert img.width() > 0
    w.close()


def test_export_png_and_svg(qtbot, window, tmp_path):
    scene = window.canvas.network_scene
    png, svg = tmp_path / "net.png", tmp_path / "net.svg"
    size = export_png(scene, png)
    img = QImage(str(png))
    assert (img.width(), img.height()) == (size.width(), size.height()) and img.width() > 600
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 20  # not blank: lines, fills and text in several colours
    export_svg(scene, svg)
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    text = ET.tostring(root, encoding="unicode")
    assert "0.14" in text and "−0.46" in text and "Hidden" in text  # labels and headers as text
    shapes = [
        el
        for el in root.iter()
        if el.tag.rsplit("}", 1)[-1] in ("path", "polyline", "line", "ellipse", "circle")
    ]
    assert len(shapes) >= 6 + 5  # six connections and five neurons at least


def test_view_options_change_the_drawing(qtbot, window):
    scene = window.canvas.network_scene
    s = window.session
    window.actions["bias_nodes"].trigger()
    assert s.view_option("bias_style") == "node"
    assert all(item.g.bias is not None for item in scene.layer_items[:-1])
    assert scene.edge_items[0].bias_starts is not None
    assert any(t.kind == "bias" for t in scene.label_targets)
    window.actions["labels"].trigger()
    assert s.view_option("labels") is False and scene.labels_item.labels == []
    s.set_view_option("names", "notes")
    assert scene.layer_items[1].names == ["a₁⁽²⁾", "a₂⁽²⁾"]
    window.actions["fill_delta"].trigger()
    assert s.view_option("fill") == "delta"
    assert scene.layer_items[1].values is None  # no backward pass yet
    s.micro_step()
    for _ in range(4):
        s.micro_step()  # forward 1, forward 2, loss, backward 2, backward 1
    scene.flush()
    d = s.trace.layers[1].delta[0]
    np.testing.assert_allclose(scene.layer_items[1].values, d)
    s.set_view_option("notation", "error_signal")
    scene.flush()
    np.testing.assert_allclose(scene.layer_items[1].values, -d)
    assert "Δ" in window.canvas.legend.text()


def test_dark_theme_recolours_the_canvas_and_icons(qtbot, window):
    from bpstudio.app.theme import apply_theme, is_dark

    app = QApplication.instance()
    scene = window.canvas.network_scene
    try:
        apply_theme(app, "dark")
        qtbot.waitUntil(lambda: scene.colours.background.lightness() < 80)
        assert is_dark() and scene.colours.text.lightness() > 180
        icon = window.actions["save"].icon().pixmap(24, 24).toImage()
        lit = [QImage.pixelColor(icon, x, y) for x in range(24) for y in range(24)]
        assert max(c.lightness() for c in lit if c.alpha() > 0) > 180  # light strokes on a dark toolbar
    finally:
        apply_theme(app, "system")  # as the other tests found it
    qtbot.waitUntil(lambda: scene.colours.background.lightness() > 200)


def test_pinch_zoom_with_a_touchpad_gesture(qtbot, window):
    """A two-finger pinch (a native zoom gesture, as a touchpad sends it) zooms the canvas."""
    from PySide6.QtGui import QNativeGestureEvent, QPointingDevice

    view = window.canvas
    s0 = view.current_scale()
    vp = view.viewport()
    pos = QPointF(vp.width() / 2, vp.height() / 2)
    pinch = QNativeGestureEvent(
        Qt.NativeGestureType.ZoomNativeGesture,
        QPointingDevice.primaryPointingDevice(),
        2,
        pos,
        pos,
        vp.mapToGlobal(pos),
        0.5,
        QPointF(),
    )
    QApplication.sendEvent(vp, pinch)
    assert view.current_scale() == pytest.approx(s0 * 1.5)
    assert not view.auto_fit


def test_selecting_in_a_collapsed_layer_with_bias_nodes_shown(qtbot, warnings):
    """Issue 13, class 9: with "+1" bias nodes, a neuron past the first of a collapsed layer (> 32
    neurons) used to raise IndexError while its connections were highlighted."""
    net = Network.create([2, 40, 3], "sigmoid", seed=0)
    w = MainWindow()
    qtbot.addWidget(w)
    w.session.set_project(Project(network=net, dataset={"builtin": "moons", "params": {}}))
    w.session.set_view_option("bias_style", "node")
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    scene = w.canvas.network_scene
    assert scene.layer_items[1].g.collapsed
    for layer, j in [(1, 0), (1, 35), (1, 39), (2, 2)]:
        w.session.select(Selection("neuron", layer, j))
        QApplication.processEvents()
        assert w.session.selection == Selection("neuron", layer, j)
    w.session.select(Selection("bias", 0, 37))
    QApplication.processEvents()
    w.close()


def test_add_neuron_pressed_repeatedly_keeps_adding_to_the_same_layer(qtbot, window):
    """Issue 12, item 5: the first Ctrl+Shift+N used to clear the selection, so the next did nothing."""
    s = window.session
    s.select(Selection("neuron", 1, 0))
    before = s.network.sizes[1]
    for i in range(3):
        qtbot.keyClick(
            window.canvas,
            Qt.Key.Key_N,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        assert s.network.sizes[1] == before + i + 1
        assert s.selection == Selection("neuron", 1, before + i)
    assert s.undo_stack.undoText() == "Add a neuron to layer 2"


def test_a_minus_one_bias_node_shows_w0_as_minus_b(window):
    """Issue 14.1: with the bias as W₀ on a constant −1 (004's perceptron slides) the canvas draws "−1"
    nodes and every bias number is W₀ = −b; the View action keeps the −1 node when toggled back on."""
    from bpstudio.app.canvas.legend import legend_lines
    from bpstudio.app.canvas.scene import Hit

    s = window.session
    scene = window.canvas.network_scene
    b = float(s.network.biases[1][0])
    s.set_view_option("bias_style", "node_minus")
    assert all(item.bias_text == "−1" for item in scene.layer_items)
    assert scene.describe(Hit("bias", 1, 0)).endswith(f"= {fmt(-b, 3)}")
    assert scene.describe(Hit("bias_node", 1)).startswith("bias input x₀ = −1")
    assert fmt(-b, 3) in [text for _, text, _ in scene.labels_item.labels]
    assert any(row.startswith("−1  bias node") for row in legend_lines(scene.info))
    s.select(Selection("bias", 1, 0))
    assert fmt(-b, 3) in window.inspector.text() and "W₀ = −b" in window.inspector.text()
    action = window.actions["bias_nodes"]
    assert action.isChecked()
    action.setChecked(False)
    assert s.view_option("bias_style") == "value"
    assert all(item.bias_text == "+1" for item in scene.layer_items)
    s.set_view_option("bias_style", "node_minus")
    action.setChecked(True)  # already on: stays the −1 node
    assert s.view_option("bias_style") == "node_minus"


def test_on_a_small_canvas_the_legend_folds_into_a_chip_a_click_opens(qtbot):
    """A laptop at 150 % leaves the canvas about 525×236 pixels: the legend folds into a one-line chip,
    so that the network is drawn larger; a click opens the whole legend over the drawing and another
    folds it again. A large canvas shows the legend open, as before."""
    from bpstudio.app.canvas.view import NetworkView
    from bpstudio.app.session import Session

    view = NetworkView(Session())
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    qtbot.waitExposed(view)
    legend = view.legend
    qtbot.waitUntil(lambda: legend.size() == legend.full_size())
    assert not legend.folded and legend.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    open_zoom = view.current_scale()
    view.resize(525, 236)
    qtbot.waitUntil(lambda: legend.folded)
    chip = legend.size()
    assert chip.height() < legend.full_size().height() / 2 and chip.width() < legend.full_size().width() / 2
    vp = view.viewport().geometry()
    assert vp.contains(legend.geometry())  # in the bottom-left corner
    # the drawing is larger than it would be beside or above the open legend
    folded_zoom = view.current_scale()
    view.legend_visible = True
    full = legend.full_size()
    rect = view._content_rect()
    with_legend = max(
        min(vp.width() / rect.width(), (vp.height() - full.height() - 14) / rect.height()),
        min((vp.width() - full.width() - 14) / rect.width(), vp.height() / rect.height()),
    )
    assert folded_zoom > with_legend * 1.2 and folded_zoom < open_zoom

    qtbot.mouseClick(legend, Qt.MouseButton.LeftButton)
    assert legend.opened and legend.size() == legend.full_size()
    assert vp.contains(legend.geometry())  # opened upwards from the same corner
    assert view.current_scale() == folded_zoom  # it lies over the drawing
    qtbot.mouseClick(legend, Qt.MouseButton.LeftButton)
    assert not legend.opened and legend.size() == chip

    view.resize(1000, 600)
    qtbot.waitUntil(lambda: not legend.folded and legend.size() == legend.full_size())
