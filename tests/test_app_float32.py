"""float32 runs in the window: chosen in the settings, said in the status line, stepping stays exact."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import answer_dialogs
from PySide6.QtCore import Qt

from bpstudio.app.main_window import MainWindow


@pytest.fixture
def window(qtbot, monkeypatch):
    answer_dialogs(monkeypatch)
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def test_a_float32_epoch_from_the_keyboard(window, qtbot):
    room = window.training
    box = room.settings_panel.dtype_box
    box.setCurrentIndex(box.findData("float32"))
    assert window.session.config.dtype == "float32"
    assert "runs in float32" in room.status.text()
    qtbot.keyClick(window, Qt.Key.Key_F9)  # Train ▸ Epoch
    qtbot.waitUntil(lambda: window.session.trainer.epoch == 1)
    for w in window.session.network.parameters():
        np.testing.assert_array_equal(w, w.astype(np.float32))
    box.setCurrentIndex(box.findData("float64"))
    assert "float32" not in room.status.text()
