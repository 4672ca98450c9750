"""The Qt model of the δ/Δw table: formats a :class:`~bpstudio.teaching.tables.TableData`, nothing more.

Virtualised: the model holds one float matrix and formats a cell only when the view asks for it, so
a 784-30-10 network (23,860 weight rows) costs no more to show than XOR. Filtering by layer and
sorting reorder an index array (NumPy), never the data.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ...teaching.labels import NOTES, fmt, layer_title
from ...teaching.tables import TableData

#: role giving the unformatted value of a cell (float, or None when blank; text for name columns)
RawRole = Qt.ItemDataRole.UserRole + 1

_HIGHLIGHT = QColor(255, 214, 102, 90)

#: the invalid index that stands for the root (the parent of every row)
_ROOT = QModelIndex()


class TraceTableModel(QAbstractTableModel):
    """Rows of a TableData; the first ``n_text`` columns are names, the rest numbers."""

    def __init__(self, kind: str, parent=None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.n_text = 2 if kind == "neurons" else 3
        self._data: TableData | None = None
        self._rows = np.zeros(0, dtype=np.int64)
        self._n_layers = 1
        self.precision = 3
        #: how neurons, weights and biases are named (the session's notation, set with each table)
        self.names = NOTES
        self.layer_filter: int | None = None
        self.highlight_layer: int | None = None
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # ------------------------------------------------------------------ filling
    @property
    def table(self) -> TableData | None:
        return self._data

    def set_table(self, data: TableData, n_layers: int) -> None:
        """Show ``data``; when only the numbers changed the rows keep their order and selection."""
        old = self._data
        same_rows = (
            old is not None
            and old.n_rows == data.n_rows
            and old.columns == data.columns
            and np.array_equal(old.layer, data.layer)
            and np.array_equal(old.index, data.index)
            and np.array_equal(old.frm, data.frm)
        )
        self._n_layers = n_layers
        if same_rows:
            self._data = data
            sorted_by_value = self._sort is not None and self._sort[0] >= self.n_text
            if sorted_by_value:
                self._resort()
            elif self._rows.size:
                self.dataChanged.emit(
                    self.index(0, self.n_text), self.index(self._rows.size - 1, len(data.columns) - 1)
                )
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(data.columns) - 1)
            return
        self.beginResetModel()
        self._data = data
        self._rows = self._select_rows()
        if self._sort is not None:
            self._rows = self._ordered(self._rows, *self._sort)
        self.endResetModel()

    def set_precision(self, decimals: int) -> None:
        self.precision = int(decimals)
        self._all_changed()

    def set_layer_filter(self, layer: int | None) -> None:
        if layer == self.layer_filter:
            return
        self.beginResetModel()
        self.layer_filter = layer
        self._rows = self._select_rows()
        if self._sort is not None:
            self._rows = self._ordered(self._rows, *self._sort)
        self.endResetModel()

    def set_highlight(self, layer: int | None) -> None:
        if layer != self.highlight_layer:
            self.highlight_layer = layer
            self._all_changed()

    def _all_changed(self) -> None:
        if self._data is not None and self._rows.size:
            self.dataChanged.emit(self.index(0, 0), self.index(self._rows.size - 1, self.columnCount() - 1))

    def _select_rows(self) -> np.ndarray:
        d = self._data
        if d is None:
            return np.zeros(0, dtype=np.int64)
        if self.layer_filter is None:
            return np.arange(d.n_rows, dtype=np.int64)
        return np.nonzero(d.layer == self.layer_filter)[0].astype(np.int64)

    # ------------------------------------------------------------------ lookups
    def data_row(self, row: int) -> int:
        """The TableData row shown at view row ``row``."""
        return int(self._rows[row])

    def row_key(self, row: int) -> tuple[int, int, int]:
        d = self._data
        r = self.data_row(row)
        return int(d.layer[r]), int(d.index[r]), int(d.frm[r])  # type: ignore[union-attr]

    def find_row(self, layer: int, index: int, frm: int = -1) -> int:
        """The view row of a key, or −1 if it is not shown (filtered out or absent)."""
        d = self._data
        if d is None:
            return -1
        hits = np.nonzero((d.layer == layer) & (d.index == index) & (d.frm == frm))[0]
        if hits.size == 0:
            return -1
        pos = np.nonzero(self._rows == hits[0])[0]
        return int(pos[0]) if pos.size else -1

    def value(self, row: int, column: int) -> float | None:
        v = float(self._data.values[self.data_row(row), column - self.n_text])  # type: ignore[union-attr]
        return None if math.isnan(v) else v

    def name(self, row: int, column: int) -> str:
        layer, index, frm = self.row_key(row)
        names = self.names
        if self.kind == "neurons":
            if column == 0:
                return layer_title(layer, self._n_layers)
            return names.neuron(layer, index)
        if column == 0:
            return "bias (1)" if frm < 0 else names.neuron(layer, frm)
        if column == 1:
            return names.neuron(layer + 1, index)
        return names.bias(layer, index) if frm < 0 else names.weight(layer, index, frm)

    # ------------------------------------------------------------------ QAbstractTableModel
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else int(self._rows.size)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        if parent.isValid() or self._data is None:
            return 0
        return len(self._data.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._data is None:
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < self._rows.size and 0 <= col < len(self._data.columns)):
            return None
        text_col = col < self.n_text
        if role == Qt.ItemDataRole.DisplayRole:
            if text_col:
                return self.name(row, col)
            v = self.value(row, col)
            return "" if v is None else fmt(v, self.precision)
        if role == RawRole:
            return self.name(row, col) if text_col else self.value(row, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if text_col:
                return self._data.tooltips[col] or None
            v = self.value(row, col)
            return "not computed yet" if v is None else f"{self._data.columns[col]} = {v:.17g}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if text_col:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and self.highlight_layer is not None:
            layer = int(self._data.layer[self.data_row(row)])
            if self.kind == "weights":
                hit = layer in (self.highlight_layer - 1,)
            else:
                hit = layer == self.highlight_layer
            return QBrush(_HIGHLIGHT) if hit else None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if self._data is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self._data.columns):
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return self._data.columns[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return self._data.tooltips[section] or None
            return None
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < self._rows.size:
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # ------------------------------------------------------------------ sorting
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self._data is None or not 0 <= column < len(self._data.columns):
            if self._sort is not None:  # back to the natural order
                self.layoutAboutToBeChanged.emit()
                self._sort = None
                self._remap(self._rows, self._select_rows())
                self.layoutChanged.emit()
            return
        self._sort = (column, order)
        self._resort()

    def _ordered(self, rows: np.ndarray, column: int, order: Qt.SortOrder) -> np.ndarray:
        d = self._data
        assert d is not None
        desc = order == Qt.SortOrder.DescendingOrder
        if column >= self.n_text:
            key = d.values[rows, column - self.n_text]
            blank = np.isnan(key)
            key = np.where(blank, 0.0, -key if desc else key)
            return rows[np.lexsort((key, blank))]
        # name columns: by layer, then the neuron the column names
        if self.kind == "neurons":
            keys = (d.index[rows], d.layer[rows]) if column == 0 else (d.layer[rows], d.index[rows])
        elif column == 0:
            keys = (d.frm[rows], d.layer[rows])
        elif column == 1:
            keys = (d.index[rows], d.layer[rows])
        else:
            keys = (d.frm[rows], d.index[rows], d.layer[rows])
        order_idx = np.lexsort(keys)
        if desc:
            order_idx = order_idx[::-1]
        return rows[order_idx]

    def _resort(self) -> None:
        if self._sort is None or self._data is None:
            return
        self.layoutAboutToBeChanged.emit()
        self._remap(self._rows, self._ordered(self._rows, *self._sort))
        self.layoutChanged.emit()

    def _remap(self, old_rows: np.ndarray, new_rows: np.ndarray) -> None:
        """Adopt a new row order (same rows), moving persistent indexes (the selection) along."""
        self._rows = new_rows
        where = np.empty(int(old_rows.max()) + 1 if old_rows.size else 0, dtype=np.int64)
        where[new_rows] = np.arange(new_rows.size)
        old = self.persistentIndexList()
        new = []
        for idx in old:
            if idx.isValid() and idx.row() < old_rows.size:
                new.append(self.index(int(where[old_rows[idx.row()]]), idx.column()))
            else:
                new.append(QModelIndex())
        self.changePersistentIndexList(old, new)

    # ------------------------------------------------------------------ export
    def rows_as_text(self, rows: list[int] | None = None, full_precision: bool = False) -> list[list[str]]:
        """The header and the given view rows (default: all) as text; full precision for CSV."""
        if self._data is None:
            return []
        out = [list(self._data.columns)]
        for r in range(self._rows.size) if rows is None else rows:
            line = []
            for c in range(len(self._data.columns)):
                if c < self.n_text:
                    line.append(self.name(r, c))
                else:
                    v = self.value(r, c)
                    if v is None:
                        line.append("")
                    else:  # plain ASCII minus so that spreadsheets read the numbers
                        line.append(
                            repr(v) if full_precision else fmt(v, self.precision).replace("\u2212", "-")
                        )
            out.append(line)
        return out
