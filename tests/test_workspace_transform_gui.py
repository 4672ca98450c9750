"""The input transform in the window: File ▸ Export Weights writes it, File ▸ Import Weights adopts a
file's transform (undoably) and says so, a new dataset choice refits it, Reset weights keeps it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gui_helpers import answer_dialogs

from bpstudio.app.main_window import MainWindow
from bpstudio.formats import load_project, load_weights_file, save_weights

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
STANDARDISED = {
    "scaling": "standardise",
    "per_feature": True,
    "n_inputs": 2,
    "shift": [0.25, 0.75],
    "scale": [0.5, 2.0],
    "train_samples": 40,
}


@pytest.fixture
def answers(monkeypatch):
    return answer_dialogs(monkeypatch)


@pytest.fixture
def window(qtbot, answers):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.training.shutdown()


def trigger(window, menu: str, text: str) -> None:
    """Click menu ``menu`` ▸ ``text`` as the user reads them."""
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu:
            for a in top.menu().actions():
                if a.text().replace("&", "") == text:
                    a.trigger()
                    return
    raise AssertionError(f"no menu item {menu} ▸ {text}")


def status(window) -> str:
    return window.statusBar().currentMessage()


def test_export_weights_writes_the_projects_transform(qtbot, window, answers, tmp_path):
    s = window.session
    assert s.project.input_transform == {
        "scaling": "none",
        "per_feature": True,
        "n_inputs": 2,
        "train_samples": 4,
    }
    assert s.set_dataset(
        {"builtin": "xor", "params": {"encoding": "pm1"}, "preprocessing": {"scaling": "minmax01"}}
    )
    fitted = s.project.input_transform
    assert fitted == {
        "scaling": "minmax01",
        "per_feature": True,
        "n_inputs": 2,
        "shift": [-1.0, -1.0],
        "scale": [2.0, 2.0],
        "train_samples": 4,
    }
    np.testing.assert_array_equal(s.data.train[0], XOR_X)  # ±1 inputs scaled to [0, 1]
    answers.files.append(tmp_path / "net")
    trigger(window, "File", "Export Weights…")
    loaded = load_weights_file(tmp_path / "net.weights.json")
    assert loaded.input_transform == fitted
    np.testing.assert_array_equal(loaded.network.weights[0], s.network.weights[0])
    assert status(window) == "Exported the weights and the input scaling to net.weights.json"
    # saving the project stores it too
    answers.files.append(tmp_path / "p.bps.json")
    trigger(window, "File", "Save As…")
    assert load_project(tmp_path / "p.bps.json").input_transform == fitted
    assert answers.warnings == []


def test_importing_weights_adopts_the_files_transform_undoably(qtbot, window, answers, tmp_path):
    s = window.session
    before_net = s.network.copy()
    before = (dict(s.project.dataset), s.project.input_transform)
    net = s.network.copy()
    net.weights[1][0, 0] = 2.5
    save_weights(tmp_path / "std.json", net, STANDARDISED)
    answers.files.append(tmp_path / "std.json")
    trigger(window, "File", "Import Weights…")
    assert status(window) == "Imported weights; inputs now scaled with the file's standardisation transform"
    assert s.network.weights[1][0, 0] == 2.5
    assert s.project.input_transform == STANDARDISED
    assert s.project.dataset["preprocessing"] == {"scaling": "standardise"}
    shift, scale = np.array(STANDARDISED["shift"]), np.array(STANDARDISED["scale"])
    np.testing.assert_allclose(s.data.train[0], (XOR_X - shift) / scale)  # the data prepared again
    assert s.trainer is not None and s.dirty
    # one undo takes back the weights and the scaling together; redo brings both again
    window.actions["undo"].trigger()
    assert s.network.weights[1][0, 0] == before_net.weights[1][0, 0]
    assert (s.project.dataset, s.project.input_transform) == before
    np.testing.assert_array_equal(s.data.train[0], XOR_X)
    window.actions["redo"].trigger()
    assert s.project.input_transform == STANDARDISED and s.network.weights[1][0, 0] == 2.5
    # a file that records no transform (an older weights file) keeps the project's
    doc = json.loads((tmp_path / "std.json").read_text(encoding="utf-8"))
    doc["version"] = 2
    del doc["input_transform"]
    doc["network"]["weights"][1][0][0] = -1.5
    (tmp_path / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    answers.files.append(tmp_path / "old.json")
    trigger(window, "File", "Import Weights…")
    assert s.network.weights[1][0, 0] == -1.5 and s.project.input_transform == STANDARDISED
    assert status(window) == "Imported the weights from old.json"
    assert answers.warnings == []


def test_reset_weights_keeps_the_transform_and_a_new_split_refits_it(qtbot, window, answers):
    s = window.session
    assert s.set_dataset(
        {"builtin": "circle", "params": {"n": 40}, "preprocessing": {"scaling": "standardise"}}
    )
    fitted = s.project.input_transform
    assert fitted["train_samples"] == 40
    window.training.settings_panel.reset_button.click()
    assert s.project.input_transform == fitted
    assert s.set_dataset({**s.project.dataset, "split": {"val": 0.25, "seed": 0}})
    assert s.project.input_transform["train_samples"] == 30 and s.project.input_transform != fitted
    # a dataset that does not fit is refused and the transform stays as it was
    kept = s.project.input_transform
    answers.warnings.clear()
    assert not s.set_dataset({"builtin": "iris", "preprocessing": {"scaling": "minmax01"}})
    assert s.project.input_transform == kept
