"""A row of controls that wraps onto more lines when its panel is too narrow for it.

The bars above the plots (a combo box, check boxes, an Export button) are one row on a wide screen;
in the 348-pixel column of a 1024×768 projector they would make the panel wider than its dock, which
then scrolls sideways and cuts the plot. :class:`FlowLayout` lines its items up left to right, as
:class:`QHBoxLayout` does, and starts a new line where the next item does not fit, as words wrap in a
paragraph. Stretch works within each line: ``addStretch`` and ``addWidget(w, stretch)`` share the
width a line leaves free (so an Export button after a stretch still sits at the right edge).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLayout, QLayoutItem, QSizePolicy, QSpacerItem, QWidget


class FlowLayout(QLayout):
    """Items left to right, wrapped onto as many lines as the width needs (see the module)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._stretch: list[int] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    # ------------------------------------------------------------------ items
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt's name)
        self._items.append(item)
        self._stretch.append(0)

    def addWidget(self, widget: QWidget, stretch: int = 0) -> None:  # type: ignore[override]  # noqa: N802
        super().addWidget(widget)
        self._stretch[-1] = stretch

    def addStretch(self, stretch: int = 1) -> None:  # noqa: N802 (QBoxLayout's name)
        self.addItem(QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum))
        self._stretch[-1] = stretch

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        if 0 <= index < len(self._items):
            self._stretch.pop(index)
            return self._items.pop(index)
        return None

    # ------------------------------------------------------------------ sizes
    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt's name)
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return self._place(QRect(0, 0, width, 0), apply=False)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """All items on one line."""
        shown = self._shown()
        m = self.contentsMargins()
        width = sum(self._items[i].sizeHint().width() for i in shown) + self._gap * max(len(shown) - 1, 0)
        height = max((self._items[i].sizeHint().height() for i in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt's name)
        """As narrow as the widest item (one per line); the height follows the width (heightForWidth)."""
        shown = self._shown()
        m = self.contentsMargins()
        width = max((self._items[i].minimumSize().width() for i in shown), default=0)
        height = max((self._items[i].minimumSize().height() for i in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt's name)
        super().setGeometry(rect)
        self._place(rect, apply=True)

    # ------------------------------------------------------------------ placing
    def _shown(self) -> list[int]:
        """The items that take room: visible widgets (spacers take only what a line leaves free)."""
        return [i for i, it in enumerate(self._items) if it.spacerItem() is None and not it.isEmpty()]

    def _lines(self, width: int) -> list[list[int]]:
        lines: list[list[int]] = [[]]
        used = 0
        for i, item in enumerate(self._items):
            if item.spacerItem() is not None:
                if lines[-1]:  # a stretch at the start of a line has nothing to push
                    lines[-1].append(i)
                continue
            if item.isEmpty():
                continue
            w = min(item.sizeHint().width(), width)
            taken = [j for j in lines[-1] if self._items[j].spacerItem() is None]
            if taken and used + self._gap + w > width:
                lines.append([])
                used = 0
                taken = []
            used += (self._gap if taken else 0) + w
            lines[-1].append(i)
        return [line for line in lines if any(self._items[i].spacerItem() is None for i in line)]

    def _place(self, rect: QRect, apply: bool) -> int:
        """Lay the items out in ``rect`` (or only measure); returns the height they take.

        Every line is as high as the tallest item of the bar, each item centred in its line. With
        lines as high as their own items, a wider bar could wrap into a taller arrangement (a tall
        item moving onto a line of short ones), and a scroll area around a panel whose least height
        grows as it widens can show and hide its scroll bar for ever. With one line height, the
        height is the number of lines times it, and greedy wrapping never needs more lines when
        given more width: the height never grows as the width does."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        y = area.y()
        height = max((self._items[i].sizeHint().height() for i in self._shown()), default=0)
        for line in self._lines(max(area.width(), 1)):
            widgets = [i for i in line if self._items[i].spacerItem() is None]
            widths = {
                i: max(
                    min(self._items[i].sizeHint().width(), area.width()), self._items[i].minimumSize().width()
                )
                for i in widgets
            }
            spare = area.width() - sum(widths.values()) - self._gap * (len(widgets) - 1)
            weights = {i: self._stretch[i] for i in line if self._stretch[i] > 0}
            total = sum(weights.values())
            x = area.x()
            for i in line:
                extra = round(spare * weights[i] / total) if spare > 0 and i in weights else 0
                item = self._items[i]
                if item.spacerItem() is not None:
                    x += extra
                    continue
                w = widths[i] + extra
                h = min(item.sizeHint().height(), height)
                if apply:
                    item.setGeometry(QRect(QPoint(x, y + (height - h) // 2), QSize(w, h)))
                x += w + self._gap
            y += height + self._gap
        return max(y - self._gap - rect.y() + m.bottom(), 0) if y > area.y() else m.top() + m.bottom()


class FlowBar(QWidget):
    """A widget around a :class:`FlowLayout`, as tall as its lines need at its width.

    It tells its parent layout no height-for-width: a scroll area around a panel would otherwise
    take the panel's preferred height at that width as its minimum (plots included) and scroll where
    nothing needs to. Instead the bar sets its own minimum height whenever its width changes.
    """

    def __init__(self, flow: FlowLayout, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = flow
        self.setLayout(flow)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return False

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self.flow.sizeHint().width(), max(self.minimumHeight(), self.flow.sizeHint().height()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(
            self.flow.minimumSize().width(), max(self.minimumHeight(), self.flow.minimumSize().height())
        )

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._fit()

    def event(self, event: QEvent) -> bool:
        """A control shown, hidden or resized (a label's new text) may change the lines."""
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return handled

    def _fit(self) -> None:
        height = self.flow.heightForWidth(max(self.width(), 1))
        if height != self.minimumHeight():
            self.setMinimumHeight(height)
            self.updateGeometry()


class Together(QWidget):
    """Widgets that wrap as one (a label and the box it names): never split over two lines.

    It is shown while any of its widgets is (a widget hidden with ``setVisible(False)`` takes no room,
    as in a :class:`QHBoxLayout`), so that its line in a :class:`FlowLayout` has no empty gap.
    """

    def __init__(self, *widgets: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.widgets = widgets
        for w in widgets:
            row.addWidget(w)
            w.installEventFilter(self)
        self._follow()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self._follow()
        return False

    def _follow(self) -> None:
        self.setHidden(all(w.isHidden() for w in self.widgets))
