"""The Preferences dialog: notation, precision, bias style, labels, names, neuron fill and theme.

The view options apply to the open project at once (they are saved with it) and become the defaults
for projects that do not set them; the theme is a setting of the application.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from ..teaching.labels import CHOICES
from ..teaching.notation import PRESETS
from ..teaching.presenter import notation_from_view
from .dialogs import ok_cancel
from .settings import LOCKED_REASON, THEMES, AppSettings


class PreferencesDialog(QDialog):
    """Edits a copy of the options; :meth:`values` gives the result after Accept."""

    def __init__(
        self, parent: QWidget | None, view: dict[str, Any], theme: str, locked: frozenset[str] = frozenset()
    ) -> None:
        """``locked``: settings the lab's administrator fixed ("theme", or a view option's key): shown
        greyed out, with the reason."""
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        self.boxes: dict[str, QComboBox] = {}
        form = QFormLayout(self)
        for key, label in (
            ("notation", "Notation:"),
            ("bias_style", "Biases:"),
            ("names", "Neuron names:"),
            ("fill", "Neuron fill:"),
        ):
            box = QComboBox()
            box.setObjectName(f"pref_{key}")
            for value, text in CHOICES[key].items():
                box.addItem(text, value)
            box.setCurrentIndex(max(0, box.findData(view[key])))
            self.boxes[key] = box
            form.addRow(label, box)
        self.preset = QComboBox()
        self.preset.setObjectName("pref_preset")
        self.preset.addItem("None (the options above)", "")
        for name, preset in PRESETS.items():
            self.preset.addItem(preset.label, name)
            self.preset.setItemData(self.preset.count() - 1, preset.source, Qt.ItemDataRole.ToolTipRole)
        self.preset.setCurrentIndex(max(0, self.preset.findData(view.get("preset", ""))))
        self.preset.setToolTip(
            "The course's notation (letters, numbering, sign convention) that new projects take"
        )
        form.addRow("Course notation:", self.preset)
        self.precision = QSpinBox()
        self.precision.setObjectName("pref_precision")
        self.precision.setRange(0, 10)
        self.precision.setValue(int(view["precision"]))
        self.precision.setSuffix(" decimals")
        form.addRow("Numbers:", self.precision)
        self.labels = QCheckBox("Show numeric labels on edges and neurons")
        self.labels.setObjectName("pref_labels")
        self.labels.setChecked(bool(view["labels"]))
        form.addRow("", self.labels)
        self.theme = QComboBox()
        self.theme.setObjectName("pref_theme")
        for value, text in THEMES.items():
            self.theme.addItem(text, value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(theme)))
        form.addRow("Theme:", self.theme)
        controls = {
            **self.boxes,
            "preset": self.preset,
            "precision": self.precision,
            "labels": self.labels,
            "theme": self.theme,
        }
        for key in locked:
            widget = controls.get(key)
            if widget is not None:
                widget.setEnabled(False)
                widget.setToolTip(f"{LOCKED_REASON}: it cannot be changed here")
        note = QLabel(
            "Display options apply to the open project and are saved with it; they are also the "
            "defaults for projects that do not set them."
            + (f" Greyed-out settings: {LOCKED_REASON.lower()}." if locked & set(controls) else "")
        )
        note.setWordWrap(True)
        form.addRow(note)
        buttons = ok_cancel(self)
        form.addRow(buttons)

    def values(self) -> tuple[dict[str, Any], str]:
        view: dict[str, Any] = {key: box.currentData() for key, box in self.boxes.items()}
        view["precision"] = int(self.precision.value())
        view["labels"] = self.labels.isChecked()
        view["preset"] = str(self.preset.currentData() or "")
        return view, str(self.theme.currentData())


def apply_preferences(settings: AppSettings, session, view: dict[str, Any], theme: str) -> None:
    """Store the defaults, set the open project's view options and the theme; a course notation
    preset (``view["preset"]``) becomes the default and is applied to the open project."""
    view = dict(view)
    preset = view.pop("preset", None)
    if preset is not None and preset != settings.notation_preset():
        settings.set_notation_preset(preset)
        if preset:
            session.set_notation(notation_from_view(session.project.view).with_preset(preset))
            view = {k: v for k, v in view.items() if k not in ("notation", "bias_style")}
    for key, value in view.items():
        settings.set_view_default(key, value)
        session.set_view_option(key, value)
    settings.set_theme(theme)
