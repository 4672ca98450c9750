"""Shared test setup: Qt runs offscreen, settings go to a temporary folder, data are seeded."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BPSTUDIO_NO_RESTORE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_T = np.array([[0.0], [1.0], [1.0], [0.0]])


@pytest.fixture
def xor_data():
    return XOR_X.copy(), XOR_T.copy()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """QSettings and any per-user files of the app go to a fresh folder for every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("HOME", str(home))
    # no lab-wide settings file (a machine's /etc/xdg/bpstudio would change the defaults) unless a test
    # ships one itself
    monkeypatch.setenv("BPSTUDIO_SYSTEM_CONFIG", str(home / "no-lab-settings.ini"))
    yield


@pytest.fixture(autouse=True)
def _no_unanswered_dialogs():
    """A modal dialog left unanswered for a minute fails its test instead of hanging the run
    (tests/gui_helpers.py, ModalWatch). Only where Qt already runs: other tests never start it."""
    qt = sys.modules.get("PySide6.QtWidgets")
    if qt is None or qt.QApplication.instance() is None:
        yield None
        return
    from tests.gui_helpers import ModalWatch

    watch = ModalWatch()
    yield watch
    watch.stop()
    if watch.left_open:
        pytest.fail(
            "a modal dialog was left open with nobody to answer it (answer it in the test, e.g. "
            f"gui_helpers.answer_dialogs): {'; '.join(watch.left_open)}",
            pytrace=False,
        )


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without the interpreter's final teardown of Qt objects.

    Every result has been reported by now. PySide6 has been seen (rarely) to crash while Python
    destroys leftover Qt objects at exit, which would turn a green run into exit status 139; the
    status pytest decided is what we return. Set BPSTUDIO_FULL_TEARDOWN=1 to see such crashes.
    """
    if _EXIT_STATUS and not os.environ.get("BPSTUDIO_FULL_TEARDOWN"):
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
