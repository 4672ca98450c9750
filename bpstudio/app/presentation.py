"""View ▸ Text Size and View ▸ Presentation Mode: a window readable from the back of a lecture hall.

* **Text size** (Ctrl+= larger, Ctrl+− smaller, Ctrl+0 actual size) scales the whole window: menus,
  panels, the δ/Δw table, formulas, plots and the canvas drawing (:mod:`bpstudio.app.ui_scale`). It is
  remembered between sessions.
* **Presentation mode** (F11) shows the window full screen with large text and only what a lecture
  needs: the canvas, the Train toolbar, the δ/Δw table and walkthrough, the plots and an open exercise.
  Leaving it (F11 again) brings back the panels, toolbars, window size and text size of before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt

from . import ui_scale

if TYPE_CHECKING:
    from .main_window import MainWindow

#: the panels presentation mode hides (object names); the others stay as they are
HIDDEN_PANELS = (
    "trainingSettingsDock",
    "datasetDock",
    "inspectorDock",
    "gradientsDock",
    "landscapeDock",
    "compareRunsDock",
)
#: the panels presentation mode moves under the canvas, as tabs beside the δ/Δw table
BOTTOM_PANELS = ("lossDock", "boundaryDock")
#: the toolbars presentation mode hides (object names): the Train toolbar stays
HIDDEN_TOOLBARS = ("toolbar_main", "toolbar_network")
#: the share of the window's height the table (and the tabs beside it) takes: the rest is the canvas's
TABLE_SHARE = 0.36


@dataclass(frozen=True)
class _Before:
    state: QByteArray
    window_state: Qt.WindowState
    text_size: float


class Presentation:
    """Text size and presentation mode of one window."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self._before: _Before | None = None

    @property
    def active(self) -> bool:
        return self._before is not None

    # ------------------------------------------------------------------ text size
    def set_text_size(self, value: float) -> float:
        """Scale the window's text to the step nearest ``value`` (remembered unless presenting)."""
        value = ui_scale.apply(value)
        if not self.active:
            self.window.settings.set_text_size(value)
        self.window.show_status(f"Text size {value:.0%}")
        return value

    def larger(self) -> float:
        return self.set_text_size(ui_scale.step(ui_scale.factor(), +1))

    def smaller(self) -> float:
        return self.set_text_size(ui_scale.step(ui_scale.factor(), -1))

    def actual_size(self) -> float:
        return self.set_text_size(1.0)

    # ------------------------------------------------------------------ presentation mode
    def set_active(self, on: bool) -> None:
        """Enter or leave presentation mode."""
        if on == self.active:
            return
        w = self.window
        if on:
            self._before = _Before(w.saveState(), w.windowState(), ui_scale.factor())
            for name in HIDDEN_PANELS:
                dock = w.docks.get(name)
                if dock is not None:
                    dock.hide()
            for bar in w.toolbars.values():
                if bar.objectName() in HIDDEN_TOOLBARS:
                    bar.hide()
            ui_scale.apply(max(ui_scale.PRESENTATION, self._before.text_size))
            w.setWindowState(w.windowState() | Qt.WindowState.WindowFullScreen)
            # the plots join the table and walkthrough under the canvas: the drawing gets the full width
            table = w.docks.get("traceTableDock")
            if table is not None:
                for name in BOTTOM_PANELS:
                    dock = w.docks.get(name)
                    if dock is not None and not dock.isHidden():
                        w.tabifyDockWidget(table, dock)
                table.raise_()
                w.resizeDocks([table], [round(w.height() * TABLE_SHARE)], Qt.Orientation.Vertical)
            w.show_status("Presentation mode: press F11 to leave it")
        else:
            before, self._before = self._before, None
            assert before is not None
            ui_scale.apply(before.text_size)
            w.setWindowState(before.window_state)
            w.restoreState(before.state)
            for hook in list(w.restore_hooks):  # e.g. an exercise closed meanwhile
                hook()
        action = w.actions.get("presentation")
        if action is not None and action.isChecked() != on:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
