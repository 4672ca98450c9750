"""The installer recipes that cannot run here are checked as far as the tools here allow (issue 17.2):
the GitHub workflow against GitHub's published schema and for retired runner images, the documented
Windows commands for what a default Windows PC needs, and the deployment docs for a detection rule
that sees upgrades."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "installers.yml"
INSTALLING = ROOT / "docs" / "installing.md"
#: GitHub-hosted runner images that were retired (jobs on them fail at once)
RETIRED = {"macos-10.15", "macos-11", "macos-12", "macos-13", "ubuntu-18.04", "ubuntu-20.04", "windows-2019"}


def test_the_workflow_is_valid_for_github():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_workflow_uses_no_retired_runner_and_builds_both_mac_architectures():
    lines = WORKFLOW.read_text(encoding="utf-8").splitlines()
    code = "\n".join(line.split("#")[0] for line in lines)  # (comments may name retired images)
    runner_lines = [line for line in code.splitlines() if re.search(r"\b(runs-on|runner)\s*:", line)]
    labels = set(re.findall(r"\b(?:macos|ubuntu|windows)-[\w.-]+", "\n".join(runner_lines)))
    assert labels and not labels & RETIRED, labels & RETIRED
    assert "macos-15-intel" in labels  # Intel (x86_64)
    assert {"macos-14", "macos-15"} & labels  # Apple silicon (arm64)


def test_documented_powershell_commands_bypass_the_execution_policy():
    texts = [INSTALLING.read_text(encoding="utf-8"), (ROOT / "README.md").read_text(encoding="utf-8")]
    commands = [c for t in texts for c in re.findall(r"`(powershell[^`]*\.ps1[^`]*)`", t)]
    assert commands, "the Windows build command is documented"
    assert all("-ExecutionPolicy Bypass" in c for c in commands), commands


def test_the_deployment_detection_rule_is_by_version_on_the_installers_uninstall_key():
    app_id = re.search(r"AppId=\{\{([0-9A-F-]+)\}", (ROOT / "packaging/windows/bpstudio.iss").read_text())
    assert app_id is not None
    text = INSTALLING.read_text(encoding="utf-8")
    assert f"{{{app_id.group(1)}}}_is1" in text and "DisplayVersion" in text
    assert "Greater than or equal to" in text


def _powershell_errors(source: bytes) -> list[tuple[int, int]]:
    """(line, column) of every syntax error tree-sitter's PowerShell grammar finds (1-based lines)."""
    import tree_sitter_powershell
    from tree_sitter import Language, Parser

    tree = Parser(Language(tree_sitter_powershell.language())).parse(source)
    out = []

    def walk(node) -> None:
        if node.type == "ERROR" or node.is_missing:
            out.append((node.start_point[0] + 1, node.start_point[1]))
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return out


def test_the_powershell_scripts_parse():
    """Issue 17.2: no pwsh here, so the scripts are parsed with tree-sitter's PowerShell grammar."""
    scripts = sorted((ROOT / "packaging" / "windows").glob("*.ps1"))
    assert len(scripts) >= 2
    for script in scripts:
        assert _powershell_errors(script.read_bytes()) == [], script.name
    # and the check catches what a typo does
    assert _powershell_errors(b"param([string]$Installer\nif ($Installer) { Write-Host 'x' }\n")
    assert _powershell_errors(b"foreach ($f in $files) { Write-Host $f\n")


def _check_iss():
    sys.path.insert(0, str(ROOT / "packaging" / "windows"))
    try:
        import check_iss
    finally:
        sys.path.pop(0)
    return check_iss


def test_the_inno_setup_script_passes_the_static_check():
    check_iss = _check_iss()
    script = (ROOT / "packaging" / "windows" / "bpstudio.iss").read_text(encoding="utf-8-sig")
    assert check_iss.check(script) == []
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "windows" / "check_iss.py"),
            str(ROOT / "packaging/windows/bpstudio.iss"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.strip().endswith(": ok")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("[Files]", "[Filez]"), "unknown section [Filez]"),
        (("WizardStyle=modern", "WizardStile=modern"), "unknown [Setup] directive WizardStile"),
        (
            ("Flags: ignoreversion recursesubdirs", "Flags: ignoreversion recursesubdir"),
            "no flag recursesubdir",
        ),
        (('DestDir: "{app}"', 'DestDir: "{ap}"'), "unknown constant {ap}"),
        (('DestDir: "{app}"', 'DestDir: "{app}'), "a quoted value is not closed"),
        (('DestDir: "{app}"', 'Destination: "{app}"'), "[files] has no parameter Destination"),
        (("Root: HKA;", "Root: HKXX;"), "unknown registry root HKXX"),
        (("ValueType: string;", "ValueType: text;"), "unknown ValueType text"),
        (("Type: dirifempty", "Type: folders"), "unknown Type folders"),
        (("#endif\n#ifndef AppDir", "#ifndef AppDir"), "#if without #endif"),
    ],
)
def test_the_inno_setup_check_finds_each_kind_of_mistake(change, problem):
    check_iss = _check_iss()
    script = (ROOT / "packaging" / "windows" / "bpstudio.iss").read_text(encoding="utf-8-sig")
    old, new = change
    assert old in script
    problems = check_iss.check(script.replace(old, new, 1))
    assert any(problem in p for p in problems), problems
