"""Panels built the first time they are needed, so that the window paints sooner.

Most docks start behind another tab (the Gradients, Loss Landscape and Compare Runs plots behind the
Loss plot, for instance); building their plots costs a tenth of a second or more at start-up for
panels nobody has looked at yet. A :class:`LazyPanel` puts an empty placeholder in its dock and builds
the real panel when the dock is first shown (its tab chosen, View ▸ Panels) or when code asks for it
(:meth:`LazyPanel.get`). Every panel built this way draws the session's current state when it is
built, so it shows the same as if it had existed all along.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QSize
from PySide6.QtWidgets import QDockWidget, QWidget

from .screen_fit import scrollable

P = TypeVar("P", bound=QWidget)


class Placeholder(QWidget):
    """What a dock holds until its panel is built: nothing to see, the panel's usual size."""

    def __init__(self, hint: QSize) -> None:
        super().__init__()
        self.setObjectName("lazyPlaceholder")
        self._hint = QSize(hint)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self._hint)


class LazyPanel(QObject, Generic[P]):
    """The panel of ``dock`` (which holds a :class:`Placeholder` until then), made by ``factory`` when the
    dock is first shown or :meth:`get` is called."""

    #: the size a placeholder asks for (that of a plot panel at the default font)
    HINT = QSize(600, 512)

    def __init__(self, dock: QDockWidget, factory: Callable[[], P]) -> None:
        super().__init__(dock)
        self.dock = dock
        self._factory: Callable[[], P] | None = factory
        self._panel: P | None = None
        self._hooks: list[Callable[[P], None]] = []
        dock.visibilityChanged.connect(self._visibility)

    @property
    def built(self) -> P | None:
        """The panel if it has been built, else None (without building it)."""
        return self._panel

    def get(self) -> P:
        """The panel, built now if it was not yet."""
        if self._panel is None:
            factory, self._factory = self._factory, None
            assert factory is not None
            panel = self._panel = factory()
            old = self.dock.widget()
            self.dock.setWidget(scrollable(panel))
            if old is not None:
                old.deleteLater()
            for hook in self._hooks:
                hook(panel)
            self._hooks.clear()
        return self._panel

    def when_built(self, hook: Callable[[P], None]) -> None:
        """Call ``hook(panel)`` once the panel exists (at once if it does)."""
        if self._panel is not None:
            hook(self._panel)
        else:
            self._hooks.append(hook)

    def _visibility(self, visible: bool) -> None:
        if visible:
            self.get()
