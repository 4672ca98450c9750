"""The Session's own guarantees."""

from __future__ import annotations

import numpy as np

from bpstudio.app.session import Session


def test_after_a_save_the_views_still_show_the_network_being_trained(tmp_path):
    """Saving brings the project up to date with the trainer without giving it a copy of the network:
    the canvas, table and plots read ``session.network``, which training goes on changing."""
    s = Session()
    s.step_epoch()
    s.save(tmp_path / "x.bps.json")
    assert s.network is s.trainer.network
    before = s.network.weights[0].copy()
    s.step_epoch()
    assert not np.array_equal(s.network.weights[0], before)
    assert s.project.history is not s.trainer.history  # the saved values are copies


def test_data_that_do_not_fit_are_refused_with_the_reason(tmp_path, qtbot):
    """The reason was read after the old data were back, when there was none left to give."""
    s = Session()
    errors = []
    s.errorOccurred.connect(lambda title, text: errors.append((title, text)))
    before = s.project.dataset
    assert not s.set_dataset({"file": str(tmp_path / "missing.csv")})
    assert s.project.dataset == before and s.trainer is not None
    ((title, text),) = errors
    assert title == "Dataset does not fit" and "missing.csv" in text


def test_a_copy_leaves_the_session_s_file_and_data_paths_alone(tmp_path):
    """copy_document (the autosave) is the project for a file elsewhere, without making it that file's."""
    data = tmp_path / "course"
    data.mkdir()
    (data / "xor.csv").write_text("a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n", encoding="utf-8")
    s = Session()
    assert s.set_dataset({"file": str(data / "xor.csv")})
    s.save(data / "net.bps.json")
    assert s.project.dataset["file"] == "xor.csv"  # named relative to the project from now on
    s.step_epoch()
    (tmp_path / "copies").mkdir()
    doc = s.copy_document(tmp_path / "copies")
    assert s.path == data / "net.bps.json" and s.dirty and s.project.dataset["file"] == "xor.csv"
    from bpstudio.formats import load_project, save_project_document

    save_project_document(tmp_path / "copies" / "c.bps.json", doc)
    copy = load_project(tmp_path / "copies" / "c.bps.json")
    assert copy.dataset["file"] == "../course/xor.csv" or copy.dataset["file"] == str(data / "xor.csv")
    assert copy.history is not None and len(copy.history.epochs) == 1
