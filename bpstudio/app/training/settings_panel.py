"""The training settings dock: activations, loss and reduction, optimiser and its parameters, batches,
epochs, regularisation, initialisation, early stopping, and the notation numbers are shown in.

Every control carries a tooltip with the formula it changes (from the engine's registries). A change
builds a new TrainConfig and hands it to ``Session.set_config``; it takes effect at the next step, also
during a run (the runner passes it to the worker between two steps). A refused value (the engine's
message is shown by the window) puts the control back to the current setting.
"""

from __future__ import annotations

import copy
import dataclasses
import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...engine import (
    ACTIVATIONS,
    INITIALISERS,
    LOSSES,
    OPTIMISERS,
    EngineError,
    TrainConfig,
    get_initialiser,
    get_optimiser,
)
from ...engine.initialisers import MAX_PARAM as MAX_INIT_PARAM
from ...teaching.labels import CHOICES, layer_title
from ...teaching.notation import batch_cost, in_notation
from ...teaching.presenter import NOTATION_KEYS, notation_from_view
from ..changes import Change

#: the symbols the notes use for optimiser and initialiser parameters
SYMBOLS = {
    "lr": "η (learning rate)",
    "momentum": "α (momentum)",
    "beta1": "β₁",
    "beta2": "β₂",
    "eps": "ε",
    "rho": "ρ",
    "r": "r",
    "sigma": "σ",
}
REDUCTION_TEXT = {
    "mean": (
        "mean over the batch",
        "E = (1/m)·Σₓ Eₓ: the batch loss and its gradient are averaged over the m samples",
    ),
    "sum": ("sum over the batch", "E = Σₓ Eₓ: the batch loss and its gradient are summed over the m samples"),
}
BATCH_TEXT = {
    "online": ("Online (after every sample)", "update the weights after each sample: m = 1"),
    "minibatch": ("Mini-batch of k samples", "update after every k samples: m = k"),
    "full": ("Full batch (all samples)", "one update per epoch on the whole training set: m = n"),
}
DTYPE_TEXT = {
    "float64": (
        "float64 (exact)",
        "Runs compute in float64, bit-identical with stepping: the numbers you check by hand",
    ),
    "float32": (
        "float32 (faster, large networks)",
        "Runs and epochs compute in float32, about twice as fast on large networks; the weights are "
        "rounded to float32 (7 significant digits). Stepping, the walkthrough and exercises still "
        "compute in float64",
    ),
}
TRAIN_EVAL_TEXT = {
    "auto": (
        "all, or a subsample",
        "After each epoch the training loss and accuracy are measured on every training sample; on a "
        "set of more than 4,096 samples, on a fixed evenly spaced subsample of at least 1,024 (every "
        "j-th sample, the plot's legend says how many), which saves up to a quarter of an epoch's "
        "time. Validation and test are always measured whole",
    ),
    "all": (
        "all, always",
        "After each epoch the training loss and accuracy are measured on every training sample, "
        "however large the set",
    ),
}
REG_TIP = (
    "J = s·[Σₓ Eₓ + (λ₂/2)·Σ w² + λ₁·Σ |w|] (biases excluded); the gradient gains s·(λ₂·w + λ₁·sign(w)). "
    "With the mean reduction, the L2 term is λ/(2m)·Σ w²."
)


class NumberBox(QDoubleSpinBox):
    """A spin box for rates and constants: shows 6 significant digits (1e-08, 0.001, 2.5), accepts
    scientific notation, and the arrows change the second significant digit."""

    def __init__(self, lo: float = 0.0, hi: float = 1e9, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(15)
        self.setRange(lo, hi)
        self.setKeyboardTracking(False)
        self.setAccelerated(True)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.replace("\u2212", "-").strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        t = text.replace("\u2212", "-").strip()
        try:
            v = float(t)
        except ValueError:
            ok_partial = t == "" or t[-1:] in ("e", "E", "-", "+", ".")
            state = QValidator.State.Intermediate if ok_partial else QValidator.State.Invalid
            return state, text, pos
        if not math.isfinite(v) or not self.minimum() <= v <= self.maximum():
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos

    def stepBy(self, steps: int) -> None:
        v = self.value()
        step = 10.0 ** (math.floor(math.log10(abs(v))) - 1) if v else 0.01
        self.setValue(v + steps * step)


def _combo(items: list[tuple[str, str, str]]) -> QComboBox:
    """A combo of (data, text, tooltip) items."""
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(10)
    for i, (data, text, tip) in enumerate(items):
        box.addItem(text, data)
        box.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
    return box


def _select(box: QComboBox, data) -> None:
    i = box.findData(data)
    if i >= 0:
        box.setCurrentIndex(i)
    box.setToolTip(box.itemData(box.currentIndex(), Qt.ItemDataRole.ToolTipRole) or "")


class SettingsPanel(QScrollArea):
    """The "Training settings" dock contents."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("settingsPanel")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._updating = False
        body = QWidget()
        self.vbox = QVBoxLayout(body)
        self.vbox.setContentsMargins(4, 4, 4, 4)
        self.setWidget(body)

        self._build_notation()
        self._build_network()
        self._build_loss()
        self._build_optimiser()
        self._build_batches()
        self._build_regularisation()
        self._build_init()
        self._build_early_stopping()
        self.vbox.addStretch(1)

        session.changed.connect(self._changed)
        session.viewChanged.connect(lambda key: self.refresh() if key in NOTATION_KEYS else None)
        session.runningChanged.connect(self._running_changed)
        self._rebuild_layers()
        self.refresh()

    # ------------------------------------------------------------------ building
    def _group(self, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # in a narrow panel (a projector's screen) a label goes above its field instead of cutting it
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.vbox.addWidget(box)
        return form

    def _build_notation(self) -> None:
        form = self._group("Notation")
        self.notation_box = _combo(
            [
                ("gradient", CHOICES["notation"]["gradient"], "δ = ∂E/∂z; the update is w ← w − η·a·δ"),
                (
                    "error_signal",
                    CHOICES["notation"]["error_signal"],
                    "Δ = (t − o)·f′(z) = −δ; the update is w ← w + η·a·Δ (same numbers, opposite sign)",
                ),
            ]
        )
        self.notation_box.currentIndexChanged.connect(self._notation_changed)
        form.addRow("Show", self.notation_box)

    def _build_network(self) -> None:
        self.layer_form = self._group("Activations")
        self.activation_boxes: list[QComboBox] = []

    def _build_loss(self) -> None:
        form = self._group("Loss")
        self.loss_box = _combo(
            [(x.name, f"{x.label}: {x.formula}", f"{x.formula}\n{x.output_derivative}") for x in LOSSES]
        )
        self.reduction_box = _combo([(k, v[0], v[1]) for k, v in REDUCTION_TEXT.items()])
        self.loss_formula = QLabel()
        self.loss_formula.setWordWrap(True)
        self.loss_formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Error per sample", self.loss_box)
        form.addRow("Batch reduction", self.reduction_box)
        form.addRow(self.loss_formula)
        self.loss_box.currentIndexChanged.connect(lambda _i: self._commit(loss=self.loss_box.currentData()))
        self.reduction_box.currentIndexChanged.connect(
            lambda _i: self._commit(reduction=self.reduction_box.currentData())
        )

    def _build_optimiser(self) -> None:
        self.opt_form = self._group("Optimiser")
        self.optimiser_box = _combo([(o.name, o.label, o.formula) for o in OPTIMISERS])
        self.optimiser_formula = QLabel()
        self.optimiser_formula.setWordWrap(True)
        self.opt_form.addRow("Method", self.optimiser_box)
        self.opt_form.addRow(self.optimiser_formula)
        self.param_boxes: dict[str, NumberBox] = {}
        self.optimiser_box.currentIndexChanged.connect(self._optimiser_changed)

    def _build_batches(self) -> None:
        form = self._group("Batches and epochs")
        self.batch_box = _combo([(k, v[0], v[1]) for k, v in BATCH_TEXT.items()])
        self.batch_size_box = QSpinBox()
        self.batch_size_box.setRange(1, 1_000_000)
        self.batch_size_box.setKeyboardTracking(False)
        self.batch_size_box.setToolTip("k, the samples per update in mini-batch mode (m = k)")
        self.shuffle_box = QCheckBox("Shuffle every epoch")
        self.shuffle_box.setToolTip("Visit the training samples in a new (seeded) random order every epoch")
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(0, 10_000_000)
        self.epochs_box.setKeyboardTracking(False)
        self.epochs_box.setToolTip("Run trains this many epochs (one epoch = every training sample once)")
        self.target_check = QCheckBox("Stop at loss ≤")
        self.target_check.setToolTip(
            "Stop a run when the epoch's training loss (mean error per sample, as the Loss plot shows "
            "it: see Epoch loss on) reaches the target"
        )
        self.target_box = NumberBox(0.0, 1e12)
        self.target_box.setToolTip(self.target_check.toolTip())
        form.addRow("Update", self.batch_box)
        form.addRow("Batch size k", self.batch_size_box)
        form.addRow(self.shuffle_box)
        form.addRow("Epochs per run", self.epochs_box)
        form.addRow(self.target_check, self.target_box)
        self.dtype_box = _combo([(k, v[0], v[1]) for k, v in DTYPE_TEXT.items()])
        self.dtype_box.setObjectName("dtype_box")
        form.addRow("Arithmetic of runs", self.dtype_box)
        self.dtype_box.currentIndexChanged.connect(
            lambda _i: self._commit(dtype=self.dtype_box.currentData())
        )
        self.train_eval_box = _combo([(k, v[0], v[1]) for k, v in TRAIN_EVAL_TEXT.items()])
        self.train_eval_box.setObjectName("train_eval_box")
        form.addRow("Epoch loss on", self.train_eval_box)
        self.train_eval_box.currentIndexChanged.connect(
            lambda _i: self._commit(train_eval=self.train_eval_box.currentData())
        )
        self.batch_box.currentIndexChanged.connect(
            lambda _i: self._commit(batch_mode=self.batch_box.currentData())
        )
        self.batch_size_box.valueChanged.connect(lambda v: self._commit(batch_size=int(v)))
        self.shuffle_box.toggled.connect(lambda v: self._commit(shuffle=bool(v)))
        self.epochs_box.valueChanged.connect(lambda v: self._commit(epochs=int(v)))
        self.target_check.toggled.connect(self._target_changed)
        self.target_box.valueChanged.connect(self._target_changed)

    def _build_regularisation(self) -> None:
        form = self._group("Regularisation")
        self.l1_box = NumberBox(0.0, 1e6)
        self.l2_box = NumberBox(0.0, 1e6)
        self.l1_box.setToolTip("λ₁ of the L1 penalty λ₁·Σ|w| (pushes weights to exactly 0).\n" + REG_TIP)
        self.l2_box.setToolTip("λ₂ of the L2 penalty (λ₂/2)·Σw² (weight decay).\n" + REG_TIP)
        form.addRow("L1 λ₁", self.l1_box)
        form.addRow("L2 λ₂", self.l2_box)
        self.l1_box.valueChanged.connect(lambda v: self._commit(l1=float(v)))
        self.l2_box.valueChanged.connect(lambda v: self._commit(l2=float(v)))

    def _build_init(self) -> None:
        self.init_form = self._group("Initial weights")
        self.init_box = _combo([(i.name, i.label, i.formula) for i in INITIALISERS])
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2_000_000_000)
        self.seed_box.setKeyboardTracking(False)
        self.seed_box.setToolTip("Random seed: the same seed draws the same weights and the same shuffling")
        self.reset_button = QPushButton("Reset weights")
        self.reset_button.setToolTip(
            "Draw new weights with this initialiser and seed, and start training afresh"
        )
        self.init_form.addRow("Initialiser", self.init_box)
        self.init_param_boxes: dict[str, NumberBox] = {}
        self.init_form.addRow("Seed", self.seed_box)
        self.init_form.addRow(self.reset_button)
        self.init_box.currentIndexChanged.connect(self._init_changed)
        self.seed_box.valueChanged.connect(lambda v: self._commit(seed=int(v)))
        self.reset_button.clicked.connect(lambda: self.session.reset_weights())

    def _build_early_stopping(self) -> None:
        form = self._group("Early stopping")
        self.early_box = QCheckBox("Stop when validation loss stalls")
        self.early_box.setToolTip(
            "After every epoch: if the validation loss has not improved by more than min Δ for "
            "'patience' epochs, stop and restore the best weights (needs a validation split)"
        )
        self.patience_box = QSpinBox()
        self.patience_box.setRange(1, 100_000)
        self.patience_box.setKeyboardTracking(False)
        self.patience_box.setToolTip("Epochs without improvement before stopping")
        self.min_delta_box = NumberBox(0.0, 1e6)
        self.min_delta_box.setToolTip(
            "An improvement counts only if the validation loss falls by more than this"
        )
        self.early_note = QLabel()
        self.early_note.setWordWrap(True)
        form.addRow(self.early_box)
        form.addRow("Patience", self.patience_box)
        form.addRow("Min Δ", self.min_delta_box)
        form.addRow(self.early_note)
        self.early_box.toggled.connect(lambda v: self._commit(early_stopping=bool(v)))
        self.patience_box.valueChanged.connect(lambda v: self._commit(patience=int(v)))
        self.min_delta_box.valueChanged.connect(lambda v: self._commit(min_delta=float(v)))

    # ------------------------------------------------------------------ per-layer activations
    def _changed(self, change: Change) -> None:
        if change & (Change.CONFIG | Change.PROJECT | Change.DATASET):
            self.refresh()
        if change & Change.SHAPE:
            self._rebuild_layers()

    def _rebuild_layers(self) -> None:
        """One activation box per layer after the input. Boxes are updated in place when the number
        of layers is unchanged: a box must never be deleted from inside its own change signal."""
        net = self.session.network
        L = net.n_layers
        if len(self.activation_boxes) == L:
            self._updating = True
            try:
                for l, box in enumerate(self.activation_boxes, start=1):
                    _select(box, net.activations[l - 1])
                    self.layer_form.labelForField(box).setText(f"{layer_title(l, L)} (layer {l + 1})")
            finally:
                self._updating = False
            return
        form = self.layer_form
        while form.rowCount():
            form.removeRow(0)
        self.activation_boxes = []
        for l in range(1, L + 1):
            allowed = [a for a in ACTIVATIONS if a.elementwise or l == L]  # softmax: output layer only
            items = [(a.name, a.label, f"{a.formula}\n{a.derivative}") for a in allowed]
            box = _combo(items)
            self._updating = True
            _select(box, net.activations[l - 1])
            self._updating = False
            box.currentIndexChanged.connect(lambda _i, layer=l, b=box: self._activation_changed(layer, b))
            form.addRow(f"{layer_title(l, L)} (layer {l + 1})", box)
            self.activation_boxes.append(box)

    def _activation_changed(self, layer: int, box: QComboBox) -> None:
        if self._updating:
            return
        name = box.currentData()
        if name == self.session.network.activations[layer - 1]:
            return

        def change(net) -> None:
            net.activations[layer - 1] = name

        L = self.session.network.n_layers
        if not self.session.edit_network(
            f"{layer_title(layer, L)} activation: {name}", change, structural=True
        ):
            self._rebuild_layers()

    # ------------------------------------------------------------------ committing
    def _commit(self, **changes) -> None:
        if self._updating:
            return
        cfg = self.session.config
        if all(getattr(cfg, k) == v for k, v in changes.items()):
            return
        new = dataclasses.replace(copy.deepcopy(cfg), **changes)
        if not self.session.set_config(new):
            self.refresh()

    def _notation_changed(self) -> None:
        if not self._updating:
            self.session.set_view_option("notation", self.notation_box.currentData())

    def _optimiser_changed(self) -> None:
        """Another optimiser keeps the settings it shares with the old one (η above all): the user's
        learning rate never changes behind their back. When the new optimiser is usually run with
        another η, the status bar says so."""
        if self._updating:
            return
        cfg = self.session.config
        name = self.optimiser_box.currentData()
        try:
            old = get_optimiser(cfg.optimiser).hyper(cfg.optimiser_params)
        except EngineError:
            old = {}
        new = get_optimiser(name)
        params = {k: v for k, v in old.items() if k in new.defaults}
        self._commit(optimiser=name, optimiser_params=params)
        usual = new.defaults.get("lr")
        if self.session.config.optimiser == name and "lr" in params and usual not in (None, params["lr"]):
            self.session.statusMessage.emit(
                f"{new.label}: η kept at {params['lr']:g} (it is usually run with η = {usual:g})"
            )

    def _init_changed(self) -> None:
        if not self._updating:
            self._commit(init=self.init_box.currentData(), init_params={})

    def _param_changed(self, key: str, value: float, init: bool = False) -> None:
        if self._updating:
            return
        name = "init_params" if init else "optimiser_params"
        params = dict(getattr(self.session.config, name))
        params[key] = float(value)
        self._commit(**{name: params})

    def _target_changed(self) -> None:
        self.target_box.setEnabled(self.target_check.isChecked())
        self._commit(target_loss=float(self.target_box.value()) if self.target_check.isChecked() else None)

    def _running_changed(self, running: bool) -> None:
        # settings stay editable during a run (they apply at the next step); the network does not
        for box in self.activation_boxes:
            box.setEnabled(not running)
        self.reset_button.setEnabled(not running)

    # ------------------------------------------------------------------ showing the current settings
    def _param_rows(
        self, form: QFormLayout, boxes: dict[str, NumberBox], defaults, helps, values, formula, init, at
    ):
        for key in list(boxes):
            form.removeRow(boxes.pop(key))
        for i, (key, default) in enumerate(defaults.items()):
            box = NumberBox(0.0, MAX_INIT_PARAM if init else 1e9)
            box.setValue(float(values.get(key, default)))
            box.setToolTip(f"{helps.get(key, key)}\n{formula}")
            box.valueChanged.connect(lambda v, k=key: self._param_changed(k, v, init))
            form.insertRow(at + i, SYMBOLS.get(key, key), box)
            boxes[key] = box

    def refresh(self) -> None:
        """Show the session's current settings (without committing anything)."""
        cfg: TrainConfig = self.session.config
        self._updating = True
        try:
            _select(self.notation_box, self.session.notation)
            _select(self.loss_box, cfg.loss)
            _select(self.reduction_box, cfg.reduction)
            self.loss_formula.setText(self._loss_text(cfg))
            opt = get_optimiser(cfg.optimiser)
            if self.optimiser_box.currentData() != cfg.optimiser or set(self.param_boxes) != set(
                opt.defaults
            ):
                _select(self.optimiser_box, cfg.optimiser)
                self._param_rows(
                    self.opt_form,
                    self.param_boxes,
                    opt.defaults,
                    opt.parameter_help,
                    cfg.optimiser_params,
                    opt.formula,
                    False,
                    1,
                )
            hp = opt.hyper(cfg.optimiser_params)
            for key, box in self.param_boxes.items():
                box.setValue(hp[key])
            self.optimiser_formula.setText(opt.formula)
            _select(self.batch_box, cfg.batch_mode)
            self.batch_size_box.setValue(cfg.batch_size)
            self.batch_size_box.setEnabled(cfg.batch_mode == "minibatch")
            self.shuffle_box.setChecked(cfg.shuffle)
            _select(self.dtype_box, cfg.dtype)
            _select(self.train_eval_box, cfg.train_eval)
            self.epochs_box.setValue(cfg.epochs)
            self.target_check.setChecked(cfg.target_loss is not None)
            self.target_box.setEnabled(cfg.target_loss is not None)
            if cfg.target_loss is not None:
                self.target_box.setValue(cfg.target_loss)
            self.l1_box.setValue(cfg.l1)
            self.l2_box.setValue(cfg.l2)
            ini = get_initialiser(cfg.init)
            if self.init_box.currentData() != cfg.init or set(self.init_param_boxes) != set(ini.defaults):
                _select(self.init_box, cfg.init)
                self._param_rows(
                    self.init_form,
                    self.init_param_boxes,
                    ini.defaults,
                    ini.parameter_help,
                    cfg.init_params,
                    ini.formula,
                    True,
                    1,
                )
            ihp = ini.hyper(cfg.init_params)
            for key, box in self.init_param_boxes.items():
                box.setValue(ihp[key])
            self.seed_box.setValue(cfg.seed)
            self.early_box.setChecked(cfg.early_stopping)
            self.patience_box.setValue(cfg.patience)
            self.min_delta_box.setValue(cfg.min_delta)
            tr = self.session.trainer
            has_val = tr is not None and tr.val is not None
            self.early_note.setText(
                ""
                if has_val or not cfg.early_stopping
                else "No validation split: set one in the Dataset panel."
            )
        finally:
            self._updating = False

    def _loss_text(self, cfg: TrainConfig) -> str:
        loss = LOSSES.get(cfg.loss)
        per = loss.formula.split("=", 1)[1].strip() if "=" in loss.formula else loss.formula
        batch = "(1/m)·Σₓ" if cfg.reduction == "mean" else "Σₓ"
        notation = notation_from_view(self.session.project.view)
        derivative = in_notation(loss.output_derivative, self.session.notation)
        text = notation.letters_text(f"E = {batch} [{per}]") + f"    ({notation.letters_text(derivative)})"
        cost = batch_cost(cfg.loss, cfg.reduction, notation)
        return text + (f"\nthat is {cost}" if cost else "")
