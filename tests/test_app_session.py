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

