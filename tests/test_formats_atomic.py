"""Atomic saves: a failed or interrupted save leaves the old file intact and no temporary files."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bpstudio.engine import Network
from bpstudio.formats import (
    FileSaveError,
    FormatError,
    load_project,
    save_project,
    save_weights,
    write_json_atomic,
)
from bpstudio.formats import io as fio
from bpstudio.workspace import load_example


@pytest.fixture
def saved(tmp_path):
    """An existing project file and its exact bytes."""
    path = tmp_path / "xor.bps.json"
    save_project(path, load_example("xor"))
    return path, path.read_bytes()


def _changed_project():
    project = load_example("xor")
    project.name = "changed"
    project.network.weights[0][0, 0] = 0.999
    return project


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_save_writes_then_renames_and_leaves_no_temp_file(saved):
    path, _ = saved
    save_project(path, _changed_project())
    assert load_project(path).name == "changed"
    assert _leftovers(path.parent) == []


def test_failed_rename_keeps_the_old_file(saved, monkeypatch):
    path, before = saved

    def fail(src, dst):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fio.os, "replace", fail)
    with pytest.raises(FormatError, match="cannot save .*the existing file was not changed") as info:
        save_project(path, _changed_project())
    # also an OSError, for callers that catch those around a save
    assert isinstance(info.value, OSError) and isinstance(info.value, FileSaveError)
    assert (info.value.errno, info.value.strerror, info.value.filename) == (
        errno.EACCES,
        "Permission denied",
        str(path),
    )
    assert str(info.value) == f"{path}: cannot save (Permission denied); the existing file was not changed"
    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []


def test_disk_full_mid_write_keeps_the_old_file(saved, monkeypatch):
    path, before = saved
    real_write = os.write
    calls = []

    def half_then_fail(fd, data):
        if calls:
            raise OSError(errno.ENOSPC, "No space left on device")
        calls.append(1)
        return real_write(fd, bytes(data[: len(data) // 2]))

    monkeypatch.setattr(fio.os, "write", half_then_fail)
    with pytest.raises(FormatError, match="No space left on device"):
        save_project(path, _changed_project())
    assert calls  # the first half really was written to the temporary file
    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []


def test_failed_fsync_keeps_the_old_file(saved, monkeypatch):
    path, before = saved

    def fail(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(fio.os, "fsync", fail)
    with pytest.raises(FormatError, match="Input/output error"):
        save_project(path, _changed_project())
    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []


def test_interrupt_mid_write_removes_the_temp_file_and_propagates(saved, monkeypatch):
    path, before = saved

    def interrupted(fd, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(fio.os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_project(path, _changed_project())
    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []


def test_process_killed_mid_save_never_truncates_the_file(saved):
    """A real crash: the process dies (os._exit) after writing the temporary file, before the rename."""
    path, before = saved
    script = textwrap.dedent(
        f"""
        import os
        from bpstudio.formats import io, load_project, save_project
        project = load_project({str(path)!r})
        project.name = "half-saved"
        io.os.fsync = lambda fd: os._exit(9)
        save_project({str(path)!r}, project)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert result.returncode == 9, result.stderr.decode()
    assert path.read_bytes() == before
    assert load_project(path).name == "XOR 2-2-1 (sigmoid)"


def test_non_finite_numbers_are_refused_before_anything_is_written(saved):
    path, before = saved
    project = _changed_project()
    project.network.weights[1][0, 1] = np.nan
    with pytest.raises(FormatError) as info:
        save_project(path, project)
    assert "network.weights[1][0][1]" in str(info.value)
    assert "JSON has no NaN" in str(info.value)
    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []


@pytest.mark.parametrize("value", [np.inf, -np.inf, float("nan")])
def test_write_json_atomic_refuses_non_finite_with_the_field(tmp_path, value):
    target = tmp_path / "out.json"
    with pytest.raises(FormatError, match=r"out\.json: history\.step_loss\[2\]: .*cannot be saved"):
        write_json_atomic(target, {"history": {"step_loss": [0.5, 0.25, value]}})
    assert not target.exists()
    assert _leftovers(tmp_path) == []


def test_a_project_that_would_not_load_again_is_not_saved(saved):
    path, before = saved
    project = _changed_project()
    project.history = None
    project.optimiser_state = {"t": 1, "velocity": [np.zeros(3)]}  # sgd keeps no velocity
    with pytest.raises(FormatError, match="not saved: sgd .*keeps no 'velocity' arrays"):
        save_project(path, project)
    assert path.read_bytes() == before


def test_save_refuses_files_larger_than_the_reading_limit(tmp_path, monkeypatch):
    from bpstudio.formats import PROJECT

    monkeypatch.setattr(PROJECT, "max_bytes", 2000)
    path = tmp_path / "big.bps.json"
    project = load_example("xor")
    project.network = Network.create([20, 20, 1], "sigmoid", seed=0)
    project.training.init_params = {}
    project.dataset = {"builtin": "xor", "params": {}}
    with pytest.raises(FormatError, match=r"more than the 2,000 bytes limit"):
        save_project(path, project)
    assert not path.exists()


def test_saving_keeps_the_permissions_of_an_existing_file(saved):
    path, _ = saved
    os.chmod(path, 0o640)
    save_project(path, _changed_project())
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        save_weights(tmp_path / "w.json", load_example("xor").network)
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "w.json").st_mode & 0o777 == 0o644  # not the 0600 of a temporary file


def test_saving_through_a_symlink_replaces_the_target(saved):
    path, _ = saved
    link = path.parent / "link.bps.json"
    link.symlink_to(path)
    save_project(link, _changed_project())
    assert link.is_symlink()
    assert load_project(path).name == "changed"


def test_saving_into_a_missing_folder_is_a_format_error(tmp_path):
    with pytest.raises(FormatError, match="cannot save .*nothing was written"):
        save_project(tmp_path / "no" / "such" / "x.bps.json", load_example("xor"))


def test_saved_text_is_json_with_one_row_per_line(tmp_path):
    path = tmp_path / "x.bps.json"
    save_project(path, load_example("xor"))
    text = path.read_text(encoding="utf-8")
    assert json.loads(text)["format"] == "bpstudio-project"
    assert "[0.14, -0.23]" in text  # a weight row on one line
    assert text.endswith("}\n")


def test_the_next_save_into_the_folder_removes_what_killed_saves_left(saved):
    """Issue 13, class 12: every kill -9 during a save used to leave a `.NAME.*.tmp` file for ever."""
    path, before = saved
    folder = path.parent
    script = textwrap.dedent(
        f"""
        import os
        from bpstudio.formats import io, load_project, save_project
        project = load_project({str(path)!r})
        io.os.fsync = lambda fd: os._exit(9)
        save_project({str(path)!r}, project)
        """
    )
    for _ in range(3):
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
        assert result.returncode == 9
    left = _leftovers(folder)
    assert len(left) == 3 and path.read_bytes() == before
    other = folder / "notes.txt.1a2b3c4d.tmp"  # not one of ours: never touched
    other.write_text("x")
    weights = folder / ".w.json.0badc0de.tmp"  # ours, for another file of the folder
    weights.write_text("{")
    old = os.stat(path).st_mtime - 3600
    for name in [*left, weights.name, other.name]:
        os.utime(folder / name, (old, old))
    fresh = folder / ".xor.bps.json.feedface.tmp"  # a save in progress elsewhere: recent, kept
    fresh.write_text("{")
    save_project(path, _changed_project())
    assert _leftovers(folder) == sorted([fresh.name, other.name])
    assert load_project(path).name == "changed"


@pytest.mark.parametrize(
    "text, stem",
    [
        ("XOR 2-2-1: Ann, Bob", "xor-2-2-1-ann-bob"),
        ('a/b\\c?*<>|"', "a-b-c"),
        ("CON", "con-file"),
        ("  :: ", "untitled"),
        ("Übung", "übung"),
        ("x" * 200, "x" * 80),
    ],
)
def test_portable_file_names(text, stem):
    """Issue 12, item 8: proposed file names hold no character Windows refuses (":" "," …)."""
    assert fio.portable_stem(text) == stem
