"""The PyInstaller spec, its Qt hook and the pinned build requirements, checked without freezing anything
(the frozen build itself is made and smoke-tested by .ci/run)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import tomllib

import bpstudio

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "bpstudio.spec"
HOOK = ROOT / "packaging" / "hooks" / "hook-PySide6.QtGui.py"
REQUIREMENTS = ROOT / "packaging" / "requirements-build.txt"


#: excluded modules that pyqtgraph imports inside try/except and works without
OPTIONAL_FOR_PYQTGRAPH = {"PySide6.QtTest"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _assigned(tree: ast.Module, name: str):
    """The literal value assigned to ``name`` at the top level of a module."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not assigned a literal")


def _function(tree: ast.Module, name: str, namespace: dict):
    """Compile one top-level function of our own packaging files, to call it in isolation."""
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    module = ast.Module(body=[node], type_ignores=[])
    code = compile(module, filename=f"<{name}>", mode="exec")
    exec(code, namespace)  # noqa: S102 - our own checked-in build code, not user content
    return namespace[name]


def _calls(tree: ast.Module, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def test_the_spec_is_a_one_folder_build_with_the_version_of_the_package():
    tree = _tree(SPEC)
    read_version = _function(tree, "read_version", {"ast": ast, "ROOT": ROOT})
    assert read_version() == bpstudio.__version__
    (collect,) = _calls(tree, "COLLECT")
    exe_calls = _calls(tree, "EXE")
    assert exe_calls, "no EXE"
    for exe in exe_calls:
        kw = {k.arg: k.value for k in exe.keywords}
        assert isinstance(kw["exclude_binaries"], ast.Constant) and kw["exclude_binaries"].value is True
    (analysis,) = _calls(tree, "Analysis")
    kw = {k.arg: k for k in analysis.keywords}
    assert ast.unparse(kw["hookspath"].value) == "[str(HOOKS)]"
    assert "bpstudio/resources" in ast.unparse(kw["datas"].value)
    assert collect is not None


def test_the_spec_excludes_other_qt_bindings_but_nothing_the_app_imports():
    excludes = set(_assigned(_tree(SPEC), "EXCLUDES"))
    assert {"PyQt5", "PyQt6", "PySide2", "tkinter"} <= excludes
    # import every bpstudio module (the window's optional parts included) and pyqtgraph as the app does,
    # in a fresh interpreter, and list what of PySide6 and pyqtgraph got loaded
    probe = (
        "import importlib, pkgutil, sys, bpstudio\n"
        "for m in pkgutil.walk_packages(bpstudio.__path__, 'bpstudio.'):\n"
        "    if m.name != 'bpstudio.__main__':  # that one would start the app\n"
        "        importlib.import_module(m.name)\n"
        "import pyqtgraph, pyqtgraph.exporters\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph'))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.split()
    assert "PySide6.QtWidgets" in loaded and "pyqtgraph" in loaded
    wrongly_excluded = [m for m in loaded if any(m == x or m.startswith(x + ".") for x in excludes)]
    assert [m for m in wrongly_excluded if m not in OPTIONAL_FOR_PYQTGRAPH] == []
    # ... and bpstudio itself does not use the modules pyqtgraph can do without
    for path in (ROOT / "bpstudio").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not any(m.split(".")[-1] in text for m in OPTIONAL_FOR_PYQTGRAPH), path


def test_the_qt_hook_drops_only_plugins_the_app_does_not_need():
    wanted = _function(
        _tree(HOOK), "wanted", {"UNWANTED_PLUGINS": _assigned(_tree(HOOK), "UNWANTED_PLUGINS")}
    )
    keep = [
        ("/x/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms"),
        ("/x/Qt/plugins/platforms/libqwayland.so", "PySide6/Qt/plugins/platforms"),
        ("/x/Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/plugins/platforms"),
        ("C:\\x\\plugins\\platforms\\qwindows.dll", "PySide6\\plugins\\platforms"),
        ("/x/plugins/platforms/libqcocoa.dylib", "PySide6/Qt/plugins/platforms"),
        ("/x/Qt/plugins/imageformats/libqsvg.so", "PySide6/Qt/plugins/imageformats"),
        ("/x/Qt/plugins/iconengines/libqsvgicon.so", "PySide6/Qt/plugins/iconengines"),
        (
            "/x/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
            "PySide6/Qt/plugins/xcbglintegrations",
        ),
        ("/x/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/lib"),
    ]
    drop = [
        ("/x/Qt/plugins/platformthemes/libqgtk3.so", "PySide6/Qt/plugins/platformthemes"),
        ("/x/Qt/plugins/imageformats/libqtiff.so", "PySide6/Qt/plugins/imageformats"),
        ("/x/Qt/plugins/platforms/libqvnc.so", "PySide6/Qt/plugins/platforms"),
        ("/x/Qt/plugins/platforms/libqeglfs.so", "PySide6/Qt/plugins/platforms"),
        ("/x/Qt/plugins/generic/libqtuiotouchplugin.so", "PySide6/Qt/plugins/generic"),
    ]
    assert [wanted(s, d) for s, d in keep] == [True] * len(keep)
    assert [wanted(s, d) for s, d in drop] == [False] * len(drop)


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.]*)(\s*;\s*.+)?", line)
        assert m, f"not an exact pin: {line!r}"
        pins[m.group(1).lower()] = m.group(2)
    return pins


def test_the_debian_11_build_pins_the_same_except_qt_for_python():
    """packaging/linux/requirements-glibc228.txt (issue 17.1): Qt for Python 6.9.3, whose Linux wheels
    need glibc 2.28, and every other pin as the main file's."""
    main, old = _pins(REQUIREMENTS), _pins(ROOT / "packaging" / "linux" / "requirements-glibc228.txt")
    assert old["pyside6-essentials"] == old["shiboken6"] == "6.9.3"
    qt = {"pyside6-essentials", "shiboken6"}
    assert {k: v for k, v in old.items() if k not in qt} == {k: v for k, v in main.items() if k not in qt}
    assert old["pyside6-essentials"] not in ("6.9.0", "6.9.1")  # 6.9.1 broke pyqtgraph (#3321)


def test_build_requirements_are_pinned_and_match_the_runtime_pins():
    pins = _pins(REQUIREMENTS)
    assert {"pyinstaller", "pyinstaller-hooks-contrib", "pyside6-essentials", "pyqtgraph", "numpy"} <= set(
        pins
    )
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    runtime = {d.split("==")[0].lower(): d.split("==")[1] for d in deps if "==" in d}
    assert runtime["pyside6-essentials"] == pins["pyside6-essentials"] == pins["shiboken6"]
    assert runtime["pyqtgraph"] == pins["pyqtgraph"]


def test_scripts_named_by_ci_the_workflow_and_the_docs_exist():
    texts = [
        (ROOT / ".ci" / "run").read_text(encoding="utf-8"),
        (ROOT / ".github" / "workflows" / "installers.yml").read_text(encoding="utf-8"),
        (ROOT / "docs" / "installing.md").read_text(encoding="utf-8"),
    ]
    named = set()
    for text in texts:
        named |= set(re.findall(r"packaging[/\\][\w./\\-]+\.(?:sh|ps1|py|iss|spec|txt|plist)", text))
    assert len(named) >= 10
    missing = sorted(n for n in named if not (ROOT / n.replace("\\", "/")).is_file())
    assert missing == []
