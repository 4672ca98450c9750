"""The teacher's dialog: build an exercise file from the open project.

The teacher chooses the samples of the step, how far it goes, which quantities the students compute,
the tolerance, hints, whether the network and data are locked, and optionally a seed for new weights.
The notation is the one the window shows. The question count updates as the choices change.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...data import prepare
from ...engine import EngineError, learning_rule
from ...formats import Project
from ...teaching import Exercise, Notation, Tolerance
from ...teaching.exercise import check_workable
from ...teaching.notation import PRESETS, preset_of
from ..screen_fit import FormScroll, fit_dialog

#: kind → label of the checkbox, in walkthrough order
KIND_CHOICES = [
    ("z", "net inputs z"),
    ("a", "activations a"),
    ("fprime", "derivatives f′(z)"),
    ("E", "errors E"),
    ("delta", "δ (or Δ)"),
    ("grad", "gradients ∂E/∂w"),
    ("dw", "weight changes Δw"),
    ("new_w", "updated weights"),
    ("velocity", "optimiser state (v, m, G, s)"),
]
STATE_KINDS = ["velocity", "m", "v", "sum_sq", "mean_sq"]
STAGES = [
    ("forward", "Forward pass and error"),
    ("backward", "… and the backward pass (δ, ∂E/∂w)"),
    ("update", "… and the update"),
]


def parse_samples(text: str, base: int = 1) -> list[int]:
    """``1``, ``1,3`` or ``1-4`` (numbered from ``base``, as the app shows them) → 0-based sample numbers."""
    out: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise ValueError(f"{part!r} is not a sample number or a range like 0-3")
        out.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    if not out:
        raise ValueError("give at least one sample number")
    if min(out) < base:
        raise ValueError(f"samples are numbered from {base}")
    return [n - base for n in out]


class ExerciseDialog(QDialog):
    """``exercise()`` is the exercise the choices describe (raises EngineError/ValueError if none)."""

    def __init__(self, parent: QWidget | None, project: Project, notation: Notation) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create Exercise from This Project")
        self.setObjectName("exerciseDialog")
        self.project = project
        self.notation = notation
        trainable = learning_rule(project.network) is not None
        try:
            self.n_train: int | None = int(prepare(project.dataset).train[0].shape[0])
        except (EngineError, OSError):
            self.n_train = None

        self.title = QLineEdit(project.name or "Exercise")
        self.instructions = QPlainTextEdit()
        self.instructions.setPlaceholderText("What the students must do (shown above the questions)")
        self.instructions.setFixedHeight(80)
        self.samples = QLineEdit("1")
        self.samples.setToolTip(
            "Training samples (numbered from 1, as in the Dataset panel) that form the step's batch: "
            "1, or 1,2, or 1-4"
        )
        self.stage = QComboBox()
        for key, label in STAGES:
            self.stage.addItem(label, key)
        self.stage.setCurrentIndex(2 if trainable else 0)
        if not trainable:
            self.stage.setEnabled(False)
            self.stage.setToolTip("The network has step units: only a forward pass can be computed")
        kinds = QWidget()
        grid = QGridLayout(kinds)
        grid.setContentsMargins(0, 0, 0, 0)
        self.kind_boxes: dict[str, QCheckBox] = {}
        for i, (kind, label) in enumerate(KIND_CHOICES):
            box = QCheckBox(label)
            box.setChecked(kind in ("z", "a", "E", "delta", "grad", "new_w"))
            self.kind_boxes[kind] = box
            grid.addWidget(box, i // 2, i % 2)
        self.relative = QDoubleSpinBox()
        self.relative.setRange(0.0, 100.0)
        self.relative.setSuffix(" %")
        self.relative.setValue(1.0)
        self.absolute = QDoubleSpinBox()
        self.absolute.setDecimals(6)
        self.absolute.setRange(0.0, 1.0)
        self.absolute.setSingleStep(0.0001)
        self.absolute.setValue(0.0001)
        self.hints = QCheckBox("Students may ask for hints (the formula without numbers)")
        self.hints.setChecked(True)
        self.hint_cost = QDoubleSpinBox()
        self.hint_cost.setRange(0.0, 1.0)
        self.hint_cost.setSingleStep(0.25)
        self.hint_cost.setToolTip("The part of a point lost on a question whose hint was shown")
        self.locked = QCheckBox("Students cannot change the network, the data or the settings")
        self.locked.setChecked(True)
        self.use_seed = QCheckBox("Draw new weights (rounded to 2 decimals) from seed")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setEnabled(False)
        self.use_seed.toggled.connect(self.seed.setEnabled)
        self.count = QLabel()
        self.count.setObjectName("exerciseQuestionCount")
        self.count.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Title:", self.title)
        form.addRow("Instructions:", self.instructions)
        form.addRow("Samples:", self.samples)
        form.addRow("The step goes up to:", self.stage)
        form.addRow("Ask for:", kinds)
        form.addRow("Tolerance, relative:", self.relative)
        form.addRow("Tolerance, absolute:", self.absolute)
        form.addRow("", self.hints)
        form.addRow("Points lost per hint:", self.hint_cost)
        form.addRow("", self.locked)
        form.addRow(self.use_seed, self.seed)
        self.notation_box = QComboBox()
        self.notation_box.setObjectName("exerciseNotation")
        current = preset_of(notation)
        self.notation_box.addItem(
            "As the window shows it" + ("" if current == "custom" else f" ({PRESETS[current].label})"), ""
        )
        for name, preset in PRESETS.items():
            self.notation_box.addItem(preset.label, name)
            self.notation_box.setItemData(
                self.notation_box.count() - 1, preset.source, Qt.ItemDataRole.ToolTipRole
            )
        self.notation_box.setToolTip("The notation the questions, hints and answers are written in")
        self.notation_text = QLabel()
        self.notation_text.setWordWrap(True)
        self.notation_box.currentIndexChanged.connect(self._notation_changed)
        form.addRow("Notation:", self.notation_box)
        form.addRow(self.notation_text)
        self._notation_changed()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.ok_button.setText("Save Exercise…")
        lay = QVBoxLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(FormScroll(form), 1)  # scrolls on a screen lower than the form
        lay.addWidget(self.count)
        lay.addWidget(buttons)

        for box in self.kind_boxes.values():
            box.toggled.connect(self.update_count)
        self.samples.textChanged.connect(self.update_count)
        self.stage.currentIndexChanged.connect(self.update_count)
        self.use_seed.toggled.connect(self.update_count)
        self.seed.valueChanged.connect(self.update_count)
        self.update_count()
        fit_dialog(self)  # the whole form where the screen has room

    def chosen_notation(self) -> Notation:
        """The window's notation, or the course preset chosen (with the window's decimals)."""
        name = self.notation_box.currentData()
        return self.notation.with_preset(name) if name else self.notation

    def _notation_changed(self, _index: int = 0) -> None:
        self.notation_text.setText(self.chosen_notation().describe())

    def ask(self) -> list[str]:
        out = []
        for kind, box in self.kind_boxes.items():
            if box.isChecked():
                out += STATE_KINDS if kind == "velocity" else [kind]
        return out

    def exercise(self) -> Exercise:
        ask = self.ask()
        if not ask:
            raise ValueError("tick at least one kind of quantity to ask for")
        project = copy.copy(self.project)
        project.network = self.project.network.copy()
        samples = parse_samples(self.samples.text())
        if self.n_train is not None and max(samples) >= self.n_train:
            raise ValueError(
                f"sample {max(samples) + 1} does not exist: there are {self.n_train} training samples"
            )
        return Exercise(
            project=project,
            title=self.title.text().strip() or "Exercise",
            instructions=self.instructions.toPlainText().strip(),
            samples=samples,
            stop_after=str(self.stage.currentData()),
            notation=self.chosen_notation(),
            ask=ask,
            tolerance=Tolerance(self.relative.value() / 100.0, self.absolute.value()),
            locked=self.locked.isChecked(),
            seed=self.seed.value() if self.use_seed.isChecked() else None,
            allow_hints=self.hints.isChecked(),
            hint_cost=self.hint_cost.value(),
        )

    def update_count(self) -> None:
        try:
            n = len(self.exercise().questions())
            check_workable(n)
        except (EngineError, ValueError) as exc:
            self.count.setText(f"<span style='color:#b3261e'>{exc}</span>")
            self.ok_button.setEnabled(False)
            return
        self.count.setText(f"{n} question{'s' if n != 1 else ''}.")
        self.ok_button.setEnabled(True)
