"""The control bars above the plots wrap in a narrow dock (bpstudio.app.flow_layout).

At 1024×768 the right-hand column is 348 pixels wide; a bar of a combo box, check boxes and an Export
button laid out in one row made its panel 620 pixels wide, and the dock scrolled sideways with the
plot cut off. The whole window is checked in tests/test_app_screens.py (``too_wide``); here the
layout itself.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QPushButton, QVBoxLayout, QWidget

from bpstudio.app.data.panel import DatasetPanel
from bpstudio.app.flow_layout import FlowBar, FlowLayout, Together
from bpstudio.app.plots.grads import GradientPlotPanel
from bpstudio.app.session import Session


def bar_in(qtbot, width: int) -> tuple[QWidget, FlowBar, list[QWidget], QPushButton]:
    host = QWidget()
    flow = FlowLayout()
    widgets: list[QWidget] = [QComboBox(), QCheckBox("Log scale"), QCheckBox("Smooth")]
    widgets[0].addItem("Norms and histogram")
    for w in widgets:
        flow.addWidget(w)
    flow.addStretch(1)
    export = QPushButton("Export")
    flow.addWidget(export)
    bar = FlowBar(flow)
    lay = QVBoxLayout(host)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(bar)
    lay.addStretch(1)
    qtbot.addWidget(host)
    host.resize(width, 300)
    host.show()
    qtbot.waitExposed(host)
    return host, bar, widgets, export


def lines(widgets: list[QWidget]) -> set[int]:
    """The lines the widgets are on (their vertical centres, which a line shares)."""
    return {w.geometry().center().y() // 4 for w in widgets}


def assert_apart_and_inside(bar: FlowBar, widgets: list[QWidget]) -> None:
    for i, a in enumerate(widgets):
        assert bar.rect().contains(a.geometry()), (a, a.geometry(), bar.rect())
        for b in widgets[i + 1 :]:
            assert not a.geometry().intersects(b.geometry()), (a, b)


def test_a_wide_bar_is_one_line_with_the_export_button_at_the_right_edge(qtbot):
    host, bar, widgets, export = bar_in(qtbot, 700)
    assert len(lines([*widgets, export])) == 1
    assert export.geometry().right() == bar.width() - 1  # the stretch pushed it there
    assert bar.height() == max(w.height() for w in widgets)
    assert_apart_and_inside(bar, [*widgets, export])


def test_a_narrow_bar_wraps_onto_more_lines_and_grows_to_hold_them(qtbot):
    host, bar, widgets, export = bar_in(qtbot, 700)
    one_line = bar.height()
    host.resize(200, 300)
    qtbot.waitUntil(lambda: bar.width() == 200)
    qtbot.waitUntil(lambda: bar.height() > 2 * one_line)  # the combo, then the check boxes, ...
    assert len(lines([*widgets, export])) >= 3
    assert_apart_and_inside(bar, [*widgets, export])
    assert bar.minimumSizeHint().width() <= 200  # as narrow as its widest control
    host.resize(700, 300)
    qtbot.waitUntil(lambda: bar.height() == one_line)  # and back on one line


def test_a_label_stays_with_its_box_and_hidden_widgets_take_no_room(qtbot):
    host = QWidget()
    flow = FlowLayout()
    first = QCheckBox("A long check box text")
    label, box = QLabel("Histogram"), QComboBox()
    box.addItem("Hidden → Output")
    pair = Together(label, box)
    flow.addWidget(first)
    flow.addWidget(pair)
    bar = FlowBar(flow)
    QVBoxLayout(host).addWidget(bar)
    qtbot.addWidget(host)
    host.resize(first.sizeHint().width() + label.sizeHint().width() + 40, 200)
    host.show()
    qtbot.waitExposed(host)
    # no room for the pair after the check box: both go to the next line, together
    qtbot.waitUntil(lambda: pair.geometry().top() > first.geometry().top())
    assert label.geometry().top() == box.geometry().top() and pair.isVisible()
    label.hide()
    box.hide()
    assert pair.isHidden()  # a pair whose widgets are hidden is hidden: no gap, no empty line
    qtbot.waitUntil(lambda: bar.height() == first.height())
    box.show()
    assert not pair.isHidden()


def test_the_gradient_panel_fits_the_column_of_a_projector_with_all_its_controls(qtbot):
    """348 pixels: the right-hand column at 1024×768."""
    panel = GradientPlotPanel(Session())
    qtbot.addWidget(panel)
    assert panel.minimumSizeHint().width() <= 348
    panel.resize(348, 500)
    panel.show()
    qtbot.waitExposed(panel)
    bar = panel.findChild(FlowBar)
    shown = [w for w in bar.findChildren(QWidget) if w.isVisible() and w.parent() is bar]
    assert len(shown) >= 5
    assert_apart_and_inside(bar, shown)

    def plots_top() -> int:
        return panel.plots.mapTo(panel, panel.plots.rect().topLeft()).y()

    qtbot.waitUntil(lambda: plots_top() > bar.geometry().bottom())  # the plots below every control


def test_the_dataset_box_is_narrow_but_its_list_shows_every_name_whole(qtbot):
    panel = DatasetPanel(Session())
    qtbot.addWidget(panel)
    assert panel.minimumSizeHint().width() <= 320  # a laptop at 150 %: 320 pixels
    box = panel.source_box
    fm = box.fontMetrics()
    longest = max(fm.horizontalAdvance(box.itemText(i)) for i in range(box.count()))
    assert box.view().minimumWidth() >= longest


def heights_over_widths(flow: FlowLayout, widths: range) -> list[int]:
    return [flow.heightForWidth(w) for w in widths]


def test_the_gradient_panel_bar_never_grows_taller_when_it_is_given_more_width(qtbot):
    """It did: 96 pixels at 322 wide, 98 at 336, as a tall box moved onto a line of short ones; a
    scroll area around the panel then showed and hid its bar with every resize (the soak, seed 41)."""
    panel = GradientPlotPanel(Session())
    qtbot.addWidget(panel)
    panel.resize(348, 500)
    panel.show()
    qtbot.waitExposed(panel)
    flow = panel.findChild(FlowBar).flow
    heights = heights_over_widths(flow, range(120, 900))
    assert all(b <= a for a, b in zip(heights, heights[1:])), [
        (w, a, b) for w, a, b in zip(range(121, 900), heights, heights[1:]) if b > a
    ]
    assert heights[0] > heights[-1]  # it does wrap


def test_no_bar_of_any_controls_grows_taller_when_wider(qtbot):
    """Greedy wrapping with one line height: more width never means more lines (random controls)."""
    import random

    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QSizePolicy, QSpacerItem, QWidgetItem

    class Box(QWidget):
        def __init__(self, w: int, h: int) -> None:
            super().__init__()
            self._hint = QSize(w, h)

        def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
            return self._hint

        def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
            return QSize(min(self._hint.width(), 40), self._hint.height())

    rng = random.Random(7)
    for _ in range(60):
        host = QWidget()
        qtbot.addWidget(host)
        flow = FlowLayout(host, spacing=rng.choice([0, 4, 6]))
        for _ in range(rng.randint(1, 9)):
            if rng.random() < 0.15:
                flow.addItem(QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum))
            else:
                box = Box(rng.randint(8, 260), rng.randint(12, 44))
                box.setParent(host)
                flow.addItem(QWidgetItem(box))
        heights = heights_over_widths(flow, range(1, 700, 3))
        assert all(b <= a for a, b in zip(heights, heights[1:])), heights
