"""The dock every panel sits in: a QDockWidget whose title follows the window's text size.

Qt's QDockWidget keeps the font its title is painted in from when the dock was made (it reads it
once, ``QApplication::font("QDockWidgetTitle")``, and paints with that whenever the dock's own font
is the application's), while the title bar's height follows the current font. After a text-size
change (Preferences, or presentation mode at 175 %) every panel's name stayed at the old size in a
bar made for the new one: small print on a projector. :class:`PanelDock` paints the title with the
dock's current font, through the style, as Qt does otherwise.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QStyle, QStyleOptionDockWidget, QStylePainter


class PanelDock(QDockWidget):
    """A dock panel whose title is painted in the dock's current font (see the module's notes)."""

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.isFloating() or self.titleBarWidget() is not None:
            # a floating panel's title is the window system's (or Qt's own, drawn as before); a custom
            # title bar paints itself
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        option = QStyleOptionDockWidget()
        self.initStyleOption(option)  # the dock's font and its metrics: the current text size
        painter.drawControl(QStyle.ControlElement.CE_DockWidgetTitle, option)
