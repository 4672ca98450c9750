"""The walkthrough panel: every computation of the current step as a formula with the numbers filled in.

The lines come from :func:`bpstudio.teaching.build_walkthrough` on the session's trace (or, before any
step, on the forward pass the canvas shows). The current line's neurons and edges are marked on the
canvas through ``Session.highlight``. Next/Previous (N/P or the arrow keys), Jump to a layer, copy as
text or Markdown, and export an HTML page for a lab report.

When a run ends, the panel is rebuilt over several turns of the event loop (:meth:`WalkthroughPanel.
refresh_later`), so that the window never stalls for long: the lines are written in one turn, then
rendered and measured a few at a time (laying out rich text is the slow part), and shown in a last turn
whose list layout finds every row's size measured already. At any other time (a step, another sample,
another notation) the panel is rebuilt at once, with the same result. (The list view's own batched
layout mode was not used: until a batch reaches a row, ``scrollTo`` cannot scroll to it, and the current
line is scrolled to when the rebuild ends; uniform item sizes do not fit rows that wrap.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QAction,
    QActionGroup,
    QKeySequence,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...engine import EngineError
from ...formats.view import LETTERS
from ...teaching import Notation, Walkthrough, walkthrough_steps
from ...teaching.expr import HtmlRenderer
from ...teaching.model import Line, Ref
from ...teaching.notation import LETTER_ROLES, PRESETS, VIEW_KEYS, preset_of
from ...teaching.presenter import NOTATION_KEYS, notation_from_view
from .. import gui_gc
from ..changes import Change
from ..plots.common import frame_scheduler, hidden
from ..screen_fit import size_to_text
from ..session import Selection, Session

HTML_ROLE = Qt.ItemDataRole.UserRole + 1
LINE_ROLE = Qt.ItemDataRole.UserRole + 2
#: milliseconds of work per turn of the event loop while the panel is rebuilt after a run
CHUNK_MS = 8.0
#: networks with more neurons than this are written out over turns of the event loop even when a
#: single step changed them (a layer of 4,096 is some 19,000 lines: seconds to lay out at once)
LARGE_NETWORK = 256
#: a walkthrough of more rows than this is laid out by the list view in batches of BATCH_ROWS (each
#: row's rich text is laid out at the view's width: about 0.1 ms)
BATCHED_ROWS = 2000
BATCH_ROWS = 200

Row = tuple[str, Line | None, str]  # (plain text, line or None for a header, html)
HTML_FILTER = "HTML pages (*.html *.htm);;All files (*)"


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused: the tens of thousands of small objects a walkthrough is
    written with would start it dozens of times (a third of the time it takes); it catches up after."""
    gui_gc.hold()  # (the same pause as while a worker thread runs: bpstudio.app.gui_gc)
    try:
        yield
    finally:
        gui_gc.release()


def selections(refs: tuple[Ref, ...]) -> tuple[Selection, ...]:
    """The session Selections of a line's references (same fields)."""
    return tuple(Selection(r.kind, r.layer, r.index, r.frm) for r in refs)


class WalkthroughModel(QAbstractListModel):
    """Rows: a header per group, then its lines (HTML in HTML_ROLE, the Line in LINE_ROLE)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []

    @staticmethod
    def rows_of(w: Walkthrough | None, mask: set[str] | None = None) -> Iterator[Row]:
        """The rows of ``w``, one at a time: a header per group, then its numbered lines."""
        if w is None:
            return
        r = HtmlRenderer(w.notation.digits, mask or set())
        number = 0
        for group, lines in w.by_group():
            yield group, None, f"<b>{r.escape(group)}</b>"
            for ln in lines:
                number += 1
                html = f'<span style="color:gray">{number}.</span>&nbsp; {ln.render(r)}'
                yield ln.text(w.notation.digits), ln, html

    def set_walkthrough(self, w: Walkthrough | None, mask: set[str] | None = None) -> None:
        self.set_rows(list(self.rows_of(w, mask)))

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        text, line, html = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return text
        if role == HTML_ROLE:
            return html
        if role == LINE_ROLE:
            return line
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid() or self.rows[index.row()][1] is None:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def line_rows(self) -> list[int]:
        return [i for i, (_, ln, _) in enumerate(self.rows) if ln is not None]


class HtmlDelegate(QStyledItemDelegate):
    """Paints a row's HTML (sub/superscripts, Greek) with word wrap."""

    MARGIN = 4
    #: sizes of recently laid-out rows, by (html, width): laying out rich text is the slow part. The
    #: cache holds this many beyond the rows measured ahead for the walkthrough on show.
    CACHE = 4096

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._sizes: dict[tuple[str, int], QSize] = {}
        self._limit: int | None = self.CACHE

    def begin_measuring(self) -> None:
        """A new walkthrough's rows are about to be measured ahead (:meth:`measure`): forget the old
        sizes and keep every new one until :meth:`end_measuring`. A bounded cache would drop the
        first rows of a long walkthrough (a layer of 4,096 neurons is some 19,000 rows, at two widths)
        before the view asks for them, and the view would then lay them all out again in one turn of
        the event loop: seconds with the window frozen."""
        self._sizes.clear()
        self._limit = None

    def end_measuring(self) -> None:
        """The rows are on show: keep their sizes, and at most :data:`CACHE` more."""
        self._limit = len(self._sizes) + self.CACHE

    def _document(self, option: QStyleOptionViewItem, index: QModelIndex) -> QTextDocument:
        return self._layout(option.font, str(index.data(HTML_ROLE) or ""), option.rect.width())

    def _layout(self, font, html: str, width: int) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(self.MARGIN)
        doc.setHtml(html)
        doc.setTextWidth(max(120, width if width > 0 else 600))
        return doc

    def _size(self, font, html: str, width: int) -> QSize:
        """A row's size at ``width`` (the view's viewport width), from the cache or laid out now."""
        key = (html, width)
        size = self._sizes.get(key)
        if size is None:
            doc = self._layout(font, html, width)
            size = QSize(int(doc.idealWidth()), int(doc.size().height()))
            if self._limit is not None and len(self._sizes) >= self._limit:
                self._sizes.clear()
            self._sizes[key] = size
        return size

    def measure(self, view: QListView, html: str, widths: tuple[int, ...] = ()) -> None:
        """Lay a row out ahead of the view (at its viewport's width, or at ``widths``): when the view
        then lays the rows out, their sizes are known."""
        for width in widths or (view.viewport().width(),):
            self._size(view.font(), html, width)

    def paint(self, painter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = self._document(option, index)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        if opt.state & QStyle.StateFlag.State_Selected:
            ctx.palette.setColor(
                QPalette.ColorRole.Text, opt.palette.color(QPalette.ColorRole.HighlightedText)
            )
        else:
            ctx.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(QPalette.ColorRole.Text))
        painter.save()
        painter.translate(option.rect.topLeft())
        painter.setClipRect(option.rect.translated(-option.rect.topLeft()))
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        width = option.rect.width()
        view = option.widget
        if view is not None and hasattr(view, "viewport"):
            width = view.viewport().width()
        return self._size(option.font, str(index.data(HTML_ROLE) or ""), width)


class LinesView(QListView):
    """The list of lines. A long list is laid out in batches (:data:`BATCHED_ROWS`), and a row whose
    batch is not laid out yet has no place to scroll to: a row asked for then (the current line kept
    over a rebuild, a jump) is scrolled to once the list is laid out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wanted: tuple[QPersistentModelIndex, QAbstractItemView.ScrollHint] | None = None

    def scrollTo(  # noqa: N802 (Qt's name)
        self,
        index: QModelIndex | QPersistentModelIndex,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        super().scrollTo(index, hint)
        waiting = index.isValid() and self.visualRect(index).isEmpty()
        self._wanted = (QPersistentModelIndex(index), hint) if waiting else None

    def timerEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().timerEvent(event)  # (the batches are laid out on a timer)
        if self._wanted is None:
            return
        index, hint = self._wanted
        last = self.model().index(self.model().rowCount() - 1, 0)
        if not index.isValid():
            self._wanted = None
        elif not self.visualRect(last).isEmpty():  # all laid out (the view keeps its place till then)
            self._wanted = None
            super().scrollTo(self.model().index(index.row(), index.column()), hint)


class WalkthroughPanel(QWidget):
    """The panel; ``lineActivated`` tells which line became current (None when none)."""

    lineActivated = Signal(object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("walkthroughPanel")
        self.session = session
        self.walkthrough: Walkthrough | None = None
        self.sample = 0
        self._syncing = False

        self.sample_box = QComboBox()
        self.sample_box.setObjectName("walkthroughSample")
        self.sample_box.setToolTip(
            "Which sample of the batch to follow through the forward and backward pass"
        )
        self.sample_box.currentIndexChanged.connect(self._sample_changed)
        #: the step's sample indices the box lists
        self._sample_key: tuple[int, ...] = ()
        self.jump_box = QComboBox()
        self.jump_box.setObjectName("walkthroughJump")
        self.jump_box.setToolTip("Jump to a layer of the forward or backward pass, the error, or an update")
        self.jump_box.activated.connect(self._jump)
        self.prev_button = self._tool("◀", "Previous computation (P or ↑)", self.previous)
        self.next_button = self._tool("▶", "Next computation (N or ↓)", self.next)
        self.notation_button = self._tool("Notation", "How the formulas are written", None)
        self.notation_button.setMenu(self._notation_menu())
        self.notation_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button = self._tool(
            "Copy / Export", "Copy the walkthrough or export it for a report", None
        )
        self.export_button.setMenu(self._export_menu())
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

        self.view = LinesView()
        self.view.setObjectName("walkthroughLines")
        self.model = WalkthroughModel(self)
        self.view.setModel(self.model)
        self.view.setItemDelegate(HtmlDelegate(self.view))
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setWordWrap(True)
        self.view.setUniformItemSizes(False)
        self.view.setBatchSize(BATCH_ROWS)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.selectionModel().currentChanged.connect(self._current_changed)

        self.message = QLabel()
        self.message.setObjectName("walkthroughMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.prev_button)
        top.addWidget(self.next_button)
        top.addWidget(self.jump_box, 1)
        top.addWidget(self.sample_box)
        top.addWidget(self.notation_button)
        top.addWidget(self.export_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.message)
        lay.addWidget(self.view, 1)

        for keys, slot in (("N", self.next), ("P", self.previous)):
            a = QAction(self)
            a.setShortcut(QKeySequence(keys))
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            a.triggered.connect(slot)
            self.addAction(a)

        self._stale = True
        #: a rebuild under way over several turns of the event loop (refresh_later), else None
        self._job: Iterator[None] | None = None
        s = session
        s.changed.connect(self._changed)
        s.viewChanged.connect(self._view_changed)
        s.runningChanged.connect(self._running_changed)
        self.refresh()

    def _changed(self, change: Change) -> None:
        if change & (Change.SHAPE | Change.NUMBERS | Change.DATASET):
            self.schedule()

    def schedule(self) -> None:
        """Refresh if the panel is shown and no run is going on (now, or for a large network over turns
        of the event loop, so that the window keeps answering); otherwise when it is shown again."""
        self._stale = True
        if hidden(self) or self.session.running:
            self._cancel()  # a rebuild under way would show what is no longer so
        else:
            self._bring_up_to_date()

    def _bring_up_to_date(self) -> None:
        """Rebuild now, or for a large network over turns of the event loop."""
        if sum(self.session.network.sizes) > LARGE_NETWORK:
            self.refresh_later()
        else:
            self.refresh()

    def _running_changed(self, running: bool) -> None:
        """A run ended: rebuild over several turns of the event loop (the window shows the run's last
        state meanwhile); when out of sight, once it is in view again. A run started: stop a rebuild."""
        self._stale = True
        if running:  # a rebuild still under way would only hold the run's snapshots up
            self._cancel()
        elif not hidden(self):  # (behind another dock's tab: when its tab is chosen, catch_up())
            self.refresh_later()

    def catch_up(self) -> None:
        """The panel came into view (its dock's tab was chosen): rebuild if it is out of date."""
        if self._stale and self.isVisible() and self._job is None:
            self._bring_up_to_date()

    @property
    def rebuilding(self) -> bool:
        """True while a rebuild spread over turns of the event loop is under way."""
        return self._job is not None

    def ensure_current(self) -> Walkthrough | None:
        """The walkthrough of the session as it is now (refreshing a hidden, out-of-date panel)."""
        if self._stale or self._job is not None:
            self.refresh()
        return self.walkthrough

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale and self._job is None:
            self._bring_up_to_date()

    # ------------------------------------------------------------------ widgets
    def _tool(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        if slot is not None:
            b.clicked.connect(lambda _c=False: slot())
        return b

    def _notation_menu(self) -> QMenu:
        menu = QMenu(self)
        self._radio_groups: list[tuple[str, QActionGroup]] = []
        presets = menu.addMenu("Course Preset")
        presets.setObjectName("menu_notation_preset")
        self._preset_group = QActionGroup(presets)
        for name, preset in PRESETS.items():
            a = QAction(preset.label, self._preset_group)
            a.setCheckable(True)
            a.setData(name)
            a.setToolTip(preset.source)
            a.triggered.connect(
                lambda _c=False, n=name: self.session.set_notation(self.notation().with_preset(n))
            )
            presets.addAction(a)
        presets.setToolTipsVisible(True)
        self._custom_action = QAction("Custom (the settings below)", self._preset_group)
        self._custom_action.setCheckable(True)
        self._custom_action.setEnabled(False)
        presets.addAction(self._custom_action)
        letters = menu.addMenu("Letters")
        letters.setObjectName("menu_notation_letters")
        for role, choices in LETTERS.items():
            sub = letters.addMenu(LETTER_ROLES[role].capitalize())
            sub.setObjectName(f"menu_letter_{role}")
            group = QActionGroup(sub)
            key = VIEW_KEYS[role]
            for value in choices:
                a = QAction("by the convention (δ or Δ)" if value == "auto" else value, group)
                a.setCheckable(True)
                a.setData(value)
                a.triggered.connect(lambda _c=False, k=key, v=value: self._set_letter(k, v))
                sub.addAction(a)
            self._radio_groups.append((key, group))
        menu.addSeparator()
        for key, title, choices in (
            (
                "notation",
                "Sign convention",
                [
                    ("gradient", "δ = ∂E/∂z,  w ← w − η·∂E/∂w"),
                    ("error_signal", "Δ = (t − o)·f′(z) = −δ,  w ← w + η·a·Δ"),
                    ("beta", "β = −∂E/∂o (before the slope),  Δw = η·oᵢ·f′(zⱼ)·βⱼ"),
                ],
            ),
            (
                "bias_style",
                "Bias",
                [("node", "w₀ on x₀ = 1"), ("node_minus", "W₀ on x₀ = −1 (W₀ = −b)"), ("value", "b")],
            ),
            (
                "walkthrough_layer_base",
                "Input layer number",
                [(1, "1 (z⁽²⁾ is the first hidden layer)"), (0, "0")],
            ),
            (
                "walkthrough_weight_index",
                "Weight superscript",
                [("source", "the layer it leaves (W⁽¹⁾: 1 → 2)"), ("target", "the layer it enters")],
            ),
            (
                "neuron_numbering",
                "Neuron numbering",
                [("layer", "by layer: zⱼ⁽ˡ⁾, wⱼₖ⁽ˡ⁾"), ("global", "through the network: z₅, w₃,₅")],
            ),
            ("walkthrough_digits", "Decimals", [(3, "3"), (4, "4"), (5, "5"), (6, "6")]),
        ):
            sub = menu.addMenu(title)
            group = QActionGroup(sub)
            for value, label in choices:
                a = QAction(label, group)
                a.setCheckable(True)
                a.setData(value)
                a.triggered.connect(lambda _c=False, k=key, v=value: self.session.set_view_option(k, v))
                sub.addAction(a)
            self._radio_groups.append((key, group))
        self._sync_notation_menu()
        return menu

    def _export_menu(self) -> QMenu:
        menu = QMenu(self)
        self.act_copy_text = menu.addAction("Copy as Text", self.copy_text)
        self.act_copy_markdown = menu.addAction("Copy as Markdown", self.copy_markdown)
        menu.addSeparator()
        self.act_export_html = menu.addAction("Export as HTML Page…", self.export_html)
        return menu

    def apply_preset(self, name: str) -> None:
        """Write everything in the notation of the course preset ``name`` (the decimals are kept)."""
        self.session.set_notation(self.notation().with_preset(name))

    def _set_letter(self, key: str, value: str) -> None:
        """One letter; a letter that another role has (e.g. α for the rate while momentum is α) swaps."""
        n = self.notation()
        role = next(r for r, k in VIEW_KEYS.items() if k == key)
        changes = {role: value}
        for a, b in (("lr", "momentum"), ("net", "act"), ("act", "target")):
            other = b if role == a else a if role == b else None
            if other is not None and getattr(n, other) == value and getattr(n, role) in LETTERS[other]:
                changes[other] = getattr(n, role)
        try:
            self.session.set_notation(replace(n, **changes))
        except ValueError as exc:
            self.session.errorOccurred.emit("Letters", str(exc))

    def _sync_notation_menu(self) -> None:
        n = self.notation()
        preset = preset_of(n)
        for a in self._preset_group.actions():
            a.setChecked(a.data() == preset or (a is self._custom_action and preset == "custom"))
        current = {
            "notation": n.convention,
            "bias_style": {"w0": "node", "w0_minus": "node_minus", "b": "value"}[n.bias],
            "walkthrough_layer_base": n.layer_base,
            "walkthrough_weight_index": n.weight_index,
            "walkthrough_digits": n.digits,
            "neuron_numbering": n.numbering,
            **{VIEW_KEYS[role]: getattr(n, role) for role in LETTERS},
        }
        for key, group in self._radio_groups:
            for a in group.actions():
                a.setChecked(a.data() == current[key])

    # ------------------------------------------------------------------ state
    def notation(self) -> Notation:
        return notation_from_view(self.session.project.view)

    def _view_changed(self, key: str) -> None:
        if key in NOTATION_KEYS:
            self._sync_notation_menu()
            self.schedule()

    def refresh(self) -> None:
        """Rebuild the lines from the session now (keeping the current line when it still exists)."""
        self._cancel()
        with collector_paused():
            for _ in self._rebuild(measure=False):
                pass

    def refresh_later(self) -> None:
        """Rebuild the lines as :meth:`refresh` does, spread over turns of the event loop (each about
        :data:`CHUNK_MS` of work, through the frame scheduler): the lines are written in one, rendered
        and measured in the next few, and shown in the last."""
        self._cancel()
        self._job = self._rebuild(measure=True)
        frame_scheduler().request(hash((id(self), "rebuild")), self._advance, self)

    def _cancel(self) -> None:
        if self._job is not None:
            job, self._job = self._job, None
            job.close()

    def _advance(self) -> None:
        """One turn's share of the rebuild under way."""
        job = self._job
        if job is None:
            return
        deadline = time.perf_counter() + CHUNK_MS / 1000.0
        try:
            with collector_paused():
                for _ in job:
                    if self._job is not job:  # cancelled meanwhile (by a refresh it caused)
                        return
                    if time.perf_counter() >= deadline:
                        frame_scheduler().request(hash((id(self), "rebuild")), self._advance, self)
                        return
        finally:
            if self._job is job and job.gi_frame is None:  # done (or failed): nothing under way
                self._job = None

    def _rebuild(self, measure: bool) -> Iterator[None]:
        """The rebuild, pausing (``yield``) where it may wait for a later turn of the event loop;
        ``measure``: lay each row out ahead of the list view (see :meth:`HtmlDelegate.measure`)."""
        self._stale = False
        current = self.current_line()
        key = current.key if current is not None else None
        presenter = self.session.presenter()
        trace, preview = presenter.trace, presenter.is_preview
        if self.session.locked:
            self._show(None, self.session.locked)
            return
        if trace is None:
            self._show(
                None,
                "No computation yet: step through a sample (Train ▸ Next Stage or Step Sample) "
                "to see every z, a, δ and weight change here.",
            )
            return
        m = trace.batch_size
        self._syncing = True
        listed = tuple(trace.sample_indices)
        if listed != self._sample_key:  # (a full batch may be tens of thousands: refilled when it changes)
            self._sample_key = listed
            self.sample_box.clear()
            names = [f"Sample {p + 1}: training sample {i + 1}" for p, i in enumerate(trace.sample_indices)]
            size_to_text(self.sample_box, max(names, key=len))
            self.sample_box.addItems(names)
        self.sample = min(self.sample, m - 1)
        self.sample_box.setCurrentIndex(self.sample)
        self.sample_box.setVisible(m > 1)
        self._syncing = False
        steps = walkthrough_steps(
            trace,
            self.session.network,
            self.session.config,
            presenter.notation,
            samples=[self.sample],
            title=self.session.project.name or "Walkthrough",
        )
        w: Walkthrough | None = None
        try:
            for w in steps:  # a neuron's lines at a time
                if w is None:
                    yield
        except (EngineError, ValueError, IndexError) as exc:
            self._show(None, f"Cannot write this step out: {exc}")
            return
        assert w is not None  # the steps end with the walkthrough
        rows: list[Row] = []
        widths = self._widths() if measure else ()
        delegate = self.view.itemDelegate()
        if measure and isinstance(delegate, HtmlDelegate):
            delegate.begin_measuring()
        for row in self.model.rows_of(w):
            rows.append(row)
            if measure and isinstance(delegate, HtmlDelegate):
                delegate.measure(self.view, row[2], widths)
                yield
        note = ""
        if preview:
            note = (
                f"Forward pass of training sample {trace.sample_indices[0] + 1} with the current weights. "
                "Step to see the error, the backward pass and the update."
            )
        if w.notes:
            note = " ".join([note, *w.notes]).strip()
        self._show(w, note, rows)
        if key is not None:
            self.select_key(key)

    def _widths(self) -> tuple[int, ...]:
        """The widths the list view may lay its rows out at: its viewport's, and, while its scroll bar
        is hidden, the narrower one it gets when a longer walkthrough brings the scroll bar."""
        width = self.view.viewport().width()
        bar = self.view.verticalScrollBar()
        if bar.isVisible() or self.view.verticalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAsNeeded:
            return (width,)
        return (width, width - bar.sizeHint().width())

    def _show(self, w: Walkthrough | None, message: str, rows: list[Row] | None = None) -> None:
        self.walkthrough = w
        rows = rows if rows is not None else list(self.model.rows_of(w))
        # a long list laid out in one go (at a new width: a resized dock) holds the window for
        # seconds; in batches, the view answers between them
        batched = len(rows) > BATCHED_ROWS
        self.view.setLayoutMode(QListView.LayoutMode.Batched if batched else QListView.LayoutMode.SinglePass)
        self.model.set_rows(rows)
        delegate = self.view.itemDelegate()
        if isinstance(delegate, HtmlDelegate):
            delegate.end_measuring()
        self.message.setText(message)
        self.message.setVisible(bool(message))
        self.jump_box.clear()
        if w is not None:
            for group in w.groups():
                self.jump_box.addItem(group)
        for widget in (self.jump_box, self.prev_button, self.next_button, self.export_button):
            widget.setEnabled(w is not None and len(w) > 0)
        if w is None:
            self.sample_box.setVisible(False)
            self.session.highlight(()) if hasattr(self.session, "highlight") else None

    def _sample_changed(self, i: int) -> None:
        if self._syncing or i < 0:
            return
        self.sample = i  # (item i is the batch's sample i)
        self.refresh()

    # ------------------------------------------------------------------ navigation
    def current_line(self) -> Line | None:
        idx = self.view.currentIndex()
        return idx.data(LINE_ROLE) if idx.isValid() else None

    def current_row(self) -> int:
        return self.view.currentIndex().row()

    def set_row(self, row: int) -> None:
        idx = self.model.index(row, 0)
        self.view.setCurrentIndex(idx)
        self.view.scrollTo(idx, QListView.ScrollHint.EnsureVisible)

    def select_key(self, key: str) -> bool:
        for row in self.model.line_rows():
            if self.model.rows[row][1].key == key:  # type: ignore[union-attr]
                self.set_row(row)
                return True
        return False

    def next(self) -> None:
        rows = self.model.line_rows()
        if not rows:
            return
        cur = self.current_row()
        after = [r for r in rows if r > cur]
        self.set_row(after[0] if after else rows[-1])

    def previous(self) -> None:
        rows = self.model.line_rows()
        if not rows:
            return
        cur = self.current_row()
        before = [r for r in rows if r < cur]
        self.set_row(before[-1] if before else rows[0])

    def _jump(self, i: int) -> None:
        if self.walkthrough is None or i < 0:
            return
        group = self.jump_box.itemText(i)
        for row, (text, line, _) in enumerate(self.model.rows):
            if line is None and text == group:
                self.set_row(row + 1)
                return

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        line = current.data(LINE_ROLE) if current.isValid() else None
        if line is None and current.isValid() and current.row() + 1 < self.model.rowCount():
            self.set_row(current.row() + 1)  # a header: move to its first line
            return
        if line is not None and self.walkthrough is not None:
            j = self.jump_box.findText(line.group)
            if j >= 0:
                self.jump_box.setCurrentIndex(j)
        if hasattr(self.session, "highlight"):
            self.session.highlight(selections(line.refs) if line is not None else ())
        self.lineActivated.emit(line)

    # ------------------------------------------------------------------ copy and export
    def copy_text(self) -> None:
        if self.walkthrough is not None:
            QApplication.clipboard().setText(self.walkthrough.to_text())
            self.session.statusMessage.emit("Copied the walkthrough as text")

    def copy_markdown(self) -> None:
        if self.walkthrough is not None:
            QApplication.clipboard().setText(self.walkthrough.to_markdown())
            self.session.statusMessage.emit("Copied the walkthrough as Markdown")

    def export_html(self) -> bool:
        if self.walkthrough is None:
            return False
        start = str(Path.home() / "walkthrough.html")
        if self.session.path is not None:
            start = str(
                self.session.path.parent / (self.session.path.name.split(".")[0] + "-walkthrough.html")
            )
        path, _ = QFileDialog.getSaveFileName(self, "Export Walkthrough", start, HTML_FILTER)
        if not path:
            return False
        if not path.lower().endswith((".html", ".htm")):
            path += ".html"
        try:
            from ...formats.io import write_bytes_atomic

            write_bytes_atomic(path, self.walkthrough.to_html_page().encode("utf-8"))
        except OSError as exc:
            QMessageBox.warning(self, "Cannot export the walkthrough", f"{path}: {exc.strerror or exc}")
            return False
        self.session.statusMessage.emit(f"Exported the walkthrough to {Path(path).name}")
        return True
