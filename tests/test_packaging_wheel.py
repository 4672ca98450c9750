"""The wheel: every package, module and resource file is inside it, the entry points are declared, and
an installed copy (not the source checkout) runs and finds its resources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

import bpstudio

ROOT = Path(__file__).resolve().parent.parent
JUNK = ("__pycache__", ".pyc", ".DS_Store")


def _is_junk(path: Path) -> bool:
    return any(part in JUNK or part.endswith(".pyc") for part in path.parts)


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (so no build files land in the work tree)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "bpstudio", src / "bpstudio", ignore=ignore)
    shutil.copytree(ROOT / "resources", src / "resources", ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out)]
    proc = subprocess.run([*cmd, str(src)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    (whl,) = out.glob("bpstudio-*.whl")
    return whl


@pytest.fixture(scope="module")
def wheel_names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_every_package_with_an_init_is_listed_in_pyproject():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "bpstudio").rglob("__init__.py")
        if not _is_junk(p)
    }
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - on_disk == {"bpstudio.resources"}, "pyproject.toml lists packages that do not exist"
    assert _pyproject()["tool"]["setuptools"]["package-dir"] == {"bpstudio.resources": "resources"}


def test_the_wheel_has_every_resource_file_including_nested_folders(wheel_names):
    resources = [p for p in (ROOT / "resources").rglob("*") if p.is_file() and not _is_junk(p)]
    assert any(len(p.relative_to(ROOT / "resources").parts) >= 3 for p in resources), (
        "expected nested folders"
    )
    missing = [
        str(p.relative_to(ROOT))
        for p in resources
        if "bpstudio/resources/" + p.relative_to(ROOT / "resources").as_posix() not in wheel_names
    ]
    assert missing == []


def test_the_wheel_has_every_module_and_no_stray_files(wheel_names):
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "bpstudio").rglob("*.py") if not _is_junk(p)}
    assert modules - wheel_names == set()
    stray = {n for n in wheel_names if n.startswith(("tests/", "packaging/", "docs/", "benchmarks/"))}
    assert stray == set()
    assert not any(n.endswith(".pyc") or "__pycache__" in n for n in wheel_names)


def test_the_wheel_declares_the_entry_points(wheel):
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt"))
        text = zf.read(name).decode()
        metadata = zf.read(name.replace("entry_points.txt", "METADATA")).decode()
    console, gui = text.split("[gui_scripts]")
    assert "[console_scripts]" in console and "bpstudio = bpstudio.cli:main" in console
    assert "bpstudio-gui = bpstudio.cli:main" in gui
    assert f"Version: {bpstudio.__version__}" in metadata
    assert "Requires-Dist: PySide6-Essentials==" in metadata
    assert "Requires-Dist: pyqtgraph==" in metadata


def test_an_installed_wheel_runs_and_finds_its_resources(wheel, tmp_path):
    site = tmp_path / "site"
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(site)]
    proc = subprocess.run([*cmd, str(wheel)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    # run from an empty folder with the installed copy first on the path: not the source checkout
    env = dict(os.environ, PYTHONPATH=str(site), QT_QPA_PLATFORM="offscreen")
    work = tmp_path / "elsewhere"
    work.mkdir()
    probe = (
        "import bpstudio, json; from bpstudio.workspace import list_examples, load_example; "
        "r = bpstudio.resources_dir(); "
        "print(json.dumps({'pkg': bpstudio.__file__, 'res': str(r), "
        "'examples': [n for n, _ in list_examples()], 'xor': load_example().name, "
        "'icon': bpstudio.resource_path('icons', 'bpstudio.svg').is_file()}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    import json

    info = json.loads(run.stdout)
    assert Path(info["pkg"]).resolve().is_relative_to(site.resolve())
    assert Path(info["res"]).resolve() == (site / "bpstudio" / "resources").resolve()
    assert "xor" in info["examples"] and info["xor"] and info["icon"]
    version = subprocess.run(
        [sys.executable, "-m", "bpstudio", "--version"], cwd=work, env=env, capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.strip() == f"bpstudio {bpstudio.__version__}"
