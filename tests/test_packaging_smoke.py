"""``bpstudio --smoke-test`` in-process: it passes on a working app and fails when something is broken."""

from __future__ import annotations

import io

import numpy as np
import pytest

from bpstudio import cli, resource_path
from bpstudio.app import session as session_module
from bpstudio.app import smoke

CHECKS = [
    "environment",
    "main window",
    "first paint",
    "training steps",
    "autosave",
    "save",
    "reopen",
    "render",
    "plot",
    "close",
]


def test_every_check_passes_on_the_default_example(qtbot):
    out = io.StringIO()
    test = smoke.SmokeTest(out=out)
    report = test.run()
    assert [r.name for r in report.results] == CHECKS
    assert report.ok, out.getvalue()
    assert report.screenshot is not None and report.screenshot.width() >= 200
    assert "XOR" in out.getvalue() and out.getvalue().count("smoke: ok") == len(CHECKS)
    assert not test.tmp.exists(), "the temporary folder was not removed"
    from bpstudio.app.recovery import recovery_folder

    assert not recovery_folder().exists()  # the autosave check wrote in the temporary folder


def test_the_command_line_runs_it_and_exits_zero(qtbot, capsys):
    assert cli.main(["--smoke-test"]) == 0
    assert "smoke test passed: 10 checks" in capsys.readouterr().out


def test_it_runs_on_the_project_given_on_the_command_line(qtbot, capsys):
    path = resource_path("examples", "single-neuron.bps.json")
    assert cli.main([str(path), "--smoke-test"]) == 0
    out = capsys.readouterr().out
    assert "single-neuron.bps.json" in out


def test_a_number_changed_by_save_and_reopen_fails_the_test(qtbot, monkeypatch, capsys):
    real_load = session_module.load_project

    def load_and_corrupt(path):
        project = real_load(path)
        project.network.weights[0][0, 0] = np.nextafter(project.network.weights[0][0, 0], np.inf)
        return project

    monkeypatch.setattr(session_module, "load_project", load_and_corrupt)
    assert cli.main(["--smoke-test"]) == 1
    captured = capsys.readouterr()
    assert "smoke: FAIL reopen" in captured.out
    assert "weights" in captured.err and "FAILED at 'reopen'" in captured.err
    assert "smoke: ok   render" not in captured.out, "checks after a failure must not run"


def test_a_project_that_cannot_be_read_fails_the_test(qtbot, tmp_path, capsys):
    bad = tmp_path / "broken.bps.json"
    bad.write_text("{not json", encoding="utf-8")
    assert cli.main([str(bad), "--smoke-test"]) == 1
    assert "FAILED at 'main window'" in capsys.readouterr().err


def test_a_blank_window_image_is_recognised(qapp):
    from PySide6.QtGui import QColor, QImage

    image = QImage(400, 300, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    assert smoke._distinct_colours(image) == 1
    for x in range(400):  # twenty vertical stripes of different hues
        for y in range(300):
            image.setPixelColor(x, y, QColor.fromHsv((x // 20) * 18, 255, 255))
    assert smoke._distinct_colours(image) == 20 > smoke.MIN_COLOURS


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ({"w": [np.array([1.0, 2.0])]}, {"w": [np.array([1.0, 2.0])]}, True),
        ({"w": [np.array([1.0, 2.0])]}, {"w": [np.array([1.0, 2.0 + 1e-15])]}, False),
        ([float("nan"), 1.0], [float("nan"), 1.0], True),
        ({"t": 3}, {"t": 4}, False),
        ([1.0], [1.0, 2.0], False),
    ],
)
def test_saved_numbers_are_compared_exactly(a, b, same):
    assert smoke._same(a, b) is same
