"""The δ/Δw table dock: a Neurons tab and a Weights tab that follow the session's current step.

Selecting a row selects that neuron, connection or bias everywhere (``Session.select``) and a
selection made elsewhere (the canvas) selects the row; the row under the pointer is hovered
(``Session.hover``), as a neuron on the canvas is. The numbers come from
:mod:`bpstudio.teaching.tables`; the models only format them.
"""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QSpinBox,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...teaching.labels import layer_title
from ...teaching.presenter import NOTATION_KEYS
from ...teaching.tables import caption, neuron_table, weight_table
from .. import ui_scale
from ..changes import Change
from ..flow_layout import FlowBar, FlowLayout, Together
from ..plots.common import frame_scheduler, hidden
from ..screen_fit import FoldingLabel, PanelScroll, size_to_text
from ..session import NO_SELECTION, Selection
from .model import TraceTableModel

#: width of a number column at the default text size (pixels)
NUMBER_COLUMN = 76
#: a panel lower than this many lines of text is short: its caption then takes one line
SHORT_LINES = 16
#: and lower than this many, very short: the Neurons/Weights tabs move up beside the caption (a row more)
VERY_SHORT_LINES = 10


class TraceTablePanel(QWidget):
    """Neurons and Weights tables with a sample selector, layer filter, precision, copy and CSV export."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("traceTablePanel")
        self._sizing = False  # (the table itself is setting the column widths)
        self._user_sized: set[str] = set()  # the tables whose number columns the user has resized
        self._dragging = False  # a mouse button is down on a table's header
        self._size_timer = QTimer(self)
        self._size_timer.setSingleShot(True)
        self._size_timer.setInterval(0)
        self._size_timer.timeout.connect(self._size_numbers)
        ui_scale.follow_font(self, self._font_changed)
        self.caption = FoldingLabel()  # one line (whole text in its tooltip) while the panel is short
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.sample_box = QComboBox()
        self.sample_box.setToolTip(
            "Show the numbers of one sample of the batch, or their mean over the batch"
        )
        self.sample_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Show one layer only")
        self.precision_box = QSpinBox()
        self.precision_box.setRange(0, 12)
        self.precision_box.setSuffix(" dp")
        self.precision_box.setToolTip("Decimal places shown (hover a cell for its full value)")
        self.precision_box.setValue(
            int(session.view_option("table_precision", session.view_option("precision", 4)))
        )
        # one button: click copies; its menu also saves a CSV file (keeps the bar narrow)
        self.copy_action = QAction("Copy", self)
        self.copy_action.setToolTip("Copy the selected rows (or the whole table) as tab-separated text")
        self.export_action = QAction("Export CSV…", self)
        self.export_action.setToolTip("Save the table, at full precision, as a CSV file")
        self.copy_button = QToolButton()
        self.copy_button.setDefaultAction(self.copy_action)
        self.copy_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self.copy_button)
        menu.addAction(self.copy_action)
        menu.addAction(self.export_action)
        self.copy_button.setMenu(menu)

        self.neuron_model = TraceTableModel("neurons", self)
        self.weight_model = TraceTableModel("weights", self)
        self.neuron_model.precision = self.weight_model.precision = self.precision_box.value()
        self.neuron_view = self._make_view(self.neuron_model, "neuronTable")
        self.weight_view = self._make_view(self.weight_model, "weightTable")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.neuron_view, "Neurons")
        self.tabs.addTab(self.weight_view, "Weights")

        # the same two tabs as two small buttons in the caption's line, for a very short panel (the
        # table's own tab bar, a line higher than the caption, hides)
        self.side_tabs = QWidget()
        self.side_tabs.setObjectName("tableTabsBesideCaption")
        side = QHBoxLayout(self.side_tabs)
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(0)
        self.side_group = QButtonGroup(self)
        for i in range(self.tabs.count()):
            button = QToolButton()
            button.setText(self.tabs.tabText(i))
            button.setCheckable(True)
            button.setChecked(i == 0)
            self.side_group.addButton(button, i)
            side.addWidget(button)
        self.side_tabs.hide()
        self.tabs.currentChanged.connect(lambda i: self.side_group.button(i).setChecked(True))
        self.side_group.idClicked.connect(self.tabs.setCurrentIndex)
        bar = FlowLayout()  # wraps in a narrow dock
        bar.addWidget(Together(QLabel("Show"), self.sample_box))
        bar.addWidget(Together(QLabel("Layer"), self.layer_box))
        bar.addWidget(self.precision_box)
        bar.addStretch(1)
        bar.addWidget(self.copy_button)
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.side_tabs)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(FlowBar(bar))
        layout.addWidget(self.tabs, 1)

        self._syncing = False
        self._stale = False
        self._sample_key: tuple | None = None

        self.sample_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.layer_box.currentIndexChanged.connect(self._apply_layer_filter)
        self.precision_box.valueChanged.connect(self._set_precision)
        self.tabs.currentChanged.connect(lambda _i: self._fill_layer_box())
        self.copy_action.triggered.connect(lambda _c=False: self.copy_to_clipboard())
        self.export_action.triggered.connect(lambda _c=False: self.export_csv())

        s = session
        s.changed.connect(self._changed)
        s.viewChanged.connect(self._view_changed)
        s.selectionChanged.connect(self._select_from_session)
        self._structure_changed()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if not isinstance(self.parentWidget() and self.parentWidget().parentWidget(), PanelScroll):
            self.fit_height(self.height())  # not in a dock's scroll area (which calls fit_height)

    def fit_height(self, pixels: int) -> None:
        """``pixels`` of the panel show: when that is short, the caption takes one line (its whole text
        in the tooltip), and when it is very short the Neurons/Weights tabs become two small buttons
        beside it, so that more rows of the table show."""
        line = self.fontMetrics().lineSpacing()
        self.caption.fold(pixels < SHORT_LINES * line)
        very = pixels < VERY_SHORT_LINES * line
        if very != self.side_tabs.isVisibleTo(self):
            self.side_tabs.setVisible(very)
            self.tabs.tabBar().setVisible(not very)
            # QTabWidget lays its tab bar out when resized: without this it kept the hidden bar's room
            size = self.tabs.size()
            QCoreApplication.sendEvent(self.tabs, QResizeEvent(size, size))
            # and its least height counts the hidden bar too: the table's own least height instead
            self.tabs.setMinimumHeight(self.neuron_view.minimumHeight() + 4 if very else 0)

    def _make_view(self, model: TraceTableModel, name: str) -> QTableView:
        view = QTableView()
        view.setObjectName(name)
        view.setModel(model)
        view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        view.setSortingEnabled(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        self._size_rows(view)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setDefaultSectionSize(round(NUMBER_COLUMN * ui_scale.factor()))
        view.horizontalHeader().setStretchLastSection(True)
        view.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._row_selected(model, cur.row())
        )
        # the row under the pointer is hovered, like a neuron on the canvas (the boundary plot maps it)
        view.setMouseTracking(True)
        view.entered.connect(lambda index: self.session.hover(self._row_selection(model, index.row())))
        view.viewport().installEventFilter(self)
        view.installEventFilter(self)  # its width: the number columns narrow in a narrow table
        view.horizontalHeader().sectionResized.connect(
            lambda c, _old, _new, m=model: self._user_resized(m, c)
        )
        view.horizontalHeader().viewport().installEventFilter(self)  # a drag of a column's edge
        return view

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Resize and obj in (self.neuron_view, self.weight_view):
            self._size_timer.start()  # once the view has laid out its viewport at the new size
        elif event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease) and obj in (
            self.neuron_view.horizontalHeader().viewport(),
            self.weight_view.horizontalHeader().viewport(),
        ):
            self._dragging = event.type() == QEvent.Type.MouseButtonPress
        if event.type() == QEvent.Type.Leave and obj in (
            self.neuron_view.viewport(),
            self.weight_view.viewport(),
        ):
            self.session.hover(None)
        return super().eventFilter(obj, event)

    # ------------------------------------------------------------------ refreshing
    def _schedule(self) -> None:
        if self.session.running:  # once per turn of the event loop, and only when on screen
            if hidden(self):
                self._stale = True
            else:
                frame_scheduler().request(id(self), self.refresh, self)
        else:
            self.refresh()

    def shown(self) -> None:
        """The dock became visible: catch up with a refresh skipped while it was hidden."""
        if self._stale:
            self.refresh()

    def _changed(self, change: Change) -> None:
        if change & Change.SHAPE:
            self._structure_changed()
        elif change & (Change.NUMBERS | Change.DATASET):
            self._schedule()
        if change & Change.STAGE:
            self._stage_changed(self.session.stage)

    def _structure_changed(self) -> None:
        self._fill_layer_box()
        self.refresh()
        self._fit_columns()

    def _fit_columns(self) -> None:
        for view, model in ((self.neuron_view, self.neuron_model), (self.weight_view, self.weight_model)):
            for c in range(model.n_text):
                view.resizeColumnToContents(c)
        self._size_numbers()

    def _user_resized(self, model: TraceTableModel, column: int) -> None:
        """A column the user dragged keeps its width: the table stops fitting its number columns."""
        if self._dragging and not self._sizing and column >= model.n_text:
            self._user_sized.add(model.kind)

    def _size_numbers(self) -> None:
        """The number columns at their usual width (:data:`NUMBER_COLUMN`), or, in a table too narrow
        for them all, as narrow as needed for all to show without scrolling sideways, down to the
        width of a number of one digit before the point at the precision chosen (e.g. −0.0000: a
        longer one is shortened with "…", its whole value in its tooltip) or of their headings."""
        usual = round(NUMBER_COLUMN * ui_scale.factor())
        for view, model in ((self.neuron_view, self.neuron_model), (self.weight_view, self.weight_model)):
            if model.kind in self._user_sized:
                continue
            header = view.horizontalHeader()
            numbers = range(model.n_text, model.columnCount())
            if not numbers:
                continue
            fm = view.fontMetrics()
            least = fm.horizontalAdvance("−0." + "0" * max(model.precision, 1)) + 10
            heads = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in numbers]
            titles = max(header.fontMetrics().horizontalAdvance(h) for h in heads) + 10
            text = sum(header.sectionSize(c) for c in range(model.n_text))
            room = view.viewport().width() - text
            width = min(usual, max(room // len(numbers), least, titles)) if room > 0 else usual
            self._sizing = True
            try:
                for c in numbers:
                    if header.sectionSize(c) != width:
                        header.resizeSection(c, width)
                header.setDefaultSectionSize(width)
            finally:
                self._sizing = False

    @staticmethod
    def _size_rows(view: QTableView) -> None:
        """Rows a line of the view's text high; the view at least as high as its header and one row."""
        row = view.fontMetrics().height() + 6
        view.verticalHeader().setDefaultSectionSize(row)
        view.setMinimumHeight(2 * row + 4)

    def _font_changed(self) -> None:
        """The window's text size changed: rows and columns take the new font's size."""
        for view in (self.neuron_view, self.weight_view):
            self._size_rows(view)
        self._user_sized.clear()  # every column takes the new text size
        self._fit_columns()

    def _view_changed(self, key: str) -> None:
        if key in NOTATION_KEYS:
            self.refresh()
        elif key == "table_precision":
            self.precision_box.setValue(int(self.session.view_option("table_precision", 4)))

    @property
    def sample(self) -> int | None:
        """Index into the batch of the sample shown, or None for the batch mean."""
        data = self.sample_box.currentData()
        return None if data is None or data < 0 else int(data)

    def _fill_samples(self, trace) -> None:
        key = () if trace is None else tuple(trace.sample_indices)
        if key == self._sample_key:
            return
        self._sample_key = key
        previous = self.sample_box.currentData()
        self.sample_box.blockSignals(True)
        self.sample_box.clear()
        if trace is None:
            self.sample_box.addItem("(no step yet)", 0)
        else:
            names = [
                f"Sample {idx + 1}" if len(key) == 1 else f"{i + 1}: sample {idx + 1}"
                for i, idx in enumerate(trace.sample_indices)
            ]
            if len(key) > 1:
                names.append("Batch mean")
            size_to_text(self.sample_box, max(names, key=len))
            for i, name in enumerate(names):
                self.sample_box.addItem(name, -1 if i == len(key) else i)
        pos = self.sample_box.findData(previous)
        self.sample_box.setCurrentIndex(pos if pos >= 0 else 0)
        self.sample_box.blockSignals(False)

    def refresh(self) -> None:
        """Rebuild both tables from what the session presents (a step, a forward pass, or the weights)."""
        self._stale = False
        s = self.session
        p = s.presenter()
        self._fill_samples(p.trace)
        n_layers = p.network.n_layers
        self.neuron_model.names = self.weight_model.names = p.names
        self.neuron_model.set_table(neuron_table(p, self.sample), n_layers)
        self.weight_model.set_table(weight_table(p), n_layers)
        self.caption.setText(caption(p))
        self._select_from_session(s.selection)

    def _stage_changed(self, stage: str) -> None:
        kind, _, num = stage.partition(" ")
        layer = None
        if kind in ("forward", "backward"):
            layer = int(num)
        elif kind == "loss":
            layer = self.session.network.n_layers
        self.neuron_model.set_highlight(layer)
        self.weight_model.set_highlight(layer)

    # ------------------------------------------------------------------ filter and precision
    @property
    def current_model(self) -> TraceTableModel:
        return self.neuron_model if self.tabs.currentIndex() == 0 else self.weight_model

    @property
    def current_view(self) -> QTableView:
        return self.neuron_view if self.tabs.currentIndex() == 0 else self.weight_view

    def _fill_layer_box(self) -> None:
        net = self.session.network
        model = self.current_model
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItem("All layers", None)
        L = net.n_layers
        if model.kind == "neurons":
            for l in range(L + 1):
                self.layer_box.addItem(f"{l + 1}: {layer_title(l, L)}", l)
        else:
            for l in range(L):
                self.layer_box.addItem(f"{layer_title(l, L)} → {layer_title(l + 1, L)}", l)
        pos = self.layer_box.findData(model.layer_filter) if model.layer_filter is not None else 0
        self.layer_box.setCurrentIndex(max(pos, 0))
        self.layer_box.blockSignals(False)
        if pos < 0:
            model.set_layer_filter(None)

    def _apply_layer_filter(self) -> None:
        self.current_model.set_layer_filter(self.layer_box.currentData())
        self._select_from_session(self.session.selection)

    def _set_precision(self, decimals: int) -> None:
        self.neuron_model.set_precision(decimals)
        self.weight_model.set_precision(decimals)
        self._size_numbers()
        self.session.set_view_option("table_precision", int(decimals))

    # ------------------------------------------------------------------ selection, both ways
    @staticmethod
    def _row_selection(model: TraceTableModel, row: int) -> Selection | None:
        """The neuron, connection or bias of ``row`` (None outside the table)."""
        if row < 0 or row >= model.rowCount():
            return None
        layer, index, frm = model.row_key(row)
        if model.kind == "neurons":
            return Selection("neuron", layer, index)
        if frm < 0:
            return Selection("bias", layer, index)
        return Selection("edge", layer, index, frm)

    def _row_selected(self, model: TraceTableModel, row: int) -> None:
        sel = self._row_selection(model, row)
        if self._syncing or sel is None:
            return
        self._syncing = True
        try:
            self.session.select(sel)
        finally:
            self._syncing = False

    def _select_from_session(self, sel: Selection) -> None:
        if self._syncing:
            return
        if sel == NO_SELECTION or sel.kind not in ("neuron", "edge", "bias"):
            return
        if sel.kind == "neuron":
            model, view, tab, key = self.neuron_model, self.neuron_view, 0, (sel.layer, sel.index, -1)
        elif sel.kind == "edge":
            model, view, tab, key = self.weight_model, self.weight_view, 1, (sel.layer, sel.index, sel.frm)
        else:
            model, view, tab, key = self.weight_model, self.weight_view, 1, (sel.layer, sel.index, -1)
        row = model.find_row(*key)
        self._syncing = True
        try:
            if row < 0 and model.layer_filter is not None:
                if self.tabs.currentIndex() == tab:
                    self.layer_box.setCurrentIndex(0)
                else:
                    model.set_layer_filter(None)
                row = model.find_row(*key)
            if row < 0:
                return
            self.tabs.setCurrentIndex(tab)
            index = model.index(row, 0)
            view.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            view.scrollTo(index)
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ copy and export
    def _selected_rows(self) -> list[int] | None:
        rows = sorted({i.row() for i in self.current_view.selectionModel().selectedRows()})
        return rows or None

    def copy_to_clipboard(self) -> str:
        """Copy the selected rows (or all) of the current tab as tab-separated text; returns the text."""
        lines = self.current_model.rows_as_text(self._selected_rows())
        text = "\n".join("\t".join(line) for line in lines) + "\n"
        QGuiApplication.clipboard().setText(text)
        self.session.statusMessage.emit(
            f"Copied {len(lines) - 1} rows of the {self.current_model.kind} table"
        )
        return text

    def export_csv(self, path: str | None = None) -> Path | None:
        """Save the current tab (all rows shown, full precision) as CSV; asks for a file name if needed."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export the table as CSV", f"{self.current_model.kind}.csv", "CSV files (*.csv)"
            )
            if not path:
                return None
        target = Path(path)
        try:
            with open(target, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows(self.current_model.rows_as_text(full_precision=True))
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {target}: {exc.strerror or exc}")
            return None
        self.session.statusMessage.emit(f"Wrote {target}")
        return target
