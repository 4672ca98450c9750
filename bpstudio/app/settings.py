"""Persistent application settings (QSettings, organisation and application "bpstudio").

Holds the preferences (theme, and the defaults of the project view options), the recent-files list,
the last data-import folder and options, and the window geometry and dock layout. Tests point
XDG_CONFIG_HOME/HOME at a temporary folder; with ``BPSTUDIO_NO_RESTORE=1`` the window's geometry
and dock layout are not restored.

**Lab-wide defaults** (issue 17.3): an administrator can ship a system settings file of the same
form (:func:`system_settings_file`: ``/etc/xdg/bpstudio/bpstudio.ini`` on Linux, or the first
``bpstudio/bpstudio.ini`` in ``$XDG_CONFIG_DIRS``; ``%ProgramData%\bpstudio\bpstudio.ini`` on
Windows; ``/Library/Preferences/bpstudio/bpstudio.ini`` on macOS; ``$BPSTUDIO_SYSTEM_CONFIG`` names
another). Its values are the defaults where the user has not chosen otherwise: ``prefs/theme``,
``prefs/text_size``, ``prefs/presentation`` (start in presentation mode), ``view/<option>`` (the
defaults of the project view options, e.g. ``view/notation``), ``view/preset`` (a course notation preset,
e.g. ``nielsen``, that projects setting no notation of their own take), ``paths/projects`` and ``paths/data``
(the folders the file dialogs start in). ``locks/keys`` lists keys the user cannot change: a locked
key's system value wins over the user's, and Preferences shows it greyed out with the reason.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSettings, QStandardPaths, Signal

from ..teaching.labels import CHOICES, DEFAULTS
from ..teaching.notation import PRESETS
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


def data_folder() -> Path:
    """``<data folder>/bpstudio`` (e.g. ~/.local/share/bpstudio on Linux): the autosaved copies of
    unsaved work and the error logs. Resolved afresh each time (tests point XDG_DATA_HOME elsewhere)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home()) / ORGANISATION


def qsettings() -> QSettings:
    return QSettings(str(settings_file()), QSettings.Format.IniFormat)


#: names the lab-wide settings file instead of the platform's place (administrators, tests)
SYSTEM_ENV = "BPSTUDIO_SYSTEM_CONFIG"
#: what Preferences says of a locked setting
LOCKED_REASON = "Set by your lab's administrator"


def system_settings_file() -> Path | None:
    """The lab-wide settings file, if there is one (see the module docstring)."""
    named = os.environ.get(SYSTEM_ENV, "")
    if named:
        return Path(named) if Path(named).is_file() else None
    if sys.platform.startswith("win"):
        base = os.environ.get("ProgramData", r"C:\ProgramData")
        candidates = [Path(base) / ORGANISATION / f"{APPLICATION}.ini"]
    elif sys.platform == "darwin":
        candidates = [Path("/Library/Preferences") / ORGANISATION / f"{APPLICATION}.ini"]
    else:
        dirs = os.environ.get("XDG_CONFIG_DIRS", "") or "/etc/xdg"
        candidates = [Path(d) / ORGANISATION / f"{APPLICATION}.ini" for d in dirs.split(":") if d]
    return next((c for c in candidates if c.is_file()), None)


def restore_allowed() -> bool:
    return os.environ.get("BPSTUDIO_NO_RESTORE", "") not in ("1", "true", "yes")


class AppSettings(QObject):
    """Typed access to the stored preferences; emits ``changed(key)`` when one is set."""

    changed = Signal(str)
    recentChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = qsettings()
        path = system_settings_file()
        self.system_path = path
        self.system = None if path is None else QSettings(str(path), QSettings.Format.IniFormat)
        raw = self.system.value("locks/keys", []) if self.system is not None else []
        keys = [raw] if isinstance(raw, str) else list(raw or [])
        self.locked = frozenset(str(k).strip() for k in keys if str(k).strip())

    # ------------------------------------------------------------------ lab-wide defaults
    def _value(self, path: str, default: Any) -> Any:
        """The user's value of ``path``, else the lab's, else ``default``; a locked key: the lab's."""
        lab = self.system is not None and self.system.contains(path)
        if lab and path in self.locked:
            return self.system.value(path)  # type: ignore[union-attr]
        if self.store.contains(path):
            return self.store.value(path)
        return self.system.value(path) if lab else default  # type: ignore[union-attr]

    def is_locked(self, path: str) -> bool:
        """Whether the lab's administrator fixed ``path`` (e.g. "prefs/theme", "view/notation")."""
        return path in self.locked and self.system is not None and self.system.contains(path)

    def start_presentation(self) -> bool:
        """Whether the window opens in presentation mode (a lab default, e.g. on a lecture PC)."""
        return str(self._value("prefs/presentation", "false")).strip().lower() in ("1", "true", "yes")

    def default_folder(self, kind: str) -> str:
        """The lab's folder for ``kind`` "projects" or "data" (file dialogs start there), or ""."""
        folder = str(self._value(f"paths/{kind}", "") or "")
        return folder if folder and Path(folder).is_dir() else ""

    # ------------------------------------------------------------------ preferences
    def theme(self) -> str:
        value = str(self._value("prefs/theme", "system"))
        return value if value in THEMES else "system"

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}")
        self._set("prefs/theme", theme, "theme")

    def text_size(self) -> float:
        """The window's text size, a factor of the platform's font (View ▸ Text Size); 1.0 by default."""
        return nearest_step(self._value("prefs/text_size", 1.0))

    def set_text_size(self, value: float) -> None:
        self._set("prefs/text_size", nearest_step(value), "text_size")

    def view_default(self, key: str) -> Any:
        """The default of view option ``key`` for projects that do not set it."""
        default = DEFAULTS[key]
        raw = self._value(f"view/{key}", default)
        return _coerce(key, raw, default)

    def view_defaults(self) -> dict[str, Any]:
        return {key: self.view_default(key) for key in DEFAULTS}

    def notation_preset(self) -> str:
        """The course notation preset (e.g. ``nielsen``) that projects setting no notation take; ""
        for none (an unknown name is ignored)."""
        value = str(self._value("view/preset", "") or "").strip()
        return value if value in PRESETS else ""

    def set_notation_preset(self, name: str) -> None:
        if name and name not in PRESETS:
            raise ValueError(f"unknown notation preset {name!r}")
        self._set("view/preset", name, "preset")

    def set_view_default(self, key: str, value: Any) -> None:
        self._set(f"view/{key}", _coerce(key, value, DEFAULTS[key]), key)

    def _set(self, path: str, value: Any, key: str) -> None:
        if self.is_locked(path):  # the lab's administrator decides (Preferences greys it out)
            return
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
        return folder if folder and Path(folder).is_dir() else self.default_folder("data")

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
