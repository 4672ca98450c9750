"""Backprop Studio: draw a feedforward network and watch backpropagation one δ at a time."""

from __future__ import annotations

import sys
from pathlib import Path

__version__ = "0.1.0"

__all__ = ["__version__", "resources_dir", "resource_path"]


def resources_dir() -> Path:
    """The folder of shipped resources (examples, datasets, schemas, icons).

    Installed from a wheel it is ``bpstudio/resources``; in a source checkout it is the top-level
    ``resources/`` folder; in a frozen (PyInstaller) app it is ``bpstudio/resources`` in the bundle.
    """
    here = Path(__file__).resolve().parent
    candidates = [here / "resources", here.parent / "resources"]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.insert(0, Path(frozen) / "bpstudio" / "resources")
    for c in candidates:
        if (c / "RESOURCES.md").is_file():
            return c
    raise FileNotFoundError("bpstudio's resources folder is missing from this installation")


def resource_path(*parts: str) -> Path:
    """A path inside the resources folder, e.g. ``resource_path("examples", "xor.bps.json")``."""
    return resources_dir().joinpath(*parts)
