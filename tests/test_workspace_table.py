"""The δ/Δw table: every cell against `bpstudio trace`, partial steps, models, selection, export."""

from __future__ import annotations

import copy
import csv
import dataclasses
import json

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication

from bpstudio import cli
from bpstudio.app.session import Selection, Session
from bpstudio.app.table.model import RawRole
from bpstudio.app.table.view import TraceTablePanel
from bpstudio.engine import Network, stage_names
from bpstudio.formats import save_project
from bpstudio.teaching.labels import fmt
from bpstudio.workspace import load_example


def select_row(view, row: int) -> None:
    """Select one whole row, as a click does (not selectRow: it extends the selection while an earlier
    test's modifier key is still registered as held)."""
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    view.selectionModel().setCurrentIndex(view.model().index(row, 0), flags)


@pytest.fixture
def panel(qtbot):
    session = Session()
    p = TraceTablePanel(session)
    qtbot.addWidget(p)
    p.resize(900, 500)
    return p


def run_cli_trace(tmp_path, project, samples: list[int], notation: str) -> dict:
    path = tmp_path / "p.bps.json"
    out = tmp_path / "trace.json"
    save_project(path, project)
    args = ["trace", str(path), "--samples", ",".join(map(str, samples)), "--out", str(out)]
    assert cli.main(args + ["--notation", notation]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def column(model, name: str) -> int:
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return headers.index(name)


def check_cell(model, row: int, col: int, expected: float | None) -> None:
    raw = model.data(model.index(row, col), RawRole)
    text = model.data(model.index(row, col))
    if expected is None:
        assert raw is None and text == ""
    else:
        assert raw is not None and np.isclose(raw, expected, rtol=1e-12, atol=1e-15), (
            row,
            col,
            raw,
            expected,
        )
        assert text == fmt(expected, model.precision)


def compare_with_trace(panel: TraceTablePanel, data: dict, sample: int | None, notation: str) -> None:
    """Every numeric cell of both tables equals the CLI trace (sample ``sample`` of the batch, or mean)."""
    nm, wm = panel.neuron_model, panel.weight_model
    sym = "delta" if notation == "gradient" else "error_signal"
    dsym = "δ" if notation == "gradient" else "Δ"
    gb = "dE_db" if notation == "gradient" else "minus_dE_db"
    gw = "dE_dW" if notation == "gradient" else "minus_dE_dW"
    cols = {key: column(nm, head) for key, head in [("z", "z"), ("a", "a"), ("fprime", "f′(z)"), (sym, dsym)]}
    cols[gb] = column(nm, "∂E/∂b" if notation == "gradient" else "−∂E/∂b")
    cols["delta_b"] = column(nm, "Δb")
    row = 0
    for rec in data["layers"]:
        for j in range(rec["size"]):
            for key in ("z", "a", "fprime", sym):
                arr = rec[key]
                if arr is None:
                    want = None
                else:
                    a = np.asarray(arr)
                    want = float(a[sample, j] if sample is not None else a[:, j].mean())
                check_cell(nm, row, cols[key], want)
            if rec["layer"] > 0:
                up = data["updates"][rec["layer"] - 1]
                check_cell(nm, row, cols[gb], up[gb][j])
                check_cell(nm, row, cols["delta_b"], up["delta_b"][j])
            row += 1
    assert row == nm.rowCount()
    wcols = [
        column(wm, h) for h in ("w before", "∂E/∂w" if notation == "gradient" else "−∂E/∂w", "Δw", "w after")
    ]
    keys_w = ["W_before", gw, "delta_W", "W_after"]
    keys_b = ["b_before", gb, "delta_b", "b_after"]
    checked = 0
    for r in range(wm.rowCount()):
        layer, to, frm = wm.row_key(r)
        up = data["updates"][layer]
        for c, kw, kb in zip(wcols, keys_w, keys_b):
            want = up[kw][to][frm] if frm >= 0 else up[kb][to]
            check_cell(wm, r, c, want)
            checked += 1
    n_params = sum(len(u["W_before"]) * len(u["W_before"][0]) + len(u["b_before"]) for u in data["updates"])
    assert checked == 4 * n_params


@pytest.mark.parametrize("notation", ["gradient", "error_signal"])
def test_micro_steps_fill_the_table_like_the_cli_trace(panel, tmp_path, notation):
    s = panel.session
    s.set_view_option("notation", notation)
    sample = s.trainer.next_batch_indices()
    data = run_cli_trace(tmp_path, load_example(), sample, notation)
    stages = stage_names(s.network.n_layers)
    for i, stage in enumerate(stages):
        assert s.micro_step() == stage
        if stage == "forward 1":  # only layer 1 is known: the output and every δ are still blank
            out = panel.neuron_model.rowCount() - 1
            assert (
                panel.neuron_model.data(
                    panel.neuron_model.index(out, column(panel.neuron_model, "z")), RawRole
                )
                is None
            )
            assert (
                panel.neuron_model.data(panel.neuron_model.index(2, column(panel.neuron_model, "z")), RawRole)
                is not None
            )
        if i < len(stages) - 1:
            assert panel.neuron_model.highlight_layer is not None or stage == "update"
    assert s.micro is None  # the step is complete
    compare_with_trace(panel, data, 0, notation)
    assert panel.caption.text().startswith(f"Sample {sample[0] + 1}")


def test_full_batch_mean_and_each_sample_match_the_cli_trace(panel, tmp_path, qtbot):
    s = panel.session
    cfg = dataclasses.replace(copy.deepcopy(s.config), batch_mode="full")
    assert s.set_config(cfg)
    samples = s.trainer.next_batch_indices()
    project = load_example()
    project.training = copy.deepcopy(cfg)
    data = run_cli_trace(tmp_path, project, samples, "gradient")
    assert s.step_batch() is not None
    assert panel.sample_box.count() == len(samples) + 1  # every sample, and the batch mean
    for i in range(len(samples)):
        panel.sample_box.setCurrentIndex(i)
        compare_with_trace(panel, data, i, "gradient")
    panel.sample_box.setCurrentIndex(panel.sample_box.findData(-1))
    assert panel.sample is None
    compare_with_trace(panel, data, None, "gradient")


def test_models_pass_the_model_tester(panel, qtmodeltester):
    s = panel.session
    qtmodeltester.check(panel.neuron_model)  # before any step: weights only
    qtmodeltester.check(panel.weight_model)
    s.micro_step()
    s.micro_step()
    qtmodeltester.check(panel.neuron_model)
    s.step_batch()
    panel.weight_model.sort(column(panel.weight_model, "Δw"), Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(panel.weight_model)
    panel.weight_model.set_layer_filter(1)
    qtmodeltester.check(panel.weight_model)


def test_sorting_filtering_copy_and_csv(panel, tmp_path, qtbot):
    s = panel.session
    s.step_batch()
    wm = panel.weight_model
    panel.tabs.setCurrentIndex(1)
    c = column(wm, "Δw")
    panel.weight_view.horizontalHeader().setSortIndicator(c, Qt.SortOrder.DescendingOrder)
    values = [wm.data(wm.index(r, c), RawRole) for r in range(wm.rowCount())]
    assert values == sorted(values, reverse=True)
    panel.layer_box.setCurrentIndex(panel.layer_box.findData(1))  # hidden → output weights only
    assert wm.rowCount() == 3 and {wm.row_key(r)[0] for r in range(3)} == {1}
    select_row(panel.weight_view, 0)
    text = panel.copy_to_clipboard()
    assert QApplication.clipboard().text() == text
    lines = text.strip().split("\n")
    assert len(lines) == 2 and lines[0].split("\t")[:3] == ["From", "To", "Weight"]
    out = panel.export_csv(str(tmp_path / "w.csv"))
    rows = list(csv.reader(open(out, encoding="utf-8")))
    assert len(rows) == 4  # header + the 3 rows shown
    full = float(rows[1][c])
    assert full == wm.data(wm.index(0, c), RawRole)  # full precision in the file


def test_precision_setting_changes_the_text_only(panel, qtbot):
    s = panel.session
    s.step_batch()
    nm = panel.neuron_model
    c = column(nm, "a")
    raw = nm.data(nm.index(2, c), RawRole)
    panel.precision_box.setValue(7)
    assert nm.data(nm.index(2, c)) == fmt(raw, 7)
    assert s.view_option("table_precision") == 7
    assert nm.data(nm.index(2, c), RawRole) == raw


def test_selection_goes_both_ways(panel, qtbot):
    s = panel.session
    s.step_batch()
    panel.tabs.setCurrentIndex(1)
    wm = panel.weight_model
    row = wm.find_row(0, 1, 0)  # weight from input 1 to hidden 2
    rect = panel.weight_view.visualRect(wm.index(row, 0))
    qtbot.mouseClick(panel.weight_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert s.selection == Selection("edge", 0, 1, 0)
    bias_row = wm.find_row(1, 0, -1)
    select_row(panel.weight_view, bias_row)
    assert s.selection == Selection("bias", 1, 0)
    s.select(Selection("neuron", 2, 0))  # e.g. a click on the canvas
    assert panel.tabs.currentIndex() == 0
    cur = panel.neuron_view.currentIndex()
    assert panel.neuron_model.row_key(cur.row()) == (2, 0, -1)
    panel.tabs.setCurrentIndex(1)
    panel.layer_box.setCurrentIndex(panel.layer_box.findData(1))
    s.select(Selection("edge", 0, 0, 1))  # filtered out: the filter is lifted to show it
    assert panel.weight_model.row_key(panel.weight_view.currentIndex().row()) == (0, 0, 1)


def test_a_784_30_10_network_is_one_model_row_per_weight(qtbot):
    session = Session()
    p = TraceTablePanel(session)
    qtbot.addWidget(p)
    net = Network.create([784, 30, 10], ["sigmoid", "softmax"], seed=1)

    def replace(n):
        n.sizes, n.activations, n.weights, n.biases, n.masks = (
            net.sizes,
            net.activations,
            net.weights,
            net.biases,
            net.masks,
        )

    assert session.edit_network("big", replace, structural=True)
    wm = p.weight_model
    assert wm.rowCount() == 784 * 30 + 30 + 30 * 10 + 10
    assert p.neuron_model.rowCount() == 784 + 30 + 10
    last = wm.rowCount() - 1
    assert wm.row_key(last) == (1, 9, -1)
    assert wm.data(wm.index(last, column(wm, "w before")), RawRole) == net.biases[1][9]
    assert wm.data(wm.index(last, column(wm, "Δw")), RawRole) is None  # no step: blank


def test_a_short_panel_folds_its_caption_to_one_line(panel, qtbot):
    """On a projector or with large text the table's dock is low: its caption then takes one line
    (shortened with "…", the whole text in its tooltip) so that more rows show; a tall panel wraps it."""
    from bpstudio.app.screen_fit import PanelScroll

    s = panel.session
    s.step_sample()
    full = panel.caption.text()
    area = PanelScroll(panel)
    qtbot.addWidget(area)
    line = panel.fontMetrics().lineSpacing()
    area.resize(360, 30 * line)
    area.show()
    qtbot.waitExposed(area)
    assert not panel.caption.folded() and panel.caption.shown_text() == full
    assert panel.caption.height() > 1.5 * line  # wrapped over several lines at this width
    rows_tall = panel.neuron_view.height()

    area.resize(360, 14 * line)  # short, but above the panel's minimum height (no scrolling)
    qtbot.waitUntil(panel.caption.folded)
    shown = panel.caption.shown_text()
    assert shown.endswith("…") and full.startswith(shown[:-1])
    assert panel.caption.toolTip() == full and panel.caption.text() == full
    qtbot.waitUntil(lambda: panel.caption.height() < 1.5 * line)
    assert panel.neuron_view.height() < rows_tall  # the rest of the height went to the table

    area.resize(360, 30 * line)
    qtbot.waitUntil(lambda: not panel.caption.folded() and panel.caption.height() > 1.5 * line)
    assert panel.caption.shown_text() == full and panel.caption.toolTip() == ""
    area.takeWidget()  # the fixture's panel is closed by the fixture


def test_a_very_short_panel_puts_the_table_tabs_beside_the_caption(panel, qtbot):
    """1280×800 at 150 %: the table's dock is about 8 lines high. The Neurons/Weights tab bar (a line
    higher than the caption) hides, two small buttons beside the caption switch the tables, and the
    line it took goes to the rows."""
    from PySide6.QtCore import Qt

    from bpstudio.app.screen_fit import PanelScroll

    s = panel.session
    s.step_sample()
    area = PanelScroll(panel)
    qtbot.addWidget(area)
    line = panel.fontMetrics().lineSpacing()
    area.resize(640, 12 * line)  # short: the caption is folded, the tabs are above the table
    area.show()
    qtbot.waitExposed(area)
    qtbot.waitUntil(panel.caption.folded)
    assert panel.tabs.tabBar().isVisible() and not panel.side_tabs.isVisible()

    def rows_top() -> int:  # where the table's rows start in the panel
        return panel.neuron_view.mapTo(panel, panel.neuron_view.rect().topLeft()).y()

    top_short, tab_bar = rows_top(), panel.tabs.tabBar().height()

    area.resize(640, 8 * line)
    qtbot.waitUntil(panel.side_tabs.isVisible)
    assert not panel.tabs.tabBar().isVisible()
    # the buttons sit in the caption's line: the table gained the tab bar's height, less the little
    # the buttons add to that line
    assert panel.side_tabs.geometry().center().y() == pytest.approx(
        panel.caption.geometry().center().y(), abs=3
    )
    # the rows start higher by the tab bar's height, less what the buttons add to the caption's line
    # (a few pixels: the gain is most of the tab bar)
    qtbot.waitUntil(lambda: rows_top() <= top_short - 0.6 * tab_bar)
    weights = panel.side_group.button(1)
    assert weights.text() == "Weights" and panel.side_group.button(0).isChecked()
    qtbot.mouseClick(weights, Qt.MouseButton.LeftButton)
    assert panel.tabs.currentWidget() is panel.weight_view and weights.isChecked()
    panel.tabs.setCurrentIndex(0)  # (Ctrl+Tab, or code) and the buttons follow
    assert panel.side_group.button(0).isChecked()

    area.resize(640, 12 * line)
    qtbot.waitUntil(lambda: panel.tabs.tabBar().isVisible() and not panel.side_tabs.isVisible())
    area.takeWidget()


def test_in_a_narrow_table_the_number_columns_narrow_so_that_all_show(panel, qtbot):
    """A 500-pixel table (a laptop at 150 %) holds every column of the neurons' table at 3 decimal
    places without scrolling sideways; a wide one has its number columns at their usual width; a
    column the user drags keeps its width."""
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from bpstudio.app.table.view import NUMBER_COLUMN

    s = panel.session
    s.step_sample()
    panel.precision_box.setValue(3)
    panel.show()
    qtbot.waitExposed(panel)
    view, model = panel.neuron_view, panel.neuron_model
    header = view.horizontalHeader()
    numbers = range(model.n_text, model.columnCount())
    qtbot.waitUntil(lambda: all(header.sectionSize(c) == NUMBER_COLUMN for c in numbers[:-1]))

    panel.resize(500, 500)
    qtbot.waitUntil(lambda: view.horizontalScrollBar().maximum() == 0)
    narrow = header.sectionSize(numbers[0])
    assert narrow < NUMBER_COLUMN
    shown = model.data(model.index(3, model.n_text + 1))  # a of the first hidden neuron: 0.xxx
    assert view.fontMetrics().horizontalAdvance(str(shown)) < narrow  # whole, not shortened

    def mouse(kind: QEvent.Type) -> None:  # on the header, as the start and end of a drag
        pos = QPointF(QPoint(header.sectionViewportPosition(numbers[0]) + narrow - 1, 5))
        button = Qt.MouseButton.LeftButton
        buttons = button if kind == QEvent.Type.MouseButtonPress else Qt.MouseButton.NoButton
        event = QMouseEvent(
            kind, pos, header.viewport().mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(header.viewport(), event)

    mouse(QEvent.Type.MouseButtonPress)
    header.resizeSection(numbers[0], narrow + 40)  # what the drag does
    mouse(QEvent.Type.MouseButtonRelease)
    panel.resize(900, 500)
    qtbot.waitUntil(lambda: view.viewport().width() > 800 and not panel._size_timer.isActive())
    # the user's width stays, and the table no longer sets its number columns' widths
    assert header.sectionSize(numbers[0]) == narrow + 40 and header.sectionSize(numbers[1]) == narrow
    panel.precision_box.setValue(2)  # nor for another precision
    assert header.sectionSize(numbers[0]) == narrow + 40
