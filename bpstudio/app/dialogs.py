"""Small dialogs of the studio window: a number, a layer's size and activation, randomising, examples.

Each dialog validates what it returns; none of them changes the project (the caller does, through
the session, so every change is undoable).
"""

from __future__ import annotations

import html
import math
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..engine import ACTIVATIONS, INITIALISERS, get_initialiser
from ..engine.edits import MAX_EDIT_LAYER_SIZE
from ..formats import load_project


def parse_number(text: str) -> float | None:
    """A finite number typed by a user: accepts ``−`` (typographic minus), ``,`` as decimal point, 1e-3."""
    t = text.strip().replace("\u2212", "-").replace(" ", "")
    if t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    try:
        v = float(t)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


class ValueDialog(QDialog):
    """Asks for one number (a weight or a bias), shown with full precision so nothing is lost."""

    def __init__(self, parent: QWidget | None, title: str, label: str, value: float) -> None:
        super().__init__(parent)
        self.setObjectName("valueDialog")
        self.setWindowTitle(title)
        self.edit = QLineEdit(repr(float(value)) if value != int(value) else str(int(value)))
        self.edit.setObjectName("valueEdit")
        self.edit.setValidator(QDoubleValidator(self.edit))
        self.edit.validator().setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.edit.end(False)
        self.edit.home(True)  # all selected, the start in view ("0.1415…", not "…15926535")
        fm = self.edit.fontMetrics()
        self.edit.setMinimumWidth(max(200, fm.horizontalAdvance(self.edit.text() + "00") + 16))
        # the whole title in the title bar (a window manager cuts a title wider than its window)
        self.setMinimumWidth(min(720, max(320, fm.horizontalAdvance(title) + 140)))
        self.message = QLabel("")
        self.message.setStyleSheet("color: #c92a2a")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        head = QLabel(label)
        head.setWordWrap(True)
        form.addRow(head)
        form.addRow("Value:", self.edit)
        form.addRow(self.message)
        form.addRow(buttons)
        self.value: float | None = None

    def _accept(self) -> None:
        v = parse_number(self.edit.text())
        if v is None:
            self.message.setText("Type a number, e.g. 0.25 or −1.5e-3")
            return
        self.value = v
        self.accept()


def ok_cancel(
    dialog: QDialog, ok: QDialogButtonBox.StandardButton = QDialogButtonBox.StandardButton.Ok
) -> QDialogButtonBox:
    """The dialog's button row (``ok`` and Cancel), connected to accept and reject."""
    buttons = QDialogButtonBox(ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def run_modal(dlg: QDialog) -> bool:
    """Run a modal dialog made for one use; True if accepted. The dialog is deleted afterwards (once
    the caller is done with it): a child of the window would otherwise live as long as the window, and
    a long lab session would collect every dialog it ever opened."""
    try:
        return dlg.exec() == QDialog.DialogCode.Accepted
    finally:
        dlg.deleteLater()


def ask_number(parent: QWidget | None, title: str, label: str, value: float) -> float | None:
    """The number the user typed, or None if they cancelled."""
    dlg = ValueDialog(parent, title, label, value)
    return dlg.value if run_modal(dlg) else None


class LayerDialog(QDialog):
    """A layer's number of neurons and (except for the input layer) its activation."""

    def __init__(self, parent: QWidget | None, title: str, size: int, activation: str | None) -> None:
        super().__init__(parent)
        self.setObjectName("layerDialog")
        self.setWindowTitle(title)
        self.size_box = QSpinBox()
        self.size_box.setObjectName("layerSize")
        self.size_box.setRange(1, MAX_EDIT_LAYER_SIZE)
        self.size_box.setValue(size)
        self.act_box = QComboBox()
        self.act_box.setObjectName("layerActivation")
        for act in ACTIVATIONS:
            self.act_box.addItem(act.label, act.name)
            self.act_box.setItemData(
                self.act_box.count() - 1, f"{act.formula};  {act.derivative}", Qt.ItemDataRole.ToolTipRole
            )
        form = QFormLayout(self)
        form.addRow("Neurons:", self.size_box)
        if activation is not None:
            self.act_box.setCurrentIndex(max(0, self.act_box.findData(activation)))
            form.addRow("Activation:", self.act_box)
        else:
            self.act_box.hide()
            form.addRow(QLabel("The input layer has no activation: it holds the inputs x."))
        buttons = ok_cancel(self)
        form.addRow(buttons)

    @property
    def activation(self) -> str:
        return str(self.act_box.currentData())


class RandomiseDialog(QDialog):
    """Initialiser, its parameters and the seed for "Randomise Weights"."""

    def __init__(self, parent: QWidget | None, init: str, params: dict[str, float], seed: int) -> None:
        super().__init__(parent)
        self.setObjectName("randomiseDialog")
        self.setWindowTitle("Randomise Weights")
        self.init_box = QComboBox()
        self.init_box.setObjectName("initialiser")
        for ini in INITIALISERS:
            self.init_box.addItem(ini.label, ini.name)
        self.init_box.setCurrentIndex(max(0, self.init_box.findData(init)))
        self.seed_box = QSpinBox()
        self.seed_box.setObjectName("seed")
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setValue(seed)
        self.formula = QLabel()
        self.params_form = QFormLayout()
        self.param_boxes: dict[str, QDoubleSpinBox] = {}
        self._start_params = dict(params)
        form = QFormLayout(self)
        form.addRow("Initialiser:", self.init_box)
        form.addRow("", self.formula)
        form.addRow(self.params_form)
        form.addRow("Seed:", self.seed_box)
        form.addRow(QLabel("The same initialiser and seed always give the same weights."))
        buttons = ok_cancel(self)
        form.addRow(buttons)
        self.init_box.currentIndexChanged.connect(self._show_params)
        self._show_params()

    def _show_params(self) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.param_boxes.clear()
        ini = get_initialiser(self.init)
        self.formula.setText(ini.formula)
        for key, default in ini.defaults.items():
            box = QDoubleSpinBox()
            box.setDecimals(4)
            box.setRange(0.0, 1000.0)
            box.setSingleStep(0.05)
            box.setValue(float(self._start_params.get(key, default)))
            box.setToolTip(ini.parameter_help.get(key, ""))
            self.param_boxes[key] = box
            self.params_form.addRow(f"{key}:", box)

    @property
    def init(self) -> str:
        return str(self.init_box.currentData())

    @property
    def params(self) -> dict[str, float]:
        return {k: float(b.value()) for k, b in self.param_boxes.items()}

    @property
    def seed(self) -> int:
        return int(self.seed_box.value())


class ExampleDialog(QDialog):
    """Lists the worked examples with each one's name and description."""

    def __init__(self, parent: QWidget | None, examples: list[tuple[str, Path]]) -> None:
        super().__init__(parent)
        self.setObjectName("exampleDialog")
        self.setWindowTitle("Open Example")
        self.resize(720, 420)
        self.list = QListWidget()
        self.list.setObjectName("exampleList")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setMargin(8)
        for key, path in examples:
            try:
                project = load_project(path)
            except Exception as exc:  # a broken example is listed with its problem, not hidden
                name, desc, sizes = key, f"Cannot be opened: {exc}", ""
            else:
                name, desc = project.name or key, project.description
                sizes = "-".join(map(str, project.network.sizes))
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setData(Qt.ItemDataRole.UserRole + 1, (desc, sizes))
            item.setToolTip(desc)
            self.list.addItem(item)
        # every name whole: the list is as wide as its longest name (and wraps beyond a third of a screen)
        fm = self.list.fontMetrics()
        widest = max(
            (fm.horizontalAdvance(self.list.item(i).text()) for i in range(self.list.count())), default=0
        )
        list_width = min(widest + 40, 420)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setMinimumWidth(min(list_width, 260))
        scroll = QScrollArea()  # a long description scrolls instead of being cut at the bottom
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.text)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(scroll)
        self.resize(max(720, list_width + 460), 420)
        split.setSizes([list_width, max(460, self.width() - list_width)])
        buttons = ok_cancel(self, QDialogButtonBox.StandardButton.Open)
        lay = QVBoxLayout(self)
        lay.addWidget(split)
        lay.addWidget(buttons)
        self.list.currentItemChanged.connect(self._show)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        if self.list.count():
            self.list.setCurrentRow(0)

    def _show(self, item: QListWidgetItem | None) -> None:
        if item is None:
            self.text.setText("")
            return
        desc, sizes = item.data(Qt.ItemDataRole.UserRole + 1)
        head = f"<h3>{html.escape(item.text())}</h3>"
        if sizes:
            head += f"<p><b>Network:</b> {sizes}</p>"
        self.text.setText(head + f"<p>{html.escape(desc)}</p>")

    @property
    def selected(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))


def show_about(parent: QWidget | None) -> None:
    QMessageBox.about(
        parent,
        "About Backprop Studio",
        f"<h3>Backprop Studio {__version__}</h3>"
        "<p>Draw a feedforward neural network and watch backpropagation, one δ at a time: "
        "every neuron's z, a, f′(z) and δ and every weight's ∂E/∂w and Δw, "
        "in the notation of your course.</p>"
        "<p>Exact NumPy engine; runs offline. MIT licence.</p>",
    )
