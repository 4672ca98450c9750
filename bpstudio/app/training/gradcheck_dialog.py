"""Train ▸ Gradient Check: backpropagation's ∂E/∂θ against central differences for every weight and
bias of the network as it is now, on the first training samples (issue 15.4).

The check runs in the background on copies (the network, the settings, the samples), so the window
stays responsive and a large network can be cancelled; the table model only formats the rows that
:mod:`bpstudio.teaching.gradcheck` makes (the same as ``bpstudio gradcheck`` prints).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRectF, QSize, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QKeySequence, QPainter, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...engine import EngineError, GradientReport, check_parameters
from ...engine.gradcheck import TOLERANCE
from ...formats.io import portable_stem, write_bytes_atomic
from ...teaching.gradcheck import COLUMNS, report_csv, summary, table_rows
from ..dialogs import parse_number
from ..plots.common import paint_to_file
from ..screen_fit import fit_dialog
from .background import BackgroundTask, TaskState

if TYPE_CHECKING:
    from ..session import Session

#: the first this many training samples are checked unless the user chooses otherwise
DEFAULT_SAMPLES = 10


class GradientCheckModel(QAbstractTableModel):
    """The rows of a gradient check (text only); disagreeing rows are marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[list[str]] = []
        self.flagged: list[bool] = []

    def set_report(self, rows: list[list[str]], flagged: list[bool]) -> None:
        self.beginResetModel()
        self.rows, self.flagged = rows, flagged
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's name)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's name)
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[r][c]
        if role == Qt.ItemDataRole.TextAlignmentRole and c > 0:  # numbers right, the verdict centred
            horizontal = (
                Qt.AlignmentFlag.AlignHCenter if c == len(COLUMNS) - 1 else Qt.AlignmentFlag.AlignRight
            )
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and self.flagged[r]:
            return QColor(255, 80, 60, 70)  # translucent: readable in the light and the dark theme
        if role == Qt.ItemDataRole.ToolTipRole and self.flagged[r]:
            return "Backpropagation and the central difference disagree beyond the tolerance"
        return None


class _OnlyFlagged(QSortFilterProxyModel):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.only = False

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802 (Qt's name)
        model = self.sourceModel()
        return not self.only or (isinstance(model, GradientCheckModel) and model.flagged[row])


class GradientCheckDialog(QDialog):
    """The gradient check of the session's network (see the module docstring)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradientCheckDialog")
        self.setWindowTitle("Gradient Check")
        self.session = session
        self.report: GradientReport | None = None
        self.task = BackgroundTask("gradient check", self)
        self.task.partial.connect(self._progress)
        self.task.finished.connect(self._done)
        self.task.failed.connect(self._failed)

        intro = QLabel(
            "Compares backpropagation's ∂E/∂θ with the central difference (E(θ + h) − E(θ − h)) / 2h for "
            "every weight and bias, on the first training samples as one batch (the settings' loss, "
            "reduction and regularisation). Relative error: |g − ĝ| / max(|g|, |ĝ|, 10⁻³ · the largest "
            "|g|)."
        )
        intro.setWordWrap(True)
        self.samples = QSpinBox()
        self.samples.setObjectName("gradcheckSamples")
        self.h_edit = QLineEdit("1e-6")
        self.h_edit.setObjectName("gradcheckStep")
        self.tol_edit = QLineEdit(f"{TOLERANCE:g}")
        self.tol_edit.setObjectName("gradcheckTolerance")
        form = QFormLayout()
        form.addRow("First training samples", self.samples)
        form.addRow("Step h", self.h_edit)
        form.addRow("Tolerance", self.tol_edit)
        self.check_button = QPushButton("&Check")
        self.check_button.setObjectName("gradcheckRun")
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Ca&ncel")
        self.cancel_button.setObjectName("gradcheckCancel")
        self.cancel_button.clicked.connect(self.task.cancel)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v of %m parameters")
        self.progress.hide()
        run_row = QHBoxLayout()
        run_row.addWidget(self.check_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)

        self.summary = QLabel("")
        self.summary.setObjectName("gradcheckSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = GradientCheckModel(self)
        self.proxy = _OnlyFlagged(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("gradcheckTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.only_box = QCheckBox("Show only the parameters that &disagree")
        self.only_box.setObjectName("gradcheckOnlyFlagged")
        self.only_box.toggled.connect(self._filter)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = buttons.addButton("&Export CSV…", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setObjectName("gradcheckExport")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_csv)
        self.image_button = buttons.addButton("Save &Image…", QDialogButtonBox.ButtonRole.ActionRole)
        self.image_button.setObjectName("gradcheckImage")
        self.image_button.setToolTip("The summary and the table (the rows shown) as a PNG or SVG picture")
        self.image_button.setEnabled(False)
        self.image_button.clicked.connect(lambda: self.export_image())
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.summary)
        layout.addWidget(self.only_box)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        fit_dialog(self, 640, 520)
        self._prepare()

    # ------------------------------------------------------------------ the check
    def _prepare(self) -> None:
        tr = self.session.trainer
        n = 0 if tr is None else int(tr.X.shape[0])
        self.samples.setRange(1, max(n, 1))
        self.samples.setValue(min(DEFAULT_SAMPLES, max(n, 1)))
        self.samples.setSuffix(f" of {n:,}")
        self.check_button.setEnabled(n > 0)
        if tr is None:
            problem = self.session.trainer_problem or "there is no training data"
            self.summary.setText(f"Cannot check yet: {problem}")

    def _settings(self) -> tuple[float, float] | None:
        h, tol = parse_number(self.h_edit.text()), parse_number(self.tol_edit.text())
        for value, name, edit in ((h, "step h", self.h_edit), (tol, "tolerance", self.tol_edit)):
            if value is None or not value > 0:
                self.summary.setText(f"The {name} must be a positive number, e.g. 1e-6.")
                edit.setFocus()
                edit.selectAll()
                return None
        assert h is not None and tol is not None
        return h, tol

    def start(self) -> bool:
        """Check the network as it is now (copies: training may go on meanwhile)."""
        tr = self.session.trainer
        settings = self._settings()
        if tr is None or settings is None or self.task.running:
            return False
        h, tol = settings
        k = self.samples.value()
        net, config = self.session.network.copy(), tr.config
        X, T = tr.X[:k].copy(), tr.T[:k].copy()

        def work(state: TaskState) -> GradientReport:
            def progress(done: int, total: int) -> bool:
                state.send((done, total))
                return not state.cancelled

            return check_parameters(net, config, X, T, h, tol, progress)

        self.check_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.summary.setText("Checking…")
        self.task.start(work)
        return True

    def _progress(self, partial: tuple[int, int]) -> None:
        done, total = partial
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _finish(self) -> None:
        self.check_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.hide()

    def _done(self, report: GradientReport) -> None:
        self._finish()
        self.report = report
        names = self.session.names
        self.model.set_report(table_rows(report, names), [r.flagged for r in report.rows])
        text = summary(report)
        self.summary.setText(text[:1].upper() + text[1:] + ".")
        self.export_button.setEnabled(bool(report.rows))
        self.image_button.setEnabled(bool(report.rows))

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        reason = str(exc) if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
        self.summary.setText(f"The check failed: {reason[:300]}")

    def _filter(self, only: bool) -> None:
        begin = getattr(self.proxy, "beginFilterChange", None)  # Qt 6.9 and later
        if begin is not None:
            begin()
            self.proxy.only = only
            self.proxy.endFilterChange()
        else:
            self.proxy.only = only
            self.proxy.invalidateFilter()

    # ------------------------------------------------------------------ export and closing
    def export_csv(self) -> bool:
        if self.report is None:
            return False
        stem = portable_stem(f"{self.session.project.name or 'network'}-gradient-check")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Gradient Check", f"{stem}.csv", "CSV files (*.csv)"
        )
        if not path:
            return False
        try:
            write_bytes_atomic(path, report_csv(self.report, self.session.names).encode("utf-8"))
        except OSError as exc:
            self.summary.setText(f"Could not write {path}: {exc.strerror or exc}")
            return False
        self.summary.setText(f"{self.summary.text()} Wrote {path}.")
        return True

    def _document(self) -> QTextDocument:
        """The summary and every row the table shows, as a document (for a picture)."""
        e = html.escape
        flagged = set(
            self.proxy.mapToSource(self.proxy.index(r, 0)).row()
            for r in range(self.proxy.rowCount())
            if self.model.flagged[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
        )
        out = [f"<p>{e(self.summary.text())}</p>", '<table cellspacing="0" cellpadding="3" border="1">']
        out.append("<tr>" + "".join(f"<th>{e(c)}</th>" for c in COLUMNS) + "</tr>")
        for r in range(self.proxy.rowCount()):
            src = self.proxy.mapToSource(self.proxy.index(r, 0)).row()
            style = ' style="background-color: #fde0dd"' if src in flagged else ""
            cells = "".join(
                f"<td align='{'left' if c == 0 else 'right'}'>{e(str(self.model.rows[src][c]))}</td>"
                for c in range(len(COLUMNS))
            )
            out.append(f"<tr{style}>{cells}</tr>")
        out.append("</table>")
        doc = QTextDocument()
        doc.setDefaultFont(self.font())
        doc.setHtml("".join(out))
        doc.setTextWidth(max(self.table.viewport().width(), 520))
        return doc

    def export_image(self, path: str | None = None) -> bool:
        """Save Image: the summary and the rows shown, as PNG or SVG (by the file name's ending)."""
        if self.report is None:
            return False
        if path is None:
            stem = portable_stem(f"{self.session.project.name or 'network'}-gradient-check")
            path, _ = QFileDialog.getSaveFileName(
                self, "Save Gradient Check Image", f"{stem}.png", "PNG images (*.png);;SVG images (*.svg)"
            )
            if not path:
                return False
        target = Path(path)
        kind = "svg" if target.suffix.lower() == ".svg" else "png"
        if target.suffix.lower() != f".{kind}":
            target = target.with_name(target.name + ".png")
        doc = self._document()
        size = QSize(math.ceil(doc.idealWidth()) + 16, math.ceil(doc.size().height()) + 16)

        def paint(p: QPainter, width: int, height: int) -> None:
            p.fillRect(QRectF(0, 0, width, height), QColor("white"))
            p.translate(8, 8)
            doc.drawContents(p)

        try:
            paint_to_file(kind, target, size, paint)
        except OSError as exc:
            self.summary.setText(f"Could not write {target}: {exc}")
            return False
        return True

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.matches(QKeySequence.StandardKey.Copy) and self.table.hasFocus():
            rows = sorted({i.row() for i in self.table.selectionModel().selectedIndexes()})
            text = "\n".join(
                "\t".join(str(self.proxy.index(r, c).data()) for c in range(len(COLUMNS))) for r in rows
            )
            from PySide6.QtWidgets import QApplication

            QApplication.clipboard().setText(text)
            return
        super().keyPressEvent(event)

    def done(self, result: int) -> None:
        self.task.cancel()  # a check still running is abandoned (its result is ignored)
        super().done(result)
