"""Lab-wide defaults (issue 17.3): a system settings file an administrator ships sets the defaults
(theme, text size, notation and the other view options, folders, presentation mode) and can lock them."""

from __future__ import annotations

import pytest

from bpstudio.app import ui_scale
from bpstudio.app.preferences import PreferencesDialog
from bpstudio.app.settings import LOCKED_REASON, SYSTEM_ENV, AppSettings, system_settings_file

LAB = """[prefs]
theme=dark
text_size=1.5
presentation=true

[view]
notation=error_signal
precision=4

[paths]
projects={projects}
data={data}

[locks]
keys=prefs/theme, view/notation
"""


@pytest.fixture
def lab(tmp_path, monkeypatch):
    (tmp_path / "projects").mkdir()
    (tmp_path / "data").mkdir()
    path = tmp_path / "system" / "bpstudio.ini"
    path.parent.mkdir()
    path.write_text(LAB.format(projects=tmp_path / "projects", data=tmp_path / "data"), encoding="utf-8")
    monkeypatch.setenv(SYSTEM_ENV, str(path))
    return tmp_path


def test_the_labs_values_are_defaults_and_its_locks_hold(lab):
    s = AppSettings()
    assert s.system_path is not None and s.locked == {"prefs/theme", "view/notation"}
    assert s.theme() == "dark" and s.text_size() == 1.5 and s.start_presentation()
    assert s.view_default("notation") == "error_signal" and s.view_default("precision") == 4
    assert s.default_folder("projects") == str(lab / "projects") and s.import_folder() == str(lab / "data")
    # the user's own choices win where nothing is locked...
    s.set_text_size(1.25)
    s.set_view_default("precision", 2)
    assert AppSettings().text_size() == 1.25 and AppSettings().view_default("precision") == 2
    # ...and change nothing where the lab locked the setting
    s.set_theme("light")
    s.set_view_default("notation", "gradient")
    again = AppSettings()
    assert again.theme() == "dark" and again.view_default("notation") == "error_signal"
    assert again.is_locked("prefs/theme") and not again.is_locked("prefs/text_size")


def test_without_a_lab_file_nothing_changes(tmp_path, monkeypatch):
    monkeypatch.setenv(SYSTEM_ENV, str(tmp_path / "missing.ini"))
    s = AppSettings()
    assert s.system is None and not s.locked and s.theme() == "system" and not s.start_presentation()
    assert s.default_folder("projects") == ""


def test_the_lab_file_is_found_in_xdg_config_dirs_on_linux(tmp_path, monkeypatch):
    monkeypatch.delenv(SYSTEM_ENV, raising=False)
    first, second = tmp_path / "a", tmp_path / "b"
    (second / "bpstudio").mkdir(parents=True)
    (second / "bpstudio" / "bpstudio.ini").write_text("[prefs]\ntheme=light\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{first}:{second}")
    monkeypatch.setattr("sys.platform", "linux")
    assert system_settings_file() == second / "bpstudio" / "bpstudio.ini"
    assert AppSettings().theme() == "light"


def test_preferences_grey_out_what_the_lab_locked(lab, qtbot):
    from bpstudio.teaching.labels import DEFAULTS

    view = dict(DEFAULTS)
    dlg = PreferencesDialog(None, view, "dark", frozenset({"theme", "notation"}))
    qtbot.addWidget(dlg)
    assert not dlg.theme.isEnabled() and not dlg.boxes["notation"].isEnabled()
    assert LOCKED_REASON in dlg.theme.toolTip()
    assert dlg.boxes["names"].isEnabled() and dlg.precision.isEnabled()


def test_a_lecture_pc_opens_in_presentation_mode_and_the_file_dialogs_start_in_the_labs_folder(lab, qtbot):
    from bpstudio.app.launch import build_window, show_window

    window = build_window()
    qtbot.addWidget(window)
    try:
        show_window(window)
        assert window.presentation.active and window.isFullScreen()
        assert window.documents._start_dir() == str(lab / "projects")
        paths = window.settings
        assert paths.view_default("notation") == "error_signal"
        assert window.session.view_option("notation", None) == "error_signal"  # the new project takes it
    finally:
        window.presentation.set_active(False)
        window.training.shutdown()
        ui_scale.apply(1.0)


def test_a_lab_sets_its_course_notation_preset_for_new_projects(tmp_path, monkeypatch, qtbot):
    """Issue 17.3 with 14.7: ``view/preset`` in the lab's file gives every project that sets no
    notation of its own the course's letters and numbering; a student can choose another preset in
    Preferences unless the lab locks it."""
    from bpstudio.app.launch import build_window
    from bpstudio.app.preferences import apply_preferences
    from bpstudio.teaching.notation import Notation, preset_of

    path = tmp_path / "system" / "bpstudio.ini"
    path.parent.mkdir()
    path.write_text("[view]\npreset=nielsen\n", encoding="utf-8")
    monkeypatch.setenv(SYSTEM_ENV, str(path))
    assert AppSettings().notation_preset() == "nielsen"
    window = build_window()
    qtbot.addWidget(window)
    try:
        assert window.documents.open_example("xor")
        assert preset_of(Notation.from_view(window.session.project.view)) == "nielsen"
        apply_preferences(window.settings, window.session, {"preset": "comp9444"}, "system")
        assert AppSettings().notation_preset() == "comp9444"
        assert preset_of(Notation.from_view(window.session.project.view)) == "comp9444"
        dlg = PreferencesDialog(None, {**DEFAULTS_VIEW, "preset": "comp9444"}, "system")
        qtbot.addWidget(dlg)
        assert dlg.preset.currentData() == "comp9444" and dlg.values()[0]["preset"] == "comp9444"
    finally:
        window.training.shutdown()
    path.write_text("[view]\npreset=nielsen\n[locks]\nkeys=view/preset\n", encoding="utf-8")
    locked = AppSettings()
    assert locked.notation_preset() == "nielsen" and locked.is_locked("view/preset")
    locked.set_notation_preset("bmb3015")  # refused quietly: the lab decides
    assert AppSettings().notation_preset() == "nielsen"
    path.write_text("[view]\npreset=no-such-course\n", encoding="utf-8")
    assert AppSettings().notation_preset() == "comp9444"  # the student's own choice
    AppSettings().set_notation_preset("")
    assert AppSettings().notation_preset() == ""  # and the lab's unknown name is ignored


DEFAULTS_VIEW = {
    "notation": "gradient",
    "precision": 3,
    "bias_style": "value",
    "labels": True,
    "names": "index",
    "fill": "activation",
}
