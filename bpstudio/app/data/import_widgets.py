"""The parts of the dataset import dialog: option pages for a table, an .npz file and IDX files, the
preview table, the picture strip and the summary line (see :mod:`bpstudio.app.data.import_dialog`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...data import Dataset
from ...data.csvfile import AUTO, WHITESPACE, TablePeek
from ...data.files import guess_format
from ...data.idx import idx_header
from ...data.npzfile import ArrayInfo, default_keys
from ...teaching.labels import fmt

FILE_FILTER = "Data files (*.csv *.tsv *.tab *.txt *.dat *.npz *.idx *ubyte *.gz);;All files (*)"
KINDS = (
    ("delimited", "Delimited text (CSV, TSV, TXT)", "A table: one row per sample, one column per variable"),
    ("npz", "NumPy arrays (.npz)", "Arrays saved with numpy.savez (read without pickle)"),
    ("idx", "IDX images + labels (MNIST)", "An images file and a labels file, as MNIST is distributed"),
)
DELIMITERS = (
    (AUTO, "Detect", "Find the delimiter from the first rows (comma, tab, semicolon, bar or spaces)"),
    (",", "Comma  ( , )", "Fields separated by commas"),
    (";", "Semicolon  ( ; )", "Fields separated by semicolons (common where the decimal mark is a comma)"),
    ("\t", "Tab", "Fields separated by tab characters (TSV)"),
    (WHITESPACE, "Spaces / tabs", "Fields separated by any run of spaces or tabs"),
    ("|", "Bar  ( | )", "Fields separated by vertical bars"),
)
HEADERS = (
    ("auto", "Detect", "The first row is a header if any of its fields is not a number"),
    (True, "First row is a header", "The first row names the columns"),
    (False, "No header", "The first row is data; the columns are called column 1, column 2, …"),
)
TARGET_TYPES = (
    ("auto", "Detect", "Text targets become one-hot class labels; numbers stay numbers"),
    (True, "Class labels → one-hot", "Each distinct value is a class: one output per class (one-hot)"),
    (False, "Numbers", "The targets are numbers (regression, or 0/1 for a binary task)"),
)
#: the words for a detected delimiter
DELIMITER_WORDS = {",": "comma", ";": "semicolon", "\t": "tab", WHITESPACE: "spaces", "|": "bar"}
#: background of the target columns in the preview (amber, readable in light and dark themes)
TARGET_TINT = QColor(240, 140, 0, 70)


def guess_kind(path: str | Path) -> str:
    """``delimited``, ``npz`` or ``idx`` from a file name (a table when the name says nothing)."""
    p = Path(path)
    found = guess_format(p)
    if found in ("npz", "idx"):
        return found
    return "idx" if "ubyte" in p.name.lower() else "delimited"


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def _listing(names: Sequence[str], most: int = 6) -> str:
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[: most - 1]) + ", …, " + names[-1]


def summary_text(ds: Dataset) -> str:
    """One line, e.g. ``150 samples, 4 inputs, 3 classes (setosa, versicolor, virginica); 2 missing
    values filled with the column mean``, then the importer's notes."""
    text = f"{_plural(len(ds), 'sample')}, {_plural(ds.n_inputs, 'input')}, "
    if ds.is_classification and ds.class_names:
        text += f"{_plural(len(ds.class_names), 'class', 'classes')} ({_listing(ds.class_names)})"
    else:
        text += f"{_plural(ds.n_outputs, 'numeric target')} ({_listing(ds.target_names)})"
    if ds.report is not None:
        if ds.report.total_filled:
            text += f"; {_plural(ds.report.total_filled, 'missing value')} filled with the column mean"
        for note in ds.report.notes:
            text += f"; {note}"
    return text


def make_combo(items: Sequence[tuple[Any, str, str]], current: Any, name: str = "") -> QComboBox:
    """A combo box of (value, text, tooltip) items showing ``current`` (the first item if absent)."""
    box = QComboBox()
    if name:
        box.setObjectName(name)
    for i, (value, text, tip) in enumerate(items):
        box.addItem(text, value)
        box.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
    box.setToolTip("\n".join(f"{text}: {tip}" for _v, text, tip in items))
    # True == 1 in Python, so compare types too
    match = [i for i, it in enumerate(items) if it[0] == current and type(it[0]) is type(current)]
    box.setCurrentIndex(match[0] if match else 0)
    return box


def read_only(table: QTableWidget) -> None:
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.verticalHeader().setDefaultSectionSize(22)


class TextOptions(QWidget):
    """Delimiter, header and target columns of a table; emits ``targetsChanged`` when one is ticked."""

    targetsChanged = Signal()

    def __init__(self, remembered: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.delimiter_box = make_combo(DELIMITERS, remembered.get("delimiter", AUTO), "delimiter")
        self.header_box = make_combo(HEADERS, remembered.get("header", "auto"), "header")
        self.target_list = QListWidget()
        self.target_list.setObjectName("targetList")
        self.target_list.setToolTip(
            "Tick the column(s) that hold the targets; the others are the inputs.\n"
            "A click on a column's title in the preview ticks it too."
        )
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Delimiter:", self.delimiter_box)
        form.addRow("&Header:", self.header_box)
        label = QLabel("Target &column(s):")
        label.setBuddy(self.target_list)
        form.addRow(label)
        form.addRow(self.target_list)
        self._pressed: Qt.CheckState | None = None
        self.target_list.itemChanged.connect(lambda _item: self.targetsChanged.emit())
        self.target_list.itemPressed.connect(self._remember_press)
        self.target_list.itemClicked.connect(self._clicked)

    def show_detected(self, peek: TablePeek | None) -> None:
        """Say what "Detect" found, e.g. "Detect (semicolon)"."""
        delimiter = (
            f"Detect ({DELIMITER_WORDS.get(peek.delimiter, repr(peek.delimiter))})" if peek else "Detect"
        )
        header = "Detect" if peek is None else f"Detect ({'a header' if peek.header else 'no header'})"
        self.delimiter_box.setItemText(0, delimiter)
        self.header_box.setItemText(0, header)

    def set_columns(self, names: list[str], targets: list[int]) -> list[int]:
        """List the columns, ticking ``targets`` that still exist (else the last column); the ticked."""
        n = len(names)
        kept = [j for j in targets if 0 <= j < n]
        ticked = kept if kept and len(kept) < n else [n - 1]
        with QSignalBlocker(self.target_list):
            self.target_list.clear()
            for j, name in enumerate(names):
                item = QListWidgetItem(name)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
                )
                item.setCheckState(Qt.CheckState.Checked if j in ticked else Qt.CheckState.Unchecked)
                item.setToolTip(f"Column {j + 1}: tick to use it as a target")
                self.target_list.addItem(item)
        return ticked

    def ticked(self) -> list[int]:
        items = (self.target_list.item(j) for j in range(self.target_list.count()))
        return [j for j, item in enumerate(items) if item.checkState() == Qt.CheckState.Checked]

    def toggle(self, column: int) -> None:
        """Tick or untick one column."""
        item = self.target_list.item(column)
        if item is not None:
            on = item.checkState() == Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Unchecked if on else Qt.CheckState.Checked)

    def _remember_press(self, item: QListWidgetItem) -> None:
        self._pressed = item.checkState()

    def _clicked(self, item: QListWidgetItem) -> None:
        """A click on a column's name (not its box, which ticks itself) ticks it too."""
        if self._pressed is not None and item.checkState() == self._pressed:
            self.toggle(self.target_list.row(item))
        self._pressed = None


class NpzOptions(QWidget):
    """The arrays of an .npz file and which are the inputs and the targets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inputs_box = QComboBox()
        self.inputs_box.setObjectName("inputsArray")
        self.inputs_box.setToolTip("The array of inputs: one row per sample (pictures are flattened)")
        self.targets_box = QComboBox()
        self.targets_box.setObjectName("targetsArray")
        self.targets_box.setToolTip("The array of targets: one row (or one class label) per sample")
        self.array_table = QTableWidget(0, 3)
        self.array_table.setHorizontalHeaderLabels(["Array", "Shape", "Type"])
        self.array_table.setToolTip(
            "The arrays in the file (read without pickle: Python objects are refused)"
        )
        read_only(self.array_table)
        self.array_table.horizontalHeader().setStretchLastSection(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Inputs:", self.inputs_box)
        form.addRow("&Targets:", self.targets_box)
        form.addRow(QLabel("Arrays in the file:"))
        form.addRow(self.array_table)

    def set_arrays(self, arrays: list[ArrayInfo]) -> None:
        """List the arrays; keep the chosen ones if the file still has them, else the defaults."""
        self.array_table.setRowCount(len(arrays))
        for i, a in enumerate(arrays):
            for c, text in enumerate((a.name, a.shape_text(), a.dtype)):
                self.array_table.setItem(i, c, QTableWidgetItem(text))
        self.array_table.resizeColumnsToContents()
        usable = [a for a in arrays if a.usable and a.shape]
        names = [a.name for a in usable]
        kx, kt = default_keys(names)
        for box, default in ((self.inputs_box, kx), (self.targets_box, kt)):
            keep = box.currentData()
            with QSignalBlocker(box):
                box.clear()
                for a in usable:
                    box.addItem(f"{a.name}  ({a.shape_text()})", a.name)
                box.setCurrentIndex(max(box.findData(keep if keep in names else default), 0))


class IdxOptions(QWidget):
    """What the headers of IDX images and labels say; ``labels_row`` holds the labels file picker
    (the dialog puts it under the images file)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels_edit = QLineEdit()
        self.labels_edit.setObjectName("labelsFile")
        self.labels_edit.setToolTip("The IDX file of the labels that go with the images")
        self.labels_edit.setPlaceholderText("e.g. train-labels-idx1-ubyte.gz")
        self.labels_browse = QPushButton("Bro&wse…")
        self.labels_browse.setToolTip("Choose the labels file")
        self.labels_browse.setAutoDefault(False)
        self.labels_label = QLabel("&Labels:")
        self.labels_label.setBuddy(self.labels_edit)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info, 1)

    def show_picker(self, on: bool) -> None:
        for w in (self.labels_label, self.labels_edit, self.labels_browse):
            w.setVisible(on)

    @property
    def labels_path(self) -> Path | None:
        text = self.labels_edit.text().strip()
        return Path(text).expanduser().absolute() if text else None

    def show_headers(self, images: Path) -> list[int]:
        """Describe both files from their headers (DataError if one is not an IDX file); the image dims."""
        dims, kind = idx_header(images)
        lines = [f"Images: {' × '.join(f'{d:,}' for d in dims)} ({kind})"]
        labels = self.labels_path
        if labels is None:
            lines.append("Labels: choose the labels file that goes with the images.")
        else:
            ldims, lkind = idx_header(labels)
            lines.append(f"Labels: {' × '.join(f'{d:,}' for d in ldims)} ({lkind})")
        self.info.setText("\n".join(lines))
        return dims


class PreviewTable(QTableWidget):
    """The first rows of the data; target columns are tinted and their titles start with →."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importPreview")
        self.setToolTip("The first rows of the file; target columns are marked →")
        read_only(self)
        self.horizontalHeader().setSectionsClickable(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

    def set_rows(self, names: list[str], rows: list[list[str]], targets: set[int]) -> None:
        tint = QBrush(TARGET_TINT)
        self.clear()
        self.setColumnCount(len(names))
        self.setRowCount(len(rows))
        self.setHorizontalHeaderLabels([f"→ {n}" if j in targets else n for j, n in enumerate(names)])
        for r, row in enumerate(rows):
            for c in range(len(names)):
                item = QTableWidgetItem(row[c] if c < len(row) else "")
                if c in targets:
                    item.setBackground(tint)
                self.setItem(r, c, item)
        for c in range(min(len(names), 60)):  # measuring hundreds of columns would be slow
            self.resizeColumnToContents(c)
            self.setColumnWidth(c, min(max(self.columnWidth(c), 56), 160))

    def set_dataset(self, ds: Dataset, rows: int) -> None:
        """The first rows of a loaded dataset: inputs, then targets."""
        n = min(rows, len(ds))
        values = [[fmt(v, 4) for v in ds.X[i]] + [fmt(v, 4) for v in ds.T[i]] for i in range(n)]
        d = ds.n_inputs
        self.set_rows(list(ds.input_names) + list(ds.target_names), values, set(range(d, d + ds.n_outputs)))


def picture_strip(ds: Dataset, height: int, width: int, palette: QPalette, count: int = 10) -> QPixmap:
    """The first ``count`` pictures (dark ink on the base colour) with their class names under them."""
    n = min(count, len(ds))
    X = ds.X[:n]
    lo, hi = float(X.min()), float(X.max())
    scaled = (X - lo) / (hi - lo) if hi > lo else np.zeros_like(X)
    ink = (255 - np.round(255 * scaled)).astype(np.uint8)
    zoom = max(1, 56 // max(height, width))
    cell_w, cell_h = width * zoom + 10, height * zoom + 26
    pix = QPixmap(max(cell_w * n, 1), cell_h)
    pix.fill(palette.color(QPalette.ColorRole.Base))
    painter = QPainter(pix)
    painter.setPen(palette.color(QPalette.ColorRole.Text))
    labels = ds.labels() if ds.is_classification else None
    for i in range(n):
        data = np.ascontiguousarray(ink[i].reshape(height, width)).tobytes()
        img = QImage(data, width, height, width, QImage.Format.Format_Grayscale8)
        painter.drawImage(i * cell_w + 5, 4, img.scaled(width * zoom, height * zoom))
        if labels is not None and ds.class_names:
            label = ds.class_names[int(labels[i])]
        else:
            label = fmt(float(ds.T[i, 0]), 3)
        painter.drawText(i * cell_w, height * zoom + 6, cell_w, 18, int(Qt.AlignmentFlag.AlignCenter), label)
    painter.end()
    return pix
