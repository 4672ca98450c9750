"""The dataset dock: a built-in with its parameters or an imported file (CSV/TSV, IDX, NPZ), input
scaling and the train/validation/test split, with a preview (scatter plot for 2-D inputs, an image
grid for pictures such as the digits, a table otherwise).

"Apply" hands the specification to ``Session.set_dataset``. When the data do not fit the network
(other numbers of inputs or outputs) the panel offers the dataset's suggested network and loss.
"Import file…" opens the import dialog (:mod:`bpstudio.app.data.import_dialog`); its OK applies the file
with the panel's scaling and split. A file of a saved project is named relative to the project's
folder when it is inside or next to it, and read relative to that folder.
"""

from __future__ import annotations

import copy
import dataclasses
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...data import BUILTINS, SCALINGS, DataError, Dataset, load_dataset
from ...data.files import relative_data_path, resolve_path
from ...engine import EngineError, Network
from ...formats import DatasetSpec
from ...teaching.labels import fmt
from ..changes import Change
from ..flow_layout import FlowBar, FlowLayout
from ..plots.boundary import point_brushes
from .import_dialog import FILE_FILTER, ask_import

SCALING_TEXT = {
    "none": ("none", "use the inputs as they are"),
    "minmax01": ("min–max to [0, 1]", "x′ = (x − min) / (max − min), fitted on the training split"),
    "minmax11": ("min–max to [−1, 1]", "x′ = 2·(x − min) / (max − min) − 1, fitted on the training split"),
    "standardise": ("standardise", "x′ = (x − mean) / std, fitted on the training split"),
}
#: rows shown by the table preview
PREVIEW_ROWS = 200
#: pictures shown by the image preview
PREVIEW_IMAGES = 40

#: the invalid index that stands for the root (the parent of every row)
_ROOT = QModelIndex()


class PreviewTableModel(QAbstractTableModel):
    """The first rows of a dataset: inputs then targets, formatted."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.X = np.zeros((0, 0))
        self.T = np.zeros((0, 0))
        self.names: list[str] = []

    def set_dataset(self, ds: Dataset | None) -> None:
        self.beginResetModel()
        if ds is None:
            self.X, self.T, self.names = np.zeros((0, 0)), np.zeros((0, 0)), []
        else:
            self.X, self.T = ds.X[:PREVIEW_ROWS], ds.T[:PREVIEW_ROWS]
            self.names = list(ds.input_names) + [f"→ {n}" for n in ds.target_names]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else int(self.X.shape[0])

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() or not self.X.size else int(self.X.shape[1] + self.T.shape[1])

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.TextAlignmentRole,
        ):
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        r, c = index.row(), index.column()
        d = self.X.shape[1]
        v = self.X[r, c] if c < d else self.T[r, c - d]
        return fmt(v, 4)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.names[section] if 0 <= section < len(self.names) else None
        return str(section + 1)


def image_side(ds: Dataset) -> int:
    """The side of square pictures (8 for the digits, 28 for MNIST), or 0 if the inputs are not pictures."""
    side = int(round(math.sqrt(ds.n_inputs)))
    return side if side >= 7 and side * side == ds.n_inputs and ds.is_classification else 0


def mosaic(ds: Dataset, side: int, count: int = PREVIEW_IMAGES, per_row: int = 10) -> np.ndarray:
    """The first ``count`` pictures tiled (1-pixel gaps) into one array, x first for pyqtgraph."""
    n = min(count, len(ds))
    rows = max(1, math.ceil(n / per_row))
    X = ds.X[:n]
    lo, hi = float(X.min()), float(X.max())
    X = (X - lo) / (hi - lo) if hi > lo else np.zeros_like(X)
    out = np.full((rows * (side + 1), per_row * (side + 1)), np.nan)
    for i in range(n):
        r, c = divmod(i, per_row)
        out[r * (side + 1) : r * (side + 1) + side, c * (side + 1) : c * (side + 1) + side] = X[i].reshape(
            side, side
        )
    return out.T[:, ::-1]


class DatasetPanel(QWidget):
    """The "Dataset" dock contents."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("datasetPanel")
        self._updating = False
        self._file_spec: dict[str, Any] | None = None
        self.preview_dataset: Dataset | None = None

        self.source_box = QComboBox()
        self.source_box.setToolTip("A built-in dataset, or a file you imported")
        # as narrow as 24 characters (the list it opens is as wide as its longest name): the dock
        # keeps its width on a small screen
        self.source_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source_box.setMinimumContentsLength(24)
        for b in BUILTINS.values():
            self.source_box.addItem(f"{b.title} ({b.group})", b.name)
        self.source_box.insertSeparator(self.source_box.count())
        self._widen_list()
        self.import_button = QPushButton("Import file…")
        self.import_button.setToolTip("Import a CSV/TSV table, MNIST-style IDX files or a NumPy .npz file")
        src = FlowLayout()  # the Import button goes under the list in a narrow dock
        src.addWidget(self.source_box, 1)
        src.addWidget(self.import_button)

        self.param_group = QGroupBox("Parameters")
        self.param_form = QFormLayout(self.param_group)
        self.param_widgets: dict[str, QWidget] = {}

        prep = QGroupBox("Scaling and split")
        pform = QFormLayout(prep)
        self.scaling_box = QComboBox()
        for i, s in enumerate(SCALINGS):
            self.scaling_box.addItem(SCALING_TEXT.get(s, (s, ""))[0], s)
            self.scaling_box.setItemData(i, SCALING_TEXT.get(s, (s, s))[1], Qt.ItemDataRole.ToolTipRole)
        self.scaling_box.setToolTip("Input scaling, fitted on the training split and applied to every split")
        self.val_box = self._fraction_box("Fraction of the samples held out for validation (early stopping)")
        self.test_box = self._fraction_box("Fraction of the samples held out for testing (never trained on)")
        self.split_seed_box = QSpinBox()
        self.split_seed_box.setRange(0, 2_000_000_000)
        self.split_seed_box.setToolTip("Seed of the random split")
        self.stratify_box = QCheckBox("Stratify (keep class proportions)")
        self.stratify_box.setChecked(True)
        pform.addRow("Input scaling", self.scaling_box)
        pform.addRow("Validation", self.val_box)
        pform.addRow("Test", self.test_box)
        pform.addRow("Split seed", self.split_seed_box)
        pform.addRow(self.stratify_box)

        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Use this dataset for training (resets the loss history)")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.scatter_widget = pg.PlotWidget(background="w")
        self.scatter_widget.setMinimumHeight(160)
        self.scatter = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=0.8))
        self.scatter_widget.addItem(self.scatter)
        self.image_widget = pg.GraphicsLayoutWidget()
        self.image_widget.setBackground("w")
        self.image_widget.setMinimumHeight(160)
        self.image_view = self.image_widget.addViewBox(lockAspect=True, invertY=False)
        self.image_item = pg.ImageItem()
        self.image_view.addItem(self.image_item)
        self.image_view.setMouseEnabled(False, False)
        self.table_model = PreviewTableModel(self)
        self.table_view = QTableView()
        self.table_view.setModel(self.table_model)
        self.table_view.setMinimumHeight(160)
        self.table_view.horizontalHeader().setDefaultSectionSize(70)
        self.preview_message = QLabel()
        self.preview_message.setWordWrap(True)
        self.preview_message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview = QStackedWidget()
        for w in (self.scatter_widget, self.image_widget, self.table_view, self.preview_message):
            self.preview.addWidget(w)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(FlowBar(src))
        layout.addWidget(self.param_group)
        layout.addWidget(prep)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.info)
        layout.addWidget(self.preview, 1)

        self.source_box.currentIndexChanged.connect(self._source_changed)
        self.import_button.clicked.connect(lambda: self.import_file())
        self.apply_button.clicked.connect(lambda: self.apply())
        for w in (self.scaling_box,):
            w.currentIndexChanged.connect(lambda _i: self._update_preview())
        session.changed.connect(self._changed)
        session.fileChanged.connect(self._project_moved)
        session.runningChanged.connect(lambda r: self.apply_button.setEnabled(not r))
        self.load_from_session()

    @staticmethod
    def _fraction_box(tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, 0.9)
        box.setSingleStep(0.05)
        box.setDecimals(2)
        box.setToolTip(tip)
        return box

    # ------------------------------------------------------------------ from the session
    def _changed(self, change: Change) -> None:
        if change & (Change.PROJECT | Change.DATASET):
            self.load_from_session()

    def load_from_session(self) -> None:
        """Show the session's dataset specification."""
        spec = self.session.project.dataset or {}
        self._updating = True
        try:
            if "file" in spec:
                self._file_spec = {k: v for k, v in spec.items() if k not in ("preprocessing", "split")}
                self._set_file_item(self._file_spec)
                params: dict[str, Any] = {}
            elif "builtin" in spec:
                i = self.source_box.findData(str(spec["builtin"]))
                if i >= 0:
                    self.source_box.setCurrentIndex(i)
                params = dict(spec.get("params") or {})
            else:
                self._set_inline_item(spec)
                params = {}
            self._build_params(params)
            prep = spec.get("preprocessing") or {}
            i = self.scaling_box.findData(prep.get("scaling", "none"))
            self.scaling_box.setCurrentIndex(max(i, 0))
            split = spec.get("split") or {}
            self.val_box.setValue(float(split.get("val", 0.0)))
            self.test_box.setValue(float(split.get("test", 0.0)))
            self.split_seed_box.setValue(int(split.get("seed", 0)))
            self.stratify_box.setChecked(bool(split.get("stratify", True)))
        finally:
            self._updating = False
        self._update_preview()

    def _project_moved(self) -> None:
        """After Save As the project names its data file for the new folder: follow it."""
        spec = self.session.project.dataset or {}
        if "file" in spec and self._file_spec is not None:
            self._file_spec = {k: v for k, v in spec.items() if k not in ("preprocessing", "split")}

    def _set_file_item(self, spec: dict[str, Any]) -> None:
        label = f"File: {Path(str(spec['file'])).name}"
        i = self.source_box.findData("__file__")
        if i < 0:
            self.source_box.addItem(label, "__file__")
            i = self.source_box.count() - 1
        self.source_box.setItemText(i, label)
        self.source_box.setCurrentIndex(i)
        self._widen_list()

    def _set_inline_item(self, spec: dict[str, Any]) -> None:
        i = self.source_box.findData("__inline__")
        if i < 0:
            self.source_box.addItem(f"Data in the project ({spec.get('name', 'inline')})", "__inline__")
            i = self.source_box.count() - 1
        self.source_box.setCurrentIndex(i)
        self._widen_list()

    def _widen_list(self) -> None:
        """The list the dataset box opens is as wide as its longest name (the box may be narrower)."""
        box, view = self.source_box, self.source_box.view()
        widest = max(
            (view.fontMetrics().horizontalAdvance(box.itemText(i)) for i in range(box.count())), default=0
        )
        view.setMinimumWidth(widest + 24 + view.verticalScrollBar().sizeHint().width())

    # ------------------------------------------------------------------ parameters of a built-in
    def _build_params(self, values: dict[str, Any]) -> None:
        while self.param_form.rowCount():
            self.param_form.removeRow(0)
        self.param_widgets = {}
        name = self.source_box.currentData()
        builtin = BUILTINS.get(name) if isinstance(name, str) else None
        if builtin is None:
            self.param_group.setVisible(False)
            return
        self.param_group.setVisible(bool(builtin.params))
        for p in builtin.params:
            value = values.get(p.name, p.default)
            if p.kind == "int":
                w = QSpinBox()
                w.setRange(
                    int(p.lo if p.lo is not None else 0),
                    int(min(p.hi if p.hi is not None else 2**31 - 1, 2**31 - 1)),
                )
                w.setValue(int(value))
                w.valueChanged.connect(lambda _v: self._update_preview())
            elif p.kind == "float":
                w = QDoubleSpinBox()
                w.setDecimals(4)
                w.setRange(
                    float(p.lo if p.lo is not None else -1e9), float(p.hi if p.hi is not None else 1e9)
                )
                w.setSingleStep(0.01)
                w.setValue(float(value))
                w.valueChanged.connect(lambda _v: self._update_preview())
            elif p.kind == "choice":
                w = QComboBox()
                for c in p.choices:
                    w.addItem(c, c)
                w.setCurrentIndex(max(w.findData(str(value)), 0))
                w.currentIndexChanged.connect(lambda _i: self._update_preview())
            else:  # matrix
                w = QLineEdit(json.dumps(value))
                w.editingFinished.connect(self._update_preview)
            w.setToolTip(p.describe())
            self.param_form.addRow(p.name, w)
            self.param_widgets[p.name] = w

    def _param_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, w in self.param_widgets.items():
            if isinstance(w, QSpinBox):
                out[name] = int(w.value())
            elif isinstance(w, QDoubleSpinBox):
                out[name] = float(w.value())
            elif isinstance(w, QComboBox):
                out[name] = w.currentData()
            elif isinstance(w, QLineEdit):
                try:
                    out[name] = json.loads(w.text())
                except ValueError:
                    raise DataError(f"params.{name}: write the rows like [[10, 0], [7, 10]]") from None
        return out

    def _source_changed(self) -> None:
        if self._updating:
            return
        self._build_params({})
        self._update_preview()

    # ------------------------------------------------------------------ the specification
    def spec(self) -> DatasetSpec:
        """The dataset specification the controls describe (DataError if a parameter is malformed)."""
        src = self.source_box.currentData()
        if src == "__file__" and self._file_spec is not None:
            spec: dict[str, Any] = dict(self._file_spec)
        elif src == "__inline__":
            spec = {
                k: v
                for k, v in (self.session.project.dataset or {}).items()
                if k not in ("preprocessing", "split")
            }
        else:
            spec = {"builtin": src, "params": self._param_values()}
        scaling = self.scaling_box.currentData()
        if scaling and scaling != "none":
            spec["preprocessing"] = {"scaling": scaling}
        val, test = round(self.val_box.value(), 4), round(self.test_box.value(), 4)
        if val or test:
            spec["split"] = {
                "val": val,
                "test": test,
                "seed": int(self.split_seed_box.value()),
                "stratify": self.stratify_box.isChecked(),
            }
        return DatasetSpec(spec)

    def _file_lines(self) -> list[str]:
        """Where the data file read is (the path resolved from the project's folder), and a warning when
        it is outside that folder and the folder next to it: a shared project then reads a file of the
        machine it is opened on."""
        spec = self.spec()
        if "file" not in spec:
            return []
        base = self.base_dir()
        try:
            path = resolve_path(spec["file"], base, "file").resolve()
        except (DataError, OSError, RuntimeError):
            return []
        lines = [f"File: {html.escape(str(path))}"]
        if base is not None and relative_data_path(path, base) == str(path):
            lines.append(
                "<b>Outside the project's folder:</b> copy the file next to the project to share both"
            )
        return lines

    def base_dir(self) -> Path | None:
        """The project's folder (relative data paths are read from there), None while it has no file."""
        path = self.session.path
        return Path(path).parent if path else None

    def import_file(
        self, path: str | None = None, labels: str | None = None, target: str | None = None
    ) -> bool:
        """Import a data file.

        Without ``labels`` or ``target`` the import dialog asks for the file (unless ``path`` is
        given) and its options, and OK applies it. With them (scripts, tests) the file is read at once
        (``labels``: the IDX labels file; ``target``: a CSV column name or number) and shown in the
        panel, to be applied with Apply.
        """
        if labels is None and target is None:
            spec = ask_import(self, self.base_dir(), path)
            if spec is None:
                return False
            return self.use_file(spec)
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import a dataset", "", FILE_FILTER)
            if not path:
                return False
        spec: dict[str, Any] = {"file": relative_data_path(path, self.base_dir())}
        if labels is not None:
            spec["format"] = "idx"
            spec["labels"] = relative_data_path(labels, self.base_dir())
        if target is not None:
            t = target.strip().replace("\u2212", "-")
            spec["target"] = int(t) if t.lstrip("-").isdigit() else t
        return self.use_file(spec, apply=False)

    def use_file(self, spec: dict[str, Any], apply: bool = True) -> bool:
        """Show the file a specification names in the panel and (with ``apply``) use it for training."""
        try:
            ds = load_dataset(spec, self.base_dir())
        except (DataError, EngineError, OSError) as exc:
            QMessageBox.warning(self, "Cannot import this file", str(exc))
            return False
        self._file_spec = dict(spec)
        self._updating = True
        try:
            self._set_file_item(spec)
            self._build_params({})
        finally:
            self._updating = False
        self._show_preview(ds)
        return self.apply() if apply else True

    def apply(self) -> bool:
        """Use the dataset for training; offers the suggested network when it does not fit."""
        s = self.session
        try:
            spec = self.spec()
            ds = load_dataset(spec, self.base_dir())
        except (DataError, EngineError, OSError) as exc:
            s.errorOccurred.emit("Cannot use this dataset", str(exc))
            return False
        net = s.network
        if (ds.n_inputs, ds.n_outputs) != (net.n_inputs, net.n_outputs):
            adapted = self._adapt_network(ds, spec)
            if adapted is None:
                return False
            spec = adapted
        if s.set_dataset(spec):
            s.statusMessage.emit(f"Dataset: {ds.name} ({len(ds)} samples)")
            return True
        return False

    def _adapt_network(self, ds: Dataset, spec: DatasetSpec) -> DatasetSpec | None:
        """Offer the dataset's suggested network; the specification to use (with the suggested scaling
        when it had none), or None when the user keeps the network."""
        s = self.session
        sug = ds.suggested or {}
        sizes = list(sug.get("sizes") or [ds.n_inputs, max(4, min(30, 2 * ds.n_inputs)), ds.n_outputs])
        acts = list(sug.get("activations") or ["sigmoid"] * (len(sizes) - 1))
        loss = sug.get("loss", s.config.loss)
        text = (
            f"{ds.name} has {ds.n_inputs} inputs and {ds.n_outputs} outputs, but the network is "
            f"{'-'.join(map(str, s.network.sizes))}.\n\nReplace the network with a "
            f"{'-'.join(map(str, sizes))} network ({', '.join(acts)}) trained with the {loss} loss?"
        )
        answer = QMessageBox.question(self, "The dataset does not fit the network", text)
        if answer != QMessageBox.StandardButton.Yes:
            return None
        cfg = s.config
        new = Network.create(sizes, acts, init=cfg.init, init_params=cfg.init_params, seed=cfg.seed)

        def change(net: Network) -> None:
            net.sizes, net.activations = list(new.sizes), list(new.activations)
            net.weights, net.biases, net.masks = new.weights, new.biases, list(new.masks)

        if not s.edit_network(f"Network for {ds.name}", change, structural=True):
            return None
        if loss != cfg.loss:
            s.set_config(dataclasses.replace(copy.deepcopy(cfg), loss=loss))
        scaling = sug.get("scaling")
        if scaling and "preprocessing" not in spec:
            spec = spec.replace(preprocessing={"scaling": scaling})
            self.scaling_box.setCurrentIndex(max(self.scaling_box.findData(scaling), 0))
        return spec

    # ------------------------------------------------------------------ preview
    def _update_preview(self) -> None:
        if self._updating:
            return
        try:
            ds = load_dataset(self.spec(), self.base_dir())
        except (DataError, EngineError, OSError) as exc:
            self.preview_dataset = None
            self.info.setText(f"<b>Cannot load:</b> {html.escape(str(exc))}")
            self.preview_message.setText(str(exc))
            self.preview.setCurrentWidget(self.preview_message)
            return
        self._show_preview(ds)

    def _show_preview(self, ds: Dataset) -> None:
        self.preview_dataset = ds
        lines = [
            f"<b>{html.escape(ds.name)}</b>: {len(ds):,} samples, "
            f"{ds.n_inputs} inputs → {ds.n_outputs} outputs ({ds.task})"
        ]
        if ds.description:
            lines.append(html.escape(ds.description))
        lines += self._file_lines()
        if ds.report is not None:
            lines.append(html.escape(ds.report.summary()))
        data = self.session.data
        if data is not None and hasattr(data, "sizes"):
            sz = data.sizes()
            lines.append(f"In use: {sz['train']} training, {sz['val']} validation, {sz['test']} test samples")
        self.info.setText("<br>".join(lines))
        side = image_side(ds)
        if ds.n_inputs == 2:
            labels = ds.labels() if ds.is_classification else np.zeros(len(ds), dtype=int)
            self.scatter.setData(pos=ds.X, brush=point_brushes(labels))
            self.scatter_widget.getPlotItem().setLabels(bottom=ds.input_names[0], left=ds.input_names[1])
            self.preview.setCurrentWidget(self.scatter_widget)
        elif side:
            img = mosaic(ds, side)
            ink = pg.colormap.get("CET-L1").getLookupTable()[::-1]  # dark ink on white paper
            self.image_item.setImage(img, levels=(0, 1), lut=ink)
            self.image_view.autoRange(padding=0.02)
            self.preview.setCurrentWidget(self.image_widget)
        else:
            self.table_model.set_dataset(ds)
            self.preview.setCurrentWidget(self.table_view)
