"""The dataset import dialog, used as a student would: pick a file, choose options, press Import."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from gui_helpers import when_modal
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from bpstudio.app.data import import_dialog
from bpstudio.app.data.import_dialog import ImportDialog
from bpstudio.app.data.panel import DatasetPanel
from bpstudio.app.session import Session
from bpstudio.app.settings import AppSettings

SPECIES = ("setosa", "versicolor", "virginica")


def iris_like(path, missing: bool = True) -> None:
    """12 flowers, 4 measurements and a species; one measurement missing."""
    rows = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    for i in range(12):
        c = i % 3
        rows.append(f"{5 + c + i / 10:.1f},{3 + c / 2:.1f},{1 + 2 * c:.1f},{0.2 + c:.1f},{SPECIES[c]}")
    if missing:
        rows[4] = rows[4].replace(",3.0,", ",,", 1)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def idx_bytes(arr: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


@pytest.fixture
def panel(qtbot, monkeypatch):
    """A dataset panel; "use the suggested network?" is answered Yes."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    p = DatasetPanel(Session())
    qtbot.addWidget(p)
    p.resize(400, 700)
    return p


@pytest.fixture
def pick(monkeypatch):
    """QFileDialog answers with the next of the paths given; records the folders it started in."""
    answers: list[str] = []
    started: list[str] = []

    def get_open(parent, caption="", folder="", filters=""):
        started.append(folder)
        return (str(answers.pop(0)) if answers else "", "")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(get_open))
    return answers, started


def read(qtbot, dlg: ImportDialog) -> None:
    """Wait until the dialog has read the whole file (it reads in a worker thread)."""
    qtbot.waitUntil(lambda: not dlg.loading, timeout=10_000)


def click_item(qtbot, dlg: ImportDialog, row: int, on_box: bool = False) -> None:
    """Click a column in the target list: on its name, or on its tick box."""
    lst = dlg.text_page.target_list
    rect = lst.visualItemRect(lst.item(row))
    pos = QPoint(rect.left() + 10, rect.center().y()) if on_box else rect.center()
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def choose(box, data) -> None:
    i = [j for j in range(box.count()) if box.itemData(j) == data and type(box.itemData(j)) is type(data)]
    assert i, data
    box.setCurrentIndex(i[0])


def run_dialog(qtbot, panel, action) -> list[ImportDialog]:
    """Click the panel's Import button and run ``action(dialog)`` in the dialog; the dialogs seen."""
    seen: list[ImportDialog] = []

    def act(dlg):
        seen.append(dlg)
        action(dlg)

    timer = when_modal("importDialog", act)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    timer.stop()
    return seen


def test_csv_with_header_and_class_target_is_applied(qtbot, panel, pick, tmp_path, monkeypatch):
    s = panel.session
    path = tmp_path / "flowers.csv"
    iris_like(path)
    pick[0].append(path)

    def action(dlg):
        read(qtbot, dlg)
        assert dlg.kind == "delimited"
        assert dlg.text_page.delimiter_box.currentText() == "Detect (comma)"
        assert dlg.table.horizontalHeaderItem(4).text() == "→ species"
        assert dlg.table.item(0, 0).text() == "5.0" and dlg.table.rowCount() == 12
        assert dlg.summary.text() == (
            "12 samples, 4 inputs, 3 classes (setosa, versicolor, virginica); "
            "1 missing value filled with the column mean"
        )
        assert dlg.ok_button.isEnabled()
        qtbot.keyClick(dlg.text_page.target_list, Qt.Key.Key_Return)  # Enter = Import

    assert run_dialog(qtbot, panel, action)
    spec = s.project.dataset
    assert spec["file"] == str(path) and spec["target"] == ["species"]
    assert spec["delimiter"] == "," and spec["header"] is True
    assert s.data.dataset.class_names == list(SPECIES)
    assert s.network.sizes[0] == 4 and s.network.sizes[-1] == 3
    assert panel.source_box.currentText() == "File: flowers.csv"


def test_semicolon_file_without_header_target_chosen_by_clicking(qtbot, panel, pick, tmp_path):
    s = panel.session
    path = tmp_path / "measurements.txt"
    path.write_text("1;2;0.5;1\n3;4;0.25;0\n5;6;0.75;1\n7;8;1.5;0\n", encoding="utf-8")
    pick[0].append(path)

    def action(dlg):
        read(qtbot, dlg)
        page = dlg.text_page
        choose(page.delimiter_box, ";")
        choose(page.header_box, False)
        assert [page.target_list.item(j).text() for j in range(4)] == [f"column {j}" for j in range(1, 5)]
        assert dlg.targets == [3]  # the last column by default
        click_item(qtbot, dlg, 2)  # tick column 3 by its name …
        click_item(qtbot, dlg, 3, on_box=True)  # … and untick column 4 by its box
        assert dlg.targets == [2]
        assert dlg.table.horizontalHeaderItem(2).text() == "→ column 3"
        read(qtbot, dlg)
        assert dlg.summary.text() == "4 samples, 3 inputs, 1 numeric target (column 3)"
        assert dlg.spec() == {
            "file": str(path),
            "format": "csv",
            "delimiter": ";",
            "header": False,
            "target": [3],
        }
        # a click on a column's title in the preview makes it a target too; back again
        dlg.table.horizontalHeader().sectionClicked.emit(0)
        assert dlg.targets == [0, 2]
        dlg.toggle_target(0)
        assert dlg.targets == [2]
        read(qtbot, dlg)
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)

    assert run_dialog(qtbot, panel, action)
    assert s.project.dataset["target"] == [3]
    np.testing.assert_array_equal(s.data.dataset.T[:, 0], [0.5, 0.25, 0.75, 1.5])
    np.testing.assert_array_equal(s.data.dataset.X[:, 2], [1, 0, 1, 0])
    # the next import starts in the same folder with the same options
    settings = AppSettings()
    assert settings.import_folder() == str(tmp_path)
    nxt = ImportDialog()
    qtbot.addWidget(nxt)
    assert nxt.text_page.delimiter_box.currentData() == ";"
    assert nxt.text_page.header_box.currentData() is False
    pick[0].append(path)
    assert nxt.browse() and pick[1][-1] == str(tmp_path)


def test_a_non_numeric_input_column_is_refused_with_ok_disabled(qtbot, panel, pick, tmp_path):
    s = panel.session
    before = dict(s.project.dataset)
    path = tmp_path / "people.csv"
    path.write_text("name,age,height,y\nann,31,1.7,0\nbob,45,1.8,1\n", encoding="utf-8")
    pick[0].append(path)

    def action(dlg):
        read(qtbot, dlg)
        assert dlg.summary.text() == f"{path}: row 2, column \"name\": not a number ('ann')"
        assert "color: #c92a2a" in dlg.summary.styleSheet()
        assert not dlg.ok_button.isEnabled()
        qtbot.keyClick(dlg.text_page.target_list, Qt.Key.Key_Return)  # Enter does nothing
        assert dlg.isVisible()
        click_item(qtbot, dlg, 0)  # "name" is a class label target: still refused, two targets
        read(qtbot, dlg)
        assert "must be the only target column" in dlg.summary.text() and not dlg.ok_button.isEnabled()
        click_item(qtbot, dlg, 3)  # untick y: "name" alone is the target, as class labels
        read(qtbot, dlg)
        assert dlg.summary.text() == "2 samples, 3 inputs, 2 classes (ann, bob)" and dlg.ok_button.isEnabled()
        qtbot.keyClick(dlg.text_page.target_list, Qt.Key.Key_Escape)  # Esc = cancel

    assert run_dialog(qtbot, panel, action)
    assert s.project.dataset == before and not s.dirty


def test_npz_arrays_are_listed_and_chosen(qtbot, panel, pick, tmp_path, monkeypatch):
    s = panel.session
    path = tmp_path / "arrays.npz"
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 3))
    np.savez(
        path, X=X, y=np.array(["no", "yes"] * 4), score=np.arange(8.0), meta=np.array([{}], dtype=object)
    )
    pick[0].append(path)

    def action(dlg):
        read(qtbot, dlg)
        page = dlg.npz_page
        assert dlg.kind == "npz" and dlg.pages.currentWidget() is page
        listed = [page.array_table.item(r, 0).text() for r in range(page.array_table.rowCount())]
        assert sorted(listed) == ["X", "meta", "score", "y"]
        choices = [page.targets_box.itemData(i) for i in range(page.targets_box.count())]
        assert "meta" not in choices  # Python objects are never offered (no pickle)
        assert page.inputs_box.currentData() == "X" and page.targets_box.currentData() == "y"
        assert dlg.summary.text() == "8 samples, 3 inputs, 2 classes (no, yes)"
        choose(page.targets_box, "score")
        read(qtbot, dlg)
        assert dlg.summary.text() == "8 samples, 3 inputs, 1 numeric target (y)"
        assert dlg.table.columnCount() == 4 and dlg.table.horizontalHeaderItem(3).text() == "→ y"
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)

    assert run_dialog(qtbot, panel, action)
    spec = s.project.dataset
    assert spec["format"] == "npz" and spec["inputs_key"] == "X" and spec["targets_key"] == "score"
    np.testing.assert_array_equal(s.data.dataset.T[:, 0], np.arange(8.0))


def test_idx_images_and_labels(qtbot, panel, pick, tmp_path, monkeypatch):
    s = panel.session
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(6, 7, 7)).astype(np.uint8)
    labels = np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8)
    img = tmp_path / "train-images-idx3-ubyte.gz"
    img.write_bytes(gzip.compress(idx_bytes(images)))
    other = tmp_path / "my-labels.idx"
    other.write_bytes(idx_bytes(labels))
    pick[0].extend([img, other])

    def action(dlg):
        assert dlg.kind == "idx" and dlg.idx_page.labels_edit.text() == ""  # no MNIST-named labels
        assert "Choose the labels file" in dlg.summary.text() and not dlg.ok_button.isEnabled()
        qtbot.mouseClick(dlg.idx_page.labels_browse, Qt.MouseButton.LeftButton)  # the second picker
        read(qtbot, dlg)
        assert "Images: 6 × 7 × 7 (unsigned byte)" in dlg.idx_page.info.text()
        assert dlg.summary.text() == "6 samples, 49 inputs, 3 classes (0, 1, 2); images of 7×7 pixels"
        assert not dlg.pictures.pixmap().isNull()
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)

    assert run_dialog(qtbot, panel, action)
    spec = s.project.dataset
    assert spec["format"] == "idx" and spec["file"] == str(img) and spec["labels"] == str(other)
    assert s.data.dataset.X.shape == (6, 49) and s.network.sizes[-1] == 3


def test_idx_labels_file_named_as_mnist_is_found(qtbot, tmp_path):
    img = tmp_path / "t10k-images-idx3-ubyte"
    img.write_bytes(idx_bytes(np.zeros((2, 7, 7))))
    lab = tmp_path / "t10k-labels-idx1-ubyte"
    lab.write_bytes(idx_bytes(np.array([0, 1])))
    dlg = ImportDialog(img)
    qtbot.addWidget(dlg)
    assert dlg.idx_page.labels_edit.text() == str(lab)
    read(qtbot, dlg)
    assert dlg.ok_button.isEnabled() and dlg.dataset is not None


def test_cancel_leaves_the_project_unchanged(qtbot, panel, pick, tmp_path):
    s = panel.session
    before, network = dict(s.project.dataset), s.network.sizes
    path = tmp_path / "flowers.csv"
    iris_like(path)
    pick[0].append(path)

    def action(dlg):
        read(qtbot, dlg)
        assert dlg.ok_button.isEnabled()
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)

    assert run_dialog(qtbot, panel, action)
    assert s.project.dataset == before and s.network.sizes == network
    assert not s.dirty and s.undo_stack.count() == 0
    assert panel.source_box.currentData() == "xor"
    # cancelling the file chooser does not even open the dialog
    assert not run_dialog(qtbot, panel, lambda dlg: dlg.reject())


def test_relative_path_when_the_project_is_saved_next_to_the_data(qtbot, panel, pick, tmp_path, monkeypatch):
    s = panel.session
    course = tmp_path / "course"
    (course / "lab1").mkdir(parents=True)
    (course / "data").mkdir()
    s.save(course / "lab1" / "flowers.bps.json")
    inside, beside = course / "lab1" / "flowers.csv", course / "data" / "flowers.csv"
    iris_like(inside)
    iris_like(beside, missing=False)
    pick[0].extend([inside, beside])

    def accept(dlg):
        read(qtbot, dlg)
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)

    assert run_dialog(qtbot, panel, accept)
    assert s.project.dataset["file"] == "flowers.csv"
    assert run_dialog(qtbot, panel, accept)
    assert s.project.dataset["file"] == "../data/flowers.csv"
    assert s.data.dataset.report.total_filled == 0  # the one in data/ was read
    s.save()
    monkeypatch.chdir(tmp_path)  # the path is read relative to the project, not the current folder
    again = Session()
    again.open(course / "lab1" / "flowers.bps.json")
    assert again.trainer is not None and again.data.dataset.class_names == list(SPECIES)
    # Save As elsewhere: the data file is named for the new folder, and Apply still finds it
    (course / "lab2").mkdir()
    s.save(course / "lab2" / "copy.bps.json")
    assert s.project.dataset["file"] == "../data/flowers.csv"
    (tmp_path / "away" / "deeper").mkdir(parents=True)
    s.save(tmp_path / "away" / "deeper" / "copy.bps.json")
    assert s.project.dataset["file"] == str(beside)
    assert panel.apply() and s.trainer is not None


def test_changes_in_quick_succession_read_the_file_once(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "flowers.csv"
    iris_like(path)
    calls = []
    real = import_dialog.load_dataset
    monkeypatch.setattr(import_dialog, "load_dataset", lambda spec: calls.append(spec) or real(spec))
    dlg = ImportDialog(path)
    qtbot.addWidget(dlg)
    choose(dlg.text_page.delimiter_box, ",")
    choose(dlg.text_page.header_box, True)
    choose(dlg.onehot_box, True)
    read(qtbot, dlg)
    assert len(calls) == 1 and calls[0]["onehot"] is True and dlg.ok_button.isEnabled()


def test_file_menu_opens_the_import_dialog(qtbot, pick, tmp_path):
    from bpstudio.app.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    path = tmp_path / "flowers.csv"
    iris_like(path)
    pick[0].append(path)
    seen = []
    timer = when_modal("importDialog", lambda dlg: (seen.append(dlg.path), dlg.reject()))
    window.actions["import_dataset"].trigger()
    timer.stop()
    assert seen == [path] and window.training.docks["dataset"].isVisible()
