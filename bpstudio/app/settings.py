"""Persistent application settings (QSettings, organisation and application "bpstudio").

Holds the preferences (theme, and the defaults of the project view options), the recent-files list,
the last data-import folder and options, and the window geometry and dock layout. Tests point
XDG_CONFIG_HOME/HOME at a temporary folder; with ``BPSTUDIO_NO_RESTORE=1`` the window's geometry
and dock layout are not restored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSettings, QStandardPaths, Signal

from ..teaching.labels import CHOICES, DEFAULTS
from .ui_scale import nearest_step

ORGANISATION = "bpstudio"
APPLICATION = "bpstudio"
MAX_RECENT = 10
THEMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


def settings_file() -> Path:
    """``<config folder>/bpstudio/bpstudio.ini`` (e.g. ~/.config/bpstudio/bpstudio.ini on Linux).

    Resolved afresh each time (QSettings caches its default folder for the whole process), so a test
    that points XDG_CONFIG_HOME elsewhere gets a fresh settings file.
    """
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home()) / ORGANISATION / f"{APPLICATION}.ini"


def qsettings() -> QSettings:
    return QSettings(str(settings_file()), QSettings.Format.IniFormat)


def restore_allowed() -> bool:
    return os.environ.get("BPSTUDIO_NO_RESTORE", "") not in ("1", "true", "yes")


class AppSettings(QObject):
    """Typed access to the stored preferences; emits ``changed(key)`` when one is set."""

    changed = Signal(str)
    recentChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = qsettings()

    # ------------------------------------------------------------------ preferences
    def theme(self) -> str:
        value = str(self.store.value("prefs/theme", "system"))
        return value if value in THEMES else "system"

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}")
        self._set("prefs/theme", theme, "theme")

    def text_size(self) -> float:
        """The window's text size, a factor of the platform's font (View ▸ Text Size); 1.0 by default."""
        return nearest_step(self.store.value("prefs/text_size", 1.0))

    def set_text_size(self, value: float) -> None:
        self._set("prefs/text_size", nearest_step(value), "text_size")

    def view_default(self, key: str) -> Any:
        """The default of view option ``key`` for projects that do not set it."""
        default = DEFAULTS[key]
        raw = self.store.value(f"view/{key}", default)
        return _coerce(key, raw, default)

    def view_defaults(self) -> dict[str, Any]:
        return {key: self.view_default(key) for key in DEFAULTS}

    def set_view_default(self, key: str, value: Any) -> None:
        self._set(f"view/{key}", _coerce(key, value, DEFAULTS[key]), key)

    def _set(self, path: str, value: Any, key: str) -> None:
        if self.store.value(path) == value:
            return
        self.store.setValue(path, value)
        self.store.sync()
        self.changed.emit(key)

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        raw = self.store.value("recent/files", [])
        if isinstance(raw, str):
            raw = [raw]
        return [str(p) for p in (raw or []) if str(p)]

    def add_recent(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != p]
        files.insert(0, p)
        self.store.setValue("recent/files", files[:MAX_RECENT])
        self.store.sync()
        self.recentChanged.emit()

    def remove_recent(self, path: str) -> None:
        self.store.setValue("recent/files", [f for f in self.recent_files() if f != path])
        self.store.sync()
        self.recentChanged.emit()

    def clear_recent(self) -> None:
        self.store.setValue("recent/files", [])
        self.store.sync()
        self.recentChanged.emit()

    # ------------------------------------------------------------------ data import
    def import_folder(self) -> str:
        """The folder of the last imported data file, or "" (none yet, or it no longer exists)."""
        folder = str(self.store.value("import/folder", "") or "")
        return folder if folder and Path(folder).is_dir() else ""

    def import_options(self) -> dict[str, Any]:
        """The options of the last import (the import dialog's choices), or {}."""
        try:
            value = json.loads(str(self.store.value("import/options", "{}") or "{}"))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def remember_import(self, folder: str | Path, options: dict[str, Any]) -> None:
        self.store.setValue("import/folder", str(folder))
        self.store.setValue("import/options", json.dumps(options, sort_keys=True))
        self.store.sync()

    # ------------------------------------------------------------------ window layout
    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        """(geometry, dock state) saved at the last close, or Nones (always, under BPSTUDIO_NO_RESTORE)."""
        if not restore_allowed():
            return None, None
        geo = self.store.value("window/geometry")
        state = self.store.value("window/state")
        return (
            geo if isinstance(geo, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)
        self.store.sync()


def _coerce(key: str, raw: Any, default: Any) -> Any:
    """A stored value (QSettings' INI files return strings) as the type of ``default``."""
    if isinstance(default, bool):
        if isinstance(raw, str):
            return raw.lower() in ("1", "true", "yes")
        return bool(raw)
    if isinstance(default, int):
        try:
            return max(0, min(10, int(raw)))
        except (TypeError, ValueError):
            return default
    value = str(raw)
    if key in CHOICES and value not in CHOICES[key]:
        return default
    return value
