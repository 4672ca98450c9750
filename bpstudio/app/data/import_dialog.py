"""The dataset import dialog: a CSV/TSV table, NumPy .npz arrays or MNIST-style IDX files, with a preview.

Picking a file fills the dialog; its kind is guessed from the name and can be changed. A table gets
its delimiter, header, target column(s) and target type; an .npz file the arrays to use as inputs
and targets; IDX images their labels file.

Every preview comes from the Qt-free importers of :mod:`bpstudio.data`, never from a parser of its
own: the table shows :func:`~bpstudio.data.csvfile.peek_delimited` (the head of the file, so it is
instant), and the one-line summary under it comes from :func:`~bpstudio.data.load_dataset` on the
whole file, run in a worker thread a moment after the options settle, so that a large file never
freezes the window. When the importer refuses the file its own message is shown in red and OK is
disabled. OK gives the dataset specification (:meth:`ImportDialog.spec`), naming the file relative
to the project's folder when it is inside or next to it.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...data import DataError, Dataset, load_dataset
from ...data.csvfile import TablePeek, peek_delimited
from ...data.files import guess_format, relative_data_path
from ...data.idx import guess_labels_file
from ...data.npzfile import npz_arrays
from ...engine import EngineError
from ..screen_fit import fit_dialog
from ..settings import AppSettings
from ..theme import is_dark
from .import_widgets import (
    FILE_FILTER,
    KINDS,
    TARGET_TYPES,
    IdxOptions,
    NpzOptions,
    PreviewTable,
    TextOptions,
    guess_kind,
    make_combo,
    picture_strip,
    summary_text,
)

__all__ = ["FILE_FILTER", "ImportDialog", "ask_import", "guess_kind", "summary_text"]

#: rows of the file shown in the preview table
PREVIEW_ROWS = 20
#: the whole file is read this long (ms) after the last change of an option
DEBOUNCE_MS = 250
#: how often (ms) the dialog looks whether the whole-file read has finished
POLL_MS = 30

#: one worker: at most one whole-file read at a time, however many dialogs there are
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bpstudio-import")


class ImportDialog(QDialog):
    """The options of one data file; :meth:`spec` gives the dataset specification after OK."""

    def __init__(
        self,
        path: str | Path | None = None,
        base_dir: str | Path | None = None,
        parent: QWidget | None = None,
        settings: AppSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle("Import a Dataset")
        #: the project's folder (None while the project has no file): paths are stored relative to it
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.settings = settings or AppSettings(self)
        remembered = self.settings.import_options()
        self.peek: TablePeek | None = None
        #: the dataset as the importer loads it (None while reading, or when it cannot)
        self.dataset: Dataset | None = None
        #: the message shown in red ("" when there is none)
        self.error = ""
        self.targets: list[int] = []
        self._head_ok = False  # the head of the file could be read with these options
        self._shown_path = ""
        self._future: Future | None = None
        self._future_spec: dict[str, Any] | None = None

        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("dataFile")
        self.file_edit.setToolTip("The data file (for IDX: the images file); Browse… to choose one")
        self.file_edit.setPlaceholderText("Choose a file…")
        self.browse_button = QPushButton("&Browse…")
        self.browse_button.setToolTip("Choose the data file")
        self.browse_button.setAutoDefault(False)  # Enter is Import, wherever the focus is
        self.kind_box = make_combo(KINDS, "delimited", "fileKind")
        self.kind_box.setToolTip("How to read the file (guessed from its name)")
        self.text_page = TextOptions(remembered)
        self.npz_page = NpzOptions()
        self.idx_page = IdxOptions()
        self.pages = QStackedWidget()
        self.page_of = {"delimited": self.text_page, "npz": self.npz_page, "idx": self.idx_page}
        for page in self.page_of.values():
            self.pages.addWidget(page)
        self.onehot_box = make_combo(TARGET_TYPES, remembered.get("onehot", "auto"), "targetType")

        self.table = PreviewTable()
        self.pictures = QLabel()
        self.pictures.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.pictures.setContentsMargins(0, 12, 0, 0)
        self.pictures.setToolTip("The first pictures of the file, with their labels")
        self.preview = QStackedWidget()
        self.preview.addWidget(self.table)
        self.preview.addWidget(self.pictures)
        self.summary = QLabel()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setToolTip("The dataset as it will be imported (read from the whole file)")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Import")
        self.ok_button.setToolTip("Use this dataset (Enter)")
        self.ok_button.setDefault(True)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setToolTip("Close without importing anything (Esc)")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()

        order = [self.file_edit, self.browse_button, self.kind_box]
        order += [self.text_page.delimiter_box, self.text_page.header_box, self.text_page.target_list]
        order += [self.npz_page.inputs_box, self.npz_page.targets_box, self.npz_page.array_table]
        order += [self.idx_page.labels_edit, self.idx_page.labels_browse]
        order += [self.onehot_box, self.table, self.ok_button, cancel]
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._start_load)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_load)

        self.browse_button.clicked.connect(lambda: self.browse())
        self.idx_page.labels_browse.clicked.connect(lambda: self.browse_labels())
        self.file_edit.editingFinished.connect(self._file_edited)
        self.idx_page.labels_edit.editingFinished.connect(self._changed)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.text_page.delimiter_box.currentIndexChanged.connect(self._changed)
        self.text_page.header_box.currentIndexChanged.connect(self._changed)
        self.text_page.targetsChanged.connect(self._targets_changed)
        for box in (self.onehot_box, self.npz_page.inputs_box, self.npz_page.targets_box):
            box.currentIndexChanged.connect(self._schedule_load)
        self.table.horizontalHeader().sectionClicked.connect(self.toggle_target)
        self.set_file(path)

    def _lay_out(self) -> None:
        top = QGridLayout()
        for row, (text, widget) in enumerate((("&File:", self.file_edit), ("&Read as:", self.kind_box))):
            label = QLabel(text)
            label.setBuddy(widget)
            top.addWidget(label, row, 0)
        top.addWidget(self.file_edit, 0, 1)
        top.addWidget(self.browse_button, 0, 2)
        top.addWidget(self.kind_box, 1, 1, 1, 2)
        top.addWidget(self.idx_page.labels_label, 2, 0)
        top.addWidget(self.idx_page.labels_edit, 2, 1)
        top.addWidget(self.idx_page.labels_browse, 2, 2)
        top.setColumnStretch(1, 1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 4, 0)
        ll.addWidget(self.pages, 1)
        tform = QFormLayout()
        tform.addRow("Target &type:", self.onehot_box)
        ll.addLayout(tform)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(4, 0, 0, 0)
        self.preview_label = QLabel()
        rl.addWidget(self.preview_label)
        rl.addWidget(self.preview, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 620])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        fit_dialog(self, 960, 580)

    # ------------------------------------------------------------------ choosing files
    def _start_dir(self) -> str:
        current = self.file_edit.text().strip()
        if current and Path(current).expanduser().parent.is_dir():
            return str(Path(current).expanduser().parent)
        return self.settings.import_folder() or str(self.base_dir or Path.home())

    def _dialog_parent(self) -> QWidget:
        parent = self.parentWidget()
        return self if self.isVisible() or parent is None else parent

    def browse(self) -> bool:
        """Ask for the data file (QFileDialog); False if the user cancelled."""
        path, _ = QFileDialog.getOpenFileName(
            self._dialog_parent(), "Import a dataset", self._start_dir(), FILE_FILTER
        )
        if not path:
            return False
        self.set_file(path)
        return True

    def browse_labels(self) -> bool:
        """Ask for the IDX labels file; False if the user cancelled."""
        path, _ = QFileDialog.getOpenFileName(
            self._dialog_parent(),
            "The labels file that goes with these images",
            self._start_dir(),
            FILE_FILTER,
        )
        if not path:
            return False
        self.idx_page.labels_edit.setText(path)
        self._changed()
        return True

    def set_file(self, path: str | Path | None) -> None:
        """Show ``path``: guess its kind (and an IDX labels file next to it); targets start afresh."""
        text = str(Path(path).expanduser()) if path else ""
        with QSignalBlocker(self.file_edit):
            self.file_edit.setText(text)
        self.targets = []
        if text:
            kind = guess_kind(text)
            with QSignalBlocker(self.kind_box):
                self.kind_box.setCurrentIndex(self.kind_box.findData(kind))
            if kind == "idx":
                labels = guess_labels_file(Path(text))
                self.idx_page.labels_edit.setText(str(labels) if labels else "")
        self._kind_changed()

    def _file_edited(self) -> None:
        if self.file_edit.text().strip() != self._shown_path:
            self.set_file(self.file_edit.text().strip())

    @property
    def kind(self) -> str:
        """``delimited``, ``npz`` or ``idx``: how the file is read."""
        return str(self.kind_box.currentData())

    @property
    def path(self) -> Path | None:
        text = self.file_edit.text().strip()
        return Path(text).expanduser().absolute() if text else None

    def _kind_changed(self) -> None:
        idx = self.kind == "idx"
        self.pages.setCurrentWidget(self.page_of[self.kind])
        self.idx_page.show_picker(idx)
        self.preview.setCurrentWidget(self.pictures if idx else self.table)
        self.preview_label.setText("Preview (the first pictures):" if idx else "Preview (the first rows):")
        self._changed()

    # ------------------------------------------------------------------ the head of the file
    def _changed(self) -> None:
        """The file or an option of how to read it changed: look at the head now, read it all soon."""
        self._shown_path = self.file_edit.text().strip()
        self.peek, self._head_ok, self.dataset = None, False, None
        self.table.set_rows([], [], set())
        self.pictures.clear()
        path = self.path
        try:
            if path is None:
                raise DataError("Choose a data file.")
            if self.kind == "delimited":
                page = self.text_page
                self.peek = peek_delimited(
                    path, page.delimiter_box.currentData(), page.header_box.currentData(), PREVIEW_ROWS
                )
                self.targets = page.set_columns(self.peek.names, self.targets)
                self._show_head()
            elif self.kind == "npz":
                self.npz_page.set_arrays(npz_arrays(path))
            else:
                self.idx_page.show_headers(path)
                if self.idx_page.labels_path is None:
                    self._show_error("Choose the labels file that goes with these images.", alarm=False)
                    return
        except (DataError, EngineError, OSError) as exc:
            self._show_error(str(exc))
            return
        finally:
            self.text_page.show_detected(self.peek)
        self._head_ok = True
        self._schedule_load()

    def _show_head(self) -> None:
        if self.peek is not None:
            self.table.set_rows(self.peek.names, self.peek.rows, set(self.targets))

    def _targets_changed(self) -> None:
        self.targets = self.text_page.ticked()
        self._show_head()
        self._schedule_load()

    def toggle_target(self, column: int) -> None:
        """Make a column a target, or an input again (a click on its title in the preview)."""
        if self.kind == "delimited" and self.peek is not None:
            self.text_page.toggle(column)

    # ------------------------------------------------------------------ reading the whole file
    def _schedule_load(self) -> None:
        """Read the whole file a moment after the last change (not on every click or keystroke)."""
        if not self._head_ok:
            return
        self.dataset = None
        self.error = ""
        self.ok_button.setEnabled(False)
        self.summary.setStyleSheet("")
        self.summary.setText("Reading the file…")
        self._debounce.start()

    def _start_load(self) -> None:
        if self._future is not None:  # one read at a time: the next starts when this one ends
            return
        try:
            spec = self.load_spec()
        except DataError as exc:
            self._show_error(str(exc))
            return
        self._future_spec = spec
        self._future = _EXECUTOR.submit(load_dataset, spec)
        self._poll.start()

    def _check_load(self) -> None:
        future = self._future
        if future is None or not future.done():
            return
        self._poll.stop()
        self._future = None
        if not self._head_ok:  # the file or options changed and cannot be read: that error is shown
            return
        try:
            current = self.load_spec()
        except DataError as exc:
            self._show_error(str(exc))
            return
        if current != self._future_spec:  # the options changed meanwhile: read again
            self._start_load()
            return
        exc = future.exception()
        if exc is None:
            self._show_dataset(future.result())
        elif isinstance(exc, (DataError, EngineError, OSError)):
            self._show_error(str(exc))
        elif isinstance(exc, MemoryError):
            self._show_error("There is not enough memory to read this file.")
        else:
            self._show_error(f"Cannot read this file ({type(exc).__name__}: {exc})")

    @property
    def loading(self) -> bool:
        """True while the whole file is about to be, or being, read."""
        return self._debounce.isActive() or self._future is not None

    def _show_error(self, message: str, alarm: bool = True) -> None:
        """Why the file cannot be imported (in red unless it is just the next step); OK disabled."""
        self.error = message
        self.dataset = None
        red = "#ff8787" if is_dark(self.palette()) else "#c92a2a"
        self.summary.setStyleSheet(f"color: {red}" if alarm else "")
        self.summary.setText(message)
        self.ok_button.setEnabled(False)

    def _show_dataset(self, ds: Dataset) -> None:
        self.error = ""
        self.dataset = ds
        self.summary.setStyleSheet("")
        self.summary.setText(summary_text(ds))
        self.ok_button.setEnabled(True)
        if self.kind == "npz":
            self.table.set_dataset(ds, PREVIEW_ROWS)
        elif self.kind == "idx":
            self._show_pictures(ds)

    def _show_pictures(self, ds: Dataset) -> None:
        try:
            dims = self.idx_page.show_headers(self.path) if self.path is not None else []
        except DataError:
            dims = []
        if len(dims) == 3 and dims[1] * dims[2] == ds.n_inputs:
            self.pictures.setPixmap(picture_strip(ds, dims[1], dims[2], self.palette()))
        else:
            self.table.set_dataset(ds, PREVIEW_ROWS)
            self.preview.setCurrentWidget(self.table)

    # ------------------------------------------------------------------ the specification
    def load_spec(self, relative: bool = False) -> dict[str, Any]:
        """The dataset specification of the options (absolute paths unless ``relative``)."""
        path = self.path
        if path is None:
            raise DataError("Choose a data file.")

        def name(p: Path) -> str:
            return relative_data_path(p, self.base_dir) if relative else str(p)

        spec: dict[str, Any] = {"file": name(path)}
        if self.kind == "delimited":
            peek = self.peek
            if peek is None:
                raise DataError(self.error or "The file could not be read.")
            spec["format"] = "tsv" if guess_format(path) == "tsv" else "csv"
            spec["delimiter"] = peek.delimiter
            spec["header"] = peek.header
            by_name = peek.header and len(set(peek.names)) == len(peek.names)
            spec["target"] = [peek.names[j] if by_name else j + 1 for j in self.targets]
        elif self.kind == "npz":
            spec["format"] = "npz"
            for key, box in (
                ("inputs_key", self.npz_page.inputs_box),
                ("targets_key", self.npz_page.targets_box),
            ):
                if box.currentData() is not None:
                    spec[key] = box.currentData()
        else:
            spec["format"] = "idx"
            labels = self.idx_page.labels_path
            if labels is None:
                raise DataError("Choose the labels file that goes with these images.")
            spec["labels"] = name(labels)
        if self.onehot_box.currentData() != "auto":
            spec["onehot"] = self.onehot_box.currentData()
        return spec

    def spec(self) -> dict[str, Any]:
        """The specification OK gives: paths relative to the project's folder when inside or next to it."""
        return self.load_spec(relative=True)

    def options(self) -> dict[str, Any]:
        """The choices remembered for the next import."""
        return {
            "delimiter": self.text_page.delimiter_box.currentData(),
            "header": self.text_page.header_box.currentData(),
            "onehot": self.onehot_box.currentData(),
        }

    def accept(self) -> None:
        """OK (or Enter): only once the whole file has been read without error."""
        if not self.ok_button.isEnabled() or self.dataset is None or self.loading:
            return
        path = self.path
        if path is not None:
            self.settings.remember_import(path.parent, self.options())
        super().accept()

    def done(self, result: int) -> None:
        self._debounce.stop()
        self._poll.stop()
        super().done(result)


def ask_import(
    parent: QWidget | None, base_dir: str | Path | None = None, path: str | Path | None = None
) -> dict[str, Any] | None:
    """The specification of a file the user imports (asking for the file first when ``path`` is None),
    or None if they cancelled."""
    dlg = ImportDialog(path, base_dir, parent)
    try:
        if path is None and not dlg.browse():
            return None
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        return dlg.spec()
    finally:
        dlg.deleteLater()
